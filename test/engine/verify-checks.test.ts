import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEngine, precheck, testConnection } from '../../shared/adapters/engine/postgres';
import { seedDemo, startPgCluster } from '../../infra/local/postgres-local';
import { jobSpecFor, migrationType, settled, startPgPair, waitFor, type PgPair } from '../support/pg-clusters';

/** FULL_VERIFICATION, precheck, testConnection and the cluster manager's refusals, on real clusters. */
let pair: PgPair;
let engine: PostgresEngine;
const TYPE = migrationType({ incrementalSync: true });
const TABLES = ['customers', 'products', 'orders', 'order_items'].map((table) => ({ schema: 'shop', table }));

beforeAll(async () => {
  pair = await startPgPair('verify');
  await seedDemo({ host: '127.0.0.1', port: pair.source.port }, 'verify');
  await seedDemo({ host: '127.0.0.1', port: pair.source.port }, 'verify'); // idempotent: no duplicate, no error
  engine = new PostgresEngine({ resolveConnection: (id) => pair.resolve(id), pollIntervalMs: 50, chunkRows: 40 });
  for (const subtask of ['STRUCTURE_MIGRATION', 'FULL_MIGRATION'] as const) {
    const spec = jobSpecFor('p-verify', subtask, TABLES, migrationType());
    await engine.startJob(spec);
    await waitFor(() => engine.pollJob(spec), settled, subtask);
  }
});

afterAll(async () => {
  await engine?.close();
  await pair?.stop();
});

describe('PostgresEngine: full verification', () => {
  it('finds no mismatch when both sides hold the same rows', async () => {
    // Prepare
    const spec = jobSpecFor('p-verify', 'FULL_VERIFICATION', TABLES, migrationType());
    // Act
    await engine.startJob(spec);
    const status = await waitFor(() => engine.pollJob(spec), settled, 'verification');
    // Assess
    expect(status?.state).toBe('SUCCEEDED');
    expect(status?.progress).toMatchObject({ percent: 100, mismatches: 0, rowsCompared: 50 + 20 + 100 + 300 });
    expect(status?.tables?.every((t) => t.mismatches === 0 && t.done)).toBe(true);
  });

  it('finds rows changed, removed or added behind its back, with their keys (the job SUCCEEDS with mismatches > 0)', async () => {
    // Prepare
    await pair.sql('dst', `UPDATE shop.orders SET total = total + 0.01 WHERE id = 1050`);
    await pair.sql('dst', `UPDATE shop.customers SET created_at = created_at + interval '1 microsecond' WHERE id = 7`);
    await pair.sql('dst', `DELETE FROM shop.order_items WHERE order_id = 1099 AND line = 2`);
    await pair.sql('dst', `INSERT INTO shop.orders (id, customer_id, placed_at, total) VALUES (999999, 1, now(), 1)`);
    const spec = jobSpecFor('p-verify-2', 'FULL_VERIFICATION', TABLES, migrationType());
    // Act
    await engine.startJob(spec);
    const status = await waitFor(() => engine.pollJob(spec), settled, 'verification');
    // Assess
    expect(status?.state).toBe('SUCCEEDED');
    expect(status?.progress.mismatches).toBe(4);
    const byTable = Object.fromEntries((status?.tables ?? []).map((t) => [t.table, t]));
    expect(byTable.orders).toMatchObject({ mismatches: 2, mismatchedKeys: ['id=1050', 'id=999999'] });
    expect(byTable.customers).toMatchObject({ mismatches: 1, mismatchedKeys: ['id=7'] });
    expect(byTable.order_items).toMatchObject({ mismatches: 1, mismatchedKeys: ['order_id=1099,line=2'] });
    expect(byTable.products).toMatchObject({ mismatches: 0, mismatchedKeys: [] });
  });
});

describe('precheck and testConnection', () => {
  it('testConnection reports a reachable server, its version and whether change capture is possible', async () => {
    // Act
    const ok = await testConnection(pair.conn('src'));
    const down = await testConnection({ ...pair.conn('src'), port: 1 });
    // Assess
    expect(ok).toMatchObject({ reachable: true, authenticated: true, changeCapture: { walLevel: 'logical', replicationPrivilege: true, ok: true } });
    expect(ok.serverVersion).toMatch(/^1[5-9]/);
    expect(ok.changeCapture?.freeSlots).toBeGreaterThan(0);
    expect(down.reachable).toBe(false);
    expect(down.error).toBeTruthy();
  });

  it('refuses a table without primary key, a missing table and a non-empty destination table', async () => {
    // Prepare
    await pair.sql('src', 'CREATE TABLE shop.no_key (a int, b text)');
    const spec = jobSpecFor('p-pre', 'STRUCTURE_MIGRATION', [...TABLES, { schema: 'shop', table: 'no_key' }, { schema: 'shop', table: 'ghost' }], TYPE);
    // Act
    const items = await precheck(spec, pair.resolve);
    // Assess
    const byName = Object.fromEntries(items.map((i) => [i.name, i]));
    expect(byName.SOURCE_CONNECTION?.status).toBe('PASSED');
    expect(byName.DESTINATION_CONNECTION?.status).toBe('PASSED');
    expect(byName.SOURCE_CHANGE_CAPTURE?.status).toBe('PASSED');
    expect(byName.PRIMARY_KEYS).toMatchObject({ status: 'FAILED', message: expect.stringContaining('shop.no_key') });
    expect(byName.SOURCE_TABLES_EXIST).toMatchObject({ status: 'FAILED', message: expect.stringContaining('shop.ghost') });
    expect(byName.DESTINATION_TABLES_EMPTY).toMatchObject({ status: 'FAILED', message: expect.stringContaining('shop.customers') });
  });

  it('a job over a table without primary key fails with NO_PRIMARY_KEY', async () => {
    // Prepare
    const spec = jobSpecFor('p-nokey', 'STRUCTURE_MIGRATION', [{ schema: 'shop', table: 'no_key' }], TYPE);
    // Act
    await engine.startJob(spec);
    const status = await waitFor(() => engine.pollJob(spec), settled, 'job over a table without key');
    // Assess
    expect(status).toMatchObject({ state: 'FAILED', error: { code: 'NO_PRIMARY_KEY' } });
  });
});

describe('the local cluster manager', () => {
  const base = mkdtempSync(join(tmpdir(), 'pg-engine-refusals-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('refuses, in one line, a port that is taken and a data directory locked by another postmaster', async () => {
    // Act
    const portTaken = await startPgCluster({ dataDir: join(base, 'x'), port: pair.source.port }).catch((e: Error) => e);
    const locked = await startPgCluster({ dataDir: pair.source.dataDir, port: pair.source.port + 500 }).catch((e: Error) => e);
    // Assess
    expect(String(portTaken)).toMatch(/port \d+ on 127\.0\.0\.1 is already in use/);
    expect(String(locked)).toMatch(/is locked by another postmaster \(pid \d+\)/);
    expect(String(locked).includes('\n')).toBe(false);
  });
});
