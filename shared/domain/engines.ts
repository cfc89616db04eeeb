import type { DataSourceRecord } from './data-source';
import type { EngineKind } from './project';

/**
 * Which engine runs a project: data, chosen at creation from its data sources and the engines this
 * deployment serves. PostgreSQL → PostgreSQL gets the real PostgreSQL engine where it runs (the embedded
 * default); AWS DMS runs what it supports where it is deployed; any other pair runs on the SIMULATED
 * engine (no data moves), labelled as such on the project.
 */
const DMS_ENGINES = new Set(['mysql', 'postgresql', 'oracle', 'sqlserver', 'mariadb', 'db2']);

export function chooseEngine(source: Pick<DataSourceRecord, 'engine'>, destination: Pick<DataSourceRecord, 'engine'>, available: readonly EngineKind[]): EngineKind | undefined {
  if (source.engine === 'postgresql' && destination.engine === 'postgresql' && available.includes('postgresql')) return 'postgresql';
  if (available.includes('aws-dms') && DMS_ENGINES.has(source.engine) && DMS_ENGINES.has(destination.engine)) return 'aws-dms';
  if (available.includes('simulated')) return 'simulated';
  return undefined;
}
