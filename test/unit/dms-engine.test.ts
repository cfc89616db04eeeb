import { createHash } from 'node:crypto';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  AddTagsToResourceCommand,
  CreateEndpointCommand,
  CreateReplicationTaskCommand,
  DescribeReplicationTasksCommand,
  ListTagsForResourceCommand,
  StartReplicationTaskCommand,
  StopReplicationTaskCommand,
} from '@aws-sdk/client-database-migration-service';
import { describe, expect, it } from 'vitest';
import { DmsCleanupPending, DmsMigrationEngine } from '../../shared/adapters/engine/dms/dms-engine';
import { FakeDms } from '../../shared/adapters/engine/dms/fake-dms';
import { fakeDmsClients } from '../../shared/adapters/engine/dms/fake-dms-mock';
import type { DataSourceRecord } from '../../shared/domain/data-source';
import type { MigrationType } from '../../shared/domain/project';
import type { SubtaskType } from '../../shared/domain/subtasks';
import type { JobSpec } from '../../shared/ports';
import { engineFenceContract } from '../support/engine-fence-contract';

const INSTANCE = 'arn:aws:dms:eu-west-1:123456789012:rep:migration-instance';
const ROLE = 'arn:aws:iam::123456789012:role/dms-secrets-access';
const PROJECT = '0b5c1f52-1c1e-4d7e-9a51-5a0b8e3f9d10';
const SRC_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop-src-AbCdEf';
const DST_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop-dst-GhIjKl';
const source: DataSourceRecord = { id: 'ds-src', name: 'shop-pg', engine: 'postgresql', host: 'src.example', port: 5432, username: 'app', database: 'shop', secretArn: SRC_SECRET, createdAt: '2026-05-01T00:00:00Z', refCount: 1 };
const destination: DataSourceRecord = { id: 'ds-dst', name: 'shop-mysql', engine: 'mysql', host: 'dst.example', port: 3306, username: 'app', database: 'shop', secretArn: DST_SECRET, createdAt: '2026-05-01T00:00:00Z', refCount: 1 };
const ALL: MigrationType = { structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: true, reverseIncrementalSync: true };
const LOAD_AND_SYNC: MigrationType = { ...ALL, structureMigration: false, fullVerification: false, reverseIncrementalSync: false };

/** The identifier the adapter must derive, computed here independently of it. */
const idFor = (kind: string) => `mig-${createHash('sha256').update(PROJECT).digest('hex').slice(0, 20)}-${kind}`;
const arnFor = (type: 'task' | 'endpoint', kind: string) => `arn:aws:dms:eu-west-1:123456789012:${type}:${idFor(kind)}`;

function setup(dataSources: Record<string, DataSourceRecord> = { 'ds-src': source, 'ds-dst': destination }) {
  const fake = new FakeDms();
  const clients = fakeDmsClients(fake);
  let now = Date.parse('2026-05-01T09:00:00Z');
  const engine = new DmsMigrationEngine(
    { replicationInstanceArn: INSTANCE, replicationInstanceId: 'migration-instance', accessRoleArn: ROLE, now: () => now },
    { resolveDataSource: async (id) => dataSources[id], dms: () => clients.dms, cloudwatch: () => clients.cloudwatch },
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
  tables: null,
  migrationType: LOAD_AND_SYNC,
  ...over,
});

const inputsOf = (mock: ReturnType<typeof fakeDmsClients>['dmsMock'], command: any) => mock.commandCalls(command).map((c) => c.args[0].input);

describe('AWS DMS engine: identifiers', () => {
  it('derives every name from the project id: valid DMS identifiers of at most 31 characters, one per task and endpoint', () => {
    // Prepare
    const { engine } = setup();

    // Act
    const names = (['fwd', 'verify', 'rev', 'src', 'dst', 'rsrc', 'rdst'] as const).map((k) => engine.idOf(PROJECT, k));

    // Assess
    expect(names).toEqual(['fwd', 'verify', 'rev', 'src', 'dst', 'rsrc', 'rdst'].map(idFor));
    for (const n of names) expect(n).toMatch(/^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,30}$/);
    expect(new Set(names).size).toBe(7);
    expect(engine.idOf('another-project', 'fwd')).not.toBe(names[0]);
  });
});

describe('AWS DMS engine: starting jobs (aws-sdk-client-mock over a fake DMS)', () => {
  it('the first start creates both endpoints from the data sources (secrets only) and one full-load-and-cdc task, started once DMS has created it', async () => {
    // Prepare
    const { engine, fake, dmsMock } = setup();

    // Act
    const first = await engine.startJob(spec('FULL_MIGRATION'));
    fake.advance(); // creating → ready
    const polled = await engine.pollJob(spec('FULL_MIGRATION'));

    // Assess
    expect(inputsOf(dmsMock, DescribeReplicationTasksCommand)[0]).toEqual({
      Filters: [{ Name: 'replication-task-arn', Values: [arnFor('task', 'fwd'), arnFor('task', 'verify'), arnFor('task', 'rev')] }],
      WithoutSettings: true,
    });
    expect(inputsOf(dmsMock, CreateEndpointCommand)).toEqual([
      {
        EndpointIdentifier: idFor('src'),
        ResourceIdentifier: idFor('src'),
        EndpointType: 'source',
        EngineName: 'postgres',
        DatabaseName: 'shop',
        PostgreSQLSettings: { SecretsManagerAccessRoleArn: ROLE, SecretsManagerSecretId: SRC_SECRET },
        Tags: [
          { Key: 'migctl-project', Value: PROJECT },
          { Key: 'migctl-data-source', Value: 'ds-src' },
        ],
      },
      {
        EndpointIdentifier: idFor('dst'),
        ResourceIdentifier: idFor('dst'),
        EndpointType: 'target',
        EngineName: 'mysql',
        DatabaseName: 'shop',
        MySQLSettings: { SecretsManagerAccessRoleArn: ROLE, SecretsManagerSecretId: DST_SECRET },
        Tags: [
          { Key: 'migctl-project', Value: PROJECT },
          { Key: 'migctl-data-source', Value: 'ds-dst' },
        ],
      },
    ]);
    expect(inputsOf(dmsMock, CreateReplicationTaskCommand)).toEqual([
      {
        ReplicationTaskIdentifier: idFor('fwd'),
        ResourceIdentifier: idFor('fwd'),
        SourceEndpointArn: arnFor('endpoint', 'src'),
        TargetEndpointArn: arnFor('endpoint', 'dst'),
        ReplicationInstanceArn: INSTANCE,
        MigrationType: 'full-load-and-cdc',
        TableMappings: JSON.stringify({
          rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'include-1', 'object-locator': { 'schema-name': '%', 'table-name': '%' }, 'rule-action': 'include' }],
        }),
        ReplicationTaskSettings: JSON.stringify({ FullLoadSettings: { TargetTablePrepMode: 'TRUNCATE_BEFORE_LOAD' }, Logging: { EnableLogging: true } }),
        Tags: [
          { Key: 'migctl-project', Value: PROJECT },
          { Key: 'migctl-run', Value: '1' },
          { Key: 'migctl-stop', Value: 'none' },
          { Key: 'migctl-autostart', Value: 'yes' },
          { Key: 'migctl-reverse', Value: 'no' },
        ],
      },
    ]);
    expect(first).toMatchObject({ jobId: `${PROJECT}.FULL_MIGRATION`, state: 'STOPPED' }); // not running yet: polled and resumed again
    expect(inputsOf(dmsMock, StartReplicationTaskCommand)).toEqual([{ ReplicationTaskArn: arnFor('task', 'fwd'), StartReplicationTaskType: 'start-replication' }]);
    expect(polled?.state).toBe('RUNNING');
    expect(fake.taskById(idFor('fwd'))?.Status).toBe('starting');
  });

  it('a retried start (even two at once) finds what the first created: one task, no second endpoint', async () => {
    // Prepare
    const { engine, fake, dmsMock } = setup();

    // Act
    const [a, b] = await Promise.all([engine.startJob(spec('FULL_MIGRATION')), engine.startJob(spec('FULL_MIGRATION'))]);
    const c = await engine.startJob(spec('FULL_MIGRATION'));

    // Assess
    expect(fake.tasks.size).toBe(1);
    expect(fake.endpoints.size).toBe(2);
    expect(inputsOf(dmsMock, CreateReplicationTaskCommand).length).toBe(2); // the second got ResourceAlreadyExistsFault
    for (const s of [a, b, c]) expect(s.state).toBe('STOPPED'); // still being created
  });

  it('builds selection rules from the spec tables; a structure migration makes the task with DROP_AND_CREATE and does not start it', async () => {
    // Prepare
    const { engine, fake, dmsMock } = setup();
    const tables = [{ schema: 'public', table: 'orders' }];

    // Act
    const creating = await engine.startJob(spec('STRUCTURE_MIGRATION', { tables, migrationType: { ...LOAD_AND_SYNC, structureMigration: true } }));
    fake.advance();
    const created = await engine.pollJob(spec('STRUCTURE_MIGRATION'));
    const load = await engine.startJob(spec('FULL_MIGRATION', { tables, migrationType: { ...LOAD_AND_SYNC, structureMigration: true } }));

    // Assess
    const create = inputsOf(dmsMock, CreateReplicationTaskCommand)[0]!;
    expect(JSON.parse(create.TableMappings!).rules).toEqual([
      { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'include-1', 'object-locator': { 'schema-name': 'public', 'table-name': 'orders' }, 'rule-action': 'include' },
    ]);
    expect(JSON.parse(create.ReplicationTaskSettings!).FullLoadSettings).toEqual({ TargetTablePrepMode: 'DROP_AND_CREATE' });
    expect(create.Tags).toContainEqual({ Key: 'migctl-autostart', Value: 'no' });
    expect(creating.state).toBe('RUNNING');
    expect(created).toMatchObject({ state: 'SUCCEEDED', progress: { percent: 100 } });
    expect(inputsOf(dmsMock, StartReplicationTaskCommand)).toEqual([{ ReplicationTaskArn: arnFor('task', 'fwd'), StartReplicationTaskType: 'start-replication' }]);
    expect(load.state).toBe('RUNNING');
    expect(fake.tasks.get(arnFor('task', 'fwd'))?.tables.map((t) => t.TableName)).toEqual(['orders']);
  });

  it('a data source DMS cannot serve fails the job with a stable code, and creates nothing', async () => {
    // Prepare
    const tidb = setup({ 'ds-src': { ...source, engine: 'tidb' }, 'ds-dst': destination });
    const noSecret = setup({ 'ds-src': source, 'ds-dst': { ...destination, secretArn: undefined as never } });

    // Act
    const a = await tidb.engine.startJob(spec('FULL_MIGRATION'));
    const b = await noSecret.engine.startJob(spec('FULL_MIGRATION'));

    // Assess
    expect(a).toMatchObject({ state: 'FAILED', error: { code: 'DMS_UNSUPPORTED_ENGINE' } });
    expect(b).toMatchObject({ state: 'FAILED', error: { code: 'DMS_NO_SECRET' } });
    expect(tidb.fake.tasks.size + noSecret.fake.tasks.size).toBe(0);
  });
});

describe('AWS DMS engine: progress', () => {
  it('FULL_MIGRATION reports the full-load part of the shared task: SUCCEEDED at 100 % while the same task goes on with cdc', async () => {
    // Prepare
    const { engine, fake } = setup();
    await engine.startJob(spec('FULL_MIGRATION'));
    fake.advance();
    await engine.pollJob(spec('FULL_MIGRATION')); // starts it

    // Act
    fake.advance(3); // running; orders loaded, customers loading
    const midway = await engine.pollJob(spec('FULL_MIGRATION'));
    fake.advance(1);
    const loaded = await engine.pollJob(spec('FULL_MIGRATION'));
    const sync = await engine.pollJob(spec('INCREMENTAL_SYNC'));

    // Assess
    expect(midway).toMatchObject({ state: 'RUNNING', progress: { percent: 50, tablesLoaded: 1, rows: 1_000 } });
    expect(loaded).toMatchObject({ state: 'SUCCEEDED', progress: { percent: 100, rows: 1_200, tablesLoaded: 2, tablesErrored: 0 } });
    expect(loaded?.tables).toEqual([
      { schema: 'public', table: 'orders', rows: 1_000, done: true },
      { schema: 'public', table: 'customers', rows: 200, done: true },
    ]);
    expect(fake.taskById(idFor('fwd'))?.Status).toBe('running');
    expect(sync?.state).toBe('RUNNING');
  });

  it('a full-load-only task that ends stopped with FULL_LOAD_ONLY_FINISHED is SUCCEEDED, not paused or stopped', async () => {
    // Prepare
    const { engine, fake } = setup();
    const fullOnly = { ...LOAD_AND_SYNC, incrementalSync: false };
    await engine.startJob(spec('FULL_MIGRATION', { migrationType: fullOnly }));
    fake.advance();
    await engine.pollJob(spec('FULL_MIGRATION'));

    // Act
    fake.advance(6);
    const done = await engine.pollJob(spec('FULL_MIGRATION'));

    // Assess
    expect(fake.taskById(idFor('fwd'))).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason FULL_LOAD_ONLY_FINISHED', MigrationType: 'full-load' });
    expect(done).toMatchObject({ state: 'SUCCEEDED', progress: { percent: 100, rows: 1_200 } });
  });

  it('INCREMENTAL_SYNC reports lag from CloudWatch CDCLatencySource/Target and is caught up only when both are small', async () => {
    // Prepare
    const { engine, fake, cwMock } = setup();
    await engine.startJob(spec('FULL_MIGRATION'));
    fake.advance();
    await engine.pollJob(spec('FULL_MIGRATION'));
    fake.advance(6); // loaded, in cdc
    fake.lag.set(idFor('fwd'), { source: 1, target: 40 });

    // Act
    const behind = await engine.pollJob(spec('INCREMENTAL_SYNC'));
    fake.lag.set(idFor('fwd'), { source: 1, target: 3 });
    const caughtUp = await engine.pollJob(spec('INCREMENTAL_SYNC'));

    // Assess
    expect(behind).toMatchObject({ state: 'RUNNING', caughtUp: false, lag: { seconds: 40, bytes: 0 }, progress: { lagSeconds: 40, percent: 0 } });
    expect(caughtUp).toMatchObject({ state: 'RUNNING', caughtUp: true, lag: { seconds: 3, bytes: 0 }, progress: { percent: 100 } });
    expect(caughtUp?.checkpoint).toMatch(/^checkpoint:V1#/);
    expect(cwMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input).toEqual({
      MetricDataQueries: ['CDCLatencySource', 'CDCLatencyTarget'].map((name, i) => ({
        Id: i === 0 ? 'source' : 'target',
        MetricStat: {
          Metric: {
            Namespace: 'AWS/DMS',
            MetricName: name,
            Dimensions: [
              { Name: 'ReplicationInstanceIdentifier', Value: 'migration-instance' },
              { Name: 'ReplicationTaskIdentifier', Value: idFor('fwd') },
            ],
          },
          Period: 60,
          Stat: 'Maximum',
        },
      })),
      StartTime: new Date('2026-05-01T08:55:00Z'),
      EndTime: new Date('2026-05-01T09:00:00Z'),
      ScanBy: 'TimestampDescending',
    });
  });

  it('FULL_VERIFICATION is a validation-only task; mismatches from the table statistics land in tables and counters', async () => {
    // Prepare
    const { engine, fake, dmsMock } = setup();
    fake.mismatches.set('public.orders', 3);
    await engine.startJob(spec('FULL_VERIFICATION', { migrationType: ALL }));
    fake.advance();
    await engine.pollJob(spec('FULL_VERIFICATION'));

    // Act
    fake.advance(6);
    const verified = await engine.pollJob(spec('FULL_VERIFICATION'));

    // Assess
    const create = inputsOf(dmsMock, CreateReplicationTaskCommand)[0]!;
    expect(create).toMatchObject({ ReplicationTaskIdentifier: idFor('verify'), MigrationType: 'full-load' });
    expect(JSON.parse(create.ReplicationTaskSettings!)).toEqual({
      FullLoadSettings: { TargetTablePrepMode: 'DO_NOTHING' },
      Logging: { EnableLogging: true },
      ValidationSettings: { EnableValidation: true, ValidationOnly: true },
    });
    expect(verified).toMatchObject({ state: 'SUCCEEDED', progress: { percent: 100, tables: 2, tablesValidated: 1, tablesMismatched: 1, mismatches: 3 } });
    expect(verified?.tables).toEqual([
      { schema: 'public', table: 'orders', rows: 1_000, done: true, mismatches: 3 },
      { schema: 'public', table: 'customers', rows: 200, done: true, mismatches: 0 },
    ]);
  });

  it('a task stopped by someone else is STOPPED (resumable); a fatal stop or a failed task is FAILED with its message', async () => {
    // Prepare
    const { engine, fake } = setup();
    await engine.startJob(spec('FULL_MIGRATION'));
    fake.advance();
    await engine.pollJob(spec('FULL_MIGRATION'));
    fake.advance();
    const task = fake.tasks.get(arnFor('task', 'fwd'))!.task;

    // Act
    Object.assign(task, { Status: 'stopped', StopReason: 'Stop Reason NORMAL' });
    const byHand = await engine.pollJob(spec('FULL_MIGRATION'));
    Object.assign(task, { Status: 'stopped', StopReason: 'Stop Reason FATAL_ERROR', LastFailureMessage: 'Last Error ODBC general error' });
    const fatal = await engine.pollJob(spec('FULL_MIGRATION'));
    fake.fail(idFor('fwd'), 'Replication task failed: target unreachable');
    const failed = await engine.pollJob(spec('INCREMENTAL_SYNC'));

    // Assess
    expect(byHand?.state).toBe('STOPPED');
    expect(fatal).toMatchObject({ state: 'FAILED', error: { code: 'DMS_TASK_FAILED', message: 'Last Error ODBC general error' } });
    expect(failed).toMatchObject({ state: 'FAILED', error: { code: 'DMS_TASK_FAILED', message: 'Replication task failed: target unreachable' } });
  });
});

describe('AWS DMS engine: pause, resume, fencing', () => {
  async function running(over: Partial<JobSpec> = {}) {
    const s = setup();
    await s.engine.startJob(spec('FULL_MIGRATION', over));
    s.fake.advance();
    await s.engine.pollJob(spec('FULL_MIGRATION', over));
    s.fake.advance();
    return s;
  }

  it('pause tags the task as paused by us, then stops it: PAUSED while stopping and once stopped (not STOPPED, not FAILED)', async () => {
    // Prepare
    const { engine, fake, dmsMock } = await running();
    const before = fake.calls.length;

    // Act
    const paused = await engine.pauseJob(spec('FULL_MIGRATION'));
    fake.advance();
    const later = await engine.pollJob(spec('FULL_MIGRATION'));

    // Assess
    expect(fake.calls.slice(before).map((c) => c.op).filter((op) => op === 'AddTagsToResource' || op === 'StopReplicationTask')).toEqual(['AddTagsToResource', 'StopReplicationTask']);
    expect(inputsOf(dmsMock, AddTagsToResourceCommand).at(-1)).toEqual({
      ResourceArn: arnFor('task', 'fwd'),
      Tags: [{ Key: 'migctl-stop', Value: 'pause' }], // only what changes
    });
    expect(inputsOf(dmsMock, StopReplicationTaskCommand)).toEqual([{ ReplicationTaskArn: arnFor('task', 'fwd') }]);
    expect(paused?.state).toBe('PAUSED');
    expect(fake.taskById(idFor('fwd'))?.Status).toBe('stopped');
    expect(later?.state).toBe('PAUSED');
  });

  it('resume continues with resume-processing (never start-replication again) and claims the task for the resuming run', async () => {
    // Prepare
    const { engine, fake, dmsMock } = await running();
    await engine.pauseJob(spec('FULL_MIGRATION'));
    fake.advance();

    // Act
    const resumed = await engine.resumeJob(spec('FULL_MIGRATION', { run: 2 }), undefined);
    fake.advance();
    const after = await engine.pollJob(spec('FULL_MIGRATION', { run: 2 }));

    // Assess
    expect(inputsOf(dmsMock, StartReplicationTaskCommand)).toEqual([
      { ReplicationTaskArn: arnFor('task', 'fwd'), StartReplicationTaskType: 'start-replication' },
      { ReplicationTaskArn: arnFor('task', 'fwd'), StartReplicationTaskType: 'resume-processing' },
    ]);
    expect(inputsOf(dmsMock, AddTagsToResourceCommand).at(-1)?.Tags).toEqual([
      { Key: 'migctl-run', Value: '2' },
      { Key: 'migctl-stop', Value: 'none' },
    ]);
    expect(resumed.state).toBe('RUNNING');
    expect(after?.state).toBe('RUNNING');
  });

  it('a resume asked while the pause is still stopping the task restarts it at the next call that finds it stopped', async () => {
    // Prepare
    const { engine, fake, dmsMock } = await running();
    await engine.pauseJob(spec('FULL_MIGRATION'));

    // Act
    const resumed = await engine.resumeJob(spec('FULL_MIGRATION', { run: 2 }));
    fake.advance(); // stopping → stopped
    const polled = await engine.pollJob(spec('FULL_MIGRATION', { run: 2 }));

    // Assess
    expect(resumed.state).toBe('STOPPED'); // not running yet: the orchestration polls and resumes again
    expect(polled?.state).toBe('RUNNING');
    expect(inputsOf(dmsMock, StartReplicationTaskCommand).at(-1)).toEqual({ ReplicationTaskArn: arnFor('task', 'fwd'), StartReplicationTaskType: 'resume-processing' });
  });

  it("a start or stop the SDK sent again after DMS had done it (InvalidResourceStateFault) answers the task as it is: no error", async () => {
    // Prepare: the first attempt of each request reaches DMS and its answer is lost; the retry meets the changed task
    const fake = new FakeDms();
    const replayed = new Set(['StartReplicationTask', 'StopReplicationTask']);
    const clients = fakeDmsClients(fake, (op, run) => {
      if (!replayed.has(op)) return run();
      run();
      return run();
    });
    const engine = new DmsMigrationEngine(
      { replicationInstanceArn: INSTANCE, replicationInstanceId: 'migration-instance', accessRoleArn: ROLE },
      { resolveDataSource: async (id) => ({ 'ds-src': source, 'ds-dst': destination })[id], dms: () => clients.dms, cloudwatch: () => clients.cloudwatch },
    );
    await engine.startJob(spec('FULL_MIGRATION'));
    fake.advance();

    // Act
    const started = await engine.pollJob(spec('FULL_MIGRATION'));
    fake.advance();
    const paused = await engine.pauseJob(spec('FULL_MIGRATION'));

    // Assess
    expect(fake.calls.filter((c) => c.op === 'StartReplicationTask' || c.op === 'StopReplicationTask').map((c) => c.op)).toEqual([
      'StartReplicationTask',
      'StartReplicationTask',
      'StopReplicationTask',
      'StopReplicationTask',
    ]);
    expect(started?.state).toBe('RUNNING');
    expect(paused?.state).toBe('PAUSED');
    expect(fake.taskById(idFor('fwd'))?.Status).toBe('stopping');
  });

  it('a cdc task resumed from a checkpoint other than its own starts there (CdcStartPosition)', async () => {
    // Prepare
    const cdcOnly = { ...LOAD_AND_SYNC, fullMigration: false };
    const s = setup();
    await s.engine.startJob(spec('INCREMENTAL_SYNC', { migrationType: cdcOnly }));
    s.fake.advance();
    await s.engine.pollJob(spec('INCREMENTAL_SYNC'));
    s.fake.advance(3);
    await s.engine.pauseJob(spec('INCREMENTAL_SYNC'));
    s.fake.advance();
    const recorded = 'checkpoint:V1#1#fake-log.000001:100#0#0#*#0#1';

    // Act
    await s.engine.resumeJob(spec('INCREMENTAL_SYNC', { run: 2 }), recorded);

    // Assess
    expect(inputsOf(s.dmsMock, CreateReplicationTaskCommand)[0]?.MigrationType).toBe('cdc');
    expect(inputsOf(s.dmsMock, StartReplicationTaskCommand).at(-1)).toEqual({
      ReplicationTaskArn: arnFor('task', 'fwd'),
      StartReplicationTaskType: 'resume-processing',
      CdcStartPosition: recorded,
    });
  });

  it('a pause or stop from a run older than the one that resumed the task is ignored', async () => {
    // Prepare
    const { engine, fake, dmsMock } = await running();
    await engine.pauseJob(spec('FULL_MIGRATION', { run: 1 }));
    fake.advance();
    await engine.resumeJob(spec('FULL_MIGRATION', { run: 2 }));
    fake.advance();
    const stops = inputsOf(dmsMock, StopReplicationTaskCommand).length;

    // Act
    const stalePause = await engine.pauseJob(spec('FULL_MIGRATION', { run: 1 }));
    const staleStop = await engine.stopJob(spec('FULL_MIGRATION', { run: 1 }));

    // Assess
    expect(inputsOf(dmsMock, StopReplicationTaskCommand).length).toBe(stops);
    expect(stalePause?.state).toBe('RUNNING');
    expect(staleStop?.state).toBe('RUNNING');
    expect(fake.taskById(idFor('fwd'))?.Status).toBe('running');
  });
});

describe('AWS DMS engine: switchover, reverse and release', () => {
  async function syncing(migrationType: MigrationType) {
    const s = setup();
    await s.engine.startJob(spec('FULL_MIGRATION', { migrationType }));
    s.fake.advance();
    await s.engine.pollJob(spec('FULL_MIGRATION', { migrationType }));
    s.fake.advance(6);
    s.fake.lag.set(idFor('fwd'), { source: 0, target: 1 });
    return s;
  }

  it('the forward sync stopped at switchover is SUCCEEDED and records the write stop; the reverse is a cdc task from it with swapped endpoints', async () => {
    // Prepare
    const m = { ...LOAD_AND_SYNC, reverseIncrementalSync: true };
    const { engine, fake, dmsMock, setNow } = await syncing(m);
    setNow('2026-05-01T10:15:00Z');

    // Act
    const stopped = await engine.stopJob(spec('INCREMENTAL_SYNC', { migrationType: m }));
    fake.advance();
    const retried = await engine.stopJob(spec('INCREMENTAL_SYNC', { migrationType: m })); // a retried step keeps the task
    const reverse = await engine.startJob(spec('REVERSE_INCREMENTAL_SYNC', { migrationType: m }));
    fake.advance(); // creating → ready
    const reverseStarted = await engine.resumeJob(spec('REVERSE_INCREMENTAL_SYNC', { migrationType: m }));

    // Assess
    expect(stopped?.state).toBe('SUCCEEDED');
    expect(retried?.state).toBe('SUCCEEDED');
    expect((await engine.resumeJob(spec('INCREMENTAL_SYNC', { migrationType: m, run: 3 }))).state).toBe('SUCCEEDED'); // stopped for good: never restarted
    expect(fake.taskById(idFor('fwd'))?.Status).toBe('stopped');
    expect(fake.tagsOf(arnFor('task', 'fwd'))).toMatchObject({ 'migctl-stop': 'final', 'migctl-write-stop': '2026-05-01T10:15:00' });
    expect(inputsOf(dmsMock, CreateEndpointCommand).slice(2).map((e) => [e.EndpointIdentifier, e.EndpointType, e.EngineName])).toEqual([
      [idFor('rsrc'), 'source', 'mysql'],
      [idFor('rdst'), 'target', 'postgres'],
    ]);
    expect(inputsOf(dmsMock, CreateReplicationTaskCommand).at(-1)).toMatchObject({
      ReplicationTaskIdentifier: idFor('rev'),
      SourceEndpointArn: arnFor('endpoint', 'rsrc'),
      TargetEndpointArn: arnFor('endpoint', 'rdst'),
      MigrationType: 'cdc',
    });
    expect(inputsOf(dmsMock, CreateReplicationTaskCommand).at(-1)).not.toHaveProperty('CdcStartTime');
    expect(reverse.state).toBe('STOPPED'); // being created
    expect(reverseStarted.state).toBe('RUNNING');
    // The reverse task's first run starts at the write-stop position captured when the forward sync stopped.
    expect(inputsOf(dmsMock, StartReplicationTaskCommand).at(-1)).toEqual({
      ReplicationTaskArn: arnFor('task', 'rev'),
      StartReplicationTaskType: 'start-replication',
      CdcStartPosition: '2026-05-01T10:15:00',
    });
  });

  it('switchoverStep STOP_FORWARD_SYNC stops the forward task and is done only once DMS says it stopped', async () => {
    // Prepare
    const m = { ...LOAD_AND_SYNC, reverseIncrementalSync: true };
    const { engine, fake } = await syncing(m);

    // Act
    const first = await engine.switchoverStep(spec('INCREMENTAL_SYNC', { migrationType: m }), 'STOP_FORWARD_SYNC');
    fake.advance();
    const second = await engine.switchoverStep(spec('INCREMENTAL_SYNC', { migrationType: m }), 'STOP_FORWARD_SYNC');
    const other = await engine.switchoverStep(spec('INCREMENTAL_SYNC', { migrationType: m }), 'SWITCHOVER_PRECHECK');

    // Assess
    expect(first).toMatchObject({ done: false, detail: { forwardTask: 'stopping' } });
    expect(second).toMatchObject({ done: true, detail: { forwardTask: 'stopped', writeStop: '2026-05-01T09:00:00' } });
    expect(other).toEqual({ done: true });
    expect(fake.taskById(idFor('fwd'))).toBeDefined(); // kept: the reverse sync starts from its write stop
  });

  it('release stops every task for good, says so while DMS is still stopping or deleting, and leaves nothing behind', async () => {
    // Prepare
    const { engine, fake } = await syncing(LOAD_AND_SYNC);
    const releaseAll = async () => {
      for (const t of ['FULL_MIGRATION', 'INCREMENTAL_SYNC', 'FORWARD_SWITCHOVER'] as const) await engine.stopJob(spec(t));
    };

    // Act
    const first = await releaseAll().catch((e: unknown) => e);
    fake.advance(); // stopping → stopped
    const second = await releaseAll().catch((e: unknown) => e);
    fake.advance(); // deleting → gone
    const third = await releaseAll().catch((e: unknown) => e);

    // Assess
    expect(first).toBeInstanceOf(DmsCleanupPending);
    expect(second).toBeInstanceOf(DmsCleanupPending);
    expect(third).toBeUndefined();
    expect(fake.tasks.size).toBe(0);
    expect(fake.endpoints.size).toBe(0);
  });

  it('release of a paused project whose only job is the forward sync: its stop is not taken for a switchover, the cleanup finishes', async () => {
    // Prepare
    const cdcOnly = { ...LOAD_AND_SYNC, fullMigration: false };
    const { engine, fake } = setup();
    await engine.startJob(spec('INCREMENTAL_SYNC', { migrationType: cdcOnly }));
    fake.advance();
    await engine.pollJob(spec('INCREMENTAL_SYNC'));
    fake.advance();
    await engine.pauseJob(spec('INCREMENTAL_SYNC'));
    fake.advance();

    // Act
    const first = await engine.stopJob(spec('INCREMENTAL_SYNC')).catch((e: unknown) => e);
    fake.advance(); // deleting → gone
    const second = await engine.stopJob(spec('INCREMENTAL_SYNC')).catch((e: unknown) => e);

    // Assess
    expect(first).toBeInstanceOf(DmsCleanupPending);
    expect(second).toBeUndefined();
    expect(fake.tasks.size + fake.endpoints.size).toBe(0);
  });

  it('reads tags of all the project tasks in one ListTagsForResource call', async () => {
    // Prepare
    const { engine, dmsMock } = await syncing(LOAD_AND_SYNC);
    await engine.startJob(spec('FULL_VERIFICATION'));
    dmsMock.resetHistory();

    // Act
    await engine.pollJob(spec('FULL_MIGRATION'));

    // Assess
    expect(inputsOf(dmsMock, ListTagsForResourceCommand)).toEqual([{ ResourceArnList: [arnFor('task', 'fwd'), arnFor('task', 'verify')] }]);
  });
});

describe('AWS DMS engine: the run fence of the engine port', () => {
  engineFenceContract(async () => {
    const s = setup();
    const of = (run: number) => spec('FULL_MIGRATION', { run });
    return {
      engine: s.engine,
      spec: of,
      settle: async () => s.fake.advance(),
      started: async () => {
        await s.engine.startJob(of(1));
        s.fake.advance();
        await s.engine.pollJob(of(1));
        s.fake.advance();
      },
    };
  });
});
