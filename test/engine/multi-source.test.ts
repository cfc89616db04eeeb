import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEngine, captureName } from '../../shared/adapters/engine/postgres';
import { ensureDatabase } from '../../infra/local/postgres-local';
import { jobSpec, projectSpec, sourceJobIdFor } from '../../shared/domain/orchestration';
import type { ProjectRecord } from '../../shared/domain/project';
import type { SubtaskType } from '../../shared/domain/subtasks';
import type { JobSpec } from '../../shared/ports';
import type { PgConnectionConfig } from '../../shared/adapters/engine/postgres';
import { migrationType, settled, startPgPair, waitFor, type PgPair } from '../support/pg-clusters';
import pg from 'pg';

/**
 * A project with two sources on the real engine: the jobs are the ones the orchestration gives it
 * (jobSpec of the domain: project-wide structure and verification, one full load and one sync per
 * source). The second source is another database on the source cluster.
 */
let pair: PgPair;
let src2: pg.Client;
const engines: PostgresEngine[] = [];
const DB2 = 'multi_b';
const conn2 = (): PgConnectionConfig => ({ ...pair.conn('src'), database: DB2 });
const resolve = async (id: string) => (id === 'src2' ? conn2() : pair.resolve(id));
const engine = () => {
  const e = new PostgresEngine({ resolveConnection: resolve, pollIntervalMs: 50, chunkRows: 100 });
  engines.push(e);
  return e;
};
const sql2 = async (text: string) => (await src2.query(text)).rows as Record<string, string | null>[];
const on = async (side: 'src' | 'src2' | 'dst', text: string) => (side === 'src2' ? sql2(text) : pair.sql(side, text));

const TYPE = migrationType({ incrementalSync: true });
const SOURCES = ['src', 'src2'];

/** The project as the control plane has it: two sources, per-source parts of the full load and sync. */
function project(id: string, tables: ProjectRecord['tables']): ProjectRecord {
  const parts = SOURCES.map((sourceId) => ({ sourceId, status: 'PENDING' }));
  return {
    id,
    engine: 'postgresql',
    sourceId: 'src',
    sourceIds: SOURCES,
    destinationId: 'dst',
    tables,
    migrationType: TYPE,
    run: 1,
    subtasks: [
      { type: 'STRUCTURE_MIGRATION', status: 'PENDING' },
      { type: 'FULL_MIGRATION', status: 'PENDING', sources: parts },
      { type: 'INCREMENTAL_SYNC', status: 'PENDING', continuous: true, sources: parts },
      { type: 'FULL_VERIFICATION', status: 'PENDING' },
    ],
  } as unknown as ProjectRecord;
}
/** The project's current run: a pause holds a job against its run, so a resume comes from the next run (as the control plane does). */
let run = 1;
const job = (p: ProjectRecord, type: SubtaskType, sourceId?: string): JobSpec => jobSpec(p, type, run, sourceId);

const slotsOf = async (db: string) =>
  (await pair.sql('src', `SELECT slot_name FROM pg_replication_slots WHERE database = '${db}' ORDER BY 1`)).map((r) => r.slot_name);
const rowsOf = async (side: 'src' | 'src2' | 'dst', table: string) => (await on(side, `SELECT t::text AS r FROM ${table} t ORDER BY id`)).map((r) => r.r);

beforeAll(async () => {
  pair = await startPgPair('multi_a');
  await ensureDatabase(pair.source, DB2);
  src2 = new pg.Client({ ...conn2(), types: { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig });
  await src2.connect();
  const shared = `CREATE SCHEMA app;
     CREATE TABLE app.orders (id bigint PRIMARY KEY, region text NOT NULL, amount numeric(12,2));
     CREATE TABLE app.clash (id integer PRIMARY KEY, v text);
     CREATE TABLE app.shape (id integer PRIMARY KEY, v text);`;
  await pair.sql('src', `${shared}
     INSERT INTO app.orders SELECT g, 'a', g * 1.5 FROM generate_series(1, 450) g;
     INSERT INTO app.clash SELECT g, 'a' FROM generate_series(1, 10) g;
     CREATE TABLE app.only_a (id integer PRIMARY KEY, v text);
     INSERT INTO app.only_a SELECT g, 'a' || g FROM generate_series(1, 20) g;`);
  await sql2(`${shared}
     ALTER TABLE app.shape ALTER COLUMN v TYPE integer USING NULL;
     INSERT INTO app.orders SELECT g, 'b', g * 2.5 FROM generate_series(1001, 1330) g;
     INSERT INTO app.clash SELECT g, 'b' FROM generate_series(10, 15) g;
     CREATE TABLE app.only_b (id integer PRIMARY KEY, v text);
     INSERT INTO app.only_b SELECT g, 'b' || g FROM generate_series(1, 7) g;`);
}, 120_000);

afterAll(async () => {
  for (const e of engines) await e.close();
  await src2?.end().catch(() => {});
  await pair?.stop();
});

describe('PostgresEngine: a project with two sources', () => {
  // orders on both sources (merged), only_a on source 1, only_b on source 2
  const P = project('p-two', [
    { schema: 'app', table: 'orders' },
    { schema: 'app', table: 'only_a' },
    { schema: 'app', table: 'only_b' },
  ]);
  const e = () => engines[0] as PostgresEngine;
  const syncs = () => SOURCES.map((s) => job(P, 'INCREMENTAL_SYNC', s)) as [JobSpec, JobSpec];
  const union = async () => [...(await rowsOf('src', 'app.orders')), ...(await rowsOf('src2', 'app.orders'))];

  it('runs structure → full → incremental: both sources\' rows merge into the shared table, each source has its own slot', async () => {
    // Prepare
    engine();
    const structure = job(P, 'STRUCTURE_MIGRATION');

    // Act
    await e().startJob(structure);
    const built = await waitFor(() => e().pollJob(structure), settled, 'structure');
    const fulls = SOURCES.map((s) => job(P, 'FULL_MIGRATION', s));
    await Promise.all(fulls.map((f) => e().startJob(f)));
    const copied = await Promise.all(fulls.map((f) => waitFor(() => e().pollJob(f), settled, `full ${f.jobId}`)));
    for (const s of syncs()) await e().startJob(s);
    await pair.sql('src', "INSERT INTO app.orders VALUES (451, 'a', 1); UPDATE app.orders SET amount = 0 WHERE id = 1; DELETE FROM app.orders WHERE id = 2");
    await sql2("INSERT INTO app.orders VALUES (1331, 'b', 1); UPDATE app.orders SET amount = 0 WHERE id = 1001; DELETE FROM app.orders WHERE id = 1002");
    const merged = await waitFor(async () => JSON.stringify(await rowsOf('dst', 'app.orders')) === JSON.stringify(await union()), Boolean, 'both sources synced');

    // Assess
    expect(built).toMatchObject({ state: 'SUCCEEDED', progress: { tables: 3, mergedTables: 1 } });
    expect(copied.map((c) => c?.state)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(copied[1]?.tables?.map((t) => t.table)).toEqual(['orders', 'only_b']);
    expect(merged).toBe(true);
    expect(await rowsOf('dst', 'app.only_a')).toEqual(await rowsOf('src', 'app.only_a'));
    expect(await rowsOf('dst', 'app.only_b')).toEqual(await rowsOf('src2', 'app.only_b'));
    expect(await slotsOf('multi_a')).toEqual([captureName('p-two', 'f', 'src')]);
    expect(await slotsOf(DB2)).toEqual([captureName('p-two', 'f', 'src2')]);
    expect(syncs().map((s) => s.jobId)).toEqual([sourceJobIdFor('p-two', 'INCREMENTAL_SYNC', 'src'), sourceJobIdFor('p-two', 'INCREMENTAL_SYNC', 'src2')]);
  }, 120_000);

  it('pausing one source\'s sync stops only its changes and keeps its slot; resumed, it continues from its confirmed LSN with nothing lost or doubled', async () => {
    // Prepare
    const [a, b] = syncs();
    const paused = await e().pauseJob(b);

    // Act: both sources write; only source 1's changes may arrive
    await sql2("INSERT INTO app.orders VALUES (1332, 'b', 2); UPDATE app.orders SET amount = 7 WHERE id = 1003");
    await pair.sql('src', "INSERT INTO app.orders VALUES (452, 'a', 2)");
    await waitFor(() => pair.sql('dst', 'SELECT 1 FROM app.orders WHERE id = 452'), (r) => r.length === 1, 'source 1 change');
    const duringPause = await e().pollJob(a);
    const fromB = await pair.sql('dst', 'SELECT id, amount FROM app.orders WHERE id IN (1003, 1332) ORDER BY id');
    const slotKept = await slotsOf(DB2);
    run++;
    await e().resumeJob(syncs()[1]);
    await waitFor(() => pair.sql('dst', 'SELECT 1 FROM app.orders WHERE id = 1332'), (r) => r.length === 1, 'source 2 change after resume');
    await waitFor(() => e().pollJob(a), (s) => s?.caughtUp === true, 'source 1 caught up');
    await waitFor(() => e().pollJob(b), (s) => s?.caughtUp === true, 'source 2 caught up');

    // Assess
    expect(paused?.state).toBe('PAUSED');
    expect(duringPause).toMatchObject({ state: 'RUNNING', caughtUp: true });
    expect(fromB).toEqual([{ id: '1003', amount: '2507.50' }]); // neither the insert nor the update of source 2 arrived
    expect(slotKept).toEqual([captureName('p-two', 'f', 'src2')]);
    expect(await rowsOf('dst', 'app.orders')).toEqual(await union());
  }, 120_000);

  it('verification compares each source over its own keys: no mismatch, then a row changed on the destination is reported with its source', async () => {
    // Prepare
    const verify = job(P, 'FULL_VERIFICATION');
    const [a, b] = syncs();
    for (const s of [a, b]) await e().pauseJob(s);

    // Act
    await e().startJob(verify);
    const clean = await waitFor(() => e().pollJob(verify), settled, 'verification');
    await pair.sql('dst', 'UPDATE app.orders SET amount = 99 WHERE id = 1010');
    const again = { ...verify, jobId: `${verify.jobId}.again` };
    await e().startJob(again);
    const dirty = await waitFor(() => e().pollJob(again), settled, 'second verification');
    await pair.sql('dst', 'UPDATE app.orders SET amount = 2525.00 WHERE id = 1010');
    run++;
    for (const s of syncs()) await e().resumeJob(s);

    // Assess
    expect(clean).toMatchObject({ state: 'SUCCEEDED', progress: { mismatches: 0 } });
    expect(clean?.progress.rowsCompared).toBe(Number((await pair.sql('dst', 'SELECT (SELECT count(*) FROM app.orders) + (SELECT count(*) FROM app.only_a) + (SELECT count(*) FROM app.only_b) AS n'))[0]?.n));
    expect(dirty).toMatchObject({ state: 'SUCCEEDED', progress: { mismatches: 1 } });
    expect(dirty?.tables?.[0]?.mismatchedKeys).toEqual(['src2:id=1010']);
  }, 120_000);

  it('a key already on the destination from the other source fails only that source\'s sync, naming table and key; nothing is overwritten', async () => {
    // Prepare
    const [a, b] = syncs();
    const before = await pair.sql('dst', 'SELECT t::text AS r FROM app.orders t WHERE id = 5');

    // Act
    await sql2("INSERT INTO app.orders VALUES (5, 'b', 555)");
    const failed = await waitFor(() => e().pollJob(b), settled, 'source 2 sync fails');
    await pair.sql('src', "INSERT INTO app.orders VALUES (453, 'a', 3)");
    await waitFor(() => pair.sql('dst', 'SELECT 1 FROM app.orders WHERE id = 453'), (r) => r.length === 1, 'source 1 still syncing');

    // Assess
    expect(failed?.state).toBe('FAILED');
    expect(failed?.error?.code).toBe('KEY_COLLISION');
    expect(failed?.error?.message).toMatch(/app\.orders.*id=5.*source src2.*source src\b/);
    expect((await e().pollJob(a))?.state).toBe('RUNNING');
    expect(await pair.sql('dst', 'SELECT t::text AS r FROM app.orders t WHERE id = 5')).toEqual(before);
  }, 120_000);

  it('release (stop of every job) drops both sources\' slots and publications', async () => {
    // Prepare
    const jobs = [...SOURCES.map((s) => job(P, 'FULL_MIGRATION', s)), ...syncs()];

    // Act
    for (const j of jobs) await e().stopJob(j);

    // Assess
    expect(await slotsOf('multi_a')).toEqual([]);
    expect(await slotsOf(DB2)).toEqual([]);
    expect(await sql2('SELECT pubname FROM pg_publication')).toEqual([]);
  }, 60_000);
});

describe('PostgresEngine: merging several sources\' tables', () => {
  const e = () => engines[0] as PostgresEngine;

  it('a table whose shape differs between sources fails the structure migration with the difference', async () => {
    // Prepare
    const p = project('p-shape', [{ schema: 'app', table: 'shape' }]);
    const structure = job(p, 'STRUCTURE_MIGRATION');

    // Act
    await e().startJob(structure);
    const s = await waitFor(() => e().pollJob(structure), settled, 'structure');

    // Assess
    expect(s?.state).toBe('FAILED');
    expect(s?.error?.code).toBe('INCOMPATIBLE_TABLES');
    expect(s?.error?.message).toMatch(/app\.shape.*src2.*src.*column v text vs integer/);
  }, 60_000);

  it('the full load of the second source fails on a key the first one copied; re-copying the first source\'s own rows is no collision', async () => {
    // Prepare
    const p = project('p-clash', [{ schema: 'app', table: 'clash' }]);
    const structure = job(p, 'STRUCTURE_MIGRATION');
    await e().startJob(structure);
    await waitFor(() => e().pollJob(structure), settled, 'structure');
    const [a, b] = SOURCES.map((s) => ({ ...job(p, 'FULL_MIGRATION', s), migrationType: migrationType() })) as unknown as [JobSpec, JobSpec];

    // Act: source 1 copies, then replays its copy from the start (a restart); then source 2 copies
    await e().startJob(a);
    await waitFor(() => e().pollJob(a), settled, 'source 1 copy');
    await pair.sql('dst', `UPDATE _migration.job_tables SET last_key = NULL, done = false, rows = 0 WHERE job_id = '${a.jobId}'; UPDATE _migration.jobs SET state = 'FAILED' WHERE job_id = '${a.jobId}'`);
    await e().resumeJob(a);
    const replayed = await waitFor(() => e().pollJob(a), settled, 'source 1 replay');
    await e().startJob(b);
    const clashed = await waitFor(() => e().pollJob(b), settled, 'source 2 copy');

    // Assess
    expect(replayed?.state).toBe('SUCCEEDED');
    expect(clashed?.state).toBe('FAILED');
    expect(clashed?.error).toMatchObject({ code: 'KEY_COLLISION', message: expect.stringMatching(/app\.clash: key id=10 from source src2 .* from source src\b/) });
    expect(await pair.sql('dst', "SELECT count(*) AS n, count(*) FILTER (WHERE v = 'a') AS a FROM app.clash")).toEqual([{ n: '10', a: '10' }]);
  }, 60_000);

  it('release drops the project\'s key-ownership tables and table-source record (stopped and failed jobs kept them), leaves other projects\' alone, and can run again', async () => {
    // Prepare: p-two's jobs are all stopped (the first half of its release), p-clash's second copy failed;
    // p-clash's record of its ownership table is lost (as after a crash, or a table made before the record)
    const owners = async () => (await pair.sql('dst', "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '_migration' AND c.relname LIKE 'own\\_%' AND c.relkind = 'r' ORDER BY 1")).map((r) => r.relname);
    const recorded = async (projectId: string) => (await pair.sql('dst', `SELECT (SELECT count(*) FROM _migration.owner_tables WHERE project_id = '${projectId}') AS owners, (SELECT count(*) FROM _migration.table_sources WHERE project_id = '${projectId}') AS sources`))[0];
    const two = project('p-two', [{ schema: 'app', table: 'orders' }, { schema: 'app', table: 'only_a' }, { schema: 'app', table: 'only_b' }]);
    const clash = project('p-clash', [{ schema: 'app', table: 'clash' }]);
    const before = await owners();
    const clashOwner = (await pair.sql('dst', "SELECT rel FROM _migration.owner_tables WHERE project_id = 'p-clash'"))[0]?.rel;
    await pair.sql('dst', "DELETE FROM _migration.owner_tables WHERE project_id = 'p-clash'");

    // Act
    await e().releaseProject(projectSpec(two));
    const afterTwo = await owners();
    await e().releaseProject(projectSpec(two)); // a retried release
    await e().releaseProject(projectSpec(clash));
    await e().releaseProject(projectSpec(clash));

    // Assess
    expect(before).toHaveLength(2);
    expect(afterTwo).toEqual([clashOwner?.replace(/^_migration\.|"/g, '')]);
    expect(await owners()).toEqual([]);
    expect(await recorded('p-two')).toEqual({ owners: '0', sources: '0' });
    expect(await recorded('p-clash')).toEqual({ owners: '0', sources: '0' });
    expect(await pair.sql('dst', "SELECT count(*) AS n FROM _migration.jobs WHERE project_id = 'p-two'")).not.toEqual([{ n: '0' }]); // the engine's record of what ran stays
    expect(await rowsOf('dst', 'app.clash')).toHaveLength(10); // the migrated data stays
  }, 60_000);
});
