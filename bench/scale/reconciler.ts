process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { randomUUID } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTable, startDynamoDbLocal } from '../../infra/local/dynamodb-local';
import { DynamoProjectStore } from '../../shared/adapters/dynamodb/project-store';
import { DynamoDataSourceStore } from '../../shared/adapters/dynamodb/data-source-store';
import { InMemoryAlertNotifier, InMemoryAlertStore } from '../../shared/adapters/memory/alerts';
import { InMemoryEventBus } from '../../shared/adapters/memory/event-bus';
import { MemoryIdempotencyStore } from '../../shared/adapters/memory/idempotency-store';
import { InMemoryExpiryScheduler } from '../../shared/adapters/memory/scheduler';
import { InMemoryBatchQueue, InMemoryBatchStore } from '../../shared/adapters/memory/batch-store';
import { SimulatedMigrationEngine } from '../../shared/adapters/engine/simulated-engine';
import { isoAt, systemClock } from '../../shared/domain/clock';
import { ALL_SHARDS, SHARD_COUNT } from '../../shared/domain/shards';
import type { ProjectRecord } from '../../shared/domain/project';
import type { Orchestrator } from '../../shared/ports';
import { keys } from '../../shared/table';
import { createDataSource } from '../../shared/usecases/data-sources';
import { DEFAULT_PAUSE_DEADLINE_SECONDS, DEFAULT_PAUSE_WARNING_SECONDS, type Deps } from '../../shared/usecases/deps';
import { DEFAULT_SHARD_BUDGET, reconcileShard, type ShardReport } from '../../shared/usecases/reconcile-shards';
import { bulkSeedProjects } from '../../test/support/bulk-seed';
import { countingClient, type CountingClient } from '../lib/counting-client';

/**
 * One reconciler pass on DynamoDB Local: N RUNNING projects (BENCH_RECONCILER_PROJECTS, default 10,000)
 * seeded straight into the table, the 16 shard workers run concurrently in this process against the
 * DynamoDB adapter, the orchestrator mocked (every execution alive; each look-up counted as one
 * DescribeExecution). Two steady states are measured: no execution recorded a recent poll (every project
 * looked up: the worst case, e.g. right after a deployment), and every execution polled lately (the
 * usual case: no look-up). Then the pass at 10^5 RUNNING is modelled from the measured figures.
 */

/** Step Functions' DescribeExecution refill rate assumed for the model (requests/s, an account quota; check yours). */
const DESCRIBE_PER_SECOND = 100;
/** Latency assumed for one DescribeExecution in AWS (ms). */
const DESCRIBE_MS = 30;
const INTERVAL_S = 300;
const MODEL_RUNNING = 100_000;


/** Every execution alive; look-ups counted. */
class MockedOrchestrator implements Orchestrator {
  lookups = 0;
  async startRun(): Promise<void> {}
  async stopRun(): Promise<void> {}
  async isRunActive(): Promise<boolean> {
    this.lookups++;
    return true;
  }
  async completeTask(): Promise<void> {}
}

interface PassFigures {
  wallSeconds: number;
  /** Index items the workers' Query requests read (ScannedCount). */
  itemsRead: number;
  requests: Record<string, number>;
  lookups: number;
  shards: ShardReport[];
}

async function onePass(deps: Deps, counting: CountingClient, orchestrator: MockedOrchestrator): Promise<PassFigures> {
  counting.reset();
  orchestrator.lookups = 0;
  const t = performance.now();
  const shards = await Promise.all(ALL_SHARDS.map((shard) => reconcileShard(deps, { shard, graceMs: 60_000 })));
  return { wallSeconds: (performance.now() - t) / 1000, itemsRead: counting.read.items, requests: { ...counting.counts }, lookups: orchestrator.lookups, shards };
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const f = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '—');

export async function measure(): Promise<{ title: string; markdown: string }> {
  const n = Number(process.env.BENCH_RECONCILER_PROJECTS ?? 10_000);
  const ddb = await startDynamoDbLocal({});
  const counting = countingClient(ddb.endpoint);
  try {
    const table = `bench-reconciler-${randomUUID().slice(0, 8)}`;
    await ensureTable(ddb.endpoint, table);
    const orchestrator = new MockedOrchestrator();
    const deps: Deps = {
      projects: new DynamoProjectStore(counting.doc, table),
      dataSources: new DynamoDataSourceStore(counting.doc, table),
      orchestrator,
      engine: new SimulatedMigrationEngine({ now: () => Date.now() }),
      expiry: new InMemoryExpiryScheduler(DEFAULT_PAUSE_WARNING_SECONDS * 1000),
      events: new InMemoryEventBus(),
      alerts: new InMemoryAlertStore(),
      alertNotifier: new InMemoryAlertNotifier(),
      clock: systemClock,
      idempotency: new MemoryIdempotencyStore(),
      batches: new InMemoryBatchStore(),
      batchQueue: new InMemoryBatchQueue(),
      newId: randomUUID,
      config: { pauseDeadlineMs: DEFAULT_PAUSE_DEADLINE_SECONDS * 1000, pauseWarningLeadMs: DEFAULT_PAUSE_WARNING_SECONDS * 1000 },
    };
    const src = await createDataSource(deps, { name: 'src', engine: 'mysql', host: 'h', port: 3306, username: 'u' });
    const dst = await createDataSource(deps, { name: 'dst', engine: 'tidb', host: 'h', port: 4000, username: 'u' });
    // Created an hour ago (past the reconciler's grace), each on run 1.
    const seedStart = performance.now();
    const seeded = await bulkSeedProjects(counting.doc, table, { count: n, ds: { sourceId: src.id, destinationId: dst.id }, status: 'RUNNING', startMs: Date.now() - 3_600_000, parallel: 8 });
    await setAll(counting.doc, table, seeded, { run: 1 });
    const seedSeconds = (performance.now() - seedStart) / 1000;

    const cold = await onePass(deps, counting, orchestrator);
    await setAll(counting.doc, table, seeded, { polledAt: isoAt(Date.now()) });
    const warm = await onePass(deps, counting, orchestrator);

    const row = (label: string, p: PassFigures) => {
      const slowest = Math.max(...p.shards.map((s) => s.visited)) || 1;
      return [
        label,
        String(n),
        f(p.wallSeconds),
        f((p.wallSeconds * 1000) / n, 3),
        f(sum(p.requests) / n, 3),
        f((p.requests.Query ?? 0) / n, 3),
        f(p.itemsRead / n, 1),
        f(p.lookups / n, 3),
        `${Math.min(...p.shards.map((s) => s.visited))}–${slowest}`,
        p.shards.every((s) => s.stoppedBy === 'pass-done') ? 'yes' : 'no',
      ];
    };
    // The model at 10^5: a shard worker's projects, its DynamoDB time (measured per project here, scaled), and
    // its look-ups, bounded by the account's DescribeExecution rate shared by all workers.
    const perShard = MODEL_RUNNING / SHARD_COUNT;
    const model = (p: PassFigures) => {
      // DynamoDB: with sharded index keys a worker reads its own projects only (one index item each, plus its
      // checkpoint puts); the whole pass reads 10^5 items at the rate this machine's DynamoDB Local served them
      // to all 16 workers together (pessimistic: in AWS each worker's partition is served on its own).
      const itemsPerSecond = p.itemsRead / p.wallSeconds;
      const ddbSeconds = MODEL_RUNNING / itemsPerSecond;
      const lookupShare = p.lookups / n;
      const lookups = MODEL_RUNNING * lookupShare;
      const workerSeconds = ddbSeconds + (perShard * lookupShare * DESCRIBE_MS) / 1000 / DEFAULT_SHARD_BUDGET.concurrency;
      const rateSeconds = lookups / DESCRIBE_PER_SECOND;
      return { itemsPerSecond, workerSeconds, rateSeconds, pass: Math.max(workerSeconds, rateSeconds) };
    };
    const coldModel = model(cold);
    const warmModel = model(warm);
    const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, load ${loadavg()[0]?.toFixed(2)} (shared with other work), DynamoDB Local, Node ${process.version}`;
    const markdown = [
      `Machine: ${machine}. ${n} RUNNING projects seeded in ${f(seedSeconds, 1)} s; index keys as on this branch (the status index is sharded: each shard worker queries its own partition, PROJECT#STATUS#RUNNING#<shard>, via listByStatusShard).`,
      '',
      '| pass | RUNNING | wall s | ms / project | DynamoDB requests / project | of which Query / project | index items read / project | DescribeExecution / project | projects per shard worker | every worker finished |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      `| ${row('no recent poll (every execution looked up)', cold).join(' | ')} |`,
      `| ${row('recent polls (steady state)', warm).join(' | ')} |`,
      '',
      `Modelled at ${MODEL_RUNNING.toLocaleString('en')} RUNNING (${SHARD_COUNT} workers of ${perShard.toLocaleString('en')} projects, concurrency ${DEFAULT_SHARD_BUDGET.concurrency} each; DescribeExecution ${DESCRIBE_MS} ms and an account rate of ${DESCRIBE_PER_SECOND}/s assumed):`,
      '',
      '| pass | index items / s measured | worker time s | look-up rate bound s | pass s | pass / 300 s interval |',
      '| --- | --- | --- | --- | --- | --- |',
      `| no recent poll | ${f(coldModel.itemsPerSecond, 0)} | ${f(coldModel.workerSeconds, 1)} | ${f(coldModel.rateSeconds, 1)} | ${f(coldModel.pass, 1)} | ${f(coldModel.pass / INTERVAL_S, 2)} |`,
      `| recent polls | ${f(warmModel.itemsPerSecond, 0)} | ${f(warmModel.workerSeconds, 1)} | ${f(warmModel.rateSeconds, 1)} | ${f(warmModel.pass, 1)} | ${f(warmModel.pass / INTERVAL_S, 2)} |`,
      '',
      `A pass that does not fit one invocation continues from each worker's checkpoint in the next (budget ${DEFAULT_SHARD_BUDGET.projects} projects, ${DEFAULT_SHARD_BUDGET.calls} calls, stop ${DEFAULT_SHARD_BUDGET.reserveMs / 1000} s before the 240 s timeout). Worker time: 10^5 index items at the measured rate (a loaded 2-core machine running DynamoDB Local: an upper bound) plus each worker's look-ups at its concurrency; the pass takes the larger of that and the look-ups at the account's DescribeExecution rate.`,
    ].join('\n');
    return { title: 'Reconciler pass', markdown };
  } finally {
    counting.destroy();
    await ddb.stop();
  }
}

/** Sets attributes on every seeded project (8 requests in flight). */
async function setAll(doc: DynamoDBDocumentClient, table: string, projects: ProjectRecord[], values: Record<string, unknown>): Promise<void> {
  let next = 0;
  const names = Object.fromEntries(Object.keys(values).map((k, i) => [`#a${i}`, k]));
  const vals = Object.fromEntries(Object.values(values).map((v, i) => [`:v${i}`, v]));
  const update = `SET ${Object.keys(values).map((_, i) => `#a${i} = :v${i}`).join(', ')}`;
  const worker = async () => {
    while (next < projects.length) {
      const p = projects[next++] as ProjectRecord;
      await doc.send(new UpdateCommand({ TableName: table, Key: keys.project(p.id), UpdateExpression: update, ExpressionAttributeNames: names, ExpressionAttributeValues: vals }));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

if (process.argv[1]?.endsWith('reconciler.ts')) {
  measure().then(
    (r) => console.log(`## ${r.title}\n\n${r.markdown}`),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
