import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { InMemoryAlertNotifier } from '../../../shared/adapters/memory/alerts';
import { setDocumentClient } from '../../../shared/adapters/dynamodb/client';
import { DynamoProjectStore } from '../../../shared/adapters/dynamodb/project-store';
import { SimulatedMigrationEngine } from '../../../shared/adapters/engine/simulated-engine';
import { needsExecution, executionNameFor } from '../../../shared/domain/orchestration';
import type { AuditEvent, ProjectRecord } from '../../../shared/domain/project';
import { ALL_SHARDS, shardOf } from '../../../shared/domain/shards';
import { getDeps, overrideDeps } from '../../../shared/runtime';
import { DEFAULT_PAUSE_WARNING_SECONDS } from '../../../shared/usecases/deps';
import { firePauseTimer } from '../../../shared/usecases/pause-timers';
import { reconcileRuns } from '../../../shared/usecases/orchestration';
import { runWorkerName } from '../../../shared/usecases/reconcile-shards';
import { reconcilePauses } from '../../../shared/usecases/reconcile';
import { localDocumentClient } from '../../../infra/local/dynamodb-local';
import { keys } from '../../../shared/table';
import { ManualClock, useLocalTable } from '../../support/harness';
import { ExecutionDriver } from './execution-driver';
import { FaultPlan } from './fault-plan';
import {
  InMemoryEventBus,
  SimulatedOrchestrator,
  SimulatedScheduler,
  faultyBus,
  faultyDocumentClient,
  faultyEngine,
  faultyOrchestrator,
  faultyScheduler,
} from './faulty-adapters';

type StreamHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;

/**
 * The fault-injection world: the real handlers and use cases on DynamoDB Local (conditional writes are
 * real), with every adapter port behind the fault plan, and state-holding fakes behind those: a
 * SIMULATED Step Functions (live executions, task tokens), the in-memory scheduler (live pause timers),
 * the SIMULATED engine (jobs), the in-memory bus (published events). Inspection reads use a client of
 * their own, outside the plan.
 */
export async function createWorld() {
  const plan = new FaultPlan();
  const clock = new ManualClock();
  const orchestrator = new SimulatedOrchestrator();
  const scheduler = new SimulatedScheduler(DEFAULT_PAUSE_WARNING_SECONDS * 1000);
  const engine = new SimulatedMigrationEngine({ now: () => clock.nowMs() });
  const bus = new InMemoryEventBus();
  const { tableName, endpoint } = await useLocalTable({
    clock,
    orchestrator: faultyOrchestrator(orchestrator, plan),
    engine: faultyEngine(engine, plan),
    expiry: faultyScheduler(scheduler, plan),
    events: faultyBus(bus, plan),
    alertNotifier: new InMemoryAlertNotifier(),
  });
  // The handlers' client goes through the plan; deps are rebuilt on the next getDeps().
  setDocumentClient(faultyDocumentClient(localDocumentClient(endpoint), plan));
  overrideDeps({});
  const inspectClient = localDocumentClient(endpoint);
  const inspect = new DynamoProjectStore(inspectClient, tableName);
  const driver = new ExecutionDriver(getDeps, orchestrator);
  const streamHandler = ((await import('../../../functions/publish-domain-events/handler')) as { handler: StreamHandler }).handler;
  /** Audit events already handed to the stream publisher, per project (the stream's position). */
  const streamed = new Map<string, number>();
  let sequence = 0;

  const world = {
    /** Schedules found for a project no longer in that pause (each proven inert). */
    staleTimers: 0,
    plan,
    clock,
    orchestrator,
    scheduler,
    engine,
    bus,
    inspect,
    driver,
    tableName,
    /**
     * The projects that exist, every status (inspection, outside the plan): the index of every project
     * (one Query per shard a page), not the status index status by status (seven times as many Queries).
     */
    async allProjects(): Promise<ProjectRecord[]> {
      const out: ProjectRecord[] = [];
      let nextToken: string | undefined;
      do {
        const page = await inspect.list({ limit: 100, ...(nextToken ? { nextToken } : {}) });
        out.push(...page.items);
        nextToken = page.nextToken;
      } while (nextToken);
      return out;
    },
    events: (projectId: string): Promise<AuditEvent[]> => inspect.listEvents(projectId),

    /**
     * The table stream: the audit events of `projectIds` not delivered yet go to the publisher handler
     * in commit order; a reported batch item failure is redelivered from that record (what the event
     * source mapping does), up to `attempts` deliveries. Returns whether everything got through.
     */
    async deliverStream(projectIds: readonly string[], attempts = 1): Promise<boolean> {
      const records: DynamoDBRecord[] = [];
      for (const id of projectIds) {
        const from = streamed.get(id) ?? 0;
        for (const e of await inspect.listEvents(id)) {
          if (e.version <= from) continue;
          records.push({
            eventName: 'INSERT',
            dynamodb: {
              SequenceNumber: String(++sequence).padStart(12, '0'),
              NewImage: marshall({ ...keys.projectEvent(id, e.version), ...e }, { removeUndefinedValues: true }) as never,
            },
          });
        }
      }
      let pending = records;
      for (let attempt = 0; attempt < attempts && pending.length; attempt++) {
        let failedAt: string | undefined;
        try {
          const out = await streamHandler({ Records: pending }, {} as Context);
          failedAt = out.batchItemFailures[0]?.itemIdentifier;
        } catch {
          failedAt = pending[0]?.dynamodb?.SequenceNumber; // the whole batch is retried
        }
        const delivered = failedAt === undefined ? pending : pending.slice(0, pending.findIndex((r) => r.dynamodb?.SequenceNumber === failedAt));
        for (const r of delivered) {
          const image = r.dynamodb?.NewImage as Record<string, { S?: string; N?: string }>;
          const id = String(image.pk?.S ?? '').slice('PROJECT#'.length);
          streamed.set(id, Math.max(streamed.get(id) ?? 0, Number(image.version?.N ?? 0)));
        }
        pending = failedAt === undefined ? [] : pending.slice(delivered.length);
      }
      return pending.length === 0;
    },

    /**
     * What runs after an operation without anyone asking: each live execution takes its next steps
     * (a fenced one learns it and ends), a pause timer whose firing failed is retried by the scheduler,
     * the stream redelivers what failed, and the reconciler runs (past its grace period), after which
     * the executions it started take their first steps. Fault-free.
     *
     * The reconciler's run workers are those of the shards holding `projectIds` (the only projects in
     * the table: each case retires its own), as their scheduled invocations would run; with
     * `unfinishedShards` (after an operation that ran every shard's worker itself: the reconciler, whose
     * fault may have left any shard's pass midway) also every shard whose checkpoint shows a pass not
     * done. A shard of neither kind holds nothing to repair. The pause sweep always covers every shard.
     */
    async repair(projectIds: readonly string[], failedTimerFirings: { kind: 'warn' | 'expire'; projectId: string; pausedAt: string }[] = [], options: { unfinishedShards?: boolean } = {}) {
      for (const exec of orchestrator.live()) await driver.drive(exec);
      for (const input of failedTimerFirings) await firePauseTimer(getDeps(), input, 'scheduler-retry');
      clock.advance(61_000);
      const shards = new Set(projectIds.map(shardOf));
      if (options.unfinishedShards) {
        for (const shard of ALL_SHARDS) if ((await inspect.getCheckpoint(runWorkerName(shard)))?.done === false) shards.add(shard);
      }
      const report = await reconcileRuns(getDeps(), { requestId: 'reconciler', shards: [...shards] });
      const pauses = await reconcilePauses(getDeps(), { jobsPausedSinceMs: clock.nowMs() - 15 * 60_000 });
      world.staleTimers += pauses.timersDeleted.length;
      const errors = [...report.errors, ...pauses.errors];
      if (errors.length) throw new Error(`reconciler errors: ${JSON.stringify(errors)}`);
      for (const exec of orchestrator.live()) await driver.drive(exec);
      const delivered = await world.deliverStream(projectIds, 10);
      if (!delivered) throw new Error('the stream could not deliver every audit event after 10 attempts');
      return report;
    },

    /** Every invariant over the whole table and the fakes; returns the violations (empty = consistent). */
    async violations(projectIds: readonly string[]): Promise<string[]> {
      const out: string[] = [];
      const projects = new Map((await world.allProjects()).map((p) => [p.id, p]));
      for (const p of projects.values()) {
        if (p.status === 'RUNNING' && needsExecution(p) && !orchestrator.executions.get(executionNameFor(p.id, p.run ?? 0))?.status.startsWith('RUNNING')) {
          out.push(`${p.id}: RUNNING (run ${p.run}) without a live execution`);
        }
        if (p.status === 'PAUSED' && p.expiredAt === undefined) {
          const expire = `expire-${p.id}-${Date.parse(p.pausedAt ?? '')}`;
          if (!scheduler.timers.has(expire)) out.push(`${p.id}: PAUSED without its expiry schedule`);
        }
      }
      for (const e of orchestrator.live()) {
        const p = projects.get(e.projectId);
        if (!p || p.status !== 'RUNNING') out.push(`${e.name}: live execution for a ${p?.status ?? 'deleted'} project`);
        else if (p.run !== e.run) out.push(`${e.name}: live execution of run ${e.run}, project at run ${p.run}`);
      }
      // No schedule outlives its pause: one a failed cancel (resume, release) left behind is deleted by the
      // reconciler's sweep. Before that sweep it would only have fired into a refused conditional write.
      for (const t of scheduler.timers.values()) {
        const p = projects.get(t.input.projectId);
        if (p?.status === 'PAUSED' && p.pausedAt === t.input.pausedAt) continue;
        out.push(`${t.name}: pause schedule for a ${p?.status ?? 'deleted'} project`);
      }
      const published = new Map<string, number[]>();
      for (const e of bus.published) {
        const list = published.get(e.detail.projectId) ?? [];
        if (!list.includes(e.detail.version)) list.push(e.detail.version);
        published.set(e.detail.projectId, list);
      }
      for (const id of projectIds) {
        const p = projects.get(id);
        const events = await inspect.listEvents(id);
        const versions = events.map((e) => e.version);
        const last = events[events.length - 1];
        const expected = p ? p.version : (last?.version ?? 0);
        if (versions.length !== expected || versions.some((v, i) => v !== i + 1)) {
          out.push(`${id}: audit trail versions [${versions.join(',')}] for a project at version ${expected}`);
        }
        if (p?.status === 'RELEASING') out.push(`${id}: still RELEASING after the repair paths`);
        if (p && last && last.to !== p.status) out.push(`${id}: last audit event leads to ${last.to}, project is ${p.status}`);
        if (!p && last && last.operation !== 'delete') out.push(`${id}: project gone without a delete event`);
        const pub = published.get(id) ?? [];
        if (pub.join(',') !== versions.join(',')) out.push(`${id}: published versions [${pub.join(',')}] (first delivery order), audit trail [${versions.join(',')}]`);
      }
      return out;
    },
  };
  return world;
}

export type World = Awaited<ReturnType<typeof createWorld>>;
