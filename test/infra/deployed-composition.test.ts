import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from 'aws-lambda';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DatabaseMigrationServiceClient, ListTagsForResourceCommand } from '@aws-sdk/client-database-migration-service';
import { handler as engineNotices } from '../../functions/engine-notices/handler';
// The position reader, as the handlers of the functions with 'positions' import it (test/unit/deployed-engines.test.ts checks which).
import '../../shared/deployed-position-reader';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DmsMigrationEngine } from '../../shared/adapters/engine/dms/dms-engine';
import { PgReplicationSlots } from '../../shared/adapters/engine/dms/pg-slots';
import { FakeDms } from '../../shared/adapters/engine/dms/fake-dms';
import { routeToFakeDms } from '../../shared/adapters/engine/dms/fake-dms-mock';
import { dmsEngineFromEnv } from '../../shared/adapters/engine/dms/from-env';
import { overrideDeps, resetDeps } from '../../shared/runtime';
import { applyOperation } from '../../shared/usecases/lifecycle';
import { ExecutionDriver } from '../reliability/faults/execution-driver';
import { SimulatedOrchestrator } from '../reliability/faults/faulty-adapters';
import type { EngineSettings } from '../../infra/constructs/control-plane';
import { MigrationControlPlaneStack } from '../../infra/stack';
import { EngineRouter } from '../../shared/adapters/engine/engine-router';
import { ObserveOnlyEngine } from '../../shared/adapters/engine/observe-only';
import { EventBridgeExpiryScheduler } from '../../shared/adapters/scheduler/eventbridge-scheduler';
import { StepFunctionsOrchestrator } from '../../shared/adapters/stepfunctions/sfn-orchestrator';
import { SqsBatchQueue } from '../../shared/adapters/sqs/batch-queue';
import { CAPABILITIES, type Capability } from '../../shared/domain/effects';
import { depsFromEnv } from '../../shared/runtime';
import { runBatch } from '../../shared/usecases/batch';
import { handleBatchMessage, submitBatch } from '../../shared/usecases/batch-jobs';
import { ASYNC_BATCH_THRESHOLD, type BatchMessage } from '../../shared/domain/batch-jobs';
import { capabilitiesOf, operationsOf, portsNeededBy } from '../../shared/wiring';
import { memoryDeps } from '../support/memory-deps';
import { createDataSource } from '../../shared/usecases/data-sources';
import { createProject } from '../../shared/usecases/projects';

/**
 * The deployed composition, from the synthesized template: each function's environment as CloudFormation
 * would set it (tokens replaced by stand-ins), its dependencies built exactly as the deployed runtime
 * builds them (depsFromEnv), and its role's grants — checked against what the operations reachable
 * through the function need (shared/wiring.ts, derived from the operation records).
 */

type Json = any;

/** What the AWS DMS adapter calls (shared/adapters/engine/dms/dms-api.ts), and passing its secrets access role to DMS. */
const DMS_ACTIONS = [
  'dms:CreateEndpoint',
  'dms:DeleteEndpoint',
  'dms:DescribeEndpoints',
  'dms:CreateReplicationTask',
  'dms:StartReplicationTask',
  'dms:StopReplicationTask',
  'dms:DeleteReplicationTask',
  'dms:DescribeReplicationTasks',
  'dms:DescribeTableStatistics',
  'dms:AddTagsToResource',
  'dms:ListTagsForResource',
  'cloudwatch:GetMetricData',
  'iam:PassRole',
];

/** What the adapter calls in DMS Serverless mode (shared/adapters/engine/dms/backend.ts, ServerlessBackend). */
const DMS_SERVERLESS_ACTIONS = [
  'dms:CreateEndpoint',
  'dms:DeleteEndpoint',
  'dms:DescribeEndpoints',
  'dms:CreateReplicationConfig',
  'dms:StartReplication',
  'dms:StopReplication',
  'dms:DeleteReplicationConfig',
  'dms:DescribeReplications',
  'dms:DescribeReplicationTableStatistics',
  'dms:AddTagsToResource',
  'dms:ListTagsForResource',
  'cloudwatch:GetMetricData',
  'cloudwatch:ListMetrics',
  'iam:PassRole',
];

/** What observing a job calls (capability jobs:poll: describe, tags, table statistics, CDC latencies), per DMS mode. */
const DMS_POLL_ACTIONS = ['dms:DescribeReplicationTasks', 'dms:DescribeTableStatistics', 'dms:ListTagsForResource', 'cloudwatch:GetMetricData'];
const DMS_SERVERLESS_POLL_ACTIONS = ['dms:DescribeReplications', 'dms:DescribeReplicationTableStatistics', 'dms:ListTagsForResource', 'cloudwatch:GetMetricData', 'cloudwatch:ListMetrics'];

/** The compositions checked: each engine setting a deployment can name (DMS in both of its modes). */
const SETTINGS = {
  simulated: { kind: 'simulated' },
  'aws-dms': { kind: 'aws-dms' },
  'aws-dms-serverless': { kind: 'aws-dms', mode: 'serverless' },
} as const satisfies Record<string, EngineSettings>;
type Composition = keyof typeof SETTINGS;

/** IAM actions each capability needs (what the adapters behind the port call); the jobs of the simulated engine are table items. */
const actionsOf = (composition: Composition): Record<Capability, string[]> => ({
  'runs:start': ['states:StartExecution'],
  'runs:stop': ['states:StopExecution', 'states:DescribeExecution'],
  'runs:signal': ['states:SendTaskSuccess'],
  jobs: { simulated: [], 'aws-dms': DMS_ACTIONS, 'aws-dms-serverless': DMS_SERVERLESS_ACTIONS }[composition],
  'jobs:poll': { simulated: [], 'aws-dms': DMS_POLL_ACTIONS, 'aws-dms-serverless': DMS_SERVERLESS_POLL_ACTIONS }[composition],
  // DMS: the data sources' secrets and the network interfaces of a function in the replication subnets.
  positions: composition === 'simulated' ? [] : ['secretsmanager:GetSecretValue', 'ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface'],
  timers: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'iam:PassRole'],
  'timers:sweep': ['scheduler:ListSchedules'],
  'batches:enqueue': ['sqs:SendMessage'],
});

/** The adapter a configured port must be (never a stand-in that refuses every use); a function that may only observe jobs gets the observe-only engine. */
const ADAPTERS = { orchestrator: StepFunctionsOrchestrator, expiry: EventBridgeExpiryScheduler, engine: EngineRouter, batchQueue: SqsBatchQueue } as const;
const adapterOf = (fn: string, port: keyof typeof ADAPTERS) =>
  port === 'engine' && !capabilitiesOf(fn).includes('jobs') && capabilitiesOf(fn).includes('jobs:poll') ? ObserveOnlyEngine : ADAPTERS[port];

interface DeployedFunction {
  fn: string;
  env: Record<string, string>;
  actions: Set<string>;
  /** The function's VpcConfig in the template (absent: not VPC-attached). */
  vpc?: { SubnetIds: unknown[]; SecurityGroupIds: unknown[] };
}

/** ARN shapes the adapters check (the DMS engine refuses anything but a replication instance ARN). */
const ARN_STAND_INS: Record<string, string> = {
  DMS_REPLICATION_INSTANCE_ARN: 'arn:aws:dms:eu-west-1:123456789012:rep:mig-composition',
  DMS_ACCESS_ROLE_ARN: 'arn:aws:iam::123456789012:role/dms-secrets-access',
};

/** A token's stand-in value: an ARN-shaped string for ARNs, a name otherwise. */
function standIn(key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (ARN_STAND_INS[key]) return ARN_STAND_INS[key];
  if (/ARN$/.test(key)) return `arn:aws:states:eu-west-1:123456789012:stateMachine:${key.toLowerCase()}`;
  return `${key.toLowerCase()}-from-template`;
}

function deployedFunctions(template: { Resources: Record<string, Json> }): DeployedFunction[] {
  const resources = template.Resources;
  const out: DeployedFunction[] = [];
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const variables: Record<string, unknown> = r.Properties?.Environment?.Variables ?? {};
    const fn = variables.CONTROL_PLANE_FUNCTION;
    if (typeof fn !== 'string') continue;
    const roleId = r.Properties.Role['Fn::GetAtt'][0] as string;
    const actions = new Set<string>();
    for (const p of Object.values(resources)) {
      if (p.Type !== 'AWS::IAM::Policy' || !(p.Properties.Roles as Json[]).some((x) => x.Ref === roleId)) continue;
      for (const st of p.Properties.PolicyDocument.Statement as Json[]) for (const a of [st.Action].flat() as string[]) actions.add(a);
    }
    out.push({ fn, env: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, standIn(k, v)])), actions, ...(r.Properties.VpcConfig ? { vpc: r.Properties.VpcConfig } : {}) });
  }
  return out;
}

function synthesizeComposition(engine: EngineSettings): DeployedFunction[] {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new MigrationControlPlaneStack(app, 'Composition', { stage: 'prod', engine });
  return deployedFunctions(Template.fromStack(stack).toJSON() as { Resources: Record<string, Json> });
}

/** The prod composition per engine setting (prod always names its engine). */
const compositions: Record<Composition, DeployedFunction[]> = { simulated: [], 'aws-dms': [], 'aws-dms-serverless': [] };
let functions: DeployedFunction[];

beforeAll(() => {
  for (const name of Object.keys(SETTINGS) as Composition[]) compositions[name] = synthesizeComposition(SETTINGS[name]);
  functions = compositions.simulated;
}, 600_000);

describe.each(Object.keys(SETTINGS) as Composition[])('deployed composition with the %s engine (from the synthesized template)', (engine) => {
  const ACTIONS = actionsOf(engine);

  it('names every function of the control plane', () => {
    const functions = compositions[engine];
    expect(functions.map((f) => f.fn).sort()).toEqual(
      expect.arrayContaining(['batch-operations', 'batch-worker', 'get-batch-operation', 'list-batch-operations', 'project-lifecycle', 'orchestration-step', 'orchestration-reconciler', 'pause-timer']),
    );
  });

  it("builds each function's dependencies as the deployed runtime does, with every port its operations need", () => {
    for (const { fn, env } of compositions[engine]) {
      // Act
      const deps = depsFromEnv({ ...env, AWS_REGION: 'eu-west-1' });

      // Assess
      for (const port of portsNeededBy(fn)) expect(deps[port], `${fn} (operations: ${operationsOf(fn).join(', ')}) needs ${port}`).toBeInstanceOf(adapterOf(fn, port));
    }
  });

  it('gives every function that runs jobs an engine router serving exactly the configured engine', () => {
    const runners = compositions[engine].filter(({ fn }) => capabilitiesOf(fn).includes('jobs'));
    expect(runners.map((f) => f.fn)).toEqual(expect.arrayContaining(['orchestration-step', 'project-lifecycle', 'pause-timer']));
    for (const { fn, env } of runners) {
      // Act
      const deps = depsFromEnv({ ...env, AWS_REGION: 'eu-west-1' });

      // Assess
      expect(deps.engine, fn).toBeInstanceOf(EngineRouter);
      expect((deps.engine as EngineRouter).kinds, fn).toEqual([SETTINGS[engine].kind]);
    }
  });

  it('grants each function the actions of every capability its operations need', () => {
    for (const { fn, actions } of compositions[engine]) {
      for (const capability of capabilitiesOf(fn)) {
        for (const action of ACTIONS[capability]) expect(actions.has(action), `${fn} needs ${action} for ${capability} (${CAPABILITIES[capability].port})`).toBe(true);
      }
    }
  });

  it('grants DMS actions to no function whose operations run no jobs', () => {
    for (const { fn, actions } of compositions[engine]) {
      if (capabilitiesOf(fn).includes('jobs') || capabilitiesOf(fn).includes('jobs:poll')) continue;
      expect([...actions].filter((a) => a.startsWith('dms:')), fn).toEqual([]);
    }
  });

  it('grants a function that only observes jobs (jobs:poll) the reads of a poll and no DMS action that acts, and gives it an engine that refuses to act', async () => {
    const observers = compositions[engine].filter(({ fn }) => capabilitiesOf(fn).includes('jobs:poll') && !capabilitiesOf(fn).includes('jobs'));
    if (engine !== 'simulated') expect(observers.map((f) => f.fn)).toEqual(['engine-notices']);
    for (const { fn, env, actions } of observers) {
      // Act
      const deps = depsFromEnv({ ...env, AWS_REGION: 'eu-west-1' });
      const job = { jobId: 'p-1:FULL_MIGRATION', projectId: 'p-1', subtask: 'FULL_MIGRATION' as const, engine: SETTINGS[engine].kind, run: 1, sourceIds: ['s-1'], destinationId: 'd-1' };

      // Assess
      expect([...actions].filter((a) => a.startsWith('dms:') || a === 'iam:PassRole').sort(), fn).toEqual(ACTIONS['jobs:poll'].filter((a) => a.startsWith('dms:')).sort());
      await expect(deps.engine.pauseJob(job), fn).rejects.toThrow(/only observe engine jobs.*pauseJob/);
      await expect(deps.engine.stopJob(job), fn).rejects.toThrow(/only observe engine jobs.*stopJob/);
      await expect(deps.engine.pollJob(job), fn).rejects.toThrow(/only observe engine jobs.*pollJob/);
    }
  });

  it('refuses at init a function whose operations need a port that is not configured (the old batch wiring)', () => {
    // Prepare: the batch function as it was deployed before its grants were derived: no STATE_MACHINE_ARN.
    const batch = compositions[engine].find((f) => f.fn === 'batch-operations');
    if (!batch) throw new Error('no batch-operations function');
    const { STATE_MACHINE_ARN: _dropped, ...oldEnv } = batch.env;

    // Act / Assess
    expect(() => depsFromEnv({ ...oldEnv, AWS_REGION: 'eu-west-1' })).toThrow(/batch-operations needs the orchestrator port.*STATE_MACHINE_ARN/);
  });
});

describe('deployed composition with the aws-dms engine', () => {
  const secrets = mockClient(SecretsManagerClient);
  afterEach(() => secrets.reset());

  it.each(['aws-dms', 'aws-dms-serverless'] as const)(
    '%s: the functions that make or drop write-stop positions get an engine with a PostgreSQL position reader connecting with the data source\'s secret, in the replication subnets',
    async (composition) => {
      // Prepare
      const readers = compositions[composition].filter(({ fn }) => capabilitiesOf(fn).includes('positions'));
      const ds = { id: 'ds-1', name: 'shop-dst', engine: 'postgresql', host: 'record.example', port: 5432, username: 'record-user', database: 'shop', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:dst-GhIjKl', createdAt: '2026-01-01T00:00:00.000Z' };
      secrets.on(GetSecretValueCommand, { SecretId: ds.secretArn }).resolves({ SecretString: JSON.stringify({ username: 'migrator', password: 's3cret', host: 'db.internal', port: 5433 }) });

      // Act
      const connections = [];
      for (const { fn, env } of readers) {
        const engine = (depsFromEnv({ ...env, AWS_REGION: 'eu-west-1' }).engine as EngineRouter).configured('aws-dms') as DmsMigrationEngine;
        const reader = engine.positionReader;
        expect(reader, fn).toBeInstanceOf(PgReplicationSlots);
        connections.push(await (reader as PgReplicationSlots).connect(ds as Parameters<PgReplicationSlots['connect']>[0]));
      }

      // Assess
      expect(readers.map((f) => f.fn).sort()).toEqual(['orchestration-reconciler', 'orchestration-step']);
      for (const c of connections) expect(c).toEqual({ host: 'db.internal', port: 5433, database: 'shop', user: 'migrator', password: 's3cret' });
      for (const { fn, vpc } of readers) {
        expect(vpc?.SubnetIds.length, fn).toBeGreaterThan(0);
        expect(vpc?.SecurityGroupIds, fn).toHaveLength(1);
      }
    },
  );

  it('keeps the functions that make or drop no positions out of the VPC and the secrets, with no position reader', () => {
    for (const { fn, env, vpc, actions } of compositions['aws-dms']) {
      if (capabilitiesOf(fn).includes('positions')) continue;
      expect(vpc, fn).toBeUndefined();
      expect([...actions].filter((a) => a.startsWith('secretsmanager:')), fn).toEqual([]);
      if (capabilitiesOf(fn).includes('jobs')) expect(((depsFromEnv({ ...env, AWS_REGION: 'eu-west-1' }).engine as EngineRouter).configured('aws-dms') as DmsMigrationEngine).positionReader, fn).toBeUndefined();
    }
  });

  it('refuses at init a function that makes positions on DMS without its position reader', () => {
    // Prepare
    const step = compositions['aws-dms'].find((f) => f.fn === 'orchestration-step');
    if (!step) throw new Error('no orchestration-step function');
    const { DMS_POSITION_READER: _dropped, ...env } = step.env;

    // Act / Assess
    expect(() => depsFromEnv({ ...env, AWS_REGION: 'eu-west-1' })).toThrow(/DMS_POSITION_READER is not set/);
  });

  it('refuses at init a function that runs jobs on DMS without the DMS_* settings of the DmsEngine construct', () => {
    // Prepare
    const step = compositions['aws-dms'].find((f) => f.fn === 'orchestration-step');
    if (!step) throw new Error('no orchestration-step function');
    const { DMS_REPLICATION_INSTANCE_ARN: _dropped, ...env } = step.env;

    // Act / Assess
    expect(() => depsFromEnv({ ...env, AWS_REGION: 'eu-west-1' })).toThrow(/aws-dms engine needs DMS_REPLICATION_INSTANCE_ARN/);
  });
});

describe('the deployed batch functions', () => {
  const sfn = mockClient(SFNClient);
  const sqs = mockClient(SQSClient);
  afterEach(() => {
    sfn.reset();
    sqs.reset();
  });

  it('starts an execution for each project a batch start starts', async () => {
    // Prepare: the batch function's own runtime (its template environment), its stores in memory
    const batch = functions.find((f) => f.fn === 'batch-operations');
    if (!batch) throw new Error('no batch-operations function');
    const deployed = depsFromEnv({ ...batch.env, AWS_REGION: 'eu-west-1' });
    const deps = memoryDeps({ orchestrator: deployed.orchestrator, engine: deployed.engine, expiry: deployed.expiry });
    const ctx = { actor: 'tester', requestId: 'r1' };
    const src = await createDataSource(deps, { name: 'src', engine: 'mysql', host: 'h', port: 3306, username: 'u' });
    const dst = await createDataSource(deps, { name: 'dst', engine: 'tidb', host: 'h', port: 4000, username: 'u' });
    const migrationType = { structureMigration: true, fullMigration: true, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false };
    const a = await createProject(deps, { name: 'a', sourceId: src.id, destinationId: dst.id, migrationType }, ctx);
    const b = await createProject(deps, { name: 'b', sourceId: src.id, destinationId: dst.id, migrationType }, ctx);
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:x:y', startDate: new Date() });

    // Act
    const out = await runBatch(deps, { operation: 'start', projectIds: [a.id, b.id] }, ctx);

    // Assess
    expect('results' in out && out.results.map((r) => [r.ok, r.status])).toEqual([[true, 'RUNNING'], [true, 'RUNNING']]);
    const names = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name);
    expect(names.sort()).toEqual([`${a.id}-1`, `${b.id}-1`].sort());
  });

  it('is built from its template environment with the SQS batch queue, and starts an execution for each project of a large batch start', async () => {
    // Prepare: the worker's own runtime (its template environment), its stores in memory
    const worker = functions.find((f) => f.fn === 'batch-worker');
    if (!worker) throw new Error('no batch-worker function');
    const deployed = depsFromEnv({ ...worker.env, AWS_REGION: 'eu-west-1' });
    const deps = memoryDeps({ orchestrator: deployed.orchestrator, engine: deployed.engine, expiry: deployed.expiry, ...(deployed.batchQueue ? { batchQueue: deployed.batchQueue } : {}) });
    const ctx = { actor: 'tester', requestId: 'r1' };
    // SQS as the deployed queue reaches it: every SendMessageBatch entry becomes a message to deliver.
    let sent: BatchMessage[] = [];
    sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      sent.push(...(input.Entries ?? []).map((e) => JSON.parse(e.MessageBody ?? '{}') as BatchMessage));
      return { Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: 'x' })), Failed: [] };
    });
    const src = await createDataSource(deps, { name: 'src', engine: 'mysql', host: 'h', port: 3306, username: 'u' });
    const dst = await createDataSource(deps, { name: 'dst', engine: 'tidb', host: 'h', port: 4000, username: 'u' });
    const migrationType = { structureMigration: true, fullMigration: true, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false };
    const projects = await Promise.all(Array.from({ length: ASYNC_BATCH_THRESHOLD + 1 }, (_, i) => createProject(deps, { name: `w${i}`, sourceId: src.id, destinationId: dst.id, migrationType }, ctx)));
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:x:y', startDate: new Date() });
    const accepted = await submitBatch(deps, { operation: 'start', projectIds: projects.map((p) => p.id) }, ctx);
    if (accepted.kind !== 'accepted') throw new Error('expected a batch resource');
    const take = (): BatchMessage[] => {
      const out = sent;
      sent = [];
      return out;
    };

    // Act: the worker's messages, as SQS would deliver them
    for (let round = 0, pending = take(); pending.length > 0; pending = take(), round++) {
      for (const [i, m] of pending.entries()) await handleBatchMessage(deps, m, { messageId: `${round}-${i}`, attempt: 1 });
    }

    // Assess
    expect(deployed.batchQueue).toBeInstanceOf(SqsBatchQueue);
    expect(worker.env.BATCH_QUEUE_URL).toEqual(expect.any(String));
    expect((await deps.batches.get(accepted.batch.batchId))?.succeeded).toBe(projects.length);
    const names = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name);
    expect(names.sort()).toEqual(projects.map((p) => `${p.id}-1`).sort());
  });
});

describe('the deployed engine-notices function (aws-dms)', () => {
  const dmsMock = mockClient(DatabaseMigrationServiceClient);
  const cwMock = mockClient(CloudWatchClient);
  const saved = { ...process.env };
  afterEach(() => {
    dmsMock.reset();
    cwMock.reset();
    resetDeps();
    process.env = { ...saved };
  });

  it('is built from its template environment and grants, and fails the run of a failed DMS task from its notice', async () => {
    // Prepare: DMS (every client the deployed code makes) answered by a fake DMS
    const notices = compositions['aws-dms'].find((f) => f.fn === 'engine-notices');
    if (!notices) throw new Error('no engine-notices function in the aws-dms composition');
    const fake = new FakeDms();
    routeToFakeDms(fake, dmsMock, cwMock);
    // A project whose full load runs on DMS: started and driven by the orchestration, on the engine as the template configures it.
    const orchestrator = new SimulatedOrchestrator();
    const holder: { deps?: ReturnType<typeof memoryDeps> } = {};
    const engine = new EngineRouter({ 'aws-dms': dmsEngineFromEnv(notices.env, (id) => holder.deps!.dataSources.get(id)) });
    const deps = memoryDeps({ orchestrator, engine });
    holder.deps = deps;
    const driver = new ExecutionDriver(() => deps, orchestrator);
    const ctx = { actor: 'tester', requestId: 'r1' };
    const src = await createDataSource(deps, { name: 'src', engine: 'postgresql', host: 'src.example', port: 5432, username: 'app', database: 'shop', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:src-AbCdEf' });
    const dst = await createDataSource(deps, { name: 'dst', engine: 'mysql', host: 'dst.example', port: 3306, username: 'app', database: 'shop', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:dst-GhIjKl' });
    const migrationType = { structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: false, reverseIncrementalSync: false };
    const p = await createProject(deps, { name: 'notified', sourceId: src.id, destinationId: dst.id, migrationType, alertLevel: 'HIGH' }, ctx);
    await applyOperation(deps, { operation: 'start', projectId: p.id, ctx });
    const fwd = () => [...fake.tasks.values()].map((t) => t.task).find((t) => t.ReplicationTaskIdentifier?.endsWith('-fwd'));
    for (let i = 0; i < 20 && !(fwd()?.Status === 'running' && (await deps.projects.get(p.id))?.subtasks.find((x) => x.type === 'FULL_MIGRATION')?.status === 'RUNNING'); i++) {
      for (const e of orchestrator.live()) await driver.drive(e);
      fake.advance();
      deps.clock.advance(60_000);
    }
    const task = fwd();
    if (task?.Status !== 'running' || !task.ReplicationTaskIdentifier || !task.ReplicationTaskArn) throw new Error('the full load never ran');
    fake.fail(task.ReplicationTaskIdentifier, 'Last Error Target endpoint unreachable.');
    // The function as deployed: its template environment; only the stores are the test's (in memory).
    process.env = { ...saved, ...notices.env, AWS_REGION: 'eu-west-1' };
    overrideDeps({ projects: deps.projects, dataSources: deps.dataSources, alerts: deps.alerts, clock: deps.clock });
    const event = { source: 'aws.dms', 'detail-type': 'DMS Replication Task State Change', resources: [task.ReplicationTaskArn], detail: { category: 'Failure', eventType: 'REPLICATION_TASK_FAILED', detailMessage: 'Last Error Target endpoint unreachable.' } };

    const before = { dms: dmsMock.calls().length, cw: cwMock.calls().length };

    // Act
    const outcome = await engineNotices(event, { awsRequestId: 'notice-1' } as Context);

    // Assess
    expect(outcome).toMatchObject({ outcome: 'FAILED', projectId: p.id, subtask: 'FULL_MIGRATION' });
    expect(await deps.projects.get(p.id)).toMatchObject({ status: 'FAILED' });
    expect(dmsMock.commandCalls(ListTagsForResourceCommand).some((c) => c.args[0].input.ResourceArnList?.includes(task.ReplicationTaskArn!) || c.args[0].input.ResourceArn === task.ReplicationTaskArn)).toBe(true);
    for (const action of ['dms:DescribeReplicationTasks', 'dms:ListTagsForResource', 'dms:DescribeTableStatistics', 'states:SendTaskSuccess']) expect(notices.actions.has(action), action).toBe(true);
    // Every call the deployed function made is one its role allows (it only looks: no start, stop, tag or delete).
    const made = [
      ...dmsMock.calls().slice(before.dms).map((c) => `dms:${(c.args[0] as object).constructor.name.replace(/Command$/, '')}`),
      ...cwMock.calls().slice(before.cw).map((c) => `cloudwatch:${(c.args[0] as object).constructor.name.replace(/Command$/, '')}`),
    ];
    expect(made).toContain('dms:DescribeReplicationTasks');
    for (const action of new Set(made)) expect(notices.actions.has(action), `engine-notices called ${action}`).toBe(true);
  });

  it('observes a job waiting for its deferred start without starting it (its role may not)', async () => {
    // Prepare: a created task that waits for DMS to make it ready (the adapter starts it at a later poll)
    const notices = compositions['aws-dms'].find((f) => f.fn === 'engine-notices');
    if (!notices) throw new Error('no engine-notices function in the aws-dms composition');
    const fake = new FakeDms();
    routeToFakeDms(fake, dmsMock, cwMock);
    const holder: { deps?: ReturnType<typeof memoryDeps> } = {};
    const runner = new EngineRouter({ 'aws-dms': dmsEngineFromEnv(notices.env, (id) => holder.deps!.dataSources.get(id)) });
    const deps = memoryDeps({ engine: runner });
    holder.deps = deps;
    const src = await createDataSource(deps, { name: 'src', engine: 'postgresql', host: 'src.example', port: 5432, username: 'app', database: 'shop', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:src-AbCdEf' });
    const dst = await createDataSource(deps, { name: 'dst', engine: 'mysql', host: 'dst.example', port: 3306, username: 'app', database: 'shop', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:dst-GhIjKl' });
    const job = { jobId: 'p-9:FULL_MIGRATION', projectId: 'p-9', subtask: 'FULL_MIGRATION' as const, engine: 'aws-dms' as const, run: 1, sourceIds: [src.id], destinationId: dst.id };
    await runner.startJob({ ...job, tables: null, migrationType: { structureMigration: false, fullMigration: true, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false } });
    fake.advance(); // creating → ready: the next poll would start it
    process.env = { ...saved, ...notices.env, AWS_REGION: 'eu-west-1' };
    overrideDeps({ projects: deps.projects, dataSources: deps.dataSources, alerts: deps.alerts, clock: deps.clock });
    const { getDeps } = await import('../../shared/runtime');
    const observer = getDeps().engine;
    const starts = () => dmsMock.calls().filter((c) => (c.args[0] as object).constructor.name === 'StartReplicationTaskCommand').length;
    const startsBefore = starts();

    // Act
    const seen = await observer.observeJob(job);

    // Assess
    expect(observer).toBeInstanceOf(ObserveOnlyEngine);
    expect(seen?.state).toBeDefined();
    expect(starts()).toBe(startsBefore);
    expect([...fake.tasks.values()].map((t) => t.task.Status)).toEqual(['ready']);
  });
});
