import * as events from 'aws-cdk-lib/aws-events';
import { describe, expect, it } from 'vitest';
import { type Json, type Synthesized, allows, asList, logicalId, namesResource, ofType, resource, statementsOfRole, synthesizeStack } from './template';

/**
 * An encrypted SNS topic only takes a message when whoever publishes can use its KMS key
 * (kms:GenerateDataKey* and kms:Decrypt). AWS services publish under their service principal, which
 * only a key policy can admit; IAM roles need the key policy to delegate to IAM and an IAM grant.
 * These tests find every publisher in the template (alarm actions, rules targeting a topic, roles
 * allowed sns:Publish) and prove each one can use the key of the topic it publishes to.
 */

const KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];

/** The logical id of the AWS::KMS::Key a topic is encrypted with; fails for AWS-managed keys and aliases. */
function keyOfTopic(s: Synthesized, topicId: string): string {
  const keyRef = resource(s, topicId).Properties.KmsMasterKeyId as Json;
  const keyId = keyRef?.['Fn::GetAtt']?.[0] as string | undefined;
  expect(keyId ? resource(s, keyId).Type : JSON.stringify(keyRef), `topic ${topicId} is encrypted with a key of this stack`).toBe('AWS::KMS::Key');
  return keyId as string;
}

const keyPolicy = (s: Synthesized, keyId: string) => asList(resource(s, keyId).Properties.KeyPolicy.Statement) as Json[];

/** Key-policy statements that let the service principal use the key for `action`. */
function serviceStatements(s: Synthesized, keyId: string, service: string, action: string): Json[] {
  return allows(keyPolicy(s, keyId), action).filter((st) => asList(st.Principal?.Service).includes(service));
}

/** Whether the key policy delegates `action` to IAM (the account root principal). */
function delegatesToIam(s: Synthesized, keyId: string, action: string): boolean {
  return allows(keyPolicy(s, keyId), action).some((st) => JSON.stringify(st.Principal?.AWS ?? '').includes(':root'));
}

/** Alarm id → topic ids its actions notify. */
function alarmTopics(s: Synthesized): [string, string][] {
  return ofType(s, 'AWS::CloudWatch::Alarm').flatMap(([id, a]) =>
    ['AlarmActions', 'OKActions', 'InsufficientDataActions'].flatMap((k) => asList(a.Properties[k]).map((ref: Json) => [id, ref.Ref as string] as [string, string])),
  );
}

/** Rule id → topic ids it targets. */
function ruleTopics(s: Synthesized): [string, string][] {
  const topics = new Set(ofType(s, 'AWS::SNS::Topic').map(([id]) => id));
  return ofType(s, 'AWS::Events::Rule').flatMap(([id, r]) =>
    asList(r.Properties.Targets)
      .map((t: Json) => t.Arn?.Ref as string | undefined)
      .filter((ref): ref is string => ref !== undefined && topics.has(ref))
      .map((topic) => [id, topic] as [string, string]),
  );
}

/** Role id → topic ids it may publish to (sns:Publish naming the topic). */
function publishingRoles(s: Synthesized): [string, string][] {
  const topics = ofType(s, 'AWS::SNS::Topic').map(([id]) => id);
  return ofType(s, 'AWS::IAM::Role').flatMap(([roleId]) =>
    topics.filter((topic) => allows(statementsOfRole(s, roleId), 'sns:Publish').some((st) => namesResource(st, topic))).map((topic) => [roleId, topic] as [string, string]),
  );
}

const dev = synthesizeStack('dev');
const prod = synthesizeStack('prod');
const stages = [
  { stage: 'dev', s: dev, policy: 'Delete' },
  { stage: 'prod', s: prod, policy: 'Retain' },
] as const;

describe('alerts topic key', () => {
  it.each(stages)('every alarm action (CloudWatch) can use the key of the topic it notifies ($stage)', ({ s }) => {
    // Prepare
    const pairs = alarmTopics(s);

    // Assess
    expect(pairs.length).toBeGreaterThan(10);
    for (const [alarm, topic] of pairs) {
      const key = keyOfTopic(s, topic);
      for (const action of KEY_ACTIONS) expect(serviceStatements(s, key, 'cloudwatch.amazonaws.com', action), `${alarm} → ${topic}: ${action}`).not.toEqual([]);
    }
  });

  it.each(stages)('every role allowed sns:Publish on a topic may use its key, through the key policy and IAM ($stage)', ({ s }) => {
    // Prepare
    const pairs = publishingRoles(s);

    // Assess
    expect(pairs.map(([role]) => role)).toContain(logicalId(s, s.stack.node.findChild('Default').node.findChild('DomainEvents').node.findChild('PublishDomainEventsRole')));
    for (const [role, topic] of pairs) {
      const key = keyOfTopic(s, topic);
      for (const action of KEY_ACTIONS) {
        expect(delegatesToIam(s, key, action), `${key} delegates ${action} to IAM`).toBe(true);
        expect(allows(statementsOfRole(s, role), action).filter((st) => namesResource(st, key)), `${role} → ${topic}: ${action}`).not.toEqual([]);
      }
    }
  });

  it('every rule that targets a topic (EventBridge) can use its key', () => {
    // Prepare: today no rule targets the alerts topic; one that does must go through Alerts.notifyFrom.
    const s = synthesizeStack('dev', (stack) =>
      stack.alerts.notifyFrom(new events.Rule(stack, 'FailedRuns', { eventPattern: { source: ['aws.states'], detailType: ['Step Functions Execution Status Change'] } })),
    );

    // Act
    const pairs = ruleTopics(s);

    // Assess
    expect(pairs).toHaveLength(1);
    for (const [rule, topic] of pairs) {
      const key = keyOfTopic(s, topic);
      for (const action of KEY_ACTIONS) expect(serviceStatements(s, key, 'events.amazonaws.com', action), `${rule} → ${topic}: ${action}`).not.toEqual([]);
    }
    expect(ruleTopics(dev)).toEqual([]);
    expect(keyPolicy(dev, keyOfTopic(dev, logicalId(dev, dev.cp.alerts.topic))).filter((st) => JSON.stringify(st.Principal).includes('events.amazonaws.com'))).toEqual([]);
  });

  it.each(stages)('the key is customer-managed, rotated, kept in prod and deleted in dev; service grants are conditioned ($stage)', ({ s, policy }) => {
    // Prepare
    const key = keyOfTopic(s, logicalId(s, s.cp.alerts.topic));

    // Act
    const props = resource(s, key).Properties;
    const serviceGrants = keyPolicy(s, key).filter((st) => st.Principal?.Service !== undefined);

    // Assess
    expect(props.EnableKeyRotation).toBe(true);
    expect(resource(s, key).DeletionPolicy).toBe(policy);
    expect(serviceGrants.length).toBeGreaterThan(0);
    for (const st of serviceGrants) {
      expect(asList(st.Action).sort(), JSON.stringify(st.Principal)).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
      expect(st.Condition?.StringEquals?.['kms:EncryptionContext:aws:sns:topicArn'], 'only for this topic').toBeDefined();
    }
    const cloudwatch = serviceGrants.filter((st) => asList(st.Principal.Service).includes('cloudwatch.amazonaws.com'));
    expect(cloudwatch).toHaveLength(1);
    expect(cloudwatch[0].Condition.StringEquals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
    expect(JSON.stringify(cloudwatch[0].Condition.ArnLike['aws:SourceArn'])).toContain(':alarm:');
  });
});
