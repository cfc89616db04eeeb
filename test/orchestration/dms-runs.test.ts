import { readProject } from '../../shared/usecases/project-read';
import { StartReplicationCommand, StartReplicationTaskCommand } from '@aws-sdk/client-database-migration-service';
import { describe, expect, it } from 'vitest';
import { DmsMigrationEngine } from '../../shared/adapters/engine/dms/dms-engine';
import { FakeDms } from '../../shared/adapters/engine/dms/fake-dms';
import { fakeDmsClients } from '../../shared/adapters/engine/dms/fake-dms-mock';
import { MemoryReplicationSlots } from '../../shared/adapters/engine/dms/slots';
import type { MigrationType, ProjectRecord } from '../../shared/domain/project';
import type { SwitchoverStepName } from '../../shared/domain/subtasks';
import { createDataSource } from '../../shared/usecases/data-sources';
import { applyOperation } from '../../shared/usecases/lifecycle';
import { reconcileRuns } from '../../shared/usecases/orchestration';
import { createProject } from '../../shared/usecases/projects';
import { ExecutionDriver } from '../reliability/faults/execution-driver';
import { SimulatedOrchestrator } from '../reliability/faults/faulty-adapters';
import { memoryDeps } from '../support/memory-deps';

/**
 * Whole project runs on the AWS DMS adapter: the orchestration use cases (pickNext, startWork,
 * pollWork, awaitOperator, completeRun — played in the state machine's order by the ExecutionDriver)
 * and the lifecycle operations over in-memory stores, with the adapter's real requests answered by a
 * fake DMS (aws-sdk-client-mock) whose tasks follow the documented state transitions. Time passes
 * only when the test says so: each tick moves every DMS task one step and the clock one minute.
 */

const ctx = { actor: 'arn:aws:iam::123456789012:user/operator', requestId: 'req-dms' };
const ALL: MigrationType = { structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: true, reverseIncrementalSync: true };

type Mode = 'instance' | 'serverless';
const SERVERLESS = { maxCapacityUnits: 4, subnetGroupId: 'mig-subnets', securityGroupIds: ['sg-0123456789abcdef0'] };

function world(mode: Mode, slots?: MemoryReplicationSlots) {
  const fake = new FakeDms();
  const clients = fakeDmsClients(fake);
  const orchestrator = new SimulatedOrchestrator();
  // The engine reads data sources from the same store the use cases write (the lead passes the DataSourceStore's get).
  const holder: { deps?: ReturnType<typeof memoryDeps> } = {};
  const config = {
    ...(mode === 'serverless' ? { serverless: SERVERLESS } : { replicationInstanceArn: 'arn:aws:dms:eu-west-1:123456789012:rep:migration-instance', replicationInstanceId: 'migration-instance' }),
    accessRoleArn: 'arn:aws:iam::123456789012:role/dms-secrets',
    now: () => holder.deps!.clock.nowMs(),
  };
  const engineDeps = { resolveDataSource: (id: string) => holder.deps!.dataSources.get(id), dms: () => clients.dms, cloudwatch: () => clients.cloudwatch };
  const engine = new DmsMigrationEngine(config, { ...engineDeps, ...(slots ? { slots } : {}) });
  /** The same engine in a function that has no position reader (deployed: an API function). */
  const withoutReader = new DmsMigrationEngine(config, engineDeps);
  const deps = memoryDeps({ orchestrator, engine });
  holder.deps = deps;
  const driver = new ExecutionDriver(() => deps, orchestrator);

  // As GET /projects/{id} reads it: the project item merged with its progress item.
  const project = async (id: string) => (await readProject(deps, id)) as ProjectRecord;
  const subtask = async (id: string, type: string) => (await project(id)).subtasks.find((s) => s.type === type);
  const op = (operation: Parameters<typeof applyOperation>[1]['operation'], projectId: string, extra: Record<string, unknown> = {}) =>
    applyOperation(deps, { operation, projectId, ctx, ...extra } as Parameters<typeof applyOperation>[1]);
  /** What the runs, the project and DMS look like (for a failure message). */
  const snapshot = async () => {
    const execs = [...orchestrator.executions.values()];
    const p = await deps.projects.get(execs[0]?.projectId ?? '');
    return JSON.stringify({
      project: { status: p?.status, awaiting: p?.awaiting, waitingStep: p?.waitingStep, subtasks: p?.subtasks.map((s) => [s.type, s.status, s.lastError?.code]) },
      executions: execs.map((e) => [e.name, e.status, e.position]),
      tasks: [...fake.tasks.values()].map((t) => [t.task.ReplicationTaskIdentifier, t.task.Status, t.tags]),
    });
  };
  /** Executions move as far as they can; then time passes one step; until `until` holds. */
  const runUntil = async (what: string, until: () => Promise<boolean>, maxTicks = 40) => {
    for (let i = 0; i < maxTicks; i++) {
      for (const e of orchestrator.live()) await driver.drive(e);
      if (await until()) return;
      fake.advance();
      deps.clock.advance(60_000);
    }
    throw new Error(`never reached: ${what}; ${await snapshot()}`);
  };
  const startTypes = () =>
    mode === 'serverless'
      ? clients.dmsMock.commandCalls(StartReplicationCommand).map((c) => `${c.args[0].input.ReplicationConfigArn?.split(':').pop()} ${c.args[0].input.StartReplicationType}`)
      : clients.dmsMock.commandCalls(StartReplicationTaskCommand).map((c) => `${c.args[0].input.ReplicationTaskArn?.split(':').pop()} ${c.args[0].input.StartReplicationTaskType}`);
  /** The first start request of the reverse replication: its type and CdcStartPosition. */
  const reverseStart = () => {
    const rev = engine.idOf([...orchestrator.executions.values()][0]?.projectId ?? '', 'rev');
    if (mode === 'serverless') {
      const i = clients.dmsMock.commandCalls(StartReplicationCommand).map((c) => c.args[0].input).find((x) => x.ReplicationConfigArn?.endsWith(`:${rev}`));
      return i && { type: i.StartReplicationType, position: i.CdcStartPosition };
    }
    const i = clients.dmsMock.commandCalls(StartReplicationTaskCommand).map((c) => c.args[0].input).find((x) => x.ReplicationTaskArn?.endsWith(`:${rev}`));
    return i && { type: i.StartReplicationTaskType, position: i.CdcStartPosition };
  };
  return { fake, engine, withoutReader, deps, orchestrator, project, subtask, op, runUntil, startTypes, reverseStart, dmsMock: clients.dmsMock };
}

async function newProject(w: ReturnType<typeof world>, migrationType: MigrationType, destination: 'mysql' | 'postgresql' = 'mysql') {
  const src = await createDataSource(w.deps, { name: 'shop-pg', engine: 'postgresql', host: 'src.example', port: 5432, username: 'app', database: 'shop', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:src-AbCdEf' });
  const dst = await createDataSource(w.deps, { name: `shop-${destination}`, engine: destination, host: 'dst.example', port: destination === 'mysql' ? 3306 : 5432, username: 'app', database: 'shop', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:dst-GhIjKl' });
  return createProject(w.deps, { name: `orders-${Math.random().toString(36).slice(2, 8)}`, sourceId: src.id, destinationId: dst.id, migrationType }, ctx);
}

describe.each(['instance', 'serverless'] as const)('whole project runs on the AWS DMS adapter, %s mode (fake DMS, orchestration use cases)', (mode) => {
  it('start → pause mid-load → resume → verification → switchover → reverse sync → release, leaving nothing in DMS', async () => {
    // Prepare
    const w = world(mode);
    const p = await newProject(w, ALL);
    const fwd = w.engine.idOf(p.id, 'fwd');
    const rev = w.engine.idOf(p.id, 'rev');
    const verify = w.engine.idOf(p.id, 'verify');

    // Act 1: start; structure, then the full load under way
    await w.op('start', p.id);
    await w.runUntil('full load under way', async () => ((await w.subtask(p.id, 'FULL_MIGRATION'))?.progress?.percent ?? 0) >= 50);
    const structure = await w.subtask(p.id, 'STRUCTURE_MIGRATION');

    // Act 2: pause mid-load, and the task stops
    await w.op('pause', p.id);
    await w.runUntil('task stopped', async () => w.fake.taskById(fwd)?.Status === 'stopped');
    const pausedJob = await w.engine.pollJob({ jobId: `${p.id}.FULL_MIGRATION`, projectId: p.id, subtask: 'FULL_MIGRATION', engine: 'aws-dms', sourceIds: [p.sourceId], destinationId: p.destinationId });

    // Act 3: resume; the load finishes, the sync runs, the verification runs on its own task
    await w.op('resume', p.id);
    w.fake.lag.set(fwd, { source: 1, target: 2 });
    await w.runUntil('verification done', async () => (await w.subtask(p.id, 'FULL_VERIFICATION'))?.status === 'SUCCEEDED');
    const afterVerification = await w.project(p.id);

    // Act 4: the forward switchover, confirming each manual step as it comes to wait
    await w.op('enter-forward-switchover', p.id);
    await w.op('start-forward-switchover', p.id);
    const confirmed: SwitchoverStepName[] = [];
    await w.runUntil('switchover done and reverse running', async () => {
      const cur = await w.project(p.id);
      if (cur.waitingStep) {
        confirmed.push(cur.waitingStep);
        await w.op('confirm-switchover-step', p.id, { parameters: { step: cur.waitingStep } });
      }
      return (await w.subtask(p.id, 'REVERSE_INCREMENTAL_SYNC'))?.status === 'RUNNING' && w.fake.taskById(rev)?.Status === 'running';
    });
    const forwardTags = w.fake.tagsOf(w.fake.taskById(fwd)!.ReplicationTaskArn!);
    const reverseTask = w.fake.taskById(rev);

    // Act 5: pause (the reverse sync stops), then release; DMS finishes stopping and deleting, the reconciler finishes the release
    await w.op('pause', p.id);
    const releasing = (await w.op('release', p.id)) as ProjectRecord;
    for (let i = 0; i < 5 && (await w.project(p.id)).status !== 'RELEASED'; i++) {
      w.fake.advance();
      w.deps.clock.advance(120_000);
      await reconcileRuns(w.deps, { graceMs: 0 });
    }
    const released = await w.project(p.id);

    // Assess
    expect(structure).toMatchObject({ status: 'SUCCEEDED', progress: { percent: 100 } });
    expect(pausedJob?.state).toBe('PAUSED');
    expect(w.startTypes()).toEqual([
      `${fwd} start-replication`,
      `${fwd} resume-processing`, // the resume: never start-replication on a task that ran
      `${verify} start-replication`,
      `${rev} start-replication`,
    ]);
    expect(afterVerification.subtasks.map((s) => [s.type, s.status])).toEqual([
      ['STRUCTURE_MIGRATION', 'SUCCEEDED'],
      ['FULL_MIGRATION', 'SUCCEEDED'],
      ['INCREMENTAL_SYNC', 'RUNNING'],
      ['FULL_VERIFICATION', 'SUCCEEDED'],
      ['FORWARD_SWITCHOVER', 'PENDING'],
      ['REVERSE_INCREMENTAL_SYNC', 'PENDING'],
    ]);
    expect(afterVerification.subtasks.find((s) => s.type === 'FULL_MIGRATION')?.progress).toMatchObject({ percent: 100, rows: 1_200 });
    expect(afterVerification.subtasks.find((s) => s.type === 'FULL_VERIFICATION')?.progress).toMatchObject({ percent: 100, mismatches: 0, tablesValidated: 2 });
    expect(confirmed).toEqual(['CONFIRM_SOURCE_WRITES_STOPPED', 'PROCESS_DATABASE_OBJECTS', 'START_REVERSE_INCREMENTAL']);
    expect(forwardTags).toMatchObject({ 'migctl-stop': 'final' });
    expect(reverseTask).toMatchObject({ MigrationType: 'cdc', CdcStartPosition: forwardTags?.['migctl-write-stop'] });
    // The reverse task's first start request carries the write-stop position captured at STOP_FORWARD_SYNC.
    expect(w.reverseStart()).toEqual({ type: 'start-replication', position: forwardTags?.['migctl-write-stop'] });
    expect(forwardTags?.['migctl-write-stop']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    expect(releasing.status).toBe('RELEASING'); // DMS was still stopping the reverse task
    expect(released.status).toBe('RELEASED');
    expect(w.fake.tasks.size).toBe(0);
    expect(w.fake.endpoints.size).toBe(0);
  });

  it('PostgreSQL destination: the slot is made when the forward task has stopped, its LSN is recorded on the reverse subtask and starts the reverse task; release drops it', async () => {
    // Prepare
    const slots = new MemoryReplicationSlots();
    const w = world(mode, slots);
    const p = await newProject(w, { ...ALL, structureMigration: false, fullVerification: false }, 'postgresql');
    const fwd = w.engine.idOf(p.id, 'fwd');
    const rev = w.engine.idOf(p.id, 'rev');
    await w.op('start', p.id);
    w.fake.lag.set(fwd, { source: 0, target: 1 });
    await w.runUntil('sync running', async () => (await w.subtask(p.id, 'INCREMENTAL_SYNC'))?.status === 'RUNNING' && (await w.subtask(p.id, 'FULL_MIGRATION'))?.status === 'SUCCEEDED');
    slots.write(p.destinationId, 0x4000); // the forward sync's applies moved the destination's log on

    // Act: the switchover, confirming each manual step; what DMS and the slots look like when the slot is made
    await w.op('enter-forward-switchover', p.id);
    await w.op('start-forward-switchover', p.id);
    let forwardWhenSlotMade: string | undefined;
    const ensure = slots.ensure.bind(slots);
    slots.ensure = async (ds, name) => {
      forwardWhenSlotMade ??= w.fake.taskById(fwd)?.Status;
      return ensure(ds, name);
    };
    await w.runUntil('reverse running', async () => {
      const cur = await w.project(p.id);
      if (cur.waitingStep) {
        if (cur.waitingStep === 'START_REVERSE_INCREMENTAL') slots.write(p.destinationId); // the operator's writes begin
        await w.op('confirm-switchover-step', p.id, { parameters: { step: cur.waitingStep } });
      }
      return (await w.subtask(p.id, 'REVERSE_INCREMENTAL_SYNC'))?.status === 'RUNNING' && w.fake.taskById(rev)?.Status === 'running';
    });
    const reverseSubtask = await w.subtask(p.id, 'REVERSE_INCREMENTAL_SYNC');
    const slotName = w.engine.slotOf(p.id);
    const slotBeforeRelease = slots.slots.get(slotName);
    await w.op('pause', p.id);
    // Where there is no position reader (deployed: the API function's release), the tasks and then the
    // endpoints would go, but the slot cannot be dropped: it, its tag and the endpoints stay, the release
    // stays RELEASING; the reconciler, which has the reader, finishes it.
    w.deps.engine = w.withoutReader;
    await w.op('release', p.id);
    for (let i = 0; i < 6; i++) {
      w.fake.advance();
      w.deps.clock.advance(120_000);
      await reconcileRuns(w.deps, { graceMs: 0 });
    }
    const leftByTheApi = { status: (await w.project(p.id)).status, slot: slots.slots.has(w.engine.slotOf(p.id)), tasks: w.fake.tasks.size, endpoints: w.fake.endpoints.size };
    w.deps.engine = w.engine;
    for (let i = 0; i < 6 && (await w.project(p.id)).status !== 'RELEASED'; i++) {
      w.fake.advance();
      w.deps.clock.advance(120_000);
      await reconcileRuns(w.deps, { graceMs: 0 });
    }

    // Assess
    expect(forwardWhenSlotMade).toBe('stopped'); // nothing the forward task applied is read back
    expect(slotBeforeRelease).toMatchObject({ dataSourceId: p.destinationId, lsn: '0/16B7748' });
    expect(reverseSubtask?.startPosition).toBe('0/16B7748');
    expect(w.reverseStart()).toEqual({ type: 'start-replication', position: '0/16B7748' });
    expect((await w.project(p.id)).status).toBe('RELEASED');
    expect(leftByTheApi).toMatchObject({ status: 'RELEASING', slot: true, tasks: 0 });
    expect(leftByTheApi.endpoints).toBeGreaterThan(0);
    expect(slots.slots.size).toBe(0);
    expect(w.fake.tasks.size + w.fake.endpoints.size).toBe(0);
  });

  it('a resume right after a pause, while DMS is still stopping the task, restarts it once stopped: the sync runs again', async () => {
    // Prepare
    const w = world(mode);
    const p = await newProject(w, { ...ALL, structureMigration: false, fullMigration: false, fullVerification: false, reverseIncrementalSync: false });
    const fwd = w.engine.idOf(p.id, 'fwd');
    await w.op('start', p.id);
    await w.runUntil('sync running', async () => w.fake.taskById(fwd)?.Status === 'running' && (await w.subtask(p.id, 'INCREMENTAL_SYNC'))?.status === 'RUNNING');

    // Act
    await w.op('pause', p.id);
    const whilePausing = w.fake.taskById(fwd)?.Status;
    await w.op('resume', p.id);
    await w.runUntil('sync running again', async () => w.fake.taskById(fwd)?.Status === 'running');

    // Assess
    expect(whilePausing).toBe('stopping');
    expect(w.startTypes()).toEqual([`${fwd} start-replication`, `${fwd} resume-processing`]);
    expect(await w.subtask(p.id, 'INCREMENTAL_SYNC')).toMatchObject({ status: 'RUNNING' });
    expect(w.fake.tagsOf(w.fake.taskById(fwd)!.ReplicationTaskArn!)).toMatchObject({ 'migctl-run': '2', 'migctl-stop': 'none' });
  });

  it('a task that fails in DMS fails the run with its message; resume continues it with resume-processing', async () => {
    // Prepare
    const w = world(mode);
    const p = await newProject(w, { ...ALL, structureMigration: false, fullVerification: false, reverseIncrementalSync: false });
    const fwd = w.engine.idOf(p.id, 'fwd');
    await w.op('start', p.id);
    await w.runUntil('task running', async () => w.fake.taskById(fwd)?.Status === 'running');

    // Act
    w.fake.fail(fwd, 'Last Error Target endpoint unreachable. Task error notification received.');
    await w.runUntil('run failed', async () => (await w.project(p.id)).status === 'FAILED');
    const failed = await w.project(p.id);
    await w.op('resume', p.id);
    await w.runUntil('running again', async () => w.fake.taskById(fwd)?.Status === 'running');

    // Assess
    expect(failed.subtasks.find((s) => s.type === 'FULL_MIGRATION')).toMatchObject({
      status: 'FAILED',
      lastError: { code: 'DMS_TASK_FAILED', message: 'Last Error Target endpoint unreachable. Task error notification received.' },
    });
    expect(w.startTypes()).toEqual([`${fwd} start-replication`, `${fwd} resume-processing`]);
    expect((await w.project(p.id)).status).toBe('RUNNING');
  });
});
