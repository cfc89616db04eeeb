import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEngine } from '../../shared/adapters/engine/postgres';
import { DEMO_SCHEMA_SQL } from '../../infra/local/postgres-local';
import { engineFenceContract } from '../support/engine-fence-contract';
import { jobSpecFor, migrationType, settled, startPgPair, tableText, waitFor, type PgPair } from '../support/pg-clusters';

/** STRUCTURE_MIGRATION, FULL_MIGRATION (checkpoints, pause/resume, restart) and PROCESS_DATABASE_OBJECTS on real clusters. */
let pair: PgPair;
const engines: PostgresEngine[] = [];
const engine = (opts: { chunkRows?: number; chunkDelayMs?: number } = {}) => {
  const e = new PostgresEngine({ resolveConnection: (id) => pair.resolve(id), pollIntervalMs: 100, ...opts });
  engines.push(e);
  return e;
};
const TYPE = migrationType();

const TYPES_SQL = `
CREATE TABLE shop.all_types (
  id integer PRIMARY KEY,
  big bigint,
  money numeric(12,2),
  exact numeric,
  body text,
  code varchar(10),
  flag boolean,
  at_tz timestamptz,
  at_local timestamp,
  day date,
  doc jsonb,
  raw_doc json,
  uid uuid,
  bin bytea,
  ratio double precision,
  small real,
  span interval,
  ints integer[],
  words text[]
);
INSERT INTO shop.all_types VALUES
 (1, 9007199254740993, 1234567890.12, 12345678901234567890.123456789012345, E'multi\\nline ''quoted'' \\\\ back ✓ 日本', 'abc', true,
  '2024-03-01 10:11:12.345678+00', '1999-12-31 23:59:59.999999', '2024-02-29', '{"a": 1.000000000000000001, "b": [1, "x"]}', '{ "keep" :  "spacing" }',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff10', 0.1, 3.14159, '1 day 02:03:04.000005', '{1,2,NULL}', '{"a,b","c\\"d",NULL}'),
 (2, -9223372036854775808, -0.01, 0, '', '', false, '0001-01-01 00:00:00+00', '294276-12-31 23:59:59.999999', '0001-01-01', 'null', '[]',
  '00000000-0000-0000-0000-000000000000', '\\x', 1e-300, -0.0, '-1 mons', '{}', '{}'),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE shop.bulk (id bigint PRIMARY KEY, payload text NOT NULL, n numeric(12,2));
INSERT INTO shop.bulk SELECT g, repeat('x', g % 50), g / 7.0 FROM generate_series(1, 3000) g;
CREATE TABLE shop.replay (id integer PRIMARY KEY, v text NOT NULL);
INSERT INTO shop.replay SELECT g, 'fresh ' || g FROM generate_series(1, 300) g;
CREATE TABLE shop.bulk2 (a integer, b text, v text, PRIMARY KEY (a, b));
INSERT INTO shop.bulk2 SELECT g / 10, 'k' || (g % 10), md5(g::text) FROM generate_series(1, 3000) g;
`;

beforeAll(async () => {
  pair = await startPgPair('full_load');
  await pair.sql('src', DEMO_SCHEMA_SQL);
  await pair.sql('src', TYPES_SQL);
  await pair.sql('src', `INSERT INTO shop.customers (email, name, profile) SELECT 'c' || g || '@x', 'n' || g, '{"k":1}' FROM generate_series(1, 40) g`);
  await pair.sql('src', `INSERT INTO shop.orders (customer_id, placed_at, total) SELECT 1 + g % 40, '2024-01-01 00:00:00.5', g FROM generate_series(1, 60) g`);
});

afterAll(async () => {
  for (const e of engines) await e.close();
  await pair?.stop();
});

const demoTables = ['customers', 'products', 'orders', 'order_items', 'all_types'].map((table) => ({ schema: 'shop', table }));

const columnsOf = (side: 'src' | 'dst', table: string) =>
  pair.sql(
    side,
    `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull::text AS notnull, pg_get_expr(d.adbin, d.adrelid) AS def
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [table],
  );

describe('PostgresEngine: structure and full load', () => {
  it('STRUCTURE_MIGRATION creates the tables with exact types, NOT NULL, defaults and primary keys, deferring indexes and foreign keys', async () => {
    // Prepare
    const e = engine();
    const spec = jobSpecFor('p-structure', 'STRUCTURE_MIGRATION', demoTables, TYPE);
    // Act
    await e.startJob(spec);
    const status = await waitFor(() => e.pollJob(spec), settled, 'structure job');
    // Assess
    expect(status?.state).toBe('SUCCEEDED');
    expect(status?.progress.percent).toBe(100);
    for (const t of demoTables) expect(await columnsOf('dst', `shop.${t.table}`)).toEqual(await columnsOf('src', `shop.${t.table}`));
    const pk = await pair.sql('dst', `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'shop.order_items'::regclass AND contype = 'p'`);
    expect(pk).toEqual([{ def: 'PRIMARY KEY (order_id, line)' }]);
    const deferred = await pair.sql('dst', `SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = 'customers_email_idx'`);
    expect(deferred[0]?.n).toBe('0');
    const fks = await pair.sql('dst', `SELECT count(*) AS n FROM pg_constraint WHERE contype = 'f' AND connamespace = 'shop'::regnamespace`);
    expect(fks[0]?.n).toBe('0');
  });

  it('FULL_MIGRATION copies every row and every common column type exactly (microseconds, precision, bytes, NULLs)', async () => {
    // Prepare
    const e = engine({ chunkRows: 2 });
    const spec = jobSpecFor('p-structure', 'FULL_MIGRATION', demoTables, TYPE);
    // Act
    await e.startJob(spec);
    const status = await waitFor(() => e.pollJob(spec), settled, 'full load');
    // Assess
    expect(status?.state).toBe('SUCCEEDED');
    expect(status?.progress.percent).toBe(100);
    expect(await tableText(pair, 'dst', 'shop.all_types', 'id')).toEqual(await tableText(pair, 'src', 'shop.all_types', 'id'));
    for (const [t, key] of [['customers', 'id'], ['orders', 'id'], ['order_items', 'order_id, line']] as const) {
      expect(await tableText(pair, 'dst', `shop.${t}`, key)).toEqual(await tableText(pair, 'src', `shop.${t}`, key));
    }
    const customers = status?.tables?.find((t) => t.table === 'customers');
    expect(customers).toMatchObject({ rows: 40, rowsEstimated: 40, done: true });
    expect(customers?.rowsPerSecond).toBeGreaterThan(0);
    const nulls = await pair.sql('dst', 'SELECT num_nulls(VARIADIC ARRAY[big::text, money::text, body, at_tz::text, bin::text, doc::text]) AS n FROM shop.all_types WHERE id = 3');
    expect(nulls[0]?.n).toBe('6');
  });

  it('a paused copy resumes from its checkpoint: no row copied twice, none lost', async () => {
    // Prepare
    const e = engine({ chunkRows: 100, chunkDelayMs: 40 });
    const setup = jobSpecFor('p-pause', 'STRUCTURE_MIGRATION', [{ schema: 'shop', table: 'bulk' }], TYPE);
    await e.startJob(setup);
    await waitFor(() => e.pollJob(setup), settled, 'structure');
    const spec = jobSpecFor('p-pause', 'FULL_MIGRATION', [{ schema: 'shop', table: 'bulk' }], TYPE);
    await e.startJob(spec);
    await waitFor(() => e.pollJob(spec), (s) => (s?.tables?.[0]?.rows ?? 0) >= 500, 'copy under way');
    // Act
    const paused = await e.pauseJob(spec);
    const copiedAtPause = (await pair.sql('dst', 'SELECT count(*) AS n FROM shop.bulk'))[0]?.n;
    const stillAfterPause = (await pair.sql('dst', 'SELECT count(*) AS n FROM shop.bulk'))[0]?.n;
    await e.resumeJob(spec);
    const done = await waitFor(() => e.pollJob(spec), settled, 'copy resumed');
    // Assess
    expect(paused?.state).toBe('PAUSED');
    expect(Number(copiedAtPause)).toBe(paused?.tables?.[0]?.rows);
    expect(Number(copiedAtPause)).toBeLessThan(3000);
    expect(stillAfterPause).toBe(copiedAtPause);
    expect(done?.state).toBe('SUCCEEDED');
    expect(done?.tables?.[0]?.rows).toBe(3000); // counted once per row: the copy did not start again from zero
    expect(await tableText(pair, 'dst', 'shop.bulk', 'id')).toEqual(await tableText(pair, 'src', 'shop.bulk', 'id'));
  });

  it('a chunk whose rows are already on the destination (a replay) is upserted: stale rows overwritten, no duplicate', async () => {
    // Prepare
    const e = engine({ chunkRows: 100 });
    const tables = [{ schema: 'shop', table: 'replay' }];
    const setup = jobSpecFor('p-replay', 'STRUCTURE_MIGRATION', tables, TYPE);
    await e.startJob(setup);
    await waitFor(() => e.pollJob(setup), settled, 'structure');
    await pair.sql('dst', `INSERT INTO shop.replay SELECT g, 'stale' FROM generate_series(90, 160) g`);
    const spec = jobSpecFor('p-replay', 'FULL_MIGRATION', tables, TYPE);
    // Act
    await e.startJob(spec);
    const done = await waitFor(() => e.pollJob(spec), settled, 'copy over stale rows');
    // Assess
    expect(done?.state).toBe('SUCCEEDED');
    expect(done?.tables?.[0]?.rows).toBe(300);
    expect(await tableText(pair, 'dst', 'shop.replay', 'id')).toEqual(await tableText(pair, 'src', 'shop.replay', 'id'));
  });

  it('a new engine instance (process restart) continues a running copy from the checkpoints on the destination', async () => {
    // Prepare
    const first = engine({ chunkRows: 100, chunkDelayMs: 40 });
    const setup = jobSpecFor('p-restart', 'STRUCTURE_MIGRATION', [{ schema: 'shop', table: 'bulk2' }], TYPE);
    await first.startJob(setup);
    await waitFor(() => first.pollJob(setup), settled, 'structure');
    const spec = jobSpecFor('p-restart', 'FULL_MIGRATION', [{ schema: 'shop', table: 'bulk2' }], TYPE);
    await first.startJob(spec);
    await waitFor(() => first.pollJob(spec), (s) => (s?.tables?.[0]?.rows ?? 0) >= 500, 'copy under way');
    await first.close(); // the process goes away; the registry still says RUNNING
    const copiedBefore = Number((await pair.sql('dst', 'SELECT count(*) AS n FROM shop.bulk2'))[0]?.n);
    // Act
    const second = engine({ chunkRows: 100 });
    const seen = await second.pollJob(spec);
    const done = await waitFor(() => second.pollJob(spec), settled, 'copy continued by the new instance');
    // Assess
    expect(seen?.state).toBe('RUNNING');
    expect(copiedBefore).toBeGreaterThan(0);
    expect(copiedBefore).toBeLessThan(3000);
    expect(done?.state).toBe('SUCCEEDED');
    expect(done?.tables?.[0]?.rows).toBe(3000);
    expect(await tableText(pair, 'dst', 'shop.bulk2', 'a, b')).toEqual(await tableText(pair, 'src', 'shop.bulk2', 'a, b'));
  });

  it('PROCESS_DATABASE_OBJECTS adds the deferred indexes and foreign keys and sets every sequence to the source value', async () => {
    // Prepare
    const e = engine();
    const spec = jobSpecFor('p-structure', 'FORWARD_SWITCHOVER', demoTables, TYPE);
    // Act
    const first = await e.switchoverStep(spec, 'PROCESS_DATABASE_OBJECTS');
    const again = await e.switchoverStep(spec, 'PROCESS_DATABASE_OBJECTS');
    // Assess
    expect(first.done).toBe(true);
    expect(first.detail).toMatchObject({ indexes: 1, constraints: 3 });
    expect(again.detail).toEqual(first.detail);
    const idx = await pair.sql('dst', `SELECT indexdef FROM pg_indexes WHERE indexname = 'customers_email_idx'`);
    expect(idx[0]?.indexdef).toContain('(email)');
    const fks = await pair.sql('dst', `SELECT count(*) AS n FROM pg_constraint WHERE contype = 'f' AND connamespace = 'shop'::regnamespace`);
    expect(fks[0]?.n).toBe('3');
    const seq = (side: 'src' | 'dst') => pair.sql(side, `SELECT last_value::text AS v FROM shop.customers_id_seq UNION ALL SELECT last_value::text FROM shop.order_no`);
    expect(await seq('dst')).toEqual(await seq('src'));
    const next = await pair.sql('dst', `INSERT INTO shop.customers (email) VALUES ('new@x') RETURNING id`);
    expect(next[0]?.id).toBe('41');
  });
});

describe('PostgreSQL engine: the run fence of the engine port', () => {
  const table = [{ schema: 'shop', table: 'fence' }];
  let subjects = 0;
  beforeAll(async () => {
    await pair.sql('src', `CREATE TABLE shop.fence (id integer PRIMARY KEY, v text NOT NULL); INSERT INTO shop.fence SELECT g, md5(g::text) FROM generate_series(1, 4000) g`);
  });
  engineFenceContract(async () => {
    // A slow copy (40 rows every 100 ms), so the job is still running whenever the contract looks.
    const e = engine({ chunkRows: 40, chunkDelayMs: 100 });
    const project = `p-fence-${++subjects}`;
    const spec = (run: number) => jobSpecFor(project, 'FULL_MIGRATION', table, TYPE, run);
    return {
      engine: e,
      spec,
      settle: async () => {},
      started: async () => {
        const setup = jobSpecFor(project, 'STRUCTURE_MIGRATION', table, TYPE);
        await e.startJob(setup);
        await waitFor(() => e.pollJob(setup), settled, 'structure');
        await e.startJob(spec(1));
      },
      dispose: async () => {
        await e.stopJob(spec(99));
        await pair.sql('dst', 'DROP TABLE IF EXISTS shop.fence');
      },
    };
  });
});
