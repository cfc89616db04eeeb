import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEngine, captureName } from '../../shared/adapters/engine/postgres';
import { jobSpecFor, migrationType, settled, startPgPair, tableText, waitFor, type PgPair } from '../support/pg-clusters';

/** INCREMENTAL_SYNC and REVERSE_INCREMENTAL_SYNC from a logical slot, on real clusters. */
let pair: PgPair;
const engines: PostgresEngine[] = [];
const engine = (opts: { chunkRows?: number; chunkDelayMs?: number } = {}) => {
  const e = new PostgresEngine({ resolveConnection: (id) => pair.resolve(id), pollIntervalMs: 50, ...opts });
  engines.push(e);
  return e;
};
const TYPE = migrationType({ incrementalSync: true, reverseIncrementalSync: true });
const TABLES = [
  { schema: 'app', table: 'items' },
  { schema: 'app', table: 'notes' },
];
const P = 'p-sync';

beforeAll(async () => {
  pair = await startPgPair('sync');
  await pair.sql(
    'src',
    `CREATE SCHEMA app;
     CREATE TABLE app.items (id integer PRIMARY KEY, name text NOT NULL, qty integer, at timestamptz, price numeric(14,4), big text);
     INSERT INTO app.items SELECT g, 'item ' || g, g % 13, timestamptz '2024-05-01 00:00:00.000001+00' + g * interval '1.000001 s', g / 3.0, NULL FROM generate_series(1, 2000) g;
     CREATE TABLE app.notes (k text PRIMARY KEY, body text);
     INSERT INTO app.notes SELECT 'n' || g, 'note ' || g FROM generate_series(1, 50) g;`,
  );
});

afterAll(async () => {
  for (const e of engines) await e.close();
  await pair?.stop();
});

const same = async (table: string, key: string) => {
  const [a, b] = await Promise.all([tableText(pair, 'src', table, key), tableText(pair, 'dst', table, key)]);
  return JSON.stringify(a) === JSON.stringify(b);
};
const slots = async (side: 'src' | 'dst') => (await pair.sql(side, 'SELECT slot_name FROM pg_replication_slots ORDER BY 1')).map((r) => r.slot_name);
const publications = async (side: 'src' | 'dst') => (await pair.sql(side, 'SELECT pubname FROM pg_publication ORDER BY 1')).map((r) => r.pubname);

describe('PostgresEngine: incremental sync', () => {
  const e = () => engines[0] as PostgresEngine;
  const sync = jobSpecFor(P, 'INCREMENTAL_SYNC', TABLES, TYPE);

  it('captures from before the first chunk: writes made during the copy (insert, update, delete, key change) all arrive once the sync runs', async () => {
    // Prepare
    engine({ chunkRows: 100, chunkDelayMs: 30 });
    const structure = jobSpecFor(P, 'STRUCTURE_MIGRATION', TABLES, TYPE);
    await e().startJob(structure);
    await waitFor(() => e().pollJob(structure), settled, 'structure');
    const full = jobSpecFor(P, 'FULL_MIGRATION', TABLES, TYPE);
    await e().startJob(full);
    await waitFor(() => e().pollJob(full), (s) => (s?.tables?.[0]?.rows ?? 0) >= 300, 'copy under way');
    // Act: concurrent writes on the source, ahead of and behind the copy
    await pair.sql(
      'src',
      `BEGIN;
       INSERT INTO app.items (id, name, qty) SELECT g, 'new ' || g, 1 FROM generate_series(5001, 5050) g;
       UPDATE app.items SET qty = qty + 100, at = '2030-01-01 00:00:00.123456+00' WHERE id IN (10, 1900);
       DELETE FROM app.items WHERE id IN (20, 1950);
       COMMIT;
       UPDATE app.items SET id = 9000 WHERE id = 30;
       UPDATE app.items SET id = 9001, name = 'moved' WHERE id = 1990;
       INSERT INTO app.items (id, name) VALUES (7000, 'born'); UPDATE app.items SET name = 'grown' WHERE id = 7000; DELETE FROM app.items WHERE id = 7000;
       UPDATE app.notes SET body = NULL WHERE k = 'n1';`,
    );
    const copied = await waitFor(() => e().pollJob(full), settled, 'full load');
    await e().startJob(sync);
    await waitFor(() => same('app.items', 'id'), Boolean, 'items in sync');
    const status = await waitFor(() => e().pollJob(sync), (s) => s?.caughtUp === true, 'caught up');
    // Assess
    expect(copied?.state).toBe('SUCCEEDED');
    expect(await slots('src')).toContain(captureName(P, 'f'));
    expect(await same('app.notes', 'k')).toBe(true);
    const moved = await pair.sql('dst', 'SELECT id FROM app.items WHERE id IN (30, 1990, 9000, 9001, 7000, 20) ORDER BY id');
    expect(moved.map((r) => r.id)).toEqual(['9000', '9001']);
    expect(status?.state).toBe('RUNNING');
    expect(status?.lag).toEqual({ seconds: 0, bytes: 0 });
    expect(status?.progress).toMatchObject({ percent: 100, lagSeconds: 0, lagBytes: 0 });
    expect(status?.progress.events).toBeGreaterThan(0);
    expect(status?.checkpoint).toMatch(/^pg-lsn:[0-9A-F]+\/[0-9A-F]+$/);
  });

  it('applies later changes in commit order, including updates that leave a TOASTed value unchanged', async () => {
    // Prepare
    // hex of md5s: barely compressible, so stored out of line (TOAST) and not sent again by updates that leave it unchanged
    await pair.sql('src', `UPDATE app.items SET big = (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 700) g) WHERE id = 40`);
    const toasted = await pair.sql('src', `SELECT pg_column_size(big) AS stored FROM app.items WHERE id = 40`);
    expect(Number(toasted[0]?.stored)).toBeGreaterThan(2000);
    await waitFor(() => same('app.items', 'id'), Boolean, 'big value applied');
    // Act
    await pair.sql('src', `UPDATE app.items SET qty = 4242 WHERE id = 40; UPDATE app.items SET id = 9040 WHERE id = 40; INSERT INTO app.notes VALUES ('n-late', 'late')`);
    await waitFor(() => same('app.items', 'id'), Boolean, 'toast row updated and moved');
    // Assess
    const row = await pair.sql('dst', 'SELECT qty, length(big) AS len FROM app.items WHERE id = 9040');
    expect(row).toEqual([{ qty: '4242', len: String(700 * 32) }]);
    expect(await same('app.notes', 'k')).toBe(true);
  });

  it('caughtUp is never stale: the first poll after a write that says caught up finds the write applied', async () => {
    // Prepare
    await waitFor(() => e().pollJob(sync), (s) => s?.caughtUp === true, 'caught up before the write');
    // Act
    await pair.sql('src', `INSERT INTO app.notes VALUES ('n-fresh', 'just written')`);
    const status = await waitFor(() => e().pollJob(sync), (s) => s?.caughtUp === true, 'caught up after the write', 200);
    const applied = await pair.sql('dst', `SELECT body FROM app.notes WHERE k = 'n-fresh'`);
    // Assess
    expect(status?.lag).toEqual({ seconds: 0, bytes: 0 });
    expect(applied).toEqual([{ body: 'just written' }]);
  });

  it('a paused sync applies nothing and keeps its slot; resumed, it continues from the confirmed LSN', async () => {
    // Prepare
    const before = await e().pollJob(sync);
    // Act
    const paused = await e().pauseJob(sync);
    await pair.sql('src', `INSERT INTO app.notes VALUES ('n-paused', 'written while paused')`);
    const whilePaused = await pair.sql('dst', `SELECT count(*) AS n FROM app.notes WHERE k = 'n-paused'`);
    const slotKept = await slots('src');
    await e().resumeJob({ ...sync, run: (sync.run ?? 1) + 1 }); // the next run resumes (the pausing run cannot)
    await waitFor(() => same('app.notes', 'k'), Boolean, 'resumed sync applies the write');
    // Assess
    expect(before?.state).toBe('RUNNING');
    expect(paused?.state).toBe('PAUSED');
    expect(whilePaused[0]?.n).toBe('0');
    expect(slotKept).toContain(captureName(P, 'f'));
    expect((await e().pollJob(sync))?.state).toBe('RUNNING');
  });

  it('a new engine instance (restart) re-attaches the running sync on its first poll', async () => {
    // Prepare
    await e().close();
    await pair.sql('src', `UPDATE app.notes SET body = 'after restart' WHERE k = 'n2'`);
    const restarted = engine();
    // Act
    const seen = await restarted.pollJob(sync);
    await waitFor(() => same('app.notes', 'k'), Boolean, 'sync continued by the new instance');
    // Assess
    expect(seen?.state).toBe('RUNNING');
    expect((await pair.sql('dst', `SELECT body FROM app.notes WHERE k = 'n2'`))[0]?.body).toBe('after restart');
    engines.splice(0, 1); // the restarted instance is the one the next tests use
  });

  it('ignores a pause or stop from a run older than the one that started the job (fencing)', async () => {
    // Act
    const pause = await e().pauseJob({ ...sync, run: 0 });
    const stop = await e().stopJob({ ...sync, run: 0 });
    // Assess
    expect(pause?.state).toBe('RUNNING');
    expect(stop?.state).toBe('RUNNING');
    expect(await slots('src')).toContain(captureName(P, 'f'));
  });

  it('stopping the sync (switchover) ends it for good and drops its slot and publication', async () => {
    // Act
    // The run that resumed it stops it (an older run's stop is fenced).
    const stopped = await e().stopJob({ ...sync, run: 2 });
    const again = await e().stopJob({ ...sync, run: 2 });
    // Assess
    expect(stopped?.state).toBe('SUCCEEDED');
    expect(again?.state).toBe('SUCCEEDED');
    expect(await slots('src')).not.toContain(captureName(P, 'f'));
    expect(await publications('src')).not.toContain(captureName(P, 'f'));
  });

  it('REVERSE_INCREMENTAL_SYNC applies destination changes back to the source until stopped, then drops its slot', async () => {
    // Prepare: the reverse slot exists from START_DESTINATION_STORE on, before the application writes there
    const reverse = jobSpecFor(P, 'REVERSE_INCREMENTAL_SYNC', TABLES, TYPE);
    const step = await e().switchoverStep({ ...reverse, subtask: 'FORWARD_SWITCHOVER' }, 'START_DESTINATION_STORE');
    await pair.sql('dst', `INSERT INTO app.notes VALUES ('from-dest', 'written on the destination'); UPDATE app.items SET name = 'renamed on dest' WHERE id = 1; DELETE FROM app.items WHERE id = 2; UPDATE app.items SET id = 9002 WHERE id = 3`);
    // Act
    await e().startJob(reverse);
    await waitFor(() => same('app.notes', 'k'), Boolean, 'notes back on the source');
    await waitFor(() => same('app.items', 'id'), Boolean, 'items back on the source');
    const stopped = await e().stopJob(reverse);
    // Assess
    expect(step).toMatchObject({ done: true, detail: { reverseSlot: captureName(P, 'r') } });
    expect((await pair.sql('src', `SELECT name FROM app.items WHERE id = 1`))[0]?.name).toBe('renamed on dest');
    expect(stopped?.state).toBe('SUCCEEDED');
    expect(await slots('dst')).not.toContain(captureName(P, 'r'));
    expect(await publications('dst')).not.toContain(captureName(P, 'r'));
  });

  it('a release before the sync ever started still drops the slot the full load made', async () => {
    // Prepare
    const project = 'p-release';
    const full = jobSpecFor(project, 'FULL_MIGRATION', [{ schema: 'app', table: 'notes' }], TYPE);
    await e().startJob(full);
    await waitFor(() => e().pollJob(full), settled, 'full load');
    const before = await slots('src');
    // Act
    const stopped = await e().stopJob(jobSpecFor(project, 'INCREMENTAL_SYNC', [{ schema: 'app', table: 'notes' }], TYPE));
    // Assess
    expect(before).toContain(captureName(project, 'f'));
    expect(stopped).toBeUndefined();
    expect(await slots('src')).not.toContain(captureName(project, 'f'));
    expect(await publications('src')).not.toContain(captureName(project, 'f'));
  });
});
