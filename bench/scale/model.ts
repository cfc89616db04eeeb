/**
 * The 10^6-project model: what this machine cannot measure, computed from the REAL table definition
 * (shared/table.ts: key functions, index key schema and projections), the real shard function
 * (shared/domain/shards.ts) and the real poll interval (infra/constructs/orchestrator.ts), for 10^6
 * projects of which 10^5 RUNNING, each with a job polled every JOB_POLL_SECONDS.
 *
 * For each index, every project's index partition key is computed with the code that writes it; a
 * write reaches an index when the item it writes holds that index's key and it changes an attribute the
 * index projects (DynamoDB writes an index only then). What a poll writes is split by the code the poll
 * runs (shared/domain/progress.ts splitMeasurements): its measurements go to the progress item, which
 * holds no index key; what is left for the project item (nothing, for a poll that changes no state)
 * decides whether a poll reaches an index. The busiest partition key's writes/s follow.
 */
import { randomUUID } from 'node:crypto';
import { JOB_POLL_SECONDS } from '../../infra/constructs/orchestrator';
import { progressItem, projectItem } from '../../shared/adapters/dynamodb/project-store';
import { subtaskPath } from '../../shared/domain/orchestration';
import { splitMeasurements } from '../../shared/domain/progress';
import type { ProjectRecord } from '../../shared/domain/project';
import { SHARD_COUNT } from '../../shared/domain/shards';
import { buildSubtasks } from '../../shared/domain/subtasks';
import { TABLE, keys, tableDefinition } from '../../shared/table';
import { PRICES } from '../prices';
import type { ScaleFigure } from './run';

const PROJECTS = 1_000_000;
const RUNNING = 100_000;
/** DynamoDB's write ceiling per partition (and per index partition): 1,000 WCU/s. */
const PARTITION_WRITE_CEILING = 1000;
/** Per poll of a job, measured by bench/orchestration.ts (bench/RESULTS.md): 3 Step Functions transitions, 1 Lambda invocation. */
const SFN_TRANSITIONS_PER_POLL = 3;
const LAMBDA_INVOCATIONS_PER_POLL = 1;
const LAMBDA_GB = 0.5;
const LAMBDA_BILLED_S = 0.1;

/**
 * Writes that change state (and so the project item, and its indexes) while a project runs: claiming and
 * finishing each subtask, stage moves. Assumed: one every 5 minutes per RUNNING project (12 an hour),
 * far more than a run of hours-long subtasks makes.
 */
const STATE_WRITES_PER_RUNNING_HOUR = 12;

/** What a poll of a running job writes (shared/usecases/run/work-items.ts recordJob): the subtask's progress and checkpoint, and polledAt. */
function pollPaths(p: ProjectRecord) {
  return [
    { path: subtaskPath(p, 'FULL_MIGRATION', 'progress'), value: { percent: 43, rowsCopied: 124456789, tablesDone: 12, tablesTotal: 40 } },
    { path: subtaskPath(p, 'FULL_MIGRATION', 'checkpoint'), value: 'lsn:0/1A2B3C9F' },
    { path: ['polledAt'], value: '2026-01-01T00:00:30.000Z' },
  ];
}

/** DynamoDB item size: attribute names and values (UTF-8), numbers ~ their digits, plus small per-item overheads. */
function itemBytes(item: Record<string, unknown>): number {
  const size = (v: unknown): number => {
    if (v === null || v === undefined || typeof v === 'boolean') return 1;
    if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
    if (typeof v === 'number') return Math.ceil(String(v).length / 2) + 1;
    if (Array.isArray(v)) return 3 + v.reduce((a: number, x) => a + 1 + size(x), 0);
    return 3 + Object.entries(v as Record<string, unknown>).reduce((a, [k, x]) => a + Buffer.byteLength(k) + 1 + size(x), 0);
  };
  return Object.entries(item).reduce((a, [k, v]) => a + Buffer.byteLength(k) + size(v), 0);
}

/** A RUNNING project as the table holds it mid-run: a full load with progress and a checkpoint. */
function runningProject(id: string, i: number): ProjectRecord {
  const at = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  const migrationType = { structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: true, reverseIncrementalSync: true };
  const subtasks = buildSubtasks(migrationType).map((s, k) =>
    k === 0
      ? { ...s, status: 'SUCCEEDED' as const, startedAt: at, finishedAt: at }
      : k === 1
        ? { ...s, status: 'RUNNING' as const, startedAt: at, jobId: `job-${id}-1`, checkpoint: 'lsn:0/1A2B3C4D', progress: { percent: 42, rowsCopied: 123456789, tablesDone: 12, tablesTotal: 40 } }
        : s,
  );
  return {
    id,
    name: `fleet-${String(i).padStart(7, '0')}`,
    description: 'orders database, region eu-west-1',
    sourceId: randomUUID(),
    destinationId: randomUUID(),
    migrationType,
    tables: null,
    labels: ['fleet', 'wave-3'],
    alertLevel: 'MEDIUM',
    engine: 'simulated',
    precheck: { status: 'PASSED', items: [{ name: 'engine', status: 'PASSED', message: 'connectivity, privileges and replication settings checked' }], checkedAt: at },
    status: 'RUNNING',
    version: 2,
    createdAt: at,
    updatedAt: at,
    startedAt: at,
    run: 1,
    currentStage: 'FULL_MIGRATION',
    subtasks,
  };
}

interface IndexModel {
  name: string;
  partitionKey: string;
  projected: readonly string[] | 'ALL' | 'KEYS_ONLY';
  pollReachesIndex: boolean;
  /** Writes a second on the busiest key: polls when they reach the index, else the state changes alone. */
  keys: number;
  busiestKey: string;
  busiestRunning: number;
  busiestWritesPerS: number;
  itemBytes: number;
  wcuPerWrite: number;
}

export async function measure(): Promise<ScaleFigure> {
  const def = tableDefinition(TABLE.defaultName);
  // 10^6 ids; the first 10^5 are RUNNING (which ones does not matter: the shard is a hash of the id).
  const perIndex = new Map<string, Map<string, number>>();
  const sample = runningProject(randomUUID(), 0);
  const sampleItem = projectItem(sample);
  for (let i = 0; i < PROJECTS; i++) {
    const id = randomUUID();
    const running = i < RUNNING;
    const p = { id, createdAt: sample.createdAt, status: running ? 'RUNNING' : i % 3 === 0 ? 'COMPLETED' : 'NOT_STARTED' } as ProjectRecord;
    const item = projectItem({ ...p, subtasks: [] } as unknown as ProjectRecord);
    if (!running) continue;
    for (const gsi of def.GlobalSecondaryIndexes) {
      const pkName = gsi.KeySchema[0]?.AttributeName as string;
      const counts = perIndex.get(gsi.IndexName) ?? perIndex.set(gsi.IndexName, new Map()).get(gsi.IndexName) as Map<string, number>;
      if (item[pkName] === undefined) continue; // a sparse index (bySourcePause) holds only the items that carry its key
      const key = String(item[pkName]);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const tableItemBytes = itemBytes(sampleItem);
  // A poll, split as the poll's own code splits it: measurements to the progress item, the rest to the project item.
  const poll = splitMeasurements(sample, pollPaths(sample), sample.run ?? 1);
  const pollProjectAttributes = [...new Set(poll.rest.map((pv) => String(pv.path[0])))];
  const progress = progressItem({ projectId: sample.id, run: sample.run ?? 1, leg: 0, ...(poll.polledAt ? { polledAt: poll.polledAt } : {}), measurements: poll.measurements });
  const progressBytes = itemBytes(progress);
  const progressWcu = Math.ceil(progressBytes / 1024);
  const stateWritesPerS = STATE_WRITES_PER_RUNNING_HOUR / 3600;
  const models: IndexModel[] = def.GlobalSecondaryIndexes.map((gsi) => {
    const projection = gsi.Projection as { ProjectionType: string; NonKeyAttributes?: readonly string[] };
    const projected = projection.ProjectionType === 'ALL' ? ('ALL' as const) : projection.ProjectionType === 'KEYS_ONLY' ? ('KEYS_ONLY' as const) : (projection.NonKeyAttributes ?? []);
    const projects = (a: string) => projected === 'ALL' || (projected !== 'KEYS_ONLY' && projected.includes(a));
    const indexKey = gsi.KeySchema[0]?.AttributeName as string;
    // The project item holds the index key: a poll reaches the index if it writes the project item a projected attribute;
    // the progress item would too, if it held the index key.
    const projectWrite = pollProjectAttributes.length > 0 && pollProjectAttributes.some(projects);
    const pollReachesIndex = projectWrite || indexKey in progress;
    const counts = perIndex.get(gsi.IndexName) ?? new Map<string, number>();
    const [busiestKey, busiestRunning] = [...counts.entries()].reduce((a, b) => (b[1] > a[1] ? b : a), ['', 0] as [string, number]);
    const keyAttrs: string[] = [TABLE.partitionKey, TABLE.sortKey, ...gsi.KeySchema.map((k) => k.AttributeName)];
    const indexItem = Object.fromEntries(Object.entries(sampleItem).filter(([k]) => keyAttrs.includes(k) || projects(k)));
    const bytes = itemBytes(indexItem);
    return {
      name: gsi.IndexName,
      partitionKey: gsi.KeySchema[0]?.AttributeName as string,
      projected,
      pollReachesIndex,
      keys: counts.size,
      busiestKey,
      busiestRunning,
      busiestWritesPerS: busiestRunning * ((pollReachesIndex ? 1 / JOB_POLL_SECONDS : 0) + stateWritesPerS),
      itemBytes: bytes,
      wcuPerWrite: Math.ceil(bytes / 1024),
    };
  });

  // Cost of one RUNNING project-hour: the polls of one job.
  const pollsPerHour = 3600 / JOB_POLL_SECONDS;
  const tableWcu = Math.ceil(tableItemBytes / 1024);
  const pollTableWcu = pollProjectAttributes.length > 0 ? tableWcu : 0;
  const indexWcu = models.reduce((a, m) => a + (m.pollReachesIndex ? m.wcuPerWrite : 0), 0);
  // The step's consistent read: one Query of the project's partition (keys.projectRecordRange) returning the
  // project item and its progress item, billed on their summed size (a Query rounds the total up to 4 KB).
  const rcuPerPoll = Math.ceil((tableItemBytes + progressBytes) / 4096);
  const costPerPoll = {
    dynamoWrites: (pollTableWcu + progressWcu + indexWcu) * PRICES.dynamoDbWriteRequestUnit.usd,
    dynamoReads: rcuPerPoll * PRICES.dynamoDbReadRequestUnit.usd,
    stepFunctions: SFN_TRANSITIONS_PER_POLL * PRICES.stepFunctionsStateTransition.usd,
    lambda: LAMBDA_INVOCATIONS_PER_POLL * (PRICES.lambdaRequest.usd + LAMBDA_GB * LAMBDA_BILLED_S * PRICES.lambdaArmGbSecond.usd),
  };
  const perHour = Object.fromEntries(Object.entries(costPerPoll).map(([k, v]) => [k, v * pollsPerHour])) as Record<keyof typeof costPerPoll, number>;
  const totalPerHour = Object.values(perHour).reduce((a, b) => a + b, 0);
  const busiest = Math.max(...models.map((m) => m.busiestWritesPerS * m.wcuPerWrite));

  const usd = (v: number) => `$${v.toFixed(6)}`;
  const lines = [
    `Inputs: ${PROJECTS.toLocaleString('en')} projects, ${RUNNING.toLocaleString('en')} RUNNING, one job each polled every **${JOB_POLL_SECONDS} s** (JOB_POLL_SECONDS, infra/constructs/orchestrator.ts); ${SHARD_COUNT} shards (shared/domain/shards.ts). Every RUNNING project's index keys are computed by \`projectItem()\` — the code that writes them — from ${PROJECTS.toLocaleString('en')} random ids; the projections are read from \`tableDefinition()\`.`,
    '',
    '### Busiest partition key, writes per second',
    '',
    '| where | partition keys holding RUNNING projects | busiest key | RUNNING projects on it | does a poll write reach it? | writes/s on it | WCU/s on it | of the 1,000/s ceiling |',
    '|---|---:|---|---:|---|---:|---:|---:|',
    `| table (${TABLE.partitionKey}) | ${RUNNING.toLocaleString('en')} | \`${keys.project('<id>').pk}\` | 1 | yes: its progress item (\`${keys.projectProgress('<id>').sk}\`)${pollTableWcu ? ' and its project item' : ''} | ${(1 / JOB_POLL_SECONDS + stateWritesPerS).toFixed(3)} | ${((progressWcu + pollTableWcu) / JOB_POLL_SECONDS + stateWritesPerS * tableWcu).toFixed(3)} | ${((100 * ((progressWcu + pollTableWcu) / JOB_POLL_SECONDS + stateWritesPerS * tableWcu)) / PARTITION_WRITE_CEILING).toFixed(3)}% |`,
    ...models.map(
      (m) =>
        `| index ${m.name} (${m.partitionKey}) | ${m.keys} | ${m.busiestKey ? `\`${m.busiestKey}\`` : '— (sparse: no modelled project holds its key)'} | ${m.busiestRunning.toLocaleString('en')} | ${m.pollReachesIndex ? 'yes: it projects what a poll writes' : 'no: state changes only'} | ${m.busiestWritesPerS.toFixed(1)} | ${(m.busiestWritesPerS * m.wcuPerWrite).toFixed(0)} | ${((100 * m.busiestWritesPerS * m.wcuPerWrite) / PARTITION_WRITE_CEILING).toFixed(0)}% |`,
    ),
    `| status counters (${keys.statusCounter('RUNNING', 0).pk}) | ${7 * SHARD_COUNT} | one status and shard | — | no (transitions only) | transition rate / ${SHARD_COUNT} | — | — |`,
    '',
    `**Busiest key: ${busiest.toFixed(0)} WCU/s, ${((100 * busiest) / PARTITION_WRITE_CEILING).toFixed(0)}% of DynamoDB's 1,000/s per partition (headroom ${(PARTITION_WRITE_CEILING / busiest).toFixed(1)}x).** Before sharding, every RUNNING project shared one key per index: ${(RUNNING / JOB_POLL_SECONDS).toFixed(0)} writes/s x ${tableWcu} WCU (ALL projection: the whole item) on \`PROJECT\` and on \`PROJECT#STATUS#RUNNING\` — ${(((RUNNING / JOB_POLL_SECONDS) * tableWcu) / PARTITION_WRITE_CEILING).toFixed(1)}x the ceiling.`,
    '',
    `A poll writes ${Object.keys(poll.measurements).length} measurement(s)${poll.polledAt ? ' and polledAt' : ''} to the progress item (\`${keys.projectProgress('<id>').sk}\`, no index key, ${progressBytes} bytes, ${progressWcu} WCU) and ${pollProjectAttributes.length ? `\`${pollProjectAttributes.join('`, `')}\` to the project item` : 'nothing to the project item'} (split by shared/domain/progress.ts splitMeasurements, the poll's own code): ${models.some((m) => m.pollReachesIndex) ? 'polls still reach an index' : 'no poll reaches an index'}. The indexes see the state changes alone, assumed ${STATE_WRITES_PER_RUNNING_HOUR} an hour per RUNNING project (each subtask claimed and finished, stage moves). With the polls on the project item (as before the progress item) the busiest key took ${((models[0]?.busiestRunning ?? 0) / JOB_POLL_SECONDS).toFixed(0)} writes/s x ${models[0]?.wcuPerWrite ?? 0} WCU = ${(((models[0]?.busiestRunning ?? 0) / JOB_POLL_SECONDS) * (models[0]?.wcuPerWrite ?? 0)).toFixed(0)} WCU/s.`,
    '',
    '### Item sizes (a RUNNING project mid full load)',
    '',
    '| item | bytes | WCU per write |',
    '|---|---:|---:|',
    `| table: project item | ${tableItemBytes} | ${tableWcu} |`,
    `| table: progress item (what a poll writes) | ${progressBytes} | ${progressWcu} |`,
    ...models.map((m) => `| index ${m.name}: ${m.projected === 'ALL' || m.projected === 'KEYS_ONLY' ? m.projected : `INCLUDE ${m.projected.length} attributes (no precheck)`} | ${m.itemBytes} | ${m.wcuPerWrite} |`),
    '',
    '### Cost per RUNNING project-hour (one job polled; prices: bench/prices.ts)',
    '',
    '| item | per poll | per hour |',
    '|---|---|---:|',
    `| DynamoDB writes: progress item ${progressWcu} WCU + project item ${pollTableWcu} WCU + indexes ${indexWcu} WCU | ${progressWcu + pollTableWcu + indexWcu} WCU | ${usd(perHour.dynamoWrites)} |`,
    `| DynamoDB reads (the step's consistent read: one Query returning the project and progress items) | ${rcuPerPoll} RCU | ${usd(perHour.dynamoReads)} |`,
    `| Step Functions Standard transitions (bench/RESULTS.md orchestration) | ${SFN_TRANSITIONS_PER_POLL} | ${usd(perHour.stepFunctions)} |`,
    `| Lambda (${LAMBDA_GB * 1024} MB x ${LAMBDA_BILLED_S * 1000} ms assumed) | ${LAMBDA_INVOCATIONS_PER_POLL} invocation | ${usd(perHour.lambda)} |`,
    `| **total** | | **${usd(totalPerHour)}** |`,
    '',
    `${RUNNING.toLocaleString('en')} RUNNING projects: $${(totalPerHour * RUNNING).toFixed(0)} per hour, dominated by Step Functions transitions (${((100 * perHour.stepFunctions) / totalPerHour).toFixed(0)}%).`,
  ];
  return { title: `Model: ${PROJECTS.toLocaleString('en')} projects, ${RUNNING.toLocaleString('en')} RUNNING (computed from the table definition)`, markdown: lines.join('\n') };
}

if (require.main === module) {
  measure().then((f) => console.log(f.markdown), (e) => { console.error(e); process.exit(1); });
}
