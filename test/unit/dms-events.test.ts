import { ListTagsForResourceCommand } from '@aws-sdk/client-database-migration-service';
import { describe, expect, it } from 'vitest';
import { DmsMigrationEngine } from '../../shared/adapters/engine/dms/dms-engine';
import { dmsStateChangeOf } from '../../shared/adapters/engine/dms/events';
import { FakeDms } from '../../shared/adapters/engine/dms/fake-dms';
import { fakeDmsClients } from '../../shared/adapters/engine/dms/fake-dms-mock';
import type { DataSourceRecord } from '../../shared/domain/data-source';
import type { JobSpec } from '../../shared/ports';

/** DMS state changes forwarded by the construct's rule: read into one shape, and mapped to their project by the replication's tag. */

const TASK_ARN = 'arn:aws:dms:eu-west-1:123456789012:task:mig-0123456789abcdef0123-fwd';
const CONFIG_ARN = 'arn:aws:dms:eu-west-1:123456789012:replication-config:mig-0123456789abcdef0123-fwd';
const event = (detailType: string, resources: string[], detail: Record<string, unknown>, source = 'aws.dms') => ({
  version: '0',
  id: 'e1',
  'detail-type': detailType,
  source,
  account: '123456789012',
  time: '2026-05-01T10:00:00Z',
  region: 'eu-west-1',
  resources,
  detail,
});

describe('DMS state-change events', () => {
  it('reads a task state change and a serverless replication state change; a failure is flagged', () => {
    // Act
    const started = dmsStateChangeOf(event('DMS Replication Task State Change', [TASK_ARN], { type: 'ReplicationTask', category: 'StateChange', eventType: 'REPLICATION_TASK_STARTED', detailMessage: 'Replication task started' }));
    const taskFailed = dmsStateChangeOf(event('DMS Replication Task State Change', [TASK_ARN], { category: 'Failure', eventType: 'REPLICATION_TASK_FAILED', detailMessage: 'Last Error Target endpoint unreachable' }));
    const replicationFailed = dmsStateChangeOf(event('DMS Replication State Change', [CONFIG_ARN], { category: 'Failure', eventType: 'REPLICATION_FAILED', detailMessage: 'Replication failed' }));

    // Assess
    expect(started).toEqual({ kind: 'task', arn: TASK_ARN, eventType: 'REPLICATION_TASK_STARTED', message: 'Replication task started', failed: false });
    expect(taskFailed).toMatchObject({ kind: 'task', failed: true, message: 'Last Error Target endpoint unreachable' });
    expect(replicationFailed).toEqual({ kind: 'replication', arn: CONFIG_ARN, eventType: 'REPLICATION_FAILED', message: 'Replication failed', failed: true });
  });

  it('ignores other sources, other detail types, and resources that are not the replication the detail type names', () => {
    // Act
    const ignored = [
      event('DMS Replication Task State Change', [TASK_ARN], {}, 'aws.rds'),
      event('DMS Replication Instance State Change', ['arn:aws:dms:eu-west-1:123456789012:rep:migration-instance'], {}),
      event('DMS Replication State Change', [TASK_ARN], {}),
      event('DMS Replication Task State Change', [], {}),
    ].map(dmsStateChangeOf);

    // Assess
    expect(ignored).toEqual([undefined, undefined, undefined, undefined]);
  });

  it.each(['instance', 'serverless'] as const)('%s mode: the event of one of the engine\'s replications maps to its project by tag; others to none', async (mode) => {
    // Prepare
    const fake = new FakeDms();
    const clients = fakeDmsClients(fake);
    const ds = (id: string): DataSourceRecord => ({ id, name: id, engine: 'postgresql', host: 'h', port: 5432, username: 'u', database: 'd', secretArn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${id}-AbCdEf`, createdAt: '2026-05-01T00:00:00Z', refCount: 1 });
    const engine = new DmsMigrationEngine(
      {
        ...(mode === 'serverless' ? { serverless: { maxCapacityUnits: 4, subnetGroupId: 'mig-subnets', securityGroupIds: ['sg-1'] } } : { replicationInstanceArn: 'arn:aws:dms:eu-west-1:123456789012:rep:migration-instance', replicationInstanceId: 'migration-instance' }),
        accessRoleArn: 'arn:aws:iam::123456789012:role/dms-secrets',
      },
      { resolveDataSource: async (id) => ds(id), dms: () => clients.dms, cloudwatch: () => clients.cloudwatch },
    );
    const spec: JobSpec = { jobId: 'p-ev.FULL_MIGRATION', projectId: 'p-ev', subtask: 'FULL_MIGRATION', engine: 'aws-dms', sourceIds: ['src'], destinationId: 'dst', run: 1, tables: null, migrationType: { structureMigration: false, fullMigration: true, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false } };
    await engine.startJob(spec);
    const arn = fake.taskById(engine.idOf('p-ev', 'fwd'))?.ReplicationTaskArn as string;
    const own = dmsStateChangeOf(event(mode === 'serverless' ? 'DMS Replication State Change' : 'DMS Replication Task State Change', [arn], { category: 'Failure' }));
    const foreignArn = arn.replace(/:mig-/, ':other-');
    const foreign = dmsStateChangeOf(event(mode === 'serverless' ? 'DMS Replication State Change' : 'DMS Replication Task State Change', [foreignArn], {}));
    clients.dmsMock.resetHistory();

    // Act
    const project = await engine.projectOfStateChange(own!);
    const none = await engine.projectOfStateChange(foreign!);

    // Assess
    expect(project).toBe('p-ev');
    expect(none).toBeUndefined();
    expect(clients.dmsMock.commandCalls(ListTagsForResourceCommand).map((c) => c.args[0].input)).toEqual([{ ResourceArnList: [arn] }]); // the foreign one costs no call
  });
});
