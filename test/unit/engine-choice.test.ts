import { describe, expect, it } from 'vitest';
import { DmsMigrationEngine } from '../../shared/adapters/engine/dms/dms-engine';
import { FakeDms } from '../../shared/adapters/engine/dms/fake-dms';
import { fakeDmsClients } from '../../shared/adapters/engine/dms/fake-dms-mock';
import { EngineRouter } from '../../shared/adapters/engine/engine-router';
import { SimulatedMigrationEngine } from '../../shared/adapters/engine/simulated-engine';
import { chooseEngine } from '../../shared/domain/engines';
import type { DataSourceRecord } from '../../shared/domain/data-source';
import type { EngineKind } from '../../shared/ports';
import { createDataSource } from '../../shared/usecases/data-sources';
import { createProject } from '../../shared/usecases/projects';
import { memoryDeps } from '../support/memory-deps';

/**
 * Which engine a new project gets (shared/domain/engines.ts): AWS DMS for the pairs it supports where
 * the deployment serves it, the PostgreSQL engine for PostgreSQL → PostgreSQL where it runs, and the
 * SIMULATED engine for the rest.
 */
type DbEngine = DataSourceRecord['engine'];
const ds = (engine: DbEngine) => ({ engine });
const ctx = { actor: 'tester', requestId: 'r-engine' };
const migrationType = { structureMigration: true, fullMigration: true, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false };

describe('chooseEngine', () => {
  it.each<[DbEngine, DbEngine, EngineKind[], EngineKind | undefined]>([
    ['mysql', 'postgresql', ['aws-dms', 'simulated'], 'aws-dms'],
    ['oracle', 'mysql', ['aws-dms'], 'aws-dms'],
    ['mysql', 'postgresql', ['simulated'], 'simulated'],
    ['postgresql', 'postgresql', ['postgresql', 'aws-dms', 'simulated'], 'postgresql'],
    ['postgresql', 'postgresql', ['aws-dms', 'simulated'], 'aws-dms'],
    ['mysql', 'tidb', ['aws-dms', 'simulated'], 'simulated'],
    ['mysql', 'tidb', ['aws-dms'], undefined],
  ])('%s → %s served by %j: %s', (source, destination, available, expected) => {
    // Act / Assess
    expect(chooseEngine(ds(source), ds(destination), available)).toBe(expected);
  });
});

describe('createProject on a deployment that serves AWS DMS', () => {
  function deployment() {
    const clients = fakeDmsClients(new FakeDms());
    const holder: { deps?: ReturnType<typeof memoryDeps> } = {};
    const dms = new DmsMigrationEngine(
      { replicationInstanceArn: 'arn:aws:dms:eu-west-1:123456789012:rep:migration-instance', replicationInstanceId: 'migration-instance', accessRoleArn: 'arn:aws:iam::123456789012:role/dms-secrets' },
      { resolveDataSource: (id) => holder.deps!.dataSources.get(id), dms: () => clients.dms, cloudwatch: () => clients.cloudwatch },
    );
    const deps = memoryDeps({ engine: new EngineRouter({ 'aws-dms': dms, simulated: new SimulatedMigrationEngine() }) });
    holder.deps = deps;
    return deps;
  }

  it('labels a project whose data sources DMS supports aws-dms, and one it does not support simulated', async () => {
    // Prepare
    const deps = deployment();
    const mysql = await createDataSource(deps, { name: 'shop-mysql', engine: 'mysql', host: 'src.example', port: 3306, username: 'app', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:src-AbCdEf' });
    const pg = await createDataSource(deps, { name: 'shop-pg', engine: 'postgresql', host: 'dst.example', port: 5432, username: 'app', database: 'shop', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:dst-GhIjKl' });
    const tidb = await createDataSource(deps, { name: 'shop-tidb', engine: 'tidb', host: 'tidb.example', port: 4000, username: 'app' });

    // Act
    const onDms = await createProject(deps, { name: 'orders-dms', sourceId: mysql.id, destinationId: pg.id, migrationType }, ctx);
    const simulated = await createProject(deps, { name: 'orders-tidb', sourceId: mysql.id, destinationId: tidb.id, migrationType }, ctx);

    // Assess
    expect(onDms.engine).toBe('aws-dms');
    expect(simulated.engine).toBe('simulated');
    expect((await deps.projects.get(onDms.id))?.engine).toBe('aws-dms');
  });
});
