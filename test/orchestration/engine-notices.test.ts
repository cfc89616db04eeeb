import { describe, expect, it } from 'vitest';
import { DmsMigrationEngine } from '../../shared/adapters/engine/dms/dms-engine';
import { FakeDms } from '../../shared/adapters/engine/dms/fake-dms';
import { fakeDmsClients } from '../../shared/adapters/engine/dms/fake-dms-mock';
import type { MigrationType, ProjectRecord } from '../../shared/domain/project';
import { raiseAuditEventAlerts } from '../../shared/usecases/alerts';
import { createDataSource } from '../../shared/usecases/data-sources';
import { applyEngineNotice } from '../../shared/usecases/engine-notices';
import { applyOperation } from '../../shared/usecases/lifecycle';
import { createProject } from '../../shared/usecases/projects';
import { readProject } from '../../shared/usecases/project-read';
import { ExecutionDriver } from '../reliability/faults/execution-driver';
import { SimulatedOrchestrator } from '../reliability/faults/faulty-adapters';
import { memoryDeps } from '../support/memory-deps';

/**
 * A DMS task's failure notice (as the DmsEngine construct forwards it to our bus) applied by the
 * engine-notices use case, over in-memory stores and the DMS adapter on a fake DMS: the project learns
 * the failure without its run polling, with the outcome of that poll; a stale, redelivered or foreign
 * notice changes nothing. The run's execution is driven only where the test says so.
 */

const ctx = { actor: 'arn:aws:iam::123456789012:user/operator', requestId: 'req-notice' };
const LOAD_AND_SYNC: MigrationType = { structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: false, reverseIncrementalSync: false };

function world() {
  const fake = new FakeDms();
  const clients = fakeDmsClients(fake);
  const orchestrator = new SimulatedOrchestrator();
  const holder: { deps?: ReturnType<typeof memoryDeps> } = {};
  const engine = new DmsMigrationEngine(
    { replicationInstanceArn: 'arn:aws:dms:eu-west-1:123456789012:rep:migration-instance', replicationInstanceId: 'migration-instance', accessRoleArn: 'arn:aws:iam::123456789012:role/dms-secrets', now: () => holder.deps!.clock.nowMs() },
    { resolveDataSource: (id) => holder.deps!.dataSources.get(id), dms: () => clients.dms, cloudwatch: () => clients.cloudwatch },
  );
  const deps = memoryDeps({ orchestrator, engine });
  holder.deps = deps;
  const driver = new ExecutionDriver(() => deps, orchestrator);
  const project = async (id: string) => (await readProject(deps, id)) as ProjectRecord;
  const runUntil = async (what: string, until: () => Promise<boolean>) => {
    for (let i = 0; i < 40; i++) {
      for (const e of orchestrator.live()) await driver.drive(e);
      if (await until()) return;
      fake.advance();
      deps.clock.advance(60_000);
    }
    throw new Error(`never reached: ${what}`);
  };
  const op = (operation: 'start' | 'pause' | 'resume', projectId: string) => applyOperation(deps, { operation, projectId, ctx } as Parameters<typeof applyOperation>[1]);
  /** The PROJECT_FAILED alerts the stream publisher raises from the project's audit trail (each event delivered once more: at least once). */
  const failedAlerts = async (projectId: string) => {
    const records = (await deps.projects.listEvents(projectId)).map((event) => ({ projectId, event }));
    await raiseAuditEventAlerts(deps, [...records, ...records]);
    return (await deps.alerts.list(projectId, 50)).items.filter((a) => a.condition === 'PROJECT_FAILED');
  };
  return { fake, engine, deps, orchestrator, project, runUntil, op, failedAlerts };
}

/** A "DMS Replication Task State Change" as our bus receives it. */
const taskEvent = (arn: string, detail: Record<string, string>) => ({
  version: '0',
  id: 'e-1',
  source: 'aws.dms',
  'detail-type': 'DMS Replication Task State Change',
  account: '123456789012',
  region: 'eu-west-1',
  resources: [arn],
  detail,
});
const FAILURE = { type: 'ReplicationTask', category: 'Failure', eventType: 'REPLICATION_TASK_FAILED', detailMessage: 'Last Error Target endpoint unreachable.' };

async function loadUnderWay(w: ReturnType<typeof world>) {
  const src = await createDataSource(w.deps, { name: 'shop-pg', engine: 'postgresql', host: 'src.example', port: 5432, username: 'app', database: 'shop', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:src-AbCdEf' });
  const dst = await createDataSource(w.deps, { name: 'shop-mysql', engine: 'mysql', host: 'dst.example', port: 3306, username: 'app', database: 'shop', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:dst-GhIjKl' });
  const p = await createProject(w.deps, { name: `orders-${Math.random().toString(36).slice(2, 8)}`, sourceId: src.id, destinationId: dst.id, migrationType: LOAD_AND_SYNC, alertLevel: 'HIGH' }, ctx);
  const fwd = w.engine.idOf(p.id, 'fwd');
  await w.op('start', p.id);
  await w.runUntil('full load running', async () => w.fake.taskById(fwd)?.Status === 'running' && (await w.project(p.id)).subtasks.find((s) => s.type === 'FULL_MIGRATION')?.status === 'RUNNING');
  const arn = w.fake.taskById(fwd)?.ReplicationTaskArn;
  if (!arn) throw new Error('no forward task');
  return { p, fwd, arn };
}

describe('engine notices: a failed DMS task fails its run without waiting for the next poll', () => {
  it('fails the subtask and the project (audit event, PROJECT_FAILED alert) from the failure notice, before the run polls', async () => {
    // Prepare
    const w = world();
    const { p, fwd, arn } = await loadUnderWay(w);
    w.fake.fail(fwd, 'Last Error Target endpoint unreachable.');

    // Act: only the notice (the execution is not driven)
    const outcome = await applyEngineNotice(w.deps, taskEvent(arn, FAILURE), 'req-event-1');

    // Assess
    const after = await w.project(p.id);
    expect(outcome).toMatchObject({ outcome: 'FAILED', projectId: p.id, run: 1, subtask: 'FULL_MIGRATION' });
    expect(after.status).toBe('FAILED');
    expect(after.subtasks.find((s) => s.type === 'FULL_MIGRATION')).toMatchObject({ status: 'FAILED', lastError: { code: 'DMS_TASK_FAILED', message: 'Last Error Target endpoint unreachable.' } });
    const audit = (await w.deps.projects.listEvents(p.id)).at(-1);
    expect(audit).toMatchObject({ operation: 'fail', from: 'RUNNING', to: 'FAILED', requestId: 'req-event-1', detail: { subtask: 'FULL_MIGRATION' } });
    expect((await w.failedAlerts(p.id)).map((a) => a.severity)).toEqual(['CRITICAL']);
  });

  it('a redelivered failure notice changes nothing more: one fail event, one alert', async () => {
    // Prepare
    const w = world();
    const { p, fwd, arn } = await loadUnderWay(w);
    w.fake.fail(fwd, 'Last Error Target endpoint unreachable.');
    await applyEngineNotice(w.deps, taskEvent(arn, FAILURE), 'req-event-1');
    const firstVersion = (await w.project(p.id)).version;

    // Act
    const again = await applyEngineNotice(w.deps, taskEvent(arn, FAILURE), 'req-event-1-redelivered');

    // Assess
    expect(again).toEqual({ outcome: 'IGNORED', reason: 'PROJECT_NOT_RUNNING', projectId: p.id });
    expect((await w.project(p.id)).version).toBe(firstVersion);
    expect((await w.deps.projects.listEvents(p.id)).filter((e) => e.operation === 'fail')).toHaveLength(1);
    expect(await w.failedAlerts(p.id)).toHaveLength(1);
  });

  it('a stale failure notice of an older run changes nothing once the job runs again under the new run', async () => {
    // Prepare: run 1 failed (learnt from its notice), resumed as run 2, the task running again
    const w = world();
    const { p, fwd, arn } = await loadUnderWay(w);
    w.fake.fail(fwd, 'Last Error Target endpoint unreachable.');
    await applyEngineNotice(w.deps, taskEvent(arn, FAILURE), 'req-event-1');
    await w.op('resume', p.id);
    await w.runUntil('running again', async () => w.fake.taskById(fwd)?.Status === 'running');
    const before = await w.project(p.id);

    // Act: run 1's notice, delivered late
    const late = await applyEngineNotice(w.deps, taskEvent(arn, FAILURE), 'req-event-1-late');

    // Assess
    expect(before).toMatchObject({ status: 'RUNNING', run: 2 });
    expect(late).toEqual({ outcome: 'IGNORED', reason: 'NO_FAILED_JOB', projectId: p.id });
    expect(await w.project(p.id)).toMatchObject({ status: 'RUNNING', run: 2, version: before.version });
  });

  it('a failure notice of a project that is no longer RUNNING (paused) changes nothing', async () => {
    // Prepare
    const w = world();
    const { p, fwd, arn } = await loadUnderWay(w);
    await w.op('pause', p.id);
    w.fake.fail(fwd, 'failed while stopping');
    const paused = await w.project(p.id);

    // Act
    const outcome = await applyEngineNotice(w.deps, taskEvent(arn, FAILURE), 'req-event-2');

    // Assess
    expect(outcome).toEqual({ outcome: 'IGNORED', reason: 'PROJECT_NOT_RUNNING', projectId: p.id });
    expect(await w.project(p.id)).toMatchObject({ status: 'PAUSED', version: paused.version });
  });

  it('ignores a failure of a task that belongs to no project, a notice that is not a failure, and an event that is not the engine’s', async () => {
    // Prepare
    const w = world();
    const { p, arn } = await loadUnderWay(w);
    const untagged = arn.replace(/:task:.*$/, ':task:mig-00000000000000000000-fwd');
    const foreign = arn.replace(/:task:.*$/, ':task:someone-elses-task');
    const before = await w.project(p.id);

    // Act
    const unknown = await applyEngineNotice(w.deps, taskEvent(untagged, FAILURE), 'req-u');
    const started = await applyEngineNotice(w.deps, taskEvent(arn, { category: 'StateChange', eventType: 'REPLICATION_TASK_STARTED', detailMessage: 'Replication task started' }), 'req-s');
    const notOurs = await applyEngineNotice(w.deps, taskEvent(foreign, FAILURE), 'req-f');
    const notDms = await applyEngineNotice(w.deps, { source: 'aws.s3', 'detail-type': 'Object Created', resources: [], detail: {} }, 'req-x');

    // Assess
    expect(unknown).toEqual({ outcome: 'IGNORED', reason: 'UNKNOWN_JOB' });
    expect(started).toEqual({ outcome: 'IGNORED', reason: 'NOT_A_FAILURE' });
    expect(notOurs).toEqual({ outcome: 'IGNORED', reason: 'NOT_AN_ENGINE_NOTICE' });
    expect(notDms).toEqual({ outcome: 'IGNORED', reason: 'NOT_AN_ENGINE_NOTICE' });
    expect(await w.project(p.id)).toMatchObject({ status: 'RUNNING', version: before.version });
  });

  it('a failure the run polled first is not applied twice', async () => {
    // Prepare: the run's own poll sees the failure first
    const w = world();
    const { p, fwd, arn } = await loadUnderWay(w);
    w.fake.fail(fwd, 'Last Error Target endpoint unreachable.');
    await w.runUntil('run failed by its poll', async () => (await w.project(p.id)).status === 'FAILED');

    // Act
    const outcome = await applyEngineNotice(w.deps, taskEvent(arn, FAILURE), 'req-event-3');

    // Assess
    expect(outcome).toEqual({ outcome: 'IGNORED', reason: 'PROJECT_NOT_RUNNING', projectId: p.id });
    expect((await w.deps.projects.listEvents(p.id)).filter((e) => e.operation === 'fail')).toHaveLength(1);
    expect(await w.failedAlerts(p.id)).toHaveLength(1);
  });
});
