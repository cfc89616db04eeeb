import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEngine } from '../../shared/adapters/engine/postgres';
import { jobSpecFor, migrationType, settled, startPgPair, waitFor, type PgPair } from '../support/pg-clusters';

/**
 * The real cause README "Trying failures" gives for the PostgreSQL engine: the destination table is
 * dropped while the incremental sync runs, and a change to it arrives. The job must end FAILED with a
 * message that names what is wrong (not hang, not succeed), so the run marks the subtask FAILED with it.
 */
let pair: PgPair;
let engine: PostgresEngine;
const TYPE = migrationType({ incrementalSync: true });
const TABLES = [{ schema: 'shop', table: 'orders' }];
const P = 'p-cause';

beforeAll(async () => {
  pair = await startPgPair('cause');
  await pair.sql('src', `CREATE SCHEMA shop; CREATE TABLE shop.orders (id integer PRIMARY KEY, note text); INSERT INTO shop.orders SELECT g, 'n' || g FROM generate_series(1, 100) g;`);
  engine = new PostgresEngine({ resolveConnection: (id) => pair.resolve(id), pollIntervalMs: 50 });
});

afterAll(async () => {
  await engine?.close();
  await pair?.stop();
});

describe('PostgresEngine: a real failure', () => {
  it('a destination table dropped during the incremental sync fails the sync with the database error', async () => {
    // Prepare: structure, full load, then the sync running
    for (const subtask of ['STRUCTURE_MIGRATION', 'FULL_MIGRATION'] as const) {
      const spec = jobSpecFor(P, subtask, TABLES, TYPE);
      await engine.startJob(spec);
      expect((await waitFor(() => engine.pollJob(spec), settled, subtask))?.state).toBe('SUCCEEDED');
    }
    const sync = jobSpecFor(P, 'INCREMENTAL_SYNC', TABLES, TYPE);
    await engine.startJob(sync);
    await waitFor(() => engine.pollJob(sync), (s) => s?.state === 'RUNNING', 'sync running');

    // Act: the README's commands, on these clusters
    await pair.sql('dst', 'DROP TABLE shop.orders');
    await pair.sql('src', `UPDATE shop.orders SET note = 'changed' WHERE id = 1`);
    const ended = await waitFor(() => engine.pollJob(sync), settled, 'sync ended');

    // Assess
    expect(ended?.state).toBe('FAILED');
    expect(ended?.error?.message).toMatch(/orders/);
    expect(ended?.error?.message).toMatch(/does not exist/);
  });
});
