import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import pg from 'pg';

/**
 * Local PostgreSQL clusters for the tests, the bench and `npm start`: initdb (once per data directory),
 * pg_ctl start/stop, configured for logical decoding and listening on 127.0.0.1 only with trust auth.
 * initdb and postgres refuse to run as root: as root the cluster runs as the `postgres` OS user and its
 * directories are handed to that user.
 */

export interface PgCluster {
  host: '127.0.0.1';
  port: number;
  dataDir: string;
  /** pg_ctl stop -m fast: nothing is left running. */
  stop(): Promise<void>;
}

export interface StartPgClusterOptions {
  dataDir: string;
  port: number;
  socketDir?: string;
  /** false: fsync and synchronous_commit off (tests, bench: faster, not crash-safe). Default true. */
  durable?: boolean;
}

const PG_MAJOR_MIN = 15;

/** The bin directory of the newest PostgreSQL ≥ 15 installed (Debian layout), or PG_BIN. */
export function findPgBin(): string | undefined {
  if (process.env.PG_BIN && existsSync(join(process.env.PG_BIN, 'pg_ctl'))) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .map(Number)
    .filter((v) => Number.isInteger(v) && v >= PG_MAJOR_MIN && existsSync(join(root, String(v), 'bin', 'pg_ctl')))
    .sort((a, b) => b - a);
  return versions[0] === undefined ? undefined : join(root, String(versions[0]), 'bin');
}

/** Finds the server binaries; installs them with apt-get when missing and running as root, else explains. */
export function ensurePostgres(): string {
  const found = findPgBin();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error('PostgreSQL server binaries (>= 15) not found under /usr/lib/postgresql: install them with `sudo apt-get install -y postgresql` (or set PG_BIN)');
  }
  const r = spawnSync('sh', ['-c', 'DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql)'], { stdio: 'inherit' });
  const after = findPgBin();
  if (r.status !== 0 || !after) throw new Error('apt-get install -y postgresql failed: install PostgreSQL >= 15 server binaries by hand');
  return after;
}

/** The OS user the cluster runs as: the current one, or `postgres` when we are root. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) throw new Error('running as root but there is no `postgres` OS user to run PostgreSQL as (initdb refuses root)');
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

function run(bin: string, args: string[], user: { uid: number; gid: number } | undefined, opts: SpawnSyncOptions = {}) {
  return spawnSync(bin, args, { encoding: 'utf8', ...(user ? { uid: user.uid, gid: user.gid } : {}), env: { ...process.env, LC_ALL: 'C', HOME: '/tmp' }, ...opts });
}

/** Makes `dir` (and parents we create) exist and belong to the cluster's user, traversable by it. */
function ownDir(dir: string, user: { uid: number; gid: number } | undefined, mode = 0o700): void {
  mkdirSync(dir, { recursive: true, mode });
  if (!user) return;
  chownSync(dir, user.uid, user.gid);
}

export async function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(true));
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
}

function livePostmaster(dataDir: string): number | undefined {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

function lastLogLine(logFile: string): string {
  if (!existsSync(logFile)) return '';
  const lines = readFileSync(logFile, 'utf8').trim().split('\n');
  return (lines.reverse().find((l) => /FATAL|ERROR|could not/.test(l)) ?? lines[0] ?? '').trim();
}

export async function startPgCluster(options: StartPgClusterOptions): Promise<PgCluster> {
  const bin = ensurePostgres();
  const user = runAs();
  const { dataDir, port } = options;
  const socketDir = options.socketDir ?? dataDir;
  const pid = livePostmaster(dataDir);
  if (pid !== undefined) throw new Error(`PostgreSQL data directory ${dataDir} is locked by another postmaster (pid ${pid})`);
  if (await portInUse(port)) throw new Error(`port ${port} on 127.0.0.1 is already in use: choose another port for the PostgreSQL cluster`);

  // Parents must be traversable by the cluster's user (mkdtemp makes 0700 directories owned by root).
  const parent = dirname(dataDir);
  if (!existsSync(parent)) ownDir(parent, user);
  else if (user && statSync(parent).uid === 0 && (statSync(parent).mode & 0o001) === 0) chownSync(parent, user.uid, user.gid);

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    ownDir(dataDir, user);
    const init = run(join(bin, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'], user);
    if (init.status !== 0) throw new Error(`initdb failed for ${dataDir}: ${String(init.stderr).trim().split('\n').pop()}`);
    const durable = options.durable ?? true;
    const conf = [
      '',
      '# written by infra/local/postgres-local.ts',
      "listen_addresses = '127.0.0.1'",
      'wal_level = logical',
      'max_replication_slots = 32',
      'max_wal_senders = 32',
      'max_connections = 100',
      "timezone = 'UTC'",
      ...(durable ? [] : ['fsync = off', 'synchronous_commit = off', 'full_page_writes = off']),
      '',
    ].join('\n');
    appendFileSync(join(dataDir, 'postgresql.conf'), conf);
  }
  if (socketDir !== dataDir) ownDir(socketDir, user, 0o755);

  const logFile = join(dataDir, 'server.log');
  const start = run(join(bin, 'pg_ctl'), ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1`, 'start'], user);
  if (start.status !== 0) {
    const why = lastLogLine(logFile) || String(start.stderr).trim();
    throw new Error(`PostgreSQL did not start on port ${port} (data ${dataDir}): ${why}`);
  }
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    dataDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (livePostmaster(dataDir) === undefined) return;
      const r = run(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop'], user);
      if (r.status !== 0 && livePostmaster(dataDir) !== undefined) throw new Error(`pg_ctl stop failed for ${dataDir}: ${String(r.stderr).trim()}`);
    },
  };
}

/** Synchronous stop for process exit hooks (a test run that dies must not leave clusters behind). */
export function stopPgClusterSync(dataDir: string): void {
  const bin = findPgBin();
  if (!bin || livePostmaster(dataDir) === undefined) return;
  run(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop'], runAs());
}

export interface PgConn {
  host: string;
  port: number;
  user?: string;
  password?: string;
}

/** Creates database `name` unless it exists (CREATE DATABASE cannot run in a transaction nor IF NOT EXISTS). */
export async function ensureDatabase(conn: PgConn, name: string): Promise<void> {
  const c = new pg.Client({ host: conn.host, port: conn.port, user: conn.user ?? 'postgres', password: conn.password, database: 'postgres' });
  await c.connect();
  try {
    const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (r.rowCount === 0) {
      try {
        await c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } catch (e) {
        if ((e as { code?: string }).code !== '42P04') throw e; // created meanwhile
      }
    }
  } finally {
    await c.end();
  }
}

/** The demo schema of `seedDemo`: common column types, a serial and a sequence, a secondary index, foreign keys. */
export const DEMO_SCHEMA_SQL = `
CREATE SCHEMA IF NOT EXISTS shop;
CREATE SEQUENCE IF NOT EXISTS shop.order_no START 1000;
CREATE TABLE IF NOT EXISTS shop.customers (
  id serial PRIMARY KEY,
  email varchar(200) NOT NULL,
  name text,
  vip boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  profile jsonb
);
CREATE INDEX IF NOT EXISTS customers_email_idx ON shop.customers (email);
CREATE TABLE IF NOT EXISTS shop.products (
  id uuid PRIMARY KEY,
  sku varchar(40) NOT NULL,
  price numeric(12,2) NOT NULL,
  stock integer,
  photo bytea,
  added date
);
CREATE TABLE IF NOT EXISTS shop.orders (
  id bigint PRIMARY KEY DEFAULT nextval('shop.order_no'),
  customer_id integer NOT NULL REFERENCES shop.customers(id),
  placed_at timestamp NOT NULL,
  total numeric(12,2) NOT NULL,
  note text
);
CREATE TABLE IF NOT EXISTS shop.order_items (
  order_id bigint NOT NULL REFERENCES shop.orders(id),
  line integer NOT NULL,
  product_id uuid NOT NULL REFERENCES shop.products(id),
  qty integer NOT NULL,
  PRIMARY KEY (order_id, line)
);
`;

/** Database `shop` (or `database`) with the demo schema and a few rows; running it again changes nothing. */
export async function seedDemo(conn: PgConn, database = 'shop'): Promise<void> {
  await ensureDatabase(conn, database);
  const c = new pg.Client({ host: conn.host, port: conn.port, user: conn.user ?? 'postgres', password: conn.password, database });
  await c.connect();
  try {
    await c.query('SELECT pg_advisory_lock(4242)');
    await c.query(DEMO_SCHEMA_SQL);
    await c.query(`
      INSERT INTO shop.customers (id, email, name, vip, created_at, profile)
      SELECT g, 'user' || g || '@example.com', CASE WHEN g % 7 = 0 THEN NULL ELSE 'Customer ' || g END, g % 5 = 0,
             timestamptz '2024-01-01 00:00:00.123456+00' + g * interval '1 hour 1.000001 second', jsonb_build_object('tier', g % 3, 'tags', jsonb_build_array('a', g))
      FROM generate_series(1, 50) g ON CONFLICT (id) DO NOTHING;
      SELECT setval('shop.customers_id_seq', GREATEST((SELECT max(id) FROM shop.customers), 1));
      INSERT INTO shop.products (id, sku, price, stock, photo, added)
      SELECT md5('product' || g)::uuid, 'SKU-' || lpad(g::text, 4, '0'), round((g * 3.17)::numeric, 2), CASE WHEN g % 4 = 0 THEN NULL ELSE g * 10 END,
             decode(md5(g::text), 'hex'), date '2023-06-01' + g
      FROM generate_series(1, 20) g ON CONFLICT (id) DO NOTHING;
      INSERT INTO shop.orders (id, customer_id, placed_at, total, note)
      SELECT 1000 + g, 1 + (g % 50), timestamp '2024-02-01 12:00:00.000001' + g * interval '37 minutes', round((g * 12.345)::numeric, 2), CASE WHEN g % 3 = 0 THEN 'gift ✓' END
      FROM generate_series(1, 100) g ON CONFLICT (id) DO NOTHING;
      SELECT setval('shop.order_no', GREATEST((SELECT max(id) FROM shop.orders), 1000));
      INSERT INTO shop.order_items (order_id, line, product_id, qty)
      SELECT 1000 + o, l, md5('product' || (1 + (o * l) % 20))::uuid, l
      FROM generate_series(1, 100) o, generate_series(1, 3) l ON CONFLICT DO NOTHING;
    `);
  } finally {
    await c.end();
  }
}
