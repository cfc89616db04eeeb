import { isoAt } from '../domain/clock';
import type { DataSourceRecord } from '../domain/data-source';
import { DomainError, notFound } from '../domain/errors';
import { DataSourceInUse, type ConnectionTest, type Page } from '../ports';
import type { Deps } from './deps';

/** What a caller gives: everything but what the control plane assigns. */
export type CreateDataSourceInput = Omit<DataSourceRecord, 'id' | 'createdAt' | 'refCount'>;

export async function createDataSource(deps: Deps, input: CreateDataSourceInput): Promise<DataSourceRecord> {
  const ds: DataSourceRecord = { id: deps.newId(), ...input, createdAt: isoAt(deps.clock.nowMs()), refCount: 0 };
  await deps.dataSources.create(ds);
  return ds;
}

export async function getDataSource(deps: Deps, id: string): Promise<DataSourceRecord> {
  const ds = await deps.dataSources.get(id);
  if (!ds) throw notFound('DATA_SOURCE_NOT_FOUND', id);
  return ds;
}

export async function listDataSources(deps: Deps, limit: number, nextToken?: string): Promise<Page<DataSourceRecord>> {
  return deps.dataSources.list(limit, nextToken);
}

export async function deleteDataSource(deps: Deps, id: string): Promise<void> {
  try {
    if (!(await deps.dataSources.delete(id))) throw notFound('DATA_SOURCE_NOT_FOUND', id);
  } catch (e) {
    if (!(e instanceof DataSourceInUse)) throw e;
    throw new DomainError(409, 'DATA_SOURCE_IN_USE', 'Data source in use', `${e.refCount} project(s) that are not released use this data source.`, {
      projectCount: e.refCount,
    });
  }
}

/** The API view of a data source: no credentials, no internal counters. */
export function toDataSourceView(ds: DataSourceRecord) {
  const { refCount, ...view } = ds;
  return { ...view, inUse: refCount > 0 };
}

/** Connects to a data source through the engine that would run its jobs, and says what it found. */
export async function testDataSourceConnection(deps: Deps, id: string): Promise<ConnectionTest & { dataSourceId: string; engine: string }> {
  const ds = await getDataSource(deps, id);
  const test: ConnectionTest = deps.engine.testConnection
    ? await deps.engine.testConnection(ds)
    : { checked: false, message: `No engine of this deployment connects to ${ds.engine} data sources: its projects run on the SIMULATED engine, which connects to nothing.` };
  return { dataSourceId: ds.id, engine: ds.engine, ...test };
}
