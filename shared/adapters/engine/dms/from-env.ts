import type { DataSourceRecord } from '../../../domain/data-source';
import { SecretsManagerSecretReader, type SecretReader } from '../../secrets/secrets-manager';
import { DmsMigrationEngine, type DmsEngineConfig, type DmsEngineDeps } from './dms-engine';
import { positionReaderFactory } from './position-readers';
import type { ReplicationSlots } from './slots';

/**
 * The DMS engine from a function's environment (set by infra/constructs/dms-engine.ts). A variable
 * that is needed and missing is an error naming it: never a silent fallback to another engine or a
 * default resource.
 *   DMS_REPLICATION_MODE            `instance` (default): replication tasks on a replication instance;
 *                                   `serverless`: DMS Serverless replication configs
 *   DMS_REPLICATION_INSTANCE_ARN    instance: the replication instance the tasks run on
 *   DMS_REPLICATION_INSTANCE_ID     instance: its identifier (CloudWatch dimension of the CDC latency metrics)
 *   DMS_SUBNET_GROUP_ID             serverless: the replication subnet group of the configs
 *   DMS_SECURITY_GROUP_IDS          serverless: their security groups, comma-separated
 *   DMS_MAX_CAPACITY_UNITS          serverless: the most DCUs a replication may use
 *   DMS_MIN_CAPACITY_UNITS          serverless, optional: the fewest
 *   DMS_MULTI_AZ                    serverless, optional: `true` for a Multi-AZ replication
 *   DMS_ACCESS_ROLE_ARN             the role DMS assumes to read the data sources' secrets
 *   DMS_RESOURCE_PREFIX             optional, default `mig`
 *   DMS_CAUGHT_UP_LAG_SECONDS       optional, default 5
 *   DMS_POSITION_READER             `secrets-manager`: the engine makes and drops the reverse sync's slot on a
 *                                   PostgreSQL destination, connecting with its secret's credentials (set by
 *                                   DmsEngine.grantPositionReader, with the network and the secret grants)
 */
export function dmsConfigFromEnv(env: Record<string, string | undefined>): DmsEngineConfig {
  const mode = env.DMS_REPLICATION_MODE ?? 'instance';
  if (mode !== 'instance' && mode !== 'serverless') throw new Error(`DMS_REPLICATION_MODE must be 'instance' or 'serverless', got '${mode}'`);
  const need = (name: string): string => {
    const v = env[name];
    if (!v) throw new Error(`the aws-dms engine needs ${name} (set by the DmsEngine construct)`);
    return v;
  };
  const capacity = (name: string, v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number of DCUs, got '${v}'`);
    return n;
  };
  const config: DmsEngineConfig =
    mode === 'serverless'
      ? {
          serverless: {
            subnetGroupId: need('DMS_SUBNET_GROUP_ID'),
            securityGroupIds: need('DMS_SECURITY_GROUP_IDS').split(',').map((x) => x.trim()).filter(Boolean),
            maxCapacityUnits: capacity('DMS_MAX_CAPACITY_UNITS', need('DMS_MAX_CAPACITY_UNITS')),
            ...(env.DMS_MIN_CAPACITY_UNITS ? { minCapacityUnits: capacity('DMS_MIN_CAPACITY_UNITS', env.DMS_MIN_CAPACITY_UNITS) } : {}),
            ...(env.DMS_MULTI_AZ ? { multiAz: env.DMS_MULTI_AZ === 'true' } : {}),
          },
          accessRoleArn: need('DMS_ACCESS_ROLE_ARN'),
        }
      : instanceConfig(need);
  if (env.DMS_RESOURCE_PREFIX) config.resourcePrefix = env.DMS_RESOURCE_PREFIX;
  if (env.DMS_CAUGHT_UP_LAG_SECONDS) {
    const n = Number(env.DMS_CAUGHT_UP_LAG_SECONDS);
    if (!Number.isFinite(n) || n < 0) throw new Error(`DMS_CAUGHT_UP_LAG_SECONDS must be a non-negative number, got '${env.DMS_CAUGHT_UP_LAG_SECONDS}'`);
    config.caughtUpLagSeconds = n;
  }
  return config;
}

function instanceConfig(need: (name: string) => string): DmsEngineConfig {
  const replicationInstanceArn = need('DMS_REPLICATION_INSTANCE_ARN');
  if (!/^arn:aws[\w-]*:dms:[\w-]+:\d{12}:rep:[\w-]+$/.test(replicationInstanceArn)) throw new Error(`DMS_REPLICATION_INSTANCE_ARN is not a replication instance ARN: ${replicationInstanceArn}`);
  return { replicationInstanceArn, replicationInstanceId: need('DMS_REPLICATION_INSTANCE_ID'), accessRoleArn: need('DMS_ACCESS_ROLE_ARN') };
}

/**
 * The position reader DMS_POSITION_READER names: `secrets-manager` → PgReplicationSlots connecting with
 * the data source's secret (provided by shared/deployed-position-reader.ts). Absent: none, which a function that makes or drops positions may not run
 * without (`required`: an error naming the setting, never a reverse sync that silently cannot start).
 */
export function positionReaderFromEnv(env: Record<string, string | undefined>, required: boolean, secrets: SecretReader = new SecretsManagerSecretReader()): ReplicationSlots | undefined {
  const reader = env.DMS_POSITION_READER;
  if (reader === undefined || reader === '') {
    if (required) throw new Error("this function makes or drops DMS write-stop positions ('positions'), but DMS_POSITION_READER is not set (DmsEngine.grantPositionReader sets it with the network and secret grants)");
    return undefined;
  }
  if (reader !== 'secrets-manager') throw new Error(`DMS_POSITION_READER must be 'secrets-manager', got '${reader}'`);
  const factory = positionReaderFactory();
  if (!factory) throw new Error('DMS_POSITION_READER is set, but this function was built without the position reader: its handler must import shared/deployed-position-reader');
  return factory(secrets);
}

/** The engine, resolving data sources through `resolveDataSource` (the DataSourceStore's get). */
export function dmsEngineFromEnv(
  env: Record<string, string | undefined>,
  resolveDataSource: (id: string) => Promise<DataSourceRecord | undefined>,
  clients: Omit<DmsEngineDeps, 'resolveDataSource'> = {},
  opts: { requirePositionReader?: boolean } = {},
): DmsMigrationEngine {
  const slots = clients.slots ?? positionReaderFromEnv(env, opts.requirePositionReader ?? false);
  return new DmsMigrationEngine(dmsConfigFromEnv(env), { resolveDataSource, ...clients, ...(slots ? { slots } : {}) });
}
