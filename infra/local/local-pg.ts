import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { PgConnectionConfig } from '../../shared/adapters/engine/postgres';
import type { DataSourceEngine } from '../../shared/domain/data-source';
import type { InstanceLifecycle } from './instance-lifecycle';
import type { InstanceLock } from './instance-lock';
import { ensureDatabase, seedDemo, startPgCluster, stopPgClusterSync, type PgCluster } from './postgres-local';
import { stopWithUs } from './watchdog';

/**
 * `npm start`'s two PostgreSQL clusters: the source (with the demo database `shop` seeded) and the
 * destination (an empty `shop`), their data under the instance's directory so they survive a restart,
 * each owned like DynamoDB Local: stopped on every exit path, by a watchdog if this process is killed,
 * and recorded in the instance lock so a successor stops one a dead instance left running.
 */
export const LOCAL_PG_DATABASE = 'shop';
const LOCAL_PG_USER = 'postgres';

export interface LocalPgClusters {
  source: PgConnectionConfig;
  destination: PgConnectionConfig;
}

/** A data source to register for a local cluster: the body of POST /data-sources. */
export interface LocalDataSource {
  name: 'local-source' | 'local-destination';
  engine: DataSourceEngine;
  host: string;
  port: number;
  username: string;
  database: string;
}

/** The data sources `npm start` registers at boot for its clusters: `local-source` and `local-destination`. */
export function localDataSources(clusters: LocalPgClusters): LocalDataSource[] {
  const spec = (name: LocalDataSource['name'], c: PgConnectionConfig): LocalDataSource => ({
    name,
    engine: 'postgresql',
    host: c.host,
    port: c.port,
    username: c.user,
    database: c.database,
  });
  return [spec('local-source', clusters.source), spec('local-destination', clusters.destination)];
}

export function pgDataDirs(root: string): { source: string; destination: string } {
  return { source: join(root, 'postgres', 'source'), destination: join(root, 'postgres', 'destination') };
}

/** Starts (initdb on first use) one cluster, and hands it to the lifecycle and the lock at once. */
async function startOwned(name: string, dataDir: string, port: number, lifecycle: InstanceLifecycle, lock: InstanceLock): Promise<PgConnectionConfig> {
  const cluster: PgCluster = await startPgCluster({ dataDir, port });
  const postmaster = postmasterPid(dataDir);
  // Fast shutdown (SIGINT) if this process is killed: the postmaster is pg_ctl's daemon, not our child.
  const watchdog = postmaster === undefined ? undefined : stopWithUs(postmaster, dataDir, 'INT');
  if (postmaster !== undefined) lock.addChild(postmaster, dataDir, 'SIGINT');
  lifecycle.own(
    `PostgreSQL (${name})`,
    async () => {
      await cluster.stop();
      watchdog?.cancel();
    },
    () => stopPgClusterSync(dataDir),
  );
  return { host: cluster.host, port: cluster.port, database: LOCAL_PG_DATABASE, user: LOCAL_PG_USER };
}

/** Brings up both clusters and their `shop` databases (the demo data on the source only; idempotent). */
export async function startLocalPgClusters(options: {
  root: string;
  sourcePort: number;
  destinationPort: number;
  lifecycle: InstanceLifecycle;
  lock: InstanceLock;
}): Promise<LocalPgClusters> {
  const { root, lifecycle, lock } = options;
  if (process.getuid?.() === 0) makeTraversable(root);
  const dirs = pgDataDirs(root);
  const source = await startOwned('source', dirs.source, options.sourcePort, lifecycle, lock);
  const destination = await startOwned('destination', dirs.destination, options.destinationPort, lifecycle, lock);
  await seedDemo(source, LOCAL_PG_DATABASE);
  await ensureDatabase(destination, LOCAL_PG_DATABASE);
  return { source, destination };
}

/**
 * As root the clusters run as the `postgres` OS user, which must be able to pass through every directory
 * above its data (a repository under /root, a mkdtemp directory: 0700). Adds o+x (enter, not list) where
 * it is missing, and says so.
 */
function makeTraversable(dir: string): void {
  const changed: string[] = [];
  const parts = resolve(dir).split(sep).filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const path = sep + parts.slice(0, i).join(sep);
    if (!existsSync(path)) break;
    const mode = statSync(path).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(path, (mode & 0o7777) | 0o001);
      changed.push(path);
    }
  }
  if (changed.length) console.log(`(PostgreSQL runs as the postgres user: made ${changed.join(', ')} traversable, o+x)`);
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
