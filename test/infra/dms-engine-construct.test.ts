import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { DmsEngine, type DmsEngineProps } from '../../infra/constructs/dms-engine';

/**
 * The DMS engine construct alone in a test stack (its own VPC): what it creates, what grantEngine
 * allows, and cdk-nag AwsSolutions with no unacknowledged finding.
 */
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop-src-AbCdEf';
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

function synth(props: Partial<DmsEngineProps> = {}, nag = false, agnostic = false) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'dms-engine-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { '@aws-cdk/core:validationReportJson': true } });
  const stack = new Stack(app, 'DmsEngineTest', agnostic ? {} : { env: { account: '123456789012', region: 'eu-west-1' } });
  const bus = new events.EventBus(stack, 'Bus', { eventBusName: 'migration-control-plane' });
  const engine = new DmsEngine(stack, 'Dms', { eventBus: bus, secretArns: [SECRET], ...props });
  const fnRole = new iam.Role(stack, 'OrchestrationStepRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  engine.grantEngine(fnRole);
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  let threw = false;
  try {
    app.synth();
  } catch {
    threw = true;
  }
  const template = threw ? (undefined as never as Template) : Template.fromStack(stack);
  const report = nag
    ? (JSON.parse(readFileSync(path.join(outdir, 'policy-validation-report.json'), 'utf8')) as { pluginReports: { violations: { ruleName: string; violatingResources: { constructPath: string }[] }[] }[] })
    : { pluginReports: [] };
  const violations = report.pluginReports.flatMap((r) => r.violations).map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
  return { template, engine, violations, threw };
}

describe('DmsEngine construct', () => {
  it('synthesizes alone with its own VPC and passes cdk-nag AwsSolutions (every exception acknowledged with a reason)', () => {
    // Act
    const { violations, threw } = synth({}, true);

    // Assess
    expect(violations).toEqual([]);
    expect(threw).toBe(false);
  }, 120_000);

  it('also passes cdk-nag environment-agnostic, with tag-scoped secrets and the account\'s own DMS service roles', () => {
    // Act
    const { violations, threw } = synth({ secretArns: undefined, secretTag: { key: 'migration', value: 'allowed' }, createServiceRoles: false }, true, true);

    // Assess
    expect(violations).toEqual([]);
    expect(threw).toBe(false);
  }, 120_000);

  it('makes a private replication instance in a subnet group, the DMS service roles, and a secrets role limited to the given secrets', () => {
    // Act
    const { template, engine } = synth();

    // Assess
    template.resourceCountIs('AWS::DMS::ReplicationSubnetGroup', 1);
    template.hasResourceProperties('AWS::DMS::ReplicationInstance', {
      PubliclyAccessible: false,
      ReplicationInstanceIdentifier: 'mig-dmsenginetest',
      ResourceIdentifier: 'mig-dmsenginetest',
      ReplicationInstanceClass: 'dms.t3.medium',
    });
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'dms-vpc-role' });
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'dms-cloudwatch-logs-role' });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'dms.eu-west-1.amazonaws.com' } })] },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Sid: 'ReadTheDataSourceSecrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: SECRET }] },
    });
    expect(Object.keys(engine.environment).sort()).toEqual(['DMS_ACCESS_ROLE_ARN', 'DMS_REPLICATION_INSTANCE_ARN', 'DMS_REPLICATION_INSTANCE_ID', 'DMS_REPLICATION_MODE', 'DMS_RESOURCE_PREFIX']);
  });

  it('grantEngine allows only the dms actions the adapter calls, on its own tasks and endpoints, and passes only the secrets role', () => {
    // Act
    const { template } = synth();

    // Assess
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('OrchestrationStepRole') }] } });
    const statements = Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement as any[]);
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    expect(actions).toEqual([
      'cloudwatch:GetMetricData',
      'dms:AddTagsToResource',
      'dms:CreateEndpoint',
      'dms:CreateReplicationTask',
      'dms:DeleteEndpoint',
      'dms:DeleteReplicationTask',
      'dms:DescribeEndpoints',
      'dms:DescribeReplicationTasks',
      'dms:DescribeTableStatistics',
      'dms:ListTagsForResource',
      'dms:StartReplicationTask',
      'dms:StopReplicationTask',
      'iam:PassRole',
    ]);
    const star = statements.filter((s) => s.Resource === '*');
    expect(star.map((s) => s.Sid).sort()).toEqual(['DmsDescribeEndpoints', 'DmsDescribeNoResourceLevel']);
    const tasks = statements.find((s) => s.Sid === 'DmsRunReplicationsOfTheEngine');
    expect(JSON.stringify(tasks.Resource)).toContain(':task:mig-*');
    const pass = statements.find((s) => s.Sid === 'PassSecretsAccessRoleToDms');
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'dms.amazonaws.com' } });
  });

  it.each(['instance', 'serverless'] as const)('%s: grantPoller allows only the reads of observing a job (no create, start, stop, tag, delete or PassRole), on its own replications', (mode) => {
    // Prepare
    const stack = new Stack(new App(), 'DmsPollerTest', { env: { account: '123456789012', region: 'eu-west-1' } });
    const engine = new DmsEngine(stack, 'Dms', { eventBus: new events.EventBus(stack, 'Bus'), secretArns: [SECRET], ...(mode === 'serverless' ? { mode, maxCapacityUnits: 8 } : {}) });
    const role = new iam.Role(stack, 'NoticesRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    // Act
    engine.grantPoller(role);

    // Assess
    const template = Template.fromStack(stack);
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('NoticesRole') }] } });
    const statements = Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement as any[]);
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    expect(actions).toEqual(
      mode === 'serverless'
        ? ['cloudwatch:GetMetricData', 'cloudwatch:ListMetrics', 'dms:DescribeReplicationTableStatistics', 'dms:DescribeReplications', 'dms:ListTagsForResource']
        : ['cloudwatch:GetMetricData', 'dms:DescribeReplicationTasks', 'dms:DescribeTableStatistics', 'dms:ListTagsForResource'],
    );
    const stats = statements.find((s) => s.Sid === 'DmsTableStatisticsOfTheEngine');
    expect(JSON.stringify(stats.Resource)).toContain(mode === 'serverless' ? ':replication-config:mig-*' : ':task:mig-*');
  });

  it('grantEngine on a Lambda function also sets the DMS_* variables dmsEngineFromEnv reads', () => {
    // Prepare
    const stack = new Stack(new App(), 'DmsEngineFnTest', { env: { account: '123456789012', region: 'eu-west-1' } });
    const engine = new DmsEngine(stack, 'Dms', { eventBus: new events.EventBus(stack, 'Bus'), secretArns: [SECRET] });
    const fn = new lambda.Function(stack, 'Step', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {}') });

    // Act
    engine.grantEngine(fn);

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          DMS_REPLICATION_MODE: 'instance',
          DMS_REPLICATION_INSTANCE_ARN: { Ref: Match.stringLikeRegexp('^DmsInstance') },
          DMS_REPLICATION_INSTANCE_ID: 'mig-dmsenginefntest',
          DMS_ACCESS_ROLE_ARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DmsSecretsAccessRole'), 'Arn'] },
          DMS_RESOURCE_PREFIX: 'mig',
        },
      },
    });
  });

  it('serverless: grants the replication-config actions on its own configs only (no task or instance action) and passes cdk-nag', () => {
    // Act
    const { template, violations } = synth({ mode: 'serverless', maxCapacityUnits: 8 }, true);

    // Assess
    expect(violations).toEqual([]);
    template.resourceCountIs('AWS::DMS::ReplicationInstance', 0);
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((r) => (r as any).Properties.PolicyDocument.Statement as { Sid?: string; Action: string | string[] }[]);
    const actions = statements.flatMap((st) => [st.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['dms:CreateReplicationConfig', 'dms:StartReplication', 'dms:StopReplication', 'dms:DeleteReplicationConfig', 'dms:DescribeReplications', 'dms:DescribeReplicationTableStatistics']));
    expect(actions.filter((a) => /ReplicationTask|TableStatistics$/.test(a) && a !== 'dms:DescribeReplicationTableStatistics')).toEqual([]);
    const configs = statements.find((st) => st.Sid === 'DmsRunReplicationsOfTheEngine') as { Resource?: unknown } | undefined;
    expect(JSON.stringify(configs?.Resource)).toMatch(/:replication-config:mig-\*"\]\]\}$/);
  });

  it.each([
    ['instance', 'DMS Replication Task State Change', 'task'],
    ['serverless', 'DMS Replication State Change', 'replication-config'],
  ] as const)('%s mode: forwards the state changes of the engine\'s own replications from aws.dms to the given bus (%s)', (mode, detailType, resourceType) => {
    // Act
    const { template } = synth({ mode });

    // Assess
    const rules = Object.values(template.findResources('AWS::Events::Rule')) as { Properties: { EventPattern: Record<string, unknown>; Targets: unknown[] } }[];
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties.EventPattern).toEqual({ source: ['aws.dms'], 'detail-type': [detailType], resources: [{ prefix: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:dms:eu-west-1:123456789012:${resourceType}:mig-`]] } }] });
    template.hasResourceProperties('AWS::Events::Rule', { Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Bus'), 'Arn'] } })] });
  });

  it('settings: existing service roles, a tag-scoped secrets policy, serverless mode without an instance; no secrets is an error', () => {
    // Act
    const shared = synth({ createServiceRoles: false, secretArns: undefined, secretTag: { key: 'migration', value: 'allowed' }, mode: 'serverless' });

    // Assess
    expect(Object.keys(shared.template.findResources('AWS::IAM::Role', { Properties: { RoleName: 'dms-vpc-role' } }))).toEqual([]);
    shared.template.resourceCountIs('AWS::DMS::ReplicationInstance', 0);
    shared.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Sid: 'ReadSecretsTaggedForMigration', Condition: { StringEquals: { 'secretsmanager:ResourceTag/migration': 'allowed' } } })] },
    });
    expect(shared.engine.environment).toMatchObject({ DMS_REPLICATION_MODE: 'serverless', DMS_MAX_CAPACITY_UNITS: '16', DMS_MULTI_AZ: 'false', DMS_RESOURCE_PREFIX: 'mig' });
    expect(Object.keys(shared.engine.environment)).toEqual(expect.arrayContaining(['DMS_SUBNET_GROUP_ID', 'DMS_SECURITY_GROUP_IDS', 'DMS_ACCESS_ROLE_ARN']));
    expect(Object.keys(shared.engine.environment)).not.toContain('DMS_REPLICATION_INSTANCE_ARN');
    expect(() => synth({ secretArns: [] })).toThrow(/secretArns or secretTag/);
  });
});
