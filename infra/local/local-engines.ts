import { EngineRouter } from '../../shared/adapters/engine/engine-router';
import { PostgresEngine, type PgConnectionConfig } from '../../shared/adapters/engine/postgres';
import type { DataSourceRecord } from '../../shared/domain/data-source';
import type { DataSourceStore, MigrationEngine } from '../../shared/ports';
import { createDataSource } from '../../shared/usecases/data-sources';
import type { Deps } from '../../shared/usecases/deps';
import type { LocalDataSource } from './local-pg';

/**
 * The engines of the embedded default: the real PostgreSQL engine for PostgreSQL → PostgreSQL projects,
 * the SIMULATED engine for every other pair. The PostgreSQL engine connects with a data source's host,
 * port, database and username; the password, if the server wants one, comes from the environment
 * variable PGPASSWORD_<DATA SOURCE NAME> (upper case, '-' as '_'), never from the table. The clusters of
 * `npm start` trust loopback connections and need none.
 */
export function localEngines(dataSources: DataSourceStore, simulated: MigrationEngine): { router: EngineRouter; postgres: PostgresEngine } {
  const postgres = new PostgresEngine({ resolveConnection: (id) => connectionOf(dataSources, id) });
  return { router: new EngineRouter({ simulated, postgresql: postgres }), postgres };
}

export async function connectionOf(dataSources: DataSourceStore, id: string, env: NodeJS.ProcessEnv = process.env): Promise<PgConnectionConfig> {
  const ds = await dataSources.get(id);
  if (!ds) throw new Error(`data source ${id} does not exist`);
  if (ds.engine !== 'postgresql') throw new Error(`data source ${ds.name} is ${ds.engine}, not postgresql`);
  if (!ds.database) throw new Error(`data source ${ds.name} names no database`);
  const password = env[passwordVariable(ds)];
  return { host: ds.host, port: ds.port, database: ds.database, user: ds.username, ...(password ? { password } : {}) };
}

export const passwordVariable = (ds: Pick<DataSourceRecord, 'name'>) => `PGPASSWORD_${ds.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

/**
 * Registers the local clusters as data sources once: an existing data source of the same name is kept
 * as it is (a restart registers nothing new). Reads at most a few pages of data sources.
 */
export async function registerLocalDataSources(deps: Deps, wanted: readonly LocalDataSource[]): Promise<DataSourceRecord[]> {
  const byName = new Map<string, DataSourceRecord>();
  let nextToken: string | undefined;
  for (let page = 0; page < 20; page++) {
    const listed = await deps.dataSources.list(100, nextToken);
    for (const ds of listed.items) if (!byName.has(ds.name)) byName.set(ds.name, ds);
    nextToken = listed.nextToken;
    if (!nextToken || wanted.every((w) => byName.has(w.name))) break;
  }
  const out: DataSourceRecord[] = [];
  for (const w of wanted) out.push(byName.get(w.name) ?? (await createDataSource(deps, { ...w })));
  return out;
}
