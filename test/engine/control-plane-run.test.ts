import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineRouter } from '../../shared/adapters/engine/engine-router';
import { PostgresEngine } from '../../shared/adapters/engine/postgres';
import { SimulatedMigrationEngine } from '../../shared/adapters/engine/simulated-engine';
import { getDeps } from '../../shared/runtime';
import { connectionOf } from '../../infra/local/local-engines';
import { call } from '../support/harness';
import { getProject, post, runSwitchover, subtask, useLocalRuns, waitForProject } from '../support/orchestration';
import { startPgPair, waitFor, type PgPair } from '../support/pg-clusters';
import { ensureDatabase } from '../../infra/local/postgres-local';
import pg from 'pg';

/**
 * A whole project run through the control plane (API handlers, the synthesized state machine on
 * aws-local-stepfunctions, DynamoDB Local) on the real PostgreSQL engine and two real clusters: the
 * project gets the postgresql engine, its precheck runs, rows are copied, changes synced both ways,
 * verification runs, and release drops every replication slot.
 */

const DB = 'cprun';
let pair: PgPair;
let engine: PostgresEngine;
let ds: { sourceId: string; destinationId: string };
const DB_B = 'cprun_b';
let src2: pg.Client;
let source2: string;

const ALL = { structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: true, reverseIncrementalSync: true };
const count = async (side: 'src' | 'dst', table: string) => Number((await pair.sql(side, `SELECT count(*) AS n FROM ${table}`))[0]?.n);
const slots = async (side: 'src' | 'dst') => Number((await pair.sql(side, 'SELECT count(*) AS n FROM pg_replication_slots'))[0]?.n);

beforeAll(async () => {
  pair = await startPgPair(DB);
  await pair.sql('src', 'CREATE SCHEMA app');
  await pair.sql('src', 'CREATE TABLE app.orders (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(12,2), placed_at timestamptz DEFAULT now())');
  await pair.sql('src', "INSERT INTO app.orders SELECT g, 'c' || g, g * 1.25, '2026-01-01 00:00:00.123456+00' FROM generate_series(1, 2000) g");
  await pair.sql('src', 'CREATE TABLE app.notes (body text)');
  await pair.sql('src', 'CREATE TABLE app.events (id bigint PRIMARY KEY, payload text)');
  await pair.sql('src', "INSERT INTO app.events SELECT g, repeat('x', 50) FROM generate_series(1, 20000) g");
  engine = new PostgresEngine({ resolveConnection: (id) => connectionOf(getDeps().dataSources, id), pollIntervalMs: 100, chunkRows: 500, chunkDelayMs: 50 });
  await useLocalRuns({ timeScale: 120, overrides: { engine: new EngineRouter({ simulated: new SimulatedMigrationEngine({ timeScale: 120 }), postgresql: engine }) } });
  const make = async (name: string, port: number) => {
    const r = await call('POST', '/data-sources', { body: { name, engine: 'postgresql', host: '127.0.0.1', port, username: 'postgres', database: DB } });
    if (r.status !== 201) throw new Error(`data source: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.id as string;
  };
  ds = { sourceId: await make('cp-src', pair.source.port), destinationId: await make('cp-dst', pair.dest.port) };
  // A second source: another database on the source cluster, with a table of the same name (the sharded case)
  await pair.sql('src', 'CREATE TABLE app.shards (id bigint PRIMARY KEY, region text NOT NULL, qty integer)');
  await pair.sql('src', "INSERT INTO app.shards SELECT g, 'eu', g FROM generate_series(1, 1200) g");
  await ensureDatabase(pair.source, DB_B);
  src2 = new pg.Client({ ...pair.conn('src'), database: DB_B });
  await src2.connect();
  await src2.query('CREATE SCHEMA app; CREATE TABLE app.shards (id bigint PRIMARY KEY, region text NOT NULL, qty integer)');
  await src2.query("INSERT INTO app.shards SELECT g, 'us', g FROM generate_series(100001, 100900) g");
  await pair.sql('src', "CREATE TABLE app.dup (id bigint PRIMARY KEY, v text); INSERT INTO app.dup SELECT g, 'a' FROM generate_series(1, 300) g");
  await src2.query("CREATE TABLE app.dup (id bigint PRIMARY KEY, v text); INSERT INTO app.dup SELECT g, 'b' FROM generate_series(1001, 1300) g; INSERT INTO app.dup VALUES (7, 'b')");
  const r = await call('POST', '/data-sources', { body: { name: 'cp-src-b', engine: 'postgresql', host: '127.0.0.1', port: pair.source.port, username: 'postgres', database: DB_B } });
  if (r.status !== 201) throw new Error(`data source: ${r.status} ${JSON.stringify(r.body)}`);
  source2 = r.body.id as string;
}, 300_000);

afterAll(async () => {
  await src2?.end().catch(() => {});
  await engine?.close();
  await pair?.stop();
});

describe('a project on the real PostgreSQL engine, through the control plane', () => {
  it('a connection test reports the server and its change capture', async () => {
    // Act
    const r = await post(`/data-sources/${ds.sourceId}/test-connection`);

    // Assess
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ checked: true, reachable: true, authenticated: true, changeCapture: { ok: true } });
    expect(r.body.serverVersion).toMatch(/^1\d/);
  });

  it('a table without a primary key fails the precheck, and start is refused with PRECHECK_NOT_PASSED', async () => {
    // Act
    const created = await call('POST', '/projects', { body: { name: 'no-pk', ...ds, migrationType: ALL, tables: [{ schema: 'app', table: 'notes' }] } });
    const start = await post(`/projects/${created.body.id}/start`);

    // Assess
    expect(created.status).toBe(201);
    expect(created.body.engine).toBe('postgresql');
    expect(created.body.precheck.status).toBe('FAILED');
    expect(created.body.precheck.items).toContainEqual(expect.objectContaining({ status: 'FAILED', message: expect.stringMatching(/primary key/i) }));
    expect(created.body.allowedActions).not.toContain('start');
    expect(start.status).toBe(409);
    expect(start.body.code).toBe('PRECHECK_NOT_PASSED');
  });

  it('a release during the full load drops the slot the sync was given before the copy began', async () => {
    // Prepare: a copy of 40 chunks, caught mid-way
    const created = await call('POST', '/projects', { body: { name: 'events', ...ds, migrationType: ALL, tables: [{ schema: 'app', table: 'events' }] } });
    const id = created.body.id as string;
    expect((await post(`/projects/${id}/start`)).status).toBe(200);
    await waitForProject(id, (p) => subtask(p, 'FULL_MIGRATION').status === 'RUNNING', 'full migration running', 180_000);
    const slotsDuringCopy = await waitFor(() => slots('src'), (n) => n === 1, 'the sync slot made before the first chunk');
    const copiedBefore = Number(subtask(await getProject(id), 'FULL_MIGRATION').progress?.rows ?? 0);

    // Act
    expect((await post(`/projects/${id}/pause`)).status).toBe(200);
    const released = await post(`/projects/${id}/release`);

    // Assess: INCREMENTAL_SYNC never started, yet its slot is gone
    expect(slotsDuringCopy).toBe(1);
    expect(copiedBefore).toBeLessThan(20000);
    expect(released.body.status).toBe('RELEASED');
    expect(subtask(released.body, 'INCREMENTAL_SYNC').status).toBe('PENDING');
    expect(await slots('src')).toBe(0);
  }, 600_000);

  it('copies the rows, syncs changes both ways, verifies, switches over, and release drops every slot', async () => {
    // Prepare
    const created = await call('POST', '/projects', { body: { name: 'orders', ...ds, migrationType: ALL, tables: [{ schema: 'app', table: 'orders' }] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ engine: 'postgresql', precheck: { status: 'PASSED' } });
    const id = created.body.id as string;

    // Act: start, and write on the source while the sync runs
    expect((await post(`/projects/${id}/start`)).status).toBe(200);
    await waitForProject(id, (p) => subtask(p, 'FULL_MIGRATION').status === 'SUCCEEDED', 'full migration done', 180_000);
    await pair.sql('src', "INSERT INTO app.orders (id, customer, amount) VALUES (5001, 'during sync', 9.99)");
    await pair.sql('src', 'UPDATE app.orders SET amount = 0 WHERE id = 1');
    await waitFor(() => pair.sql('dst', 'SELECT amount FROM app.orders WHERE id IN (1, 5001) ORDER BY id'), (rows) => rows.length === 2 && rows[0]?.amount === '0.00', 'changes synced');
    await waitForProject(id, (p) => subtask(p, 'FULL_VERIFICATION').status === 'SUCCEEDED', 'verification done', 180_000);
    const verified = await getProject(id);
    const confirmed = await runSwitchover(id);
    await waitForProject(id, (p) => subtask(p, 'REVERSE_INCREMENTAL_SYNC').status === 'RUNNING', 'reverse sync running', 180_000);
    await pair.sql('dst', "INSERT INTO app.orders (id, customer, amount) VALUES (7001, 'written on the destination', 1.00)");
    await waitFor(() => pair.sql('src', 'SELECT customer FROM app.orders WHERE id = 7001'), (rows) => rows.length === 1, 'reverse change on the source');
    const slotsWhileRunning = (await slots('src')) + (await slots('dst'));
    expect((await post(`/projects/${id}/pause`)).status).toBe(200);
    const released = await post(`/projects/${id}/release`);

    // Assess
    expect(await count('dst', 'app.orders')).toBe(2002);
    expect(subtask(verified, 'FULL_VERIFICATION').progress).toMatchObject({ mismatches: 0 });
    expect(confirmed).toEqual(['CONFIRM_SOURCE_WRITES_STOPPED', 'PROCESS_DATABASE_OBJECTS', 'START_REVERSE_INCREMENTAL']);
    expect(slotsWhileRunning).toBeGreaterThan(0);
    expect(released.status).toBe(200);
    expect(released.body.status).toBe('RELEASED');
    expect(await slots('src')).toBe(0);
    expect(await slots('dst')).toBe(0);
    // Delete leaves the databases' data alone.
    expect((await call('DELETE', `/projects/${id}?confirmName=orders`)).status).toBe(204);
    expect(await count('src', 'app.orders')).toBe(2002);
  }, 600_000);

  it('two sources into one table: both copied and synced, one source paused and resumed alone, verified, and release drops both slots', async () => {
    // Prepare
    const TWO = { ...ALL, reverseIncrementalSync: false };
    const body = { name: 'shards', sourceIds: [ds.sourceId, source2], destinationId: ds.destinationId, migrationType: TWO, tables: [{ schema: 'app', table: 'shards' }] };
    const created = await call('POST', '/projects', { body });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ engine: 'postgresql', precheck: { status: 'PASSED' } });
    const id = created.body.id as string;
    const part = (p: Record<string, any>, sourceId: string) => (subtask(p, 'INCREMENTAL_SYNC').sources as Record<string, any>[]).find((x) => x.sourceId === sourceId);
    const syncing = (p: Record<string, any>) => part(p, ds.sourceId)?.status === 'RUNNING' && part(p, source2)?.status === 'RUNNING';
    const union = async () => [...(await pair.sql('src', 'SELECT t::text AS r FROM app.shards t ORDER BY id')), ...(await src2.query('SELECT t::text AS r FROM app.shards t ORDER BY id')).rows].map((x) => x.r);
    const dest = async () => (await pair.sql('dst', 'SELECT t::text AS r FROM app.shards t ORDER BY id')).map((x) => x.r);

    // Act: start; once both sources sync, pause the second one alone and write on both
    expect((await post(`/projects/${id}/start`)).status).toBe(200);
    await waitForProject(id, syncing, 'both sources syncing', 180_000);
    const pausedOne = await post(`/projects/${id}/pause`, { sources: [source2] });
    await src2.query("INSERT INTO app.shards VALUES (100901, 'us', 1)");
    await pair.sql('src', "INSERT INTO app.shards VALUES (1201, 'eu', 1)");
    await waitFor(() => pair.sql('dst', 'SELECT 1 FROM app.shards WHERE id = 1201'), (r) => r.length === 1, 'the running source\'s change');
    const whilePaused = await pair.sql('dst', 'SELECT 1 FROM app.shards WHERE id = 100901');
    const slotsWhilePaused = await slots('src');
    const resumed = await post(`/projects/${id}/resume`, { sources: [source2] });
    await waitFor(async () => JSON.stringify(await dest()) === JSON.stringify(await union()), Boolean, 'both sources in the destination');
    const verified = await waitForProject(id, (p) => subtask(p, 'FULL_VERIFICATION').status === 'SUCCEEDED', 'verification done', 180_000);
    expect((await post(`/projects/${id}/pause`)).status).toBe(200);
    const released = await post(`/projects/${id}/release`);

    // Assess
    expect(pausedOne.status).toBe(200);
    expect(pausedOne.body.status).toBe('RUNNING');
    expect(whilePaused).toEqual([]);
    expect(slotsWhilePaused).toBe(2);
    expect(resumed.status).toBe(200);
    expect(await dest()).toHaveLength(1200 + 900 + 2);
    expect(subtask(verified, 'FULL_VERIFICATION').progress).toMatchObject({ mismatches: 0 });
    expect(released.body.status).toBe('RELEASED');
    expect(await slots('src')).toBe(0);
  }, 600_000);

  it('a key both sources have fails the part of the source that copies it second, naming table and key; the other source\'s row stays', async () => {
    // Prepare: id 7 is on both sources
    const body = { name: 'dup', sourceIds: [ds.sourceId, source2], destinationId: ds.destinationId, migrationType: { ...ALL, reverseIncrementalSync: false, fullVerification: false }, tables: [{ schema: 'app', table: 'dup' }] };
    const created = await call('POST', '/projects', { body });
    const id = created.body.id as string;
    const parts = (p: Record<string, any>) => subtask(p, 'FULL_MIGRATION').sources as Record<string, any>[];

    // Act
    expect((await post(`/projects/${id}/start`)).status).toBe(200);
    const failed = await waitForProject(id, (p) => p.status === 'FAILED', 'the run failed', 180_000);
    const owners = (await pair.sql('dst', `SELECT rel FROM _migration.owner_tables WHERE project_id = '${id}'`)).map((r) => r.rel as string);
    const ownersThere = async () => (await pair.sql('dst', `SELECT to_regclass(r)::text AS t FROM unnest(ARRAY[${owners.map((r) => `'${r}'`).join(',')}]::text[]) r`)).filter((r) => r.t !== null).length;
    const keptWhileFailed = await ownersThere();
    const released = await post(`/projects/${id}/release`);

    // Assess: exactly one source lost the race for the key, and its row did not overwrite the winner's
    const lost = parts(failed).filter((x) => x.status === 'FAILED');
    expect(lost).toHaveLength(1);
    const loser = lost[0]?.sourceId as string;
    const winner = loser === source2 ? ds.sourceId : source2;
    expect(lost[0]?.lastError).toMatchObject({ code: 'KEY_COLLISION', message: `source ${loser}: table app.dup: key id=7 from source ${loser} is already on the destination from source ${winner} (rows of several sources merged into one table must have distinct keys; nothing was overwritten)` });
    expect(subtask(failed, 'FULL_MIGRATION').lastError).toMatchObject({ code: 'KEY_COLLISION' });
    expect(await pair.sql('dst', 'SELECT v FROM app.dup WHERE id = 7')).toEqual([{ v: winner === source2 ? 'b' : 'a' }]);
    expect(released.body.status).toBe('RELEASED');
    expect(await slots('src')).toBe(0);
    expect(owners).toHaveLength(1); // the key-ownership table of app.dup: kept while the project is FAILED (it may resume) …
    expect(keptWhileFailed).toBe(1);
    expect(await ownersThere()).toBe(0); // … dropped by the release
    expect(await pair.sql('dst', `SELECT count(*) AS n FROM _migration.table_sources WHERE project_id = '${id}'`)).toEqual([{ n: '0' }]);
  }, 600_000);
});
