/**
 * Lists as the table grows: GET /projects (all, by status, by label) served by the DynamoDB project
 * store over the sharded indexes, on DynamoDB Local seeded with BatchWriteItem to 10^3, 10^4 and 10^5
 * projects (as many as the time budget allows). Per page: Query requests, items DynamoDB examined
 * (ScannedCount) and the p50 latency, each as a ratio to the smallest size: flat means no request's work
 * grows with the table.
 *
 * Settings: BENCH_SCALE_SIZES (default 1000,10000,100000), BENCH_SCALE_SEED_BUDGET_S (default 600:
 * seeding stops at the last size reached in that time).
 */
import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTable, localDocumentClient, startDynamoDbLocal } from '../../infra/local/dynamodb-local';
import { DynamoProjectStore, projectItem } from '../../shared/adapters/dynamodb/project-store';
import { isoAt } from '../../shared/domain/clock';
import type { ProjectRecord, ProjectStatus } from '../../shared/domain/project';
import { SHARD_COUNT } from '../../shared/domain/shards';
import { buildSubtasks } from '../../shared/domain/subtasks';
import type { ListProjectsQuery } from '../../shared/ports';
import { percentile } from '../lib/stats';
import type { ScaleFigure } from './run';

const SIZES = (process.env.BENCH_SCALE_SIZES ?? '1000,10000,100000').split(',').map(Number);
const SEED_BUDGET_MS = Number(process.env.BENCH_SCALE_SEED_BUDGET_S ?? 600) * 1000;
const PAGE = 100;
const PAGES = 5;
const REPEATS = 5;

/** Seeded mix: 10% RUNNING, 1 in 2 labelled 'half', 1 in 1000 labelled 'rare'. */
function project(i: number, t0: number): ProjectRecord {
  const created = isoAt(t0 + i);
  const status: ProjectStatus = i % 10 === 0 ? 'RUNNING' : 'NOT_STARTED';
  const migrationType = { structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: true, reverseIncrementalSync: false };
  return {
    id: randomUUID(),
    name: `scale-${i}`,
    sourceId: 'ds-src',
    destinationId: 'ds-dst',
    migrationType,
    tables: null,
    labels: [...(i % 2 === 0 ? ['half'] : []), ...(i % 1000 === 7 ? ['rare'] : [])],
    alertLevel: 'NONE',
    engine: 'simulated',
    status,
    version: status === 'RUNNING' ? 2 : 1,
    createdAt: created,
    updatedAt: created,
    ...(status === 'RUNNING' ? { startedAt: created, run: 1 } : {}),
    subtasks: buildSubtasks(migrationType),
  };
}

async function seed(client: DynamoDBDocumentClient, table: string, from: number, to: number, t0: number): Promise<void> {
  const chunks: Record<string, unknown>[][] = [];
  for (let i = from; i < to; i += 25) chunks.push(Array.from({ length: Math.min(25, to - i) }, (_, k) => projectItem(project(i + k, t0))));
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      let pending = (chunks[next++] as Record<string, unknown>[]).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
        const out = await client.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** Counts Query requests and the items they examined, through a middleware on the client. */
function meter(client: DynamoDBDocumentClient) {
  const m = { queries: 0, examined: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (context.commandName === 'QueryCommand') {
        m.queries += 1;
        m.examined += Number((out.output as { ScannedCount?: number }).ScannedCount ?? 0);
      }
      return out;
    },
    { step: 'initialize', name: 'scaleMeter' },
  );
  return m;
}

interface Row {
  listing: string;
  size: number;
  queriesPerPage: number;
  examinedPerPage: number;
  itemsPerPage: number;
  p50Ms: number;
}

const LISTINGS: { name: string; query: Omit<ListProjectsQuery, 'limit' | 'nextToken'> }[] = [
  { name: 'all projects', query: {} },
  { name: 'status RUNNING (10%)', query: { status: 'RUNNING' } },
  { name: "label 'half' (50%)", query: { label: 'half' } },
  { name: "label 'rare' (0.1%)", query: { label: 'rare' } },
];

async function measureAt(store: DynamoProjectStore, m: { queries: number; examined: number }, size: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const l of LISTINGS) {
    const times: number[] = [];
    let queries = 0;
    let examined = 0;
    let items = 0;
    let pages = 0;
    for (let r = 0; r < REPEATS; r++) {
      let token: string | undefined;
      for (let p = 0; p < PAGES; p++) {
        const q0 = m.queries;
        const e0 = m.examined;
        const t = process.hrtime.bigint();
        const page = await store.list({ ...l.query, limit: PAGE, ...(token ? { nextToken: token } : {}) });
        times.push(Number(process.hrtime.bigint() - t) / 1e6);
        queries += m.queries - q0;
        examined += m.examined - e0;
        items += page.items.length;
        pages += 1;
        token = page.nextToken;
        if (!token) break;
      }
    }
    rows.push({ listing: l.name, size, queriesPerPage: queries / pages, examinedPerPage: examined / pages, itemsPerPage: items / pages, p50Ms: percentile(times, 50) });
  }
  return rows;
}

export async function measure(): Promise<ScaleFigure> {
  const ddb = await startDynamoDbLocal();
  const notes: string[] = [];
  try {
    const table = `scale-${randomUUID().slice(0, 8)}`;
    await ensureTable(ddb.endpoint, table);
    const client = localDocumentClient(ddb.endpoint);
    process.env.TABLE_NAME = table;
    process.env.DYNAMODB_ENDPOINT = ddb.endpoint;
    const store = new DynamoProjectStore(client, table);
    const m = meter(client);
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const rows: Row[] = [];
    let seeded = 0;
    const seedStart = Date.now();
    for (const size of SIZES) {
      if (Date.now() - seedStart > SEED_BUDGET_MS) {
        notes.push(`Stopped before ${size.toLocaleString('en')} projects: seeding had used its ${SEED_BUDGET_MS / 1000} s budget (BENCH_SCALE_SEED_BUDGET_S) on this shared machine.`);
        break;
      }
      const s0 = Date.now();
      await seed(client, table, seeded, size, t0);
      notes.push(`Seeded ${(size - seeded).toLocaleString('en')} projects (to ${size.toLocaleString('en')}) in ${((Date.now() - s0) / 1000).toFixed(0)} s (BatchWriteItem, 25 items a request, 8 in flight).`);
      if (seeded === 0) await measureAt(store, m, size); // warm-up: the JVM and the connection pool, not counted
      seeded = size;
      rows.push(...(await measureAt(store, m, size)));
    }
    client.destroy();
    return { title: 'Lists as the table grows (measured, DynamoDB Local)', markdown: render(rows, notes) };
  } finally {
    await ddb.stop();
  }
}

function render(rows: Row[], notes: string[]): string {
  const sizes = [...new Set(rows.map((r) => r.size))];
  const smallest = sizes[0] as number;
  const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? '1.00' : '∞') : (a / b).toFixed(2));
  const lines = [
    `A page is ${PAGE} projects; each listing is walked ${PAGES} pages deep, ${REPEATS} times. The store reads the ${SHARD_COUNT} index shards of the listing and merges them newest first (shared/adapters/dynamodb/sharded-list.ts). Seeded mix: 10% RUNNING, half labelled 'half', 0.1% labelled 'rare'.`,
    '',
    '| listing | projects | Query calls / page | items examined / page | items returned / page | p50 ms / page | examined ratio | p50 ratio |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const base = rows.find((b) => b.listing === r.listing && b.size === smallest) as Row;
    lines.push(
      `| ${r.listing} | ${r.size.toLocaleString('en')} | ${r.queriesPerPage.toFixed(1)} | ${r.examinedPerPage.toFixed(0)} | ${r.itemsPerPage.toFixed(0)} | ${r.p50Ms.toFixed(1)} | ${ratio(r.examinedPerPage, base.examinedPerPage)} | ${ratio(r.p50Ms, base.p50Ms)} |`,
    );
  }
  lines.push(
    '',
    `Ratios are to ${smallest.toLocaleString('en')} projects. Items examined per page stay about 1.5 x the page + one shard's slack for unfiltered listings, and at most the read budget (1,000 items, ${3 * SHARD_COUNT} Query calls) for a selective label, where a page may come back short with a token: no page reads more as the table grows.`,
    '',
    ...notes.map((n) => `- ${n}`),
  );
  return lines.join('\n');
}

if (require.main === module) {
  measure().then((f) => console.log(f.markdown), (e) => { console.error(e); process.exit(1); });
}
