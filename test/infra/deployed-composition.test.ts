import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MigrationControlPlaneStack } from '../../infra/stack';
import { EngineRouter } from '../../shared/adapters/engine/engine-router';
import { EventBridgeExpiryScheduler } from '../../shared/adapters/scheduler/eventbridge-scheduler';
import { StepFunctionsOrchestrator } from '../../shared/adapters/stepfunctions/sfn-orchestrator';
import { CAPABILITIES, type Capability } from '../../shared/domain/effects';
import { depsFromEnv } from '../../shared/runtime';
import { runBatch } from '../../shared/usecases/batch';
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

/** IAM actions each capability needs (what the adapters behind the port call). */
const ACTIONS: Record<Capability, string[]> = {
  'runs:start': ['states:StartExecution'],
  'runs:stop': ['states:StopExecution', 'states:DescribeExecution'],
  'runs:signal': ['states:SendTaskSuccess'],
  jobs: [],
  timers: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'iam:PassRole'],
  'timers:sweep': ['scheduler:ListSchedules'],
};

/** The adapter a configured port must be (never a stand-in that refuses every use). */
const ADAPTERS = { orchestrator: StepFunctionsOrchestrator, expiry: EventBridgeExpiryScheduler, engine: EngineRouter } as const;

interface DeployedFunction {
  fn: string;
  env: Record<string, string>;
  actions: Set<string>;
}

/** A token's stand-in value: an ARN-shaped string for ARNs, a name otherwise. */
function standIn(key: string, value: unknown): string {
  if (typeof value === 'string') return value;
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
    out.push({ fn, env: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, standIn(k, v)])), actions });
  }
  return out;
}

let functions: DeployedFunction[];

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new MigrationControlPlaneStack(app, 'Composition', { stage: 'prod' });
  functions = deployedFunctions(Template.fromStack(stack).toJSON() as { Resources: Record<string, Json> });
}, 600_000);

describe('deployed composition (from the synthesized template)', () => {
  it('names every function of the control plane', () => {
    expect(functions.map((f) => f.fn).sort()).toEqual(expect.arrayContaining(['batch-operations', 'project-lifecycle', 'orchestration-step', 'orchestration-reconciler', 'pause-timer']));
  });

  it("builds each function's dependencies as the deployed runtime does, with every port its operations need", () => {
    for (const { fn, env } of functions) {
      // Act
      const deps = depsFromEnv({ ...env, AWS_REGION: 'eu-west-1' });

      // Assess
      for (const port of portsNeededBy(fn)) expect(deps[port], `${fn} (operations: ${operationsOf(fn).join(', ')}) needs ${port}`).toBeInstanceOf(ADAPTERS[port]);
    }
  });

  it('grants each function the actions of every capability its operations need', () => {
    for (const { fn, actions } of functions) {
      for (const capability of capabilitiesOf(fn)) {
        for (const action of ACTIONS[capability]) expect(actions.has(action), `${fn} needs ${action} for ${capability} (${CAPABILITIES[capability].port})`).toBe(true);
      }
    }
  });

  it('refuses at init a function whose operations need a port that is not configured (the old batch wiring)', () => {
    // Prepare: the batch function as it was deployed before its grants were derived: no STATE_MACHINE_ARN.
    const batch = functions.find((f) => f.fn === 'batch-operations');
    if (!batch) throw new Error('no batch-operations function');
    const { STATE_MACHINE_ARN: _dropped, ...oldEnv } = batch.env;

    // Act / Assess
    expect(() => depsFromEnv({ ...oldEnv, AWS_REGION: 'eu-west-1' })).toThrow(/batch-operations needs the orchestrator port.*STATE_MACHINE_ARN/);
  });
});

describe('the deployed batch function', () => {
  const sfn = mockClient(SFNClient);
  afterEach(() => sfn.reset());

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
});
