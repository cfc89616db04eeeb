import type { DataSourceRecord } from '../../../domain/data-source';
import { DmsMigrationEngine, type DmsEngineConfig, type DmsEngineDeps } from './dms-engine';

/**
 * The DMS engine from a function's environment (set by infra/constructs/dms-engine.ts). A variable
 * that is needed and missing is an error naming it: never a silent fallback to another engine or a
 * default resource.
 *   DMS_REPLICATION_MODE            `instance` (default) — `serverless` is a construct setting the
 *                                   adapter does not drive yet, refused here by name
 *   DMS_REPLICATION_INSTANCE_ARN    the replication instance the tasks run on
 *   DMS_REPLICATION_INSTANCE_ID     its identifier (CloudWatch dimension of the CDC latency metrics)
 *   DMS_ACCESS_ROLE_ARN             the role DMS assumes to read the data sources' secrets
 *   DMS_RESOURCE_PREFIX             optional, default `mig`
 *   DMS_CAUGHT_UP_LAG_SECONDS       optional, default 5
 */
export function dmsConfigFromEnv(env: Record<string, string | undefined>): DmsEngineConfig {
  const mode = env.DMS_REPLICATION_MODE ?? 'instance';
  if (mode === 'serverless') {
    throw new Error('DMS_REPLICATION_MODE=serverless: this adapter drives replication tasks on a replication instance only; deploy the DmsEngine construct with a replication instance (the default) or leave the project on another engine');
  }
  if (mode !== 'instance') throw new Error(`DMS_REPLICATION_MODE must be 'instance' or 'serverless', got '${mode}'`);
  const need = (name: string): string => {
    const v = env[name];
    if (!v) throw new Error(`the aws-dms engine needs ${name} (set by the DmsEngine construct)`);
    return v;
  };
  const replicationInstanceArn = need('DMS_REPLICATION_INSTANCE_ARN');
  if (!/^arn:aws[\w-]*:dms:[\w-]+:\d{12}:rep:[\w-]+$/.test(replicationInstanceArn)) throw new Error(`DMS_REPLICATION_INSTANCE_ARN is not a replication instance ARN: ${replicationInstanceArn}`);
  const config: DmsEngineConfig = {
    replicationInstanceArn,
    replicationInstanceId: need('DMS_REPLICATION_INSTANCE_ID'),
    accessRoleArn: need('DMS_ACCESS_ROLE_ARN'),
  };
  if (env.DMS_RESOURCE_PREFIX) config.resourcePrefix = env.DMS_RESOURCE_PREFIX;
  if (env.DMS_CAUGHT_UP_LAG_SECONDS) {
    const n = Number(env.DMS_CAUGHT_UP_LAG_SECONDS);
    if (!Number.isFinite(n) || n < 0) throw new Error(`DMS_CAUGHT_UP_LAG_SECONDS must be a non-negative number, got '${env.DMS_CAUGHT_UP_LAG_SECONDS}'`);
    config.caughtUpLagSeconds = n;
  }
  return config;
}

/** The engine, resolving data sources through `resolveDataSource` (the DataSourceStore's get). */
export function dmsEngineFromEnv(
  env: Record<string, string | undefined>,
  resolveDataSource: (id: string) => Promise<DataSourceRecord | undefined>,
  clients: Omit<DmsEngineDeps, 'resolveDataSource'> = {},
): DmsMigrationEngine {
  return new DmsMigrationEngine(dmsConfigFromEnv(env), { resolveDataSource, ...clients });
}
