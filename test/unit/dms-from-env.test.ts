import { describe, expect, it } from 'vitest';
import { DmsMigrationEngine } from '../../shared/adapters/engine/dms/dms-engine';
import { dmsConfigFromEnv, dmsEngineFromEnv } from '../../shared/adapters/engine/dms/from-env';
import { jobStatusOf, phaseOf } from '../../shared/adapters/engine/dms/status';

const ENV = {
  DMS_REPLICATION_INSTANCE_ARN: 'arn:aws:dms:eu-west-1:123456789012:rep:migration-instance',
  DMS_REPLICATION_INSTANCE_ID: 'migration-instance',
  DMS_ACCESS_ROLE_ARN: 'arn:aws:iam::123456789012:role/dms-secrets-access',
};

describe('dmsEngineFromEnv', () => {
  it('reads the replication instance, its identifier, the access role and the optional settings', () => {
    // Act
    const config = dmsConfigFromEnv({ ...ENV, DMS_RESOURCE_PREFIX: 'prj', DMS_CAUGHT_UP_LAG_SECONDS: '10' });
    const engine = dmsEngineFromEnv(ENV, async () => undefined);

    // Assess
    expect(engine.mode).toBe('instance');
    expect(config).toEqual({
      replicationInstanceArn: ENV.DMS_REPLICATION_INSTANCE_ARN,
      replicationInstanceId: 'migration-instance',
      accessRoleArn: ENV.DMS_ACCESS_ROLE_ARN,
      resourcePrefix: 'prj',
      caughtUpLagSeconds: 10,
    });
    expect(engine).toBeInstanceOf(DmsMigrationEngine);
    expect(engine.idOf('p-1', 'fwd')).toMatch(/^mig-[0-9a-f]{20}-fwd$/);
  });

  it.each(Object.keys(ENV))('a missing %s is an error naming it, not a fallback', (name) => {
    const env: Record<string, string | undefined> = { ...ENV, [name]: undefined };
    expect(() => dmsEngineFromEnv(env, async () => undefined)).toThrow(name);
  });

  it('serverless mode reads the subnet group, security groups and capacity instead of an instance, each one named when missing', () => {
    // Prepare
    const env = {
      DMS_REPLICATION_MODE: 'serverless',
      DMS_SUBNET_GROUP_ID: 'mig-subnets',
      DMS_SECURITY_GROUP_IDS: 'sg-1, sg-2',
      DMS_MAX_CAPACITY_UNITS: '16',
      DMS_MIN_CAPACITY_UNITS: '2',
      DMS_MULTI_AZ: 'true',
      DMS_ACCESS_ROLE_ARN: ENV.DMS_ACCESS_ROLE_ARN,
    };

    // Act
    const config = dmsConfigFromEnv(env);
    const engine = dmsEngineFromEnv(env, async () => undefined);

    // Assess
    expect(config).toEqual({
      serverless: { subnetGroupId: 'mig-subnets', securityGroupIds: ['sg-1', 'sg-2'], maxCapacityUnits: 16, minCapacityUnits: 2, multiAz: true },
      accessRoleArn: ENV.DMS_ACCESS_ROLE_ARN,
    });
    expect(engine.mode).toBe('serverless');
    for (const name of ['DMS_SUBNET_GROUP_ID', 'DMS_SECURITY_GROUP_IDS', 'DMS_MAX_CAPACITY_UNITS']) expect(() => dmsConfigFromEnv({ ...env, [name]: undefined })).toThrow(name);
    expect(() => dmsConfigFromEnv({ ...env, DMS_MAX_CAPACITY_UNITS: 'lots' })).toThrow(/DMS_MAX_CAPACITY_UNITS/);
  });

  it('refuses an unknown mode, a malformed instance ARN and a bad lag setting, by name', () => {
    expect(() => dmsConfigFromEnv({ ...ENV, DMS_REPLICATION_MODE: 'fast' })).toThrow(/DMS_REPLICATION_MODE/);
    expect(() => dmsConfigFromEnv({ ...ENV, DMS_REPLICATION_INSTANCE_ARN: 'arn:aws:dms:eu-west-1:123456789012:task:x' })).toThrow(/DMS_REPLICATION_INSTANCE_ARN/);
    expect(() => dmsConfigFromEnv({ ...ENV, DMS_CAUGHT_UP_LAG_SECONDS: 'soon' })).toThrow(/DMS_CAUGHT_UP_LAG_SECONDS/);
    expect(() => dmsEngineFromEnv({ ...ENV, DMS_RESOURCE_PREFIX: '9x' }, async () => undefined).idOf('p', 'fwd')).toThrow(/prefix/);
  });
});

describe('DMS task status (pure)', () => {
  const task = { ReplicationTaskIdentifier: 't', ReplicationTaskArn: 'arn:aws:dms:eu-west-1:123456789012:task:t', MigrationType: 'full-load' as const };

  it('stopped with FULL_LOAD_ONLY_FINISHED is a finished load, whatever the tags say', () => {
    const t = { ...task, Status: 'stopped', StopReason: 'Stop Reason FULL_LOAD_ONLY_FINISHED' };
    expect(phaseOf(t, {})).toBe('FINISHED');
    expect(phaseOf(t, { 'migctl-stop': 'pause' })).toBe('FINISHED');
    expect(jobStatusOf({ jobId: 'j', subtask: 'FULL_MIGRATION', task: t, tags: {}, tables: [], caughtUpLagSeconds: 5 }).state).toBe('SUCCEEDED');
  });

  it('a stop is ours only when tagged: pause → PAUSED, final → stopped for good, untagged → STOPPED', () => {
    const t = { ...task, MigrationType: 'cdc' as const, Status: 'stopped', StopReason: 'Stop Reason NORMAL' };
    const status = (tags: Record<string, string>) => jobStatusOf({ jobId: 'j', subtask: 'INCREMENTAL_SYNC', task: t, tags, tables: [], caughtUpLagSeconds: 5 }).state;
    expect(status({ 'migctl-stop': 'pause' })).toBe('PAUSED');
    expect(status({ 'migctl-stop': 'final' })).toBe('SUCCEEDED');
    expect(status({})).toBe('STOPPED');
  });

  it('a verification whose tables could not be validated fails with the tables named', () => {
    const t = { ...task, Status: 'stopped', StopReason: 'Stop Reason FULL_LOAD_ONLY_FINISHED' };
    const s = jobStatusOf({
      jobId: 'j',
      subtask: 'FULL_VERIFICATION',
      task: t,
      tags: {},
      tables: [{ SchemaName: 'public', TableName: 'logs', ValidationState: 'No primary key' }, { SchemaName: 'public', TableName: 'orders', ValidationState: 'Table error' }],
      caughtUpLagSeconds: 5,
    });
    expect(s).toMatchObject({ state: 'FAILED', error: { code: 'DMS_VALIDATION_ERROR', message: 'validation could not check public.orders (Table error)' } });
  });
});
