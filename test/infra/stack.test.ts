import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import validateAsl from 'asl-validator';
import { ORCHESTRATION_FUNCTIONS } from '../../infra/constructs/orchestrator';
import { extractStateMachine, loadStateMachine, type AslState } from '../../infra/local/state-machine';
import { MigrationControlPlaneStack, type Stage } from '../../infra/stack';
import { capabilitiesOf, reachesEngineJobs } from '../../shared/wiring';
import { FUNCTION_NAMES, ROUTES } from '../../shared/api/routes';
import { apiGatewayModelSchema, CONTRACT, routeKey } from '../../shared/api/openapi';
import { LIST_VIEW_ATTRIBUTES, TABLE, tableDefinition } from '../../shared/table';
import { RECONCILER_WORKERS } from '../../shared/usecases/reconcile-shards';

/**
 * Synthesizes the stack once per stage (beforeAll) with the same context (feature flags) as cdk.json
 * and checks the template against the single sources of truth: tableDefinition() and ROUTES.
 * Only the dev stack bundles its functions (esbuild, ~1 s per function); bundling does not depend
 * on the stage, so the prod stack skips it.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
const PROD_PAUSE_DEADLINE_SECONDS = 3600;
/** TransactWriteItems is no IAM action of its own (it is authorized per item as Put/Update/DeleteItem): listed to catch it anyway. */
const DYNAMODB_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
const FORBIDDEN_FOR_READERS = [...DYNAMODB_WRITE_ACTIONS, 'dynamodb:TransactWriteItems', 'dynamodb:*', '*'];

// Minimal shapes of the synthesized template.
type Json = any;
interface CfnResource {
  Type: string;
  Properties?: Json;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

interface Synthesized {
  resources: Record<string, CfnResource>;
  outdir: string;
  /** fn (folder name) → logical id of its AWS::Lambda::Function. */
  functionIds: Record<string, string>;
  stateMachineId: string;
  template: { Resources: Record<string, CfnResource> };
  pauseTimerIds: { group: string; role: string; queue: string };
  eventIds: { bus: string; queue: string };
  alertTopicId: string;
  tableId: string;
}

const outdirs: string[] = [];

function synthesize(stage: Stage, context: Record<string, unknown>, pauseDeadlineSeconds?: number, alarmEmail?: string): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), `cdk-test-${stage}-`));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { ...CDK_JSON_CONTEXT, ...context } });
  const stack = new MigrationControlPlaneStack(app, `MigrationControlPlane-${stage}`, {
    stage,
    engine: { kind: 'simulated' },
    ...(pauseDeadlineSeconds === undefined ? {} : { pauseDeadlineSeconds }),
    ...(alarmEmail === undefined ? {} : { alarmEmail }),
  });
  const template = Template.fromStack(stack);
  const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
    stack.resolve((construct.node.defaultChild as { logicalId: string }).logicalId) as string;
  const json = template.toJSON() as { Resources: Record<string, CfnResource> };
  return {
    resources: json.Resources,
    template: json,
    stateMachineId: logicalId(stack.orchestration.stateMachine),
    outdir,
    functionIds: {
      ...Object.fromEntries(Object.entries(stack.api.functions).map(([fn, f]) => [fn, logicalId(f)])),
      ...Object.fromEntries(Object.entries(stack.orchestration.functions).map(([fn, f]) => [fn, logicalId(f)])),
      'pause-timer': logicalId(stack.pauseTimers.function),
      'publish-domain-events': logicalId(stack.domainEvents.publisher),
      'project-status-metrics': logicalId(stack.monitoring.statusMetrics),
      'batch-worker': logicalId(stack.batchQueue.worker),
    },
    eventIds: { bus: logicalId(stack.domainEvents.bus), queue: logicalId(stack.domainEvents.deadLetterQueue) },
    pauseTimerIds: {
      group: logicalId({ node: { defaultChild: stack.pauseTimers.group } }),
      role: logicalId(stack.pauseTimers.schedulerRole),
      queue: logicalId(stack.pauseTimers.deadLetterQueue),
    },
    alertTopicId: logicalId(stack.alerts.topic),
    tableId: logicalId(stack.table.table),
  };
}

function ofType(s: Synthesized, type: string): [string, CfnResource][] {
  return Object.entries(s.resources).filter(([, r]) => r.Type === type);
}

function resource(s: Synthesized, id: string): CfnResource {
  const r = s.resources[id];
  if (!r) throw new Error(`no resource ${id} in the template`);
  return r;
}

/** Every action granted to the role of a function, across all policies attached to that role. */
function actionsOf(s: Synthesized, fn: string): string[] {
  const fnId = s.functionIds[fn] ?? '';
  const roleId = resource(s, fnId).Properties.Role['Fn::GetAtt'][0] as string;
  return ofType(s, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as Json[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[])
    .flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]) as string[]);
}

/** "GET /projects/{id}" for every API Gateway method, its path rebuilt from the Resource ParentId chain. */
function methodsOf(s: Synthesized): { key: string; resource: CfnResource }[] {
  const pathOf = (ref: Json): string => {
    if (ref['Fn::GetAtt']?.[1] === 'RootResourceId') return '';
    const parent = resource(s, ref.Ref as string);
    expect(parent.Type).toBe('AWS::ApiGateway::Resource');
    return `${pathOf(parent.Properties.ParentId)}/${parent.Properties.PathPart as string}`;
  };
  return ofType(s, 'AWS::ApiGateway::Method').map(([, m]) => ({
    key: `${m.Properties.HttpMethod as string} ${pathOf(m.Properties.ResourceId) || '/'}`,
    resource: m,
  }));
}

/** Every route under each method it answers: a GET route answers HEAD too (re-derived here: the test is the oracle). */
const SERVED = ROUTES.flatMap((r) => (r.method === 'GET' ? [r, { ...r, method: 'HEAD' }] : [r]));

/** Deliberately re-derived here rather than imported from infra/constructs/api.ts: the test is the oracle. */
const isReadOnly = (fn: string) => ROUTES.filter((r) => r.fn === fn).every((r) => r.method === 'GET');

let dev: Synthesized;
let prod: Synthesized;

beforeAll(() => {
  dev = synthesize('dev', {});
  prod = synthesize('prod', { 'aws:cdk:bundling-stacks': [] }, PROD_PAUSE_DEADLINE_SECONDS, 'ops@example.com');
}, 600_000);

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

const stages = () => [
  { stage: 'dev', s: dev },
  { stage: 'prod', s: prod },
];

describe('projects table', () => {
  it('has the key schema, attributes, billing mode and indexes of tableDefinition()', () => {
    // Prepare
    const def = tableDefinition('unused');
    const byName = (a: { AttributeName: string }, b: { AttributeName: string }) => a.AttributeName.localeCompare(b.AttributeName);

    for (const { s } of stages()) {
      // Act
      const tables = ofType(s, 'AWS::DynamoDB::Table');
      const props = tables[0]?.[1].Properties;

      // Assess
      expect(tables).toHaveLength(1);
      expect(props.KeySchema).toEqual(def.KeySchema);
      expect(props.GlobalSecondaryIndexes).toEqual(def.GlobalSecondaryIndexes);
      expect([...props.AttributeDefinitions].sort(byName)).toEqual([...def.AttributeDefinitions].sort(byName));
      expect(props.BillingMode).toBe(def.BillingMode);
      expect(props.TableName).toBeUndefined(); // CloudFormation names it; handlers get TABLE_NAME
    }
  });

  it('projects only the list-view attributes into both indexes (INCLUDE): never the precheck, never the whole item', () => {
    for (const { s } of stages()) {
      // Act
      const indexes = resource(s, s.tableId).Properties.GlobalSecondaryIndexes as Json[];

      // Assess
      expect(indexes.map((ix) => ix.IndexName).sort()).toEqual(['byKind', 'bySourcePause', 'byStatus']);
      // The sparse index of projects with a source paused on its own holds keys only (the sweep reads them whole).
      expect(indexes.find((ix) => ix.IndexName === 'bySourcePause')?.Projection).toEqual({ ProjectionType: 'KEYS_ONLY' });
      for (const ix of indexes.filter((x) => x.IndexName !== 'bySourcePause')) {
        expect(ix.Projection.ProjectionType).toBe('INCLUDE');
        expect([...ix.Projection.NonKeyAttributes].sort()).toEqual([...LIST_VIEW_ATTRIBUTES].sort());
        expect(ix.Projection.NonKeyAttributes).not.toContain('precheck');
      }
    }
  });

  it('has TTL, AWS-managed encryption and point-in-time recovery in every stage', () => {
    for (const { s } of stages()) {
      // Prepare / Act
      const props = resource(s, s.tableId).Properties;

      // Assess
      expect(props.TimeToLiveSpecification).toEqual({ AttributeName: TABLE.ttlAttribute, Enabled: true });
      expect(props.SSESpecification).toEqual({ SSEEnabled: true });
      expect(props.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    }
  });

  it('is retained and deletion-protected in prod', () => {
    // Prepare / Act
    const table = resource(prod, prod.tableId);

    // Assess
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
  });

  it('is deleted with the stack in dev', () => {
    // Prepare / Act
    const table = resource(dev, dev.tableId);

    // Assess
    expect(table.DeletionPolicy).toBe('Delete');
    expect(table.Properties.DeletionProtectionEnabled).toBe(false);
  });
});

describe('functions', () => {
  it('has exactly one Node.js 24 arm64 function per function folder', () => {
    for (const { s } of stages()) {
      // Prepare
      const ids = [...FUNCTION_NAMES, 'pause-timer', 'publish-domain-events', 'project-status-metrics', 'batch-worker', ...ORCHESTRATION_FUNCTIONS].map((fn) => s.functionIds[fn]);

      // Act
      const functions = ofType(s, 'AWS::Lambda::Function');

      // Assess
      expect(functions.map(([id]) => id).sort()).toEqual([...ids].sort());
      for (const [, f] of functions) {
        expect(f.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          MemorySize: 512,
          TracingConfig: { Mode: 'Active' },
        });
      }
      // The reconciler's shard workers run for minutes (below their 5-minute interval), the batch worker takes a queue
      // message of 25 projects (BATCH_WORKER_TIMEOUT); every other function at most a minute.
      const longer: Record<string, number> = { [s.functionIds['orchestration-reconciler'] as string]: 240, [s.functionIds['batch-worker'] as string]: 120 };
      for (const [id, f] of functions) expect(f.Properties.Timeout).toBeLessThanOrEqual(longer[id] ?? 60);
    }
  });

  it('passes the table name, the pause deadline and source-map support in the environment', () => {
    for (const { s, expected } of [
      { s: dev, expected: '43200' },
      { s: prod, expected: String(PROD_PAUSE_DEADLINE_SECONDS) },
    ]) {
      for (const fn of FUNCTION_NAMES) {
        // Prepare / Act
        const variables = resource(s, s.functionIds[fn] ?? '').Properties.Environment.Variables;

        // Assess: these three everywhere; anything else only the pause-timer settings
        expect(variables).toMatchObject({
          TABLE_NAME: { Ref: s.tableId },
          PAUSE_DEADLINE_SECONDS: expected,
          NODE_OPTIONS: '--enable-source-maps',
        });
        const pauseTimerSettings = ['SCHEDULE_GROUP_NAME', 'PAUSE_TIMER_FUNCTION_ARN', 'SCHEDULER_ROLE_ARN', 'SCHEDULER_DLQ_ARN', 'PAUSE_WARNING_SECONDS'];
        expect(variables.EVENT_BUS_NAME).toBeUndefined();
        const powertools = ['POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_LOG_LEVEL'];
        expect(variables).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'migration-control-plane', POWERTOOLS_METRICS_NAMESPACE: 'MigrationControlPlane' });
        const derived = ['CONTROL_PLANE_FUNCTION', 'STATE_MACHINE_ARN', 'MIGRATION_ENGINES', 'SIMULATION_TIME_SCALE', 'BATCH_QUEUE_URL'];
        expect(Object.keys(variables).filter((k) => !['TABLE_NAME', 'PAUSE_DEADLINE_SECONDS', 'NODE_OPTIONS', ...derived, ...powertools, ...pauseTimerSettings].includes(k))).toEqual([]);
        expect(variables.CONTROL_PLANE_FUNCTION).toBe(fn);
        // Functions one of whose operations has a run effect know the state machine; the others do not.
        if (capabilitiesOf(fn).some((c) => c.startsWith('runs:'))) expect(JSON.stringify(variables.STATE_MACHINE_ARN)).toContain(':stateMachine:migration-control-plane-');
        else expect(variables.STATE_MACHINE_ARN).toBeUndefined();
      }
      for (const fn of ORCHESTRATION_FUNCTIONS) {
        const variables = resource(s, s.functionIds[fn] ?? '').Properties.Environment.Variables;
        expect(variables).toMatchObject({ TABLE_NAME: { Ref: s.tableId }, STATE_MACHINE_ARN: { 'Fn::Join': expect.any(Array) } });
        expect(JSON.stringify(variables.STATE_MACHINE_ARN)).toContain(':stateMachine:migration-control-plane-');
      }
    }
  });

  it('bundles each handler into index.js with a source map, leaving only the AWS SDK (the runtime provides it) and the unused native binding of pg external', async () => {
    // Prepare
    const bundled = [...FUNCTION_NAMES, ...ORCHESTRATION_FUNCTIONS];
    const assetDirs = bundled.map((fn) => {
      const s3Key = String(resource(dev, dev.functionIds[fn] ?? '').Properties.Code.S3Key);
      return path.join(dev.outdir, `asset.${s3Key.replace(/\.zip$/, '')}`);
    });
    // Loaded from the temporary cdk.out, outside the repository, with NODE_PATH holding only @aws-sdk
    // (as the nodejs24.x runtime provides it): any other module left external fails to resolve there.
    const runtimeModules = mkdtempSync(path.join(tmpdir(), 'lambda-runtime-modules-'));
    outdirs.push(runtimeModules);
    symlinkSync(path.join(ROOT, 'node_modules', '@aws-sdk'), path.join(runtimeModules, '@aws-sdk'), 'dir');
    const probe = `const out = {};
      for (const dir of process.argv.slice(1)) out[dir] = typeof require(dir + '/index.js').handler;
      console.log(JSON.stringify(out));`;
    const { NODE_PATH: _nodePath, NODE_OPTIONS: _nodeOptions, ...env } = process.env;
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

    // Act
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', probe, ...assetDirs], { cwd: tmpdir(), env: { ...env, NODE_PATH: runtimeModules } });
    const handlerTypes = JSON.parse(stdout) as Record<string, string>;

    // Assess
    expect(Object.values(handlerTypes)).toEqual(bundled.map(() => 'function'));
    for (const dir of assetDirs) {
      expect(existsSync(path.join(dir, 'index.js.map')), dir).toBe(true);
      const code = readFileSync(path.join(dir, 'index.js'), 'utf8');
      const external = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1] as string).filter((m) => !builtins.has(m));
      expect(external, dir).toContain('@aws-sdk/client-dynamodb');
      // pg's optional native binding is the one other external (infra/constructs/bundling.ts): pg requires it
      // only when `pg.native` is read, which nothing does; the probe above loads every handler without it.
      expect(external.filter((m) => !m.startsWith('@aws-sdk/') && m !== 'pg-native'), dir).toEqual([]);
    }
  }, 120_000);

  it('bundles the AWS DMS adapter into exactly the functions that run or observe engine jobs, and the PostgreSQL driver into those that make or drop write-stop positions', () => {
    // Prepare
    const bundled = [...FUNCTION_NAMES, ...ORCHESTRATION_FUNCTIONS];

    // Act
    const carries = bundled.map((fn) => {
      const s3Key = String(resource(dev, dev.functionIds[fn] ?? '').Properties.Code.S3Key);
      const code = readFileSync(path.join(dev.outdir, `asset.${s3Key.replace(/\.zip$/, '')}`, 'index.js'), 'utf8');
      // A string of the DMS adapter's environment contract, and one of pg's client (the position reader's driver).
      return { fn, dms: code.includes('DMS_REPLICATION_MODE'), pg: code.includes('Client has already been connected') };
    });

    // Assess
    expect(carries.filter((c) => c.dms).map((c) => c.fn).sort()).toEqual(bundled.filter(reachesEngineJobs).sort());
    expect(carries.filter((c) => c.pg).map((c) => c.fn).sort()).toEqual(bundled.filter((fn) => capabilitiesOf(fn).includes('positions')).sort());
  });

  it('logs to a log group of its own with a retention, kept in prod and deleted in dev', () => {
    for (const { s, policy } of [
      { s: dev, policy: 'Delete' },
      { s: prod, policy: 'Retain' },
    ]) {
      // Prepare
      const logGroupIds = Object.values(s.functionIds).map((id) => resource(s, id).Properties.LoggingConfig?.LogGroup?.Ref as string);

      // Act
      const logGroups = ofType(s, 'AWS::Logs::LogGroup');
      const executionLogs = resource(s, s.stateMachineId).Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];

      // Assess
      expect(new Set(logGroupIds).size).toBe(Object.keys(s.functionIds).length);
      // every function's log group, plus the API access logs and the state machine's execution logs
      expect(logGroups.map(([id]) => id).filter((id) => !id.startsWith('ApiAccessLogs')).sort()).toEqual([...logGroupIds, executionLogs].sort());
      for (const [, group] of logGroups) {
        expect(group.Properties.RetentionInDays).toBe(30);
        expect(group.DeletionPolicy).toBe(policy);
      }
    }
  });
});

describe('IAM', () => {
  it('treats exactly the GET-only functions as read-only', () => {
    // Prepare / Act
    const readOnly = FUNCTION_NAMES.filter(isReadOnly);

    // Assess
    expect(readOnly.sort()).toEqual(['get-batch-operation', 'get-data-source', 'get-openapi', 'get-project', 'list-batch-operations', 'list-data-sources', 'list-project-alerts', 'list-project-events', 'list-projects']);
  });

  // The exact DynamoDB actions and partitions of every function: table-access.test.ts.
  it('grants read-only functions no DynamoDB write action', () => {
    for (const { s } of stages()) {
      for (const fn of FUNCTION_NAMES.filter(isReadOnly)) {
        // Prepare / Act
        const actions = actionsOf(s, fn);

        // Assess
        expect(actions.filter((a) => FORBIDDEN_FOR_READERS.includes(a)), fn).toEqual([]);
      }
    }
  });

  it('grants the other functions DynamoDB puts and updates, and never a batch write or a scan', () => {
    for (const { s } of stages()) {
      for (const fn of FUNCTION_NAMES.filter((f) => !isReadOnly(f))) {
        // Prepare / Act
        const actions = actionsOf(s, fn);

        // Assess
        expect(actions, fn).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem']));
        expect(actions.filter((a) => ['dynamodb:BatchWriteItem', 'dynamodb:Scan', 'dynamodb:*'].includes(a)), fn).toEqual([]);
      }
    }
  });
});

describe('REST API', () => {
  it('has exactly the (method, path) pairs of ROUTES, and HEAD beside every GET', () => {
    for (const { s } of stages()) {
      // Prepare
      const expected = SERVED.map((r) => `${r.method} ${r.path}`).sort();

      // Act
      const actual = methodsOf(s)
        .map((m) => m.key)
        .filter((key) => !key.startsWith('OPTIONS '))
        .sort();

      // Assess
      expect(actual).toEqual(expected);
    }
  });

  it('requires IAM authorization on every method', () => {
    for (const { s } of stages()) {
      // Prepare / Act
      const methods = methodsOf(s).filter((m) => !m.key.startsWith('OPTIONS '));

      // Assess
      expect(methods).toHaveLength(SERVED.length);
      for (const m of methods) expect(m.resource.Properties.AuthorizationType, m.key).toBe('AWS_IAM');
    }
  });

  it('proxies each route to the function ROUTES names', () => {
    for (const { s } of stages()) {
      // Prepare
      const byKey = new Map(methodsOf(s).map((m) => [m.key, m.resource]));

      for (const route of ROUTES) {
        // Act
        const integration = byKey.get(`${route.method} ${route.path}`)?.Properties.Integration;

        // Assess
        expect(integration?.Type, route.path).toBe('AWS_PROXY');
        expect(JSON.stringify(integration?.Uri), `${route.method} ${route.path}`).toContain(`"Fn::GetAtt":["${s.functionIds[route.fn]}","Arn"]`);
      }
    }
  });

  it('deploys a stage named after the stage with throttling, metrics and tracing', () => {
    for (const { stage, s } of stages()) {
      // Prepare / Act
      const apiStages = ofType(s, 'AWS::ApiGateway::Stage');
      const props = apiStages[0]?.[1].Properties;

      // Assess
      expect(apiStages).toHaveLength(1);
      expect(props.StageName).toBe(stage);
      expect(props.TracingEnabled).toBe(true);
      expect(props.MethodSettings).toEqual([
        expect.objectContaining({
          HttpMethod: '*',
          ResourcePath: '/*',
          MetricsEnabled: true,
          ThrottlingRateLimit: 100,
          ThrottlingBurstLimit: 200,
        }),
      ]);
      // Access logs: JSON lines with the caller, into a log group with a retention
      const format = JSON.parse(props.AccessLogSetting.Format as string) as Record<string, string>;
      expect(format).toMatchObject({ requestId: '$context.requestId', caller: '$context.identity.caller', user: '$context.identity.user', status: '$context.status' });
      const arnParts = props.AccessLogSetting.DestinationArn['Fn::Join'][1] as Json[];
      const logGroupId = (arnParts[arnParts.length - 1] as { Ref: string }).Ref;
      expect(resource(s, logGroupId).Properties.RetentionInDays).toBe(30);
    }
  });

  it('validates path parameters and JSON bodies at the gateway, with models from the same zod schemas', () => {
    // Prepare
    const validators = ofType(dev, 'AWS::ApiGateway::RequestValidator');
    const models = Object.fromEntries(ofType(dev, 'AWS::ApiGateway::Model').map(([id, m]) => [id, m.Properties.Schema]));

    // Act
    const methods = methodsOf(dev);

    // Assess
    expect(validators).toHaveLength(1);
    expect(validators[0]?.[1].Properties).toMatchObject({ ValidateRequestBody: true, ValidateRequestParameters: true });
    const validatorId = validators[0]?.[0];
    for (const { key, resource: m } of methods) {
      const route = SERVED.find((r) => `${r.method} ${r.path}` === key);
      expect(route, key).toBeDefined();
      expect(m.Properties.RequestValidatorId).toEqual({ Ref: validatorId });
      const params = [...(route?.path ?? '').matchAll(/\{(\w+)\}/g)].map((x) => `method.request.path.${x[1]}`);
      expect(m.Properties.RequestParameters ?? {}).toEqual(Object.fromEntries(params.map((p) => [p, true])));
      const body = CONTRACT[routeKey(route as (typeof ROUTES)[number])]?.request.body;
      const required = body !== undefined && !body.safeParse(undefined).success;
      const modelRef = m.Properties.RequestModels?.['application/json']?.Ref as string | undefined;
      if (!required) {
        expect(modelRef, key).toBeUndefined();
        continue;
      }
      expect(models[modelRef ?? '']).toEqual(apiGatewayModelSchema(body));
    }
  });

  it('answers its own errors (auth, throttling, validation) as problem+json', () => {
    const responses = ofType(dev, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => r.Properties);
    expect(responses.map((r) => r.ResponseType).sort()).toEqual(
      ['ACCESS_DENIED', 'BAD_REQUEST_BODY', 'BAD_REQUEST_PARAMETERS', 'DEFAULT_4XX', 'DEFAULT_5XX', 'MISSING_AUTHENTICATION_TOKEN', 'THROTTLED'].sort(),
    );
    for (const r of responses) {
      expect(r.ResponseParameters).toEqual({ 'gatewayresponse.header.Content-Type': "'application/problem+json'" });
      const body = JSON.parse(r.ResponseTemplates['application/json'] as string) as Record<string, unknown>;
      expect(body).toMatchObject({ type: expect.stringMatching(/^urn:migration-control-plane:problem:/), title: expect.any(String), code: expect.any(String), instance: '$context.requestId' });
    }
  });

  it('exports a read-only policy (exactly the GET and HEAD routes) and an operator policy (every route)', () => {
    // Prepare
    const policies = ofType(dev, 'AWS::IAM::ManagedPolicy').map(([, p]) => p.Properties);
    const routesOf = (p: Json) => {
      const statements = p.PolicyDocument.Statement as Json[];
      expect(statements.every((st) => st.Action === 'execute-api:Invoke' && st.Effect === 'Allow')).toBe(true);
      return statements.flatMap((st) => asList(st.Resource)).map((r: Json) => {
        const parts = r['Fn::Join'][1] as Json[];
        return String(parts[parts.length - 1]).replace(/^\//, '');
      });
    };
    const expected = (routes: typeof SERVED) => routes.map((r) => `${r.method}${r.path.replace(/\{\w+\}/g, '*')}`).sort();

    // Act
    const readOnly = policies.find((p) => String(p.Description).startsWith('Read-only'));
    const operator = policies.find((p) => String(p.Description).startsWith('Operator'));

    // Assess
    expect(policies).toHaveLength(2);
    expect(routesOf(readOnly).sort()).toEqual(expected(SERVED.filter((r) => r.method === 'GET' || r.method === 'HEAD')));
    expect(routesOf(operator).sort()).toEqual(expected(SERVED));
  });
});

describe('stack and app configuration', () => {
  it('rejects a pause deadline that is not a positive integer', () => {
    // Prepare
    const outdir = mkdtempSync(path.join(tmpdir(), 'cdk-test-invalid-'));
    outdirs.push(outdir);
    const build = (pauseDeadlineSeconds: number) => () =>
      new MigrationControlPlaneStack(new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } }), 'Invalid', { stage: 'dev', pauseDeadlineSeconds });

    // Act / Assess
    expect(build(0)).toThrow(/pauseDeadlineSeconds must be a positive integer/);
    expect(build(1.5)).toThrow(/pauseDeadlineSeconds must be a positive integer/);
  });

  it('refuses to synthesize an unknown stage', async () => {
    // Prepare
    const outdir = mkdtempSync(path.join(tmpdir(), 'cdk-test-app-'));
    outdirs.push(outdir);
    const env = { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ stage: 'staging' }) };

    // Act
    const result = await promisify(execFile)(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'infra', 'app.ts')], { cwd: ROOT, env }).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );

    // Assess
    expect(result?.code).toBe(1);
    expect(result?.stderr).toContain('Unknown stage "staging"');
  }, 120_000);
});

/** Every statement granted to the role of a function. */
function statementsOf(s: Synthesized, fn: string): Json[] {
  const fnId = s.functionIds[fn] ?? '';
  const roleId = resource(s, fnId).Properties.Role['Fn::GetAtt'][0] as string;
  return ofType(s, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as Json[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
}

const asList = (v: unknown) => (Array.isArray(v) ? v : [v]);

describe('pause timers (EventBridge Scheduler)', () => {
  // API functions and the batch worker (it applies the batch operations, pause and resume among them).
  const managers = [...FUNCTION_NAMES, 'batch-worker'].filter((fn) => capabilitiesOf(fn).includes('timers'));

  it('has a dedicated schedule group, and a Scheduler role that may invoke only the pause-timer function', () => {
    // Prepare
    const role = resource(dev, dev.pauseTimerIds.role);
    const rolePolicies = ofType(dev, 'AWS::IAM::Policy').filter(([, p]) => (p.Properties.Roles as Json[]).some((r) => r.Ref === dev.pauseTimerIds.role));

    // Act
    const statements = rolePolicies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);

    // Assess
    expect(resource(dev, dev.pauseTimerIds.group).Type).toBe('AWS::Scheduler::ScheduleGroup');
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }),
    ]);
    const invoke = statements.filter((st) => asList(st.Action).includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    const invokeTargets = JSON.stringify(invoke[0].Resource);
    expect(invokeTargets).toContain(dev.functionIds['pause-timer']);
    for (const [fn, id] of Object.entries(dev.functionIds)) if (fn !== 'pause-timer') expect(invokeTargets).not.toContain(id);
    const others = statements.filter((st) => !asList(st.Action).includes('lambda:InvokeFunction'));
    expect(others.every((st) => asList(st.Action).every((a: string) => a.startsWith('sqs:')) && JSON.stringify(st.Resource).includes(dev.pauseTimerIds.queue))).toBe(true);
  });

  it('lets the functions that pause, resume or release create/delete schedules of that group only, and pass that role', () => {
    expect(managers.length).toBeGreaterThan(0);
    for (const fn of managers) {
      // Act
      const statements = statementsOf(dev, fn);
      const scheduler = statements.filter((st) => asList(st.Action).some((a: string) => a.startsWith('scheduler:')));
      const passRole = statements.filter((st) => asList(st.Action).includes('iam:PassRole'));

      // Assess
      expect(scheduler).toHaveLength(1);
      expect(asList(scheduler[0].Action).sort()).toEqual(['scheduler:CreateSchedule', 'scheduler:DeleteSchedule']);
      const groupName = resource(dev, dev.pauseTimerIds.group).Properties.Name as string;
      expect(JSON.stringify(scheduler[0].Resource)).toContain(`:schedule/${groupName}/*`);
      expect(passRole).toHaveLength(1);
      expect(passRole[0].Resource).toEqual({ 'Fn::GetAtt': [dev.pauseTimerIds.role, 'Arn'] });
      const env = resource(dev, dev.functionIds[fn] ?? '').Properties.Environment.Variables;
      expect(Object.keys(env)).toEqual(expect.arrayContaining(['SCHEDULE_GROUP_NAME', 'PAUSE_TIMER_FUNCTION_ARN', 'SCHEDULER_ROLE_ARN', 'SCHEDULER_DLQ_ARN', 'PAUSE_WARNING_SECONDS']));
    }
  });

  it('lets the reconciler sweep the timers: create/delete in that group, list (no resource-level permission), pass that role', () => {
    // Act
    const statements = statementsOf(dev, 'orchestration-reconciler');
    const scheduler = statements.filter((st) => asList(st.Action).some((a: string) => a.startsWith('scheduler:')));
    const list = scheduler.filter((st) => asList(st.Action).includes('scheduler:ListSchedules'));
    const manage = scheduler.filter((st) => !asList(st.Action).includes('scheduler:ListSchedules'));

    // Assess
    expect(list).toHaveLength(1);
    // CDK merges it with the other "*" statement (X-Ray); of Scheduler's actions, "*" carries only ListSchedules.
    expect(asList(list[0].Action).filter((a: string) => a.startsWith('scheduler:'))).toEqual(['scheduler:ListSchedules']);
    expect(asList(list[0].Action).every((a: string) => a === 'scheduler:ListSchedules' || a.startsWith('xray:'))).toBe(true);
    expect(list[0].Resource).toBe('*');
    expect(manage).toHaveLength(1);
    expect(asList(manage[0].Action).sort()).toEqual(['scheduler:CreateSchedule', 'scheduler:DeleteSchedule']);
    const groupName = resource(dev, dev.pauseTimerIds.group).Properties.Name as string;
    expect(JSON.stringify(manage[0].Resource)).toContain(`:schedule/${groupName}/*`);
    expect(statements.filter((st) => asList(st.Action).includes('iam:PassRole')).map((st) => st.Resource)).toEqual([{ 'Fn::GetAtt': [dev.pauseTimerIds.role, 'Arn'] }]);
    const env = resource(dev, dev.functionIds['orchestration-reconciler'] ?? '').Properties.Environment.Variables;
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['SCHEDULE_GROUP_NAME', 'PAUSE_TIMER_FUNCTION_ARN', 'SCHEDULER_ROLE_ARN', 'SCHEDULER_DLQ_ARN', 'PAUSE_WARNING_SECONDS']));
  });

  it('gives no other function any Scheduler permission', () => {
    for (const fn of Object.keys(dev.functionIds).filter((f) => !managers.includes(f) && f !== 'orchestration-reconciler')) {
      const actions = statementsOf(dev, fn).flatMap((st) => asList(st.Action) as string[]);
      expect(actions.filter((a) => a.startsWith('scheduler:') || a === 'iam:PassRole')).toEqual([]);
    }
  });

  it('the pause-timer function writes only the projects table', () => {
    // X-Ray's PutTraceSegments has no resource-level permissions: its "*" is the only other grant.
    // Its Step Functions grant comes from its operations' run effect (shared/wiring.ts), tested with the wiring.
    const statements = statementsOf(dev, 'pause-timer').filter((st) => !asList(st.Action).every((a: string) => a.startsWith('states:')));
    expect(statements.filter((st) => JSON.stringify(st.Resource) === '"*"').flatMap((st) => asList(st.Action)).every((a: string) => a.startsWith('xray:'))).toBe(true);
    const resources = statements.filter((st) => JSON.stringify(st.Resource) !== '"*"').flatMap((st) => asList(st.Resource));
    const tableArn = { 'Fn::GetAtt': [dev.tableId, 'Arn'] };
    const logGroupId = resource(dev, dev.functionIds['pause-timer'] ?? '').Properties.LoggingConfig.LogGroup.Ref as string;
    expect(resources.every((r) => JSON.stringify(r).includes(dev.tableId) || JSON.stringify(r).includes(logGroupId))).toBe(true);
    const logStatements = statements.filter((st) => JSON.stringify(st.Resource).includes(logGroupId));
    expect(logStatements.flatMap((st) => asList(st.Action)).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(resources).toContainEqual(tableArn);
  });
});

describe('domain events (table stream → EventBridge)', () => {
  it('the table streams new images, and only inserted EVENT# items trigger the publisher', () => {
    // Prepare
    // The stream's mapping (the batch queue's mapping reads SQS).
    const mappings = ofType(dev, 'AWS::Lambda::EventSourceMapping').filter(([, m]) => !JSON.stringify(m.Properties.EventSourceArn).includes('Batches'));

    // Assess
    expect(resource(dev, dev.tableId).Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
    expect(mappings).toHaveLength(1);
    const [, mapping] = mappings[0] as [string, CfnResource];
    expect(mapping.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [dev.tableId, 'StreamArn'] },
      FunctionName: { Ref: dev.functionIds['publish-domain-events'] },
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dev.eventIds.queue, 'Arn'] } } },
    });
    expect(JSON.parse(mapping.Properties.FilterCriteria.Filters[0].Pattern)).toEqual({
      eventName: ['INSERT'],
      dynamodb: { Keys: { sk: { S: [{ prefix: 'EVENT#' }] } } },
    });
  });

  it('the publisher may put events on its bus only, and read the stream; on the table it only reads projects and puts/updates alert items', () => {
    const statements = statementsOf(dev, 'publish-domain-events');
    const put = statements.filter((st) => asList(st.Action).includes('events:PutEvents'));
    expect(put).toHaveLength(1);
    expect(put[0].Resource).toEqual({ 'Fn::GetAtt': [dev.eventIds.bus, 'Arn'] });
    const actions = statements.flatMap((st) => asList(st.Action) as string[]);
    expect(actions.filter((a) => DYNAMODB_WRITE_ACTIONS.includes(a)).sort()).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
    const table = statements.filter((st) => asList(st.Action).some((a: string) => ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'].includes(a)));
    expect(table.flatMap((st) => asList(st.Action)).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    for (const st of table) expect(st.Resource).toEqual({ 'Fn::GetAtt': [dev.tableId, 'Arn'] });
    expect(resource(dev, dev.functionIds['publish-domain-events'] ?? '').Properties.Environment.Variables.EVENT_BUS_NAME).toEqual({ Ref: dev.eventIds.bus });
  });
});

describe('alerts (SNS topic)', () => {
  it('has one alerts topic per stage, encrypted with a customer-managed key of the stack (see alerts-key.test.ts)', () => {
    for (const { s } of stages()) {
      // Act
      const topics = ofType(s, 'AWS::SNS::Topic');
      const keyId = topics[0]?.[1].Properties.KmsMasterKeyId?.['Fn::GetAtt']?.[0] as string;

      // Assess
      expect(topics.map(([id]) => id)).toEqual([s.alertTopicId]);
      expect(resource(s, keyId).Type).toBe('AWS::KMS::Key');
      expect(JSON.stringify(topics[0]?.[1].Properties.KmsMasterKeyId)).not.toContain('alias/aws/sns');
    }
  });

  it('refuses publishing without TLS (topic policy denies aws:SecureTransport=false)', () => {
    for (const { s } of stages()) {
      // Act
      const policies = ofType(s, 'AWS::SNS::TopicPolicy').filter(([, p]) => (p.Properties.Topics as Json[]).some((t) => t.Ref === s.alertTopicId));
      const statements = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);

      // Assess
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Resource: { Ref: s.alertTopicId } }),
      );
    }
  });

  it('subscribes the alarm e-mail when one is given (context alarmEmail), and nothing otherwise', () => {
    // Act
    const subscriptions = (s: Synthesized) => ofType(s, 'AWS::SNS::Subscription').map(([, r]) => r.Properties);

    // Assess
    expect(subscriptions(prod)).toEqual([{ Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: prod.alertTopicId } }]);
    expect(subscriptions(dev)).toEqual([]);
  });

  it('only the publisher may publish to it, and it knows the topic as ALERT_TOPIC_ARN', () => {
    for (const [fn] of Object.entries(dev.functionIds)) {
      // Act
      const publish = statementsOf(dev, fn).filter((st) => asList(st.Action).some((a: string) => a.startsWith('sns:')));
      const env = resource(dev, dev.functionIds[fn] ?? '').Properties.Environment.Variables;

      // Assess
      if (fn !== 'publish-domain-events') {
        expect(publish, fn).toEqual([]);
        expect(env.ALERT_TOPIC_ARN, fn).toBeUndefined();
        continue;
      }
      expect(publish).toHaveLength(1);
      expect(publish[0].Action).toBe('sns:Publish');
      expect(publish[0].Resource).toEqual({ Ref: dev.alertTopicId });
      expect(env.ALERT_TOPIC_ARN).toEqual({ Ref: dev.alertTopicId });
    }
  });

  it('the app refuses an alarmEmail that is not an e-mail address', async () => {
    // Prepare
    const outdir = mkdtempSync(path.join(tmpdir(), 'cdk-test-app-'));
    outdirs.push(outdir);
    const env = { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ stage: 'dev', alarmEmail: 'not-an-address' }) };

    // Act
    const result = await promisify(execFile)(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'infra', 'app.ts')], { cwd: ROOT, env }).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );

    // Assess
    expect(result?.code).toBe(1);
    expect(result?.stderr).toContain('alarmEmail must be an e-mail address');
  }, 120_000);
});

describe('monitoring (dashboard and alarms)', () => {
  const alarms = () => ofType(dev, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  const alarmOn = (metricName: string, dimension?: [string, Json]) =>
    alarms().filter(
      (a) => a.MetricName === metricName && (!dimension || (a.Dimensions as Json[] | undefined)?.some((d) => d.Name === dimension[0] && JSON.stringify(d.Value) === JSON.stringify(dimension[1]))),
    );

  it('alarms on errors and throttles of every function', () => {
    for (const [fn, id] of Object.entries(dev.functionIds)) {
      expect(alarmOn('Errors', ['FunctionName', { Ref: id }]), fn).toHaveLength(1);
      expect(alarmOn('Throttles', ['FunctionName', { Ref: id }]), fn).toHaveLength(1);
    }
  });

  it('alarms on dead letters, DynamoDB throttles and API 5xx, and every alarm notifies the alerts topic', () => {
    // Prepare
    const all = alarms();

    // Assess
    expect(alarmOn('ApproximateNumberOfMessagesVisible')).toHaveLength(3);
    expect(alarmOn('5XXError')).toHaveLength(1);
    const ddb = all.filter((a) => JSON.stringify(a.Metrics ?? []).includes('ThrottledRequests'));
    expect(ddb).toHaveLength(1);
    // An Idempotency-Key answer that could not be stored is never silent.
    expect(alarmOn('IdempotencyResponseNotStored', ['service', 'migration-control-plane'])).toHaveLength(1);
    expect(all.length).toBeGreaterThan(2 * Object.keys(dev.functionIds).length);
    for (const a of all) {
      expect(a.AlarmActions).toEqual([{ Ref: dev.alertTopicId }]);
      expect(a.TreatMissingData).toBe('notBreaching');
      expect(String(a.AlarmDescription).length).toBeGreaterThan(10);
    }
  });

  it('has one dashboard with API, functions, runs, DynamoDB, lifecycle outcomes and projects by status', () => {
    const dashboards = ofType(dev, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]?.[1].Properties.DashboardBody);
    for (const title of ['API requests, 4xx, 5xx', 'API latency', 'Function errors', 'Function duration p99', 'Project runs', 'DynamoDB throttles and conditional-check failures', 'Conflicts', 'Projects by status']) {
      expect(body, title).toContain(title);
    }
    for (const status of ['NOT_STARTED', 'RUNNING', 'PAUSED', 'FAILED', 'RELEASING', 'RELEASED', 'COMPLETED']) expect(body).toContain(status);
  });

  it('counts projects by status every 5 minutes with a function that writes nothing but the status counters', () => {
    const rules = ofType(dev, 'AWS::Events::Rule').filter(([, r]) => JSON.stringify(r.Properties.Targets).includes(dev.functionIds['project-status-metrics'] ?? '-'));
    expect(rules).toHaveLength(1);
    expect(rules[0]?.[1].Properties.ScheduleExpression).toBe('rate(5 minutes)');
    const writes = statementsOf(dev, 'project-status-metrics').filter((st) => (asList(st.Action) as string[]).some((a) => DYNAMODB_WRITE_ACTIONS.includes(a)));
    // It sets the counters when they were never set (a recount): puts and updates in the COUNTER# partitions only, no delete.
    expect(writes.flatMap((st) => asList(st.Action) as string[]).sort()).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(writes.map((st) => st.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'])).toEqual([['COUNTER#*']]);
  });
});

/** Every statement granted to a role, across all policies attached to it. */
function statementsOfRole(s: Synthesized, roleId: string): Json[] {
  return ofType(s, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as Json[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
}

const roleOfFunction = (s: Synthesized, fn: string) => resource(s, s.functionIds[fn] ?? '').Properties.Role['Fn::GetAtt'][0] as string;
const actionList = (st: Json) => (Array.isArray(st.Action) ? st.Action : [st.Action]) as string[];

describe('orchestration state machine', () => {
  const definitionOf = (s: Synthesized) => extractStateMachine(s.template, Object.fromEntries(Object.entries(s.functionIds).map(([fn, id]) => [id, fn])));
  const states = () => Object.entries(definitionOf(dev).definition.States) as [string, AslState][];

  it('the copy npm start and the tests run is the definition the stack synthesizes (run `npm run asl` after changing it)', () => {
    for (const { s } of stages()) expect(definitionOf(s)).toEqual(loadStateMachine());
  });

  it('passes asl-validator and uses JSONPath only (no JSONata, no variables)', () => {
    // Prepare
    const { definition } = definitionOf(dev);
    const text = JSON.stringify(definition);

    // Act
    const result = validateAsl(definition);

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
    expect(text).not.toMatch(/"QueryLanguage"|JSONata|"Assign"|"Arguments"|"Output"/);
  });

  it('every Lambda task retries transient errors and catches the rest into "Record run failure"', () => {
    const tasks = states().filter(([, st]) => st.Type === 'Task');
    expect(tasks.map(([name]) => name).sort()).toEqual(['Await operator', 'Continue as new execution', 'Mark project completed', 'Pick next work item', 'Poll work item', 'Record run failure', 'Start work item']);
    for (const [name, st] of tasks) {
      const retried = (st.Retry as Json[]).flatMap((r) => r.ErrorEquals as string[]);
      expect(retried, name).toEqual(expect.arrayContaining(['TransientError', 'Lambda.TooManyRequestsException', 'Lambda.ServiceException']));
      // "Await operator" first catches its own timeout (re-armed, see operator-wait.test.ts).
      const timeoutCatch = name === 'Await operator' ? [{ ErrorEquals: ['States.Timeout'], ResultPath: null, Next: 'Operator wait re-armed' }] : [];
      expect(st.Catch, name).toEqual([...timeoutCatch, { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: name === 'Record run failure' ? 'Run failed' : 'Record run failure' }]);
      expect(st.Parameters?.FunctionName, name).toBe(`arn:aws:lambda:local:000000000000:function:${dev.functionIds['orchestration-step']}`);
    }
  });

  it('polls running jobs with a Wait state and waits for operators with a task token', () => {
    const byName = Object.fromEntries(states());
    expect(byName['Wait for job progress']).toMatchObject({ Type: 'Wait', Seconds: 30, Next: 'Poll work item' });
    expect(byName['Await operator']).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { Payload: { action: 'await', 'taskToken.$': '$$.Task.Token' } },
      ResultPath: null,
    });
    // A continued execution (history limit) starts at the poll of the work item it carries; a first one at "Begin run".
    expect(definitionOf(dev).definition.StartAt).toBe('Continued execution?');
    expect(byName['Continued execution?']).toMatchObject({ Type: 'Choice', Default: 'Count history from zero' });
    expect((byName['Continued execution?'] as Json)?.Choices?.map((c: Json) => c.Next)).toEqual(['Wait for job progress', 'Begin run']);
    expect((byName['Work item done?'] as Json)?.Choices).toContainEqual({ Variable: '$.work.outcome', StringEquals: 'CONTINUE', Next: 'Continue as new execution' });
  });

  it('is a Standard state machine with logging ALL to a log group with a retention, and tracing', () => {
    for (const { s, policy } of [
      { s: dev, policy: 'Delete' },
      { s: prod, policy: 'Retain' },
    ]) {
      // Prepare / Act
      const props = resource(s, s.stateMachineId).Properties;
      const logGroup = resource(s, props.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0]);

      // Assess
      expect(props.StateMachineType).toBe('STANDARD');
      expect(props.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
      expect(props.TracingConfiguration).toEqual({ Enabled: true });
      expect(logGroup.Properties.RetentionInDays).toBe(30);
      expect(logGroup.DeletionPolicy).toBe(policy);
    }
  });

  it("its role may invoke only the orchestration-step function", () => {
    for (const { s } of stages()) {
      // Prepare
      const roleId = resource(s, s.stateMachineId).Properties.RoleArn['Fn::GetAtt'][0] as string;
      const stepArn = { 'Fn::GetAtt': [s.functionIds['orchestration-step'], 'Arn'] };

      // Act
      const invokes = statementsOfRole(s, roleId).filter((st) => actionList(st).some((a) => a.startsWith('lambda:')));

      // Assess
      expect(invokes).toHaveLength(1);
      expect(actionList(invokes[0])).toEqual(['lambda:InvokeFunction']);
      expect(invokes[0].Resource).toEqual([stepArn, { 'Fn::Join': ['', [stepArn, ':*']] }]);
      expect(statementsOfRole(s, roleId).flatMap(actionList).filter((a) => a.startsWith('states:') || a === '*')).toEqual([]);
    }
  });

  const STATES_ACTIONS = { 'runs:start': ['states:StartExecution'], 'runs:stop': ['states:DescribeExecution', 'states:StopExecution'], 'runs:signal': ['states:SendTaskFailure', 'states:SendTaskSuccess'] } as const;

  it("each function may do with this state machine exactly what its operations' effects need, and nothing else", () => {
    for (const { s } of stages()) {
      for (const fn of Object.keys(s.functionIds)) {
        // Prepare
        const expected = [...new Set(capabilitiesOf(fn).flatMap((c) => (c in STATES_ACTIONS ? STATES_ACTIONS[c as keyof typeof STATES_ACTIONS] : [])))].sort();
        const statements = statementsOf(s, fn).filter((st) => actionList(st).some((a) => a.startsWith('states:')));

        // Act
        const granted = [...new Set(statements.flatMap(actionList).filter((a) => a.startsWith('states:')))].sort();

        // Assess
        expect(granted, fn).toEqual(expected);
        const text = JSON.stringify(statements);
        expect(text, fn).not.toContain('"*"');
        if (expected.includes('states:StartExecution')) expect(text, fn).toContain(':stateMachine:migration-control-plane-');
      }
    }
  });

  it('regression: the batch function may start, stop and signal runs (a batch start starts executions when deployed)', () => {
    for (const { s } of stages()) {
      expect(actionsOf(s, 'batch-operations').filter((a) => a.startsWith('states:')).sort()).toEqual([
        'states:DescribeExecution',
        'states:SendTaskFailure',
        'states:SendTaskSuccess',
        'states:StartExecution',
        'states:StopExecution',
      ]);
      expect(JSON.stringify(resource(s, s.functionIds['batch-operations'] ?? '').Properties.Environment.Variables.STATE_MACHINE_ARN)).toContain(':stateMachine:');
    }
  });

  it('the reconciler runs every 5 minutes as independent workers: one target per shard, one for the pause timers', () => {
    for (const { s } of stages()) {
      const rules = ofType(s, 'AWS::Events::Rule').filter(([, r]) => JSON.stringify(r.Properties.Targets).includes(s.functionIds['orchestration-reconciler'] ?? '-'));
      const targets = rules.flatMap(([, r]) => r.Properties.Targets as Json[]);
      for (const [, r] of rules) expect(r.Properties).toMatchObject({ ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED' });
      expect(targets.every((t) => JSON.stringify(t.Arn) === JSON.stringify({ 'Fn::GetAtt': [s.functionIds['orchestration-reconciler'], 'Arn'] }))).toBe(true);
      expect(targets.map((t) => JSON.parse(t.Input as string))).toEqual(expect.arrayContaining([...RECONCILER_WORKERS]));
      expect(targets).toHaveLength(RECONCILER_WORKERS.length);
      const fn = resource(s, s.functionIds['orchestration-reconciler'] ?? '').Properties;
      expect(fn.Timeout).toBe(240);
    }
  });
});
