import { createHash } from 'node:crypto';
import {
  CreateEndpointCommand,
  CreateReplicationConfigCommand,
  CreateReplicationTaskCommand,
  DeleteReplicationConfigCommand,
  DescribeReplicationsCommand,
  DescribeReplicationTableStatisticsCommand,
  StartReplicationCommand,
  StartReplicationTaskCommand,
  StopReplicationCommand,
} from '@aws-sdk/client-database-migration-service';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { replicationView } from '../../shared/adapters/engine/dms/backend';
import { cdcPosition, DmsMigrationEngine } from '../../shared/adapters/engine/dms/dms-engine';
import { FakeDms } from '../../shared/adapters/engine/dms/fake-dms';
import { fakeDmsClients } from '../../shared/adapters/engine/dms/fake-dms-mock';
import { MemoryReplicationSlots } from '../../shared/adapters/engine/dms/slots';
import type { DataSourceRecord } from '../../shared/domain/data-source';
import type { MigrationType } from '../../shared/domain/project';
import type { SubtaskType } from '../../shared/domain/subtasks';
import type { JobSpec } from '../../shared/ports';

/** The DMS Serverless mode of the adapter: replication configs instead of tasks, over aws-sdk-client-mock and the fake DMS. */

const PROJECT = '7d0c6c4e-2b9a-4c55-8a8e-3c1f0f6e2a11';
const ROLE = 'arn:aws:iam::123456789012:role/dms-secrets-access';
const source: DataSourceRecord = { id: 'ds-src', name: 'shop-pg', engine: 'postgresql', host: 'src.example', port: 5432, username: 'app', database: 'shop', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:src-AbCdEf', createdAt: '2026-05-01T00:00:00Z', refCount: 1 };
const destination: DataSourceRecord = { id: 'ds-dst', name: 'shop-pg2', engine: 'postgresql', host: 'dst.example', port: 5432, username: 'app', database: 'shop', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:dst-GhIjKl', createdAt: '2026-05-01T00:00:00Z', refCount: 1 };
const SYNC: MigrationType = { structureMigration: false, fullMigration: true, incrementalSync: true, fullVerification: false, reverseIncrementalSync: true };
const idFor = (kind: string) => `mig-${createHash('sha256').update(PROJECT).digest('hex').slice(0, 20)}-${kind}`;
const configArn = (kind: string) => `arn:aws:dms:eu-west-1:123456789012:replication-config:${idFor(kind)}`;

function setup(dest: DataSourceRecord = destination, slots?: MemoryReplicationSlots) {
  const fake = new FakeDms();
  const clients = fakeDmsClients(fake);
  let now = Date.parse('2026-05-01T09:00:00Z');
  const engine = new DmsMigrationEngine(
    { serverless: { maxCapacityUnits: 8, minCapacityUnits: 2, subnetGroupId: 'mig-subnets', securityGroupIds: ['sg-0123456789abcdef0'] }, accessRoleArn: ROLE, now: () => now },
    { resolveDataSource: async (id) => ({ 'ds-src': source, 'ds-dst': dest })[id], dms: () => clients.dms, cloudwatch: () => clients.cloudwatch, ...(slots ? { slots } : {}) },
  );
  return { fake, engine, ...clients, setNow: (iso: string) => (now = Date.parse(iso)) };
}

const spec = (subtask: SubtaskType, over: Partial<JobSpec> = {}): JobSpec => ({
  jobId: `${PROJECT}.${subtask}`,
  projectId: PROJECT,
  subtask,
  engine: 'aws-dms',
  sourceIds: ['ds-src'],
  destinationId: 'ds-dst',
  run: 1,
  tables: [{ schema: 'public', table: 'orders' }],
  migrationType: SYNC,
  ...over,
});

const inputsOf = (mock: ReturnType<typeof fakeDmsClients>['dmsMock'], command: any) => mock.commandCalls(command).map((c) => c.args[0].input);

describe('AWS DMS engine, serverless mode', () => {
  it('a start creates one replication config (compute, type, mappings, settings, tags) and starts it with start-replication; no task, no instance', async () => {
    // Prepare
    const { engine, fake, dmsMock } = setup();

    // Act
    const started = await engine.startJob(spec('FULL_MIGRATION'));
    const again = await engine.startJob(spec('FULL_MIGRATION')); // a retried start

    // Assess
    expect(inputsOf(dmsMock, CreateReplicationConfigCommand)).toEqual([
      {
        ReplicationConfigIdentifier: idFor('fwd'),
        ResourceIdentifier: idFor('fwd'),
        SourceEndpointArn: `arn:aws:dms:eu-west-1:123456789012:endpoint:${idFor('src')}`,
        TargetEndpointArn: `arn:aws:dms:eu-west-1:123456789012:endpoint:${idFor('dst')}`,
        ComputeConfig: { MaxCapacityUnits: 8, MinCapacityUnits: 2, MultiAZ: false, ReplicationSubnetGroupId: 'mig-subnets', VpcSecurityGroupIds: ['sg-0123456789abcdef0'] },
        ReplicationType: 'full-load-and-cdc',
        TableMappings: JSON.stringify({ rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'include-1', 'object-locator': { 'schema-name': 'public', 'table-name': 'orders' }, 'rule-action': 'include' }] }),
        ReplicationSettings: JSON.stringify({ FullLoadSettings: { TargetTablePrepMode: 'TRUNCATE_BEFORE_LOAD' }, Logging: { EnableLogging: true } }),
        Tags: [
          { Key: 'migctl-project', Value: PROJECT },
          { Key: 'migctl-run', Value: '1' },
          { Key: 'migctl-stop', Value: 'none' },
          { Key: 'migctl-autostart', Value: 'yes' },
          { Key: 'migctl-reverse', Value: 'yes' },
        ],
      },
    ]);
    expect(inputsOf(dmsMock, DescribeReplicationsCommand)[0]).toEqual({ Filters: [{ Name: 'replication-config-id', Values: [idFor('fwd'), idFor('verify'), idFor('rev')] }] });
    expect(inputsOf(dmsMock, StartReplicationCommand)).toEqual([{ ReplicationConfigArn: configArn('fwd'), StartReplicationType: 'start-replication' }]);
    expect(dmsMock.commandCalls(CreateReplicationTaskCommand)).toHaveLength(0);
    expect(dmsMock.commandCalls(StartReplicationTaskCommand)).toHaveLength(0);
    expect(started.state).toBe('RUNNING'); // provisioning capacity: the start is under way, as a task's `starting`
    expect(again.state).toBe('RUNNING');
    expect(fake.taskById(idFor('fwd'))?.Status).toBe('starting');
  });

  it('pause stops the replication, resume continues it with resume-processing; progress from DescribeReplicationTableStatistics', async () => {
    // Prepare
    const { engine, fake, dmsMock } = setup();
    await engine.startJob(spec('FULL_MIGRATION'));
    fake.advance(2); // provisioning → running, one table loading

    // Act
    const running = await engine.pollJob(spec('FULL_MIGRATION'));
    const paused = await engine.pauseJob(spec('FULL_MIGRATION'));
    fake.advance();
    const resumed = await engine.resumeJob(spec('FULL_MIGRATION', { run: 2 }));

    // Assess
    expect(running?.state).toBe('RUNNING');
    expect(inputsOf(dmsMock, DescribeReplicationTableStatisticsCommand)[0]).toEqual({ ReplicationConfigArn: configArn('fwd'), MaxRecords: 500 });
    expect(inputsOf(dmsMock, StopReplicationCommand)).toEqual([{ ReplicationConfigArn: configArn('fwd') }]);
    expect(paused?.state).toBe('PAUSED');
    expect(inputsOf(dmsMock, StartReplicationCommand).map((i) => i.StartReplicationType)).toEqual(['start-replication', 'resume-processing']);
    expect(resumed.state).toBe('RUNNING');
  });

  it.each([
    ['a MySQL destination: the write-stop time', 'mysql', '2026-05-01T11:30:05'],
    ['a PostgreSQL destination: the LSN of the slot made at the write stop', 'postgresql', '0/16B3748'],
  ] as const)('the reverse replication starts at the write-stop position (%s); release deletes every config, then the endpoints', async (_what, engineName, position) => {
    // Prepare
    const slots = new MemoryReplicationSlots();
    const { engine, fake, dmsMock, setNow } = setup({ ...destination, engine: engineName }, slots);
    await engine.startJob(spec('FULL_MIGRATION'));
    fake.advance(6);
    await engine.pollJob(spec('INCREMENTAL_SYNC'));
    setNow('2026-05-01T11:30:05.250Z');

    // Act
    await engine.switchoverStep(spec('FORWARD_SWITCHOVER'), 'STOP_FORWARD_SYNC');
    fake.advance();
    await engine.switchoverStep(spec('FORWARD_SWITCHOVER'), 'STOP_FORWARD_SYNC'); // polled again: done once stopped
    await engine.startJob(spec('REVERSE_INCREMENTAL_SYNC'));
    fake.advance();
    await engine.pauseJob(spec('REVERSE_INCREMENTAL_SYNC'));
    fake.advance();
    const releases: unknown[] = [];
    for (let i = 0; i < 4 && (fake.tasks.size > 0 || fake.endpoints.size > 0); i++) {
      releases.push(await engine.stopJob(spec('REVERSE_INCREMENTAL_SYNC')).catch((e: Error) => e.name));
      await engine.stopJob(spec('FULL_MIGRATION')).catch(() => undefined);
      fake.advance();
    }

    // Assess
    expect(inputsOf(dmsMock, StartReplicationCommand).at(-1)).toEqual({ ReplicationConfigArn: configArn('rev'), StartReplicationType: 'start-replication', CdcStartPosition: position });
    const reverseSource = inputsOf(dmsMock, CreateEndpointCommand).find((e) => e.EndpointIdentifier === idFor('rsrc'));
    if (engineName === 'postgresql') expect(reverseSource?.PostgreSQLSettings).toMatchObject({ SlotName: idFor('rev').replace(/-/g, '_'), PluginName: 'test-decoding' });
    else expect(reverseSource?.MySQLSettings).not.toHaveProperty('SlotName');
    expect(slots.slots.size).toBe(0); // made at the write stop for PostgreSQL, dropped at release
    expect(inputsOf(dmsMock, CreateReplicationConfigCommand).at(-1)).toMatchObject({ ReplicationConfigIdentifier: idFor('rev'), ReplicationType: 'cdc' });
    expect(inputsOf(dmsMock, DeleteReplicationConfigCommand).map((i) => i.ReplicationConfigArn).sort()).toEqual([configArn('fwd'), configArn('rev')].sort());
    expect(fake.tasks.size).toBe(0);
    expect(fake.endpoints.size).toBe(0);
  });

  it('reads the CDC lag by the replication config\'s identifier in any AWS/DMS dimension (one GetMetricData, a SEARCH per metric); several series: the larger; none: no lag, not caught up', async () => {
    // Prepare: the forward replication loaded and in cdc
    const { engine, fake, cwMock } = setup();
    await engine.startJob(spec('FULL_MIGRATION'));
    fake.advance(6);
    const noPoint = await engine.pollJob(spec('INCREMENTAL_SYNC'));
    fake.lag.set(idFor('fwd'), { source: 2, target: 4 });

    // Act
    const caughtUp = await engine.pollJob(spec('INCREMENTAL_SYNC'));
    // CloudWatch answers a search with one result per matching series, all under the query's Id.
    cwMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'source', Label: 'a', Values: [1, 9] },
        { Id: 'source', Label: 'b', Values: [30] },
        { Id: 'target', Label: 'a', Values: [2] },
        { Id: 'target', Label: 'b', Values: [] },
      ],
    });
    const behind = await engine.pollJob(spec('INCREMENTAL_SYNC'));

    // Assess
    expect(noPoint).toMatchObject({ state: 'RUNNING', caughtUp: false });
    expect(noPoint?.lag).toBeUndefined();
    expect(caughtUp).toMatchObject({ state: 'RUNNING', caughtUp: true, lag: { seconds: 4, bytes: 0 } });
    expect(behind).toMatchObject({ state: 'RUNNING', caughtUp: false, lag: { seconds: 30, bytes: 0 } });
    expect(cwMock.commandCalls(GetMetricDataCommand).at(-1)!.args[0].input).toEqual({
      MetricDataQueries: [
        { Id: 'source', Expression: `SEARCH('{AWS/DMS} MetricName="CDCLatencySource" "${idFor('fwd')}"', 'Maximum', 60)`, ReturnData: true },
        { Id: 'target', Expression: `SEARCH('{AWS/DMS} MetricName="CDCLatencyTarget" "${idFor('fwd')}"', 'Maximum', 60)`, ReturnData: true },
      ],
      StartTime: new Date('2026-05-01T08:55:00Z'),
      EndTime: new Date('2026-05-01T09:00:00Z'),
      ScanBy: 'TimestampDescending',
    });
  });

  it('reads serverless statuses in task words: created is ready, provisioning is starting, deprovisioning is still stopping', () => {
    const view = (Status: string) => replicationView({ ReplicationConfigIdentifier: 'x', ReplicationConfigArn: 'arn:aws:dms:eu-west-1:1:replication-config:x', Status }).Status;
    expect(['created', 'initializing', 'provisioning_capacity', 'replication_starting', 'running', 'stopping', 'deprovisioning', 'deprovisioned', 'stopped', 'failed'].map(view)).toEqual([
      'ready',
      'starting',
      'starting',
      'starting',
      'running',
      'stopping',
      'stopping',
      'stopped',
      'stopped',
      'failed',
    ]);
  });

  it('a write-stop position is a DMS CdcStartPosition: a time as YYYY-MM-DDThh:mm:ss (UTC), a native position as it is', () => {
    expect(cdcPosition('2026-05-01T11:30:05.250Z')).toBe('2026-05-01T11:30:05');
    expect(cdcPosition('2026-05-01T13:30:05+02:00')).toBe('2026-05-01T11:30:05');
    expect(cdcPosition('0/16B3748')).toBe('0/16B3748'); // PostgreSQL LSN
    expect(cdcPosition('mysql-bin-changelog.000024:373')).toBe('mysql-bin-changelog.000024:373');
    expect(cdcPosition('checkpoint:V1#27#mysql-bin-changelog.157832:1975:-1:2002:677883278264080:mysql-bin-changelog.157832:1876#0#0#*#0#93')).toMatch(/^checkpoint:V1#27/);
  });
});
