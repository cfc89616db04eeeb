import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { MigrationControlPlane } from '../../infra/constructs/control-plane';

/** The construct as a team composes it into its own stack, with every typed prop set. */
describe('MigrationControlPlane construct', () => {
  it('applies removal policy, log retention, alarm topic and engine settings across the whole control plane', () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'TeamStack');
    const pager = new sns.Topic(stack, 'Pager');

    // Act
    const cp = new MigrationControlPlane(stack, 'Migrations', {
      stage: 'dev',
      pauseDeadlineSeconds: 7200,
      removalPolicy: RemovalPolicy.RETAIN,
      logRetention: logs.RetentionDays.ONE_WEEK,
      alarmTopic: pager,
      engine: { kind: 'simulated', timeScale: 10 },
    });
    const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string; Properties?: any; DeletionPolicy?: string }> };
    const resources = Object.values(template.Resources);

    // Assess
    const stateful = resources.filter((r) => ['AWS::DynamoDB::Table', 'AWS::Logs::LogGroup', 'AWS::SQS::Queue', 'AWS::Events::EventBus'].includes(r.Type));
    expect(stateful.length).toBeGreaterThan(5);
    expect(stateful.every((r) => r.DeletionPolicy === 'Retain')).toBe(true);
    const logGroups = resources.filter((r) => r.Type === 'AWS::Logs::LogGroup');
    expect(logGroups.every((r) => r.Properties.RetentionInDays === 7)).toBe(true);
    const pagerId = stack.getLogicalId(pager.node.defaultChild as sns.CfnTopic);
    const alarms = resources.filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(0);
    expect(alarms.every((r) => JSON.stringify(r.Properties.AlarmActions) === JSON.stringify([{ Ref: pagerId }]))).toBe(true);
    const orchestrationFns = resources.filter((r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).startsWith('orchestration-'));
    expect(orchestrationFns).toHaveLength(Object.keys(cp.orchestration.functions).length);
    for (const f of orchestrationFns) expect(f.Properties.Environment.Variables).toMatchObject({ SIMULATION_TIME_SCALE: '10', PAUSE_DEADLINE_SECONDS: '7200' });
   }, 180_000);

  it('refuses an engine time scale that is not positive', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
    expect(() => new MigrationControlPlane(stack, 'M', { stage: 'dev', engine: { kind: 'simulated', timeScale: 0 } })).toThrow('timeScale');
  });

  it('refuses a prod stage that does not name its engine (never silently simulated)', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
    expect(() => new MigrationControlPlane(stack, 'M', { stage: 'prod' })).toThrow(/prod stage needs an explicit engine.*-c engine=aws-dms\|simulated/);
  });

  it('with the aws-dms engine, makes the DMS resources once and forwards their task state changes to the control plane bus', () => {
    // Prepare
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'TeamStack');

    // Act
    const cp = new MigrationControlPlane(stack, 'Migrations', { stage: 'prod', engine: { kind: 'aws-dms', createServiceRoles: false } });
    const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string; Properties?: any }> };
    const resources = Object.values(template.Resources);

    // Assess
    expect(resources.filter((r) => r.Type === 'AWS::DMS::ReplicationInstance')).toHaveLength(1);
    expect(resources.filter((r) => r.Type === 'AWS::DMS::ReplicationSubnetGroup')).toHaveLength(1);
    expect(resources.filter((r) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName === 'dms-vpc-role')).toEqual([]);
    const busId = stack.getLogicalId(cp.domainEvents.bus.node.defaultChild as events.CfnEventBus);
    // The forwarding rule is on the default bus (where DMS publishes): no EventBusName.
    const rule = resources.find((r) => r.Type === 'AWS::Events::Rule' && r.Properties.EventBusName === undefined && JSON.stringify(r.Properties.EventPattern ?? {}).includes('aws.dms'));
    expect(JSON.stringify(rule?.Properties.Targets)).toContain(busId);
    // No secrets named: DMS may read the secrets tagged migration-control-plane=<stage>.
    const secretsRole = resources.find((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.PolicyDocument).includes('secretsmanager:ResourceTag/migration-control-plane'));
    expect(JSON.stringify(secretsRole?.Properties.PolicyDocument)).toContain('"prod"');
    expect(cp.dmsEngine?.environment.DMS_REPLICATION_MODE).toBe('instance');
  }, 180_000);

  it('with the aws-dms engine, a rule on the control plane bus sends the DMS state changes to the engine-notices function, with a dead-letter queue', () => {
    // Prepare
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'TeamStack');

    // Act
    const cp = new MigrationControlPlane(stack, 'Migrations', { stage: 'prod', engine: { kind: 'aws-dms', createServiceRoles: false } });
    const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string; Properties?: any }> };
    const resources = Object.entries(template.Resources);

    // Assess
    const notices = cp.engineNotices;
    if (!notices) throw new Error('no engine notices with the aws-dms engine');
    const busId = stack.getLogicalId(cp.domainEvents.bus.node.defaultChild as events.CfnEventBus);
    const fnId = stack.getLogicalId(notices.function.node.defaultChild as lambda.CfnFunction);
    const dlqId = stack.getLogicalId(notices.deadLetterQueue.node.defaultChild as sqs.CfnQueue);
    const onOurBus = resources.filter(([, r]) => r.Type === 'AWS::Events::Rule' && JSON.stringify(r.Properties.EventBusName) === JSON.stringify({ Ref: busId }));
    expect(onOurBus).toHaveLength(1);
    const [, rule] = onOurBus[0]!;
    expect(rule.Properties.EventPattern).toEqual({ source: ['aws.dms'], 'detail-type': ['DMS Replication Task State Change', 'DMS Replication State Change'] });
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } }, RetryPolicy: expect.objectContaining({ MaximumRetryAttempts: 8 }) }),
    ]);
    const permission = resources.find(([, r]) => r.Type === 'AWS::Lambda::Permission' && JSON.stringify(r.Properties.FunctionName).includes(fnId));
    expect(permission?.[1].Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com' });
    const asyncConfig = resources.find(([, r]) => r.Type === 'AWS::Lambda::EventInvokeConfig' && JSON.stringify(r.Properties.FunctionName).includes(fnId));
    expect(asyncConfig?.[1].Properties).toMatchObject({ MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } } });
    const env = (template.Resources[fnId]?.Properties.Environment.Variables ?? {}) as Record<string, unknown>;
    expect(env).toMatchObject({ CONTROL_PLANE_FUNCTION: 'engine-notices', MIGRATION_ENGINES: 'aws-dms', DMS_REPLICATION_MODE: 'instance' });
  }, 180_000);

  it('with the simulated engine, has no engine-notices function (nothing publishes notices)', () => {
    // Act
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'TeamStack');
    const cp = new MigrationControlPlane(stack, 'Migrations', { stage: 'dev' });
    const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string; Properties?: any }> };

    // Assess
    expect(cp.engineNotices).toBeUndefined();
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Environment?.Variables?.CONTROL_PLANE_FUNCTION === 'engine-notices')).toEqual([]);
  }, 180_000);
});
