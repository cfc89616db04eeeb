import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ensureDatabase, portInUse, startPgCluster, stopPgClusterSync, type PgCluster } from '../../infra/local/postgres-local';
import type { MigrationType, TableRef } from '../../shared/domain/project';
import type { SubtaskType } from '../../shared/domain/subtasks';
import type { JobSpec, JobStatus } from '../../shared/ports';
import type { PgConnectionConfig } from '../../shared/adapters/engine/postgres';

/**
 * Two real PostgreSQL clusters (source and destination) for one test file: started in beforeAll, in a
 * temp directory of their own, on the first free pair of ports from 55432; stopped (and removed) in
 * afterAll, and at process exit if a run dies.
 */
export interface PgPair {
  source: PgCluster;
  dest: PgCluster;
  /** The engine's resolveConnection: 'src' and 'dst' data sources on this file's database. */
  resolve: (id: string) => Promise<PgConnectionConfig>;
  conn(side: 'src' | 'dst'): PgConnectionConfig;
  /** One query on a side, values as text. */
  sql<T extends Record<string, unknown> = Record<string, string | null>>(side: 'src' | 'dst', text: string, values?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

const RAW = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;

async function startOn(base: string, name: string): Promise<PgCluster> {
  let lastError: unknown;
  for (let port = 55432; port < 55832; port++) {
    if (await portInUse(port)) continue;
    try {
      return await startPgCluster({ dataDir: join(base, name), port, durable: false });
    } catch (e) {
      lastError = e; // another test file took the port meanwhile: the next one
      if (!/port|bind|in use/i.test(String((e as Error).message))) throw e;
    }
  }
  throw lastError ?? new Error('no free port for a PostgreSQL cluster');
}

export async function startPgPair(database: string): Promise<PgPair> {
  const base = mkdtempSync(join(tmpdir(), `pg-engine-${database}-`));
  const onExit = () => {
    stopPgClusterSync(join(base, 'source'));
    stopPgClusterSync(join(base, 'dest'));
  };
  process.on('exit', onExit);
  const source = await startOn(base, 'source');
  const dest = await startOn(base, 'dest');
  await ensureDatabase(source, database);
  await ensureDatabase(dest, database);
  const conn = (side: 'src' | 'dst'): PgConnectionConfig => ({ host: '127.0.0.1', port: side === 'src' ? source.port : dest.port, database, user: 'postgres' });
  const clients = new Map<string, pg.Client>();
  const client = async (side: 'src' | 'dst') => {
    let c = clients.get(side);
    if (!c) {
      c = new pg.Client({ ...conn(side), types: RAW, options: '-c TimeZone=UTC -c extra_float_digits=3' });
      await c.connect();
      clients.set(side, c);
    }
    return c;
  };
  return {
    source,
    dest,
    conn,
    resolve: async (id) => {
      if (id !== 'src' && id !== 'dst') throw new Error(`unknown data source ${id}`);
      return conn(id);
    },
    async sql(side, text, values) {
      return (await (await client(side)).query(text, values)).rows;
    },
    async stop() {
      for (const c of clients.values()) await c.end().catch(() => {});
      await source.stop();
      await dest.stop();
      process.off('exit', onExit);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

export const migrationType = (over: Partial<MigrationType> = {}): MigrationType => ({
  structureMigration: true,
  fullMigration: true,
  incrementalSync: false,
  fullVerification: true,
  reverseIncrementalSync: false,
  ...over,
});

export function jobSpecFor(projectId: string, subtask: SubtaskType, tables: TableRef[] | null, type: MigrationType, run = 1): JobSpec {
  return { jobId: `${projectId}.${subtask}`, projectId, subtask, engine: 'postgresql', sourceIds: ['src'], destinationId: 'dst', run, tables, migrationType: type };
}

/** Polls until `done` holds (bounded: fails with the last value seen, never on timing). */
export async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string, tries = 1200, delayMs = 50): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < tries; i++) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, delayMs));
  }
  throw new Error(`gave up waiting for ${what}; last seen: ${JSON.stringify(last)?.slice(0, 2000)}`);
}

export const settled = (s: JobStatus | undefined) => s !== undefined && s.state !== 'RUNNING';

/** Every row of a table as text, in key order: what "arrived exactly" is compared on. */
export async function tableText(pair: PgPair, side: 'src' | 'dst', table: string, orderBy: string): Promise<string[]> {
  const rows = await pair.sql<{ r: string }>(side, `SELECT t::text AS r FROM ${table} t ORDER BY ${orderBy}`);
  return rows.map((x) => x.r);
}
