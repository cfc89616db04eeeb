import pg from 'pg';
import type { JobSpec } from '../../../ports';
import { describeTable, listTables, regclassOf } from './catalog';
import { clientConfig, type PgConnectionConfig } from './connections';

export interface ConnectionReport {
  reachable: boolean;
  authenticated: boolean;
  serverVersion?: string;
  changeCapture?: { walLevel: string; replicationPrivilege: boolean; freeSlots: number; ok: boolean };
  error?: string;
}

const AUTH_CODES = new Set(['28P01', '28000']);

async function connect(conn: PgConnectionConfig): Promise<pg.Client> {
  const c = new pg.Client({ ...clientConfig(conn, 'migration-check'), connectionTimeoutMillis: 5000 });
  c.on('error', () => {});
  await c.connect();
  return c;
}

/** Can we reach and log in to the server, and could it feed a logical replication slot? */
export async function testConnection(conn: PgConnectionConfig): Promise<ConnectionReport> {
  let c: pg.Client;
  try {
    c = await connect(conn);
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    const message = String((e as Error)?.message ?? e);
    // 3D000 (no such database) also means the server answered and accepted the login
    if (AUTH_CODES.has(code)) return { reachable: true, authenticated: false, error: message };
    if (code === '3D000') return { reachable: true, authenticated: true, error: message };
    return { reachable: false, authenticated: false, error: message };
  }
  try {
    const v = await c.query<{ v: string; wal: string; priv: string | null; max: string; used: string }>(
      `SELECT current_setting('server_version') AS v, current_setting('wal_level') AS wal,
              (SELECT (rolsuper OR rolreplication)::text FROM pg_roles WHERE rolname = current_user) AS priv,
              current_setting('max_replication_slots') AS max, (SELECT count(*)::text FROM pg_replication_slots) AS used`,
    );
    const row = v.rows[0];
    const walLevel = row?.wal ?? 'unknown';
    const replicationPrivilege = row?.priv === 'true';
    const freeSlots = Math.max(0, Number(row?.max ?? 0) - Number(row?.used ?? 0));
    return {
      reachable: true,
      authenticated: true,
      serverVersion: row?.v ?? 'unknown',
      changeCapture: { walLevel, replicationPrivilege, freeSlots, ok: walLevel === 'logical' && replicationPrivilege && freeSlots > 0 },
    };
  } finally {
    await c.end().catch(() => {});
  }
}

export interface PrecheckItem {
  name: string;
  status: 'PASSED' | 'FAILED';
  message: string;
}

/**
 * Before a project starts: both sides connect, every selected table exists on the source with a primary
 * key (a table without one is refused), destination tables are absent or empty, and change capture is
 * possible where the migration type needs it. With several sources every source is checked on its own
 * (items named `SOURCE_…:<sourceId>`), and a reverse sync is refused (it would write back to one source).
 */
export async function precheck(spec: Pick<JobSpec, 'sourceIds' | 'destinationId' | 'tables' | 'migrationType'>, resolve: (id: string) => Promise<PgConnectionConfig>): Promise<PrecheckItem[]> {
  const items: PrecheckItem[] = [];
  const item = (name: string, ok: boolean, message: string) => items.push({ name, status: ok ? 'PASSED' : 'FAILED', message });
  const many = spec.sourceIds.length > 1;
  const named = (name: string, sourceId: string) => (many ? `${name}:${sourceId}` : name);
  const destConn = await resolve(spec.destinationId);
  const dst = await testConnection(destConn);
  const sources: { id: string; conn: PgConnectionConfig; ok: boolean }[] = [];
  for (const id of spec.sourceIds) {
    const conn = await resolve(id);
    const src = await testConnection(conn);
    item(named('SOURCE_CONNECTION', id), src.authenticated && !src.error, src.error ?? `connected (PostgreSQL ${src.serverVersion})`);
    if (spec.migrationType.incrementalSync) {
      const cc = src.changeCapture;
      item(named('SOURCE_CHANGE_CAPTURE', id), Boolean(cc?.ok), cc ? `wal_level=${cc.walLevel}, replication privilege ${cc.replicationPrivilege ? 'yes' : 'no'}, ${cc.freeSlots} free slots` : 'not connected');
    }
    sources.push({ id, conn, ok: src.authenticated && !src.error });
  }
  item('DESTINATION_CONNECTION', dst.authenticated && !dst.error, dst.error ?? `connected (PostgreSQL ${dst.serverVersion})`);
  if (spec.migrationType.reverseIncrementalSync) {
    const cc = dst.changeCapture;
    item('DESTINATION_CHANGE_CAPTURE', Boolean(cc?.ok), cc ? `wal_level=${cc.walLevel}, replication privilege ${cc.replicationPrivilege ? 'yes' : 'no'}, ${cc.freeSlots} free slots` : 'not connected');
    if (many) item('REVERSE_SYNC_SINGLE_SOURCE', false, 'reverse incremental sync writes back to one source: a project with several sources cannot have it');
  }
  if (sources.some((s) => !s.ok) || !dst.authenticated || dst.error) return items;
  const d = await connect(destConn);
  try {
    const notEmpty = new Set<string>();
    const missingOn = new Map<string, number>();
    for (const source of sources) {
      const s = await connect(source.conn);
      try {
        const tables = spec.tables ?? (await listTables(s));
        const missing: string[] = [];
        const noKey: string[] = [];
        for (const t of tables) {
          const name = `${t.schema}.${t.table}`;
          const info = await describeTable(s, t);
          if (!info) missing.push(name);
          else if (!info.key.length) noKey.push(name);
          if (!notEmpty.has(name) && (await describeTable(d, t))) {
            const r = await d.query(`SELECT 1 FROM ${regclassOf(t)} LIMIT 1`);
            if (r.rowCount) notEmpty.add(name);
          }
        }
        for (const m of missing) missingOn.set(m, (missingOn.get(m) ?? 0) + 1);
        // With several sources a listed table may be on some of them only (it must be on one: below).
        item(named('SOURCE_TABLES_EXIST', source.id), many || missing.length === 0, missing.length ? `missing on the source: ${missing.join(', ')}` : `${tables.length} tables found`);
        item(named('PRIMARY_KEYS', source.id), noKey.length === 0, noKey.length ? `without a primary key (refused): ${noKey.join(', ')}` : 'every table has a primary key');
      } finally {
        await s.end().catch(() => {});
      }
    }
    if (many) {
      const nowhere = [...missingOn].filter(([, n]) => n === sources.length).map(([t]) => t);
      item('TABLES_ON_SOME_SOURCE', nowhere.length === 0, nowhere.length ? `on no source: ${nowhere.join(', ')}` : 'every table is on at least one source');
    }
    item('DESTINATION_TABLES_EMPTY', notEmpty.size === 0, notEmpty.size ? `not empty on the destination: ${[...notEmpty].join(', ')}` : 'destination tables are absent or empty');
  } finally {
    await d.end().catch(() => {});
  }
  return items;
}
