import { ArnFormat, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { keys } from '../../shared/table';
import type { Stage } from './stage';

export interface AlertsProps {
  readonly stage: Stage;
  /** Subscribed to the alerts topic by e-mail (it confirms the subscription first). */
  readonly alarmEmail?: string;
}

/** Stream records of an audit event (EVENT# item) that are not its insert: it was overwritten, updated or deleted. */
export const AUDIT_TAMPERING_PATTERN = {
  eventName: ['MODIFY', 'REMOVE'],
  dynamodb: { Keys: { sk: { S: [{ prefix: keys.projectEventPrefix }] } } },
};

/** What a publisher needs on the key of an encrypted topic (SNS generates and decrypts data keys for it). */
const PUBLISH_KEY_ACTIONS = ['kms:GenerateDataKey*', 'kms:Decrypt'];

/**
 * The alerts SNS topic, publishing over TLS only, encrypted with a customer-managed KMS key (rotated
 * yearly). Not the AWS-managed `alias/aws/sns` key: its policy cannot be changed, so CloudWatch alarms
 * and EventBridge rules (service principals) could never use it and every notification would be
 * dropped. The key policy delegates to IAM (the account, so functions publish through their IAM grants,
 * see grantRaise) and admits CloudWatch alarms of this account and Region, for this topic only; rules
 * are admitted by notifyFrom. Alerts (shared/domain/alerts.ts) are raised by the stream publisher and
 * sent here and to the event bus; people and tools subscribe (the optional e-mail from `alarmEmail`,
 * chat, pager, SQS).
 */
export class Alerts extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;
  /** The topic's ARN built from its fixed name: the key policy names it without a Ref (that would be a cycle). */
  private readonly topicArn: string;
  private eventsAdmitted = false;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const topicName = `${stack.stackName}-alerts`;
    this.topicArn = stack.formatArn({ service: 'sns', resource: topicName, arnFormat: ArnFormat.NO_RESOURCE_NAME });
    this.key = new kms.Key(this, 'Key', {
      description: `Encrypts the alerts topic ${topicName}`,
      enableKeyRotation: true,
      removalPolicy: props.stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // CloudWatch alarms publish under their service principal: only for alarms of this account and Region.
    this.admitService('cloudwatch.amazonaws.com', {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
    });
    this.topic = new sns.Topic(this, 'Topic', {
      topicName,
      displayName: `Migration control plane alerts (${props.stage})`,
      masterKey: this.key,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
  }

  /**
   * Sends what the rule matches to the alerts topic, and admits EventBridge to the topic's key. EventBridge's
   * calls to KMS carry no aws:SourceArn/aws:SourceAccount, so the grant is conditioned on this topic only.
   */
  notifyFrom(rule: events.Rule): void {
    if (!this.eventsAdmitted) {
      this.admitService('events.amazonaws.com', {});
      this.eventsAdmitted = true;
    }
    rule.addTarget(new targets.SnsTopic(this.topic));
  }

  /**
   * Lets a function notify alerts: publish to this topic only (ALERT_TOPIC_ARN) with its key. Its table
   * access (reading projects, writing ALERT# items) is its TABLE_ACCESS entry (projects-table.ts).
   */
  grantRaise(fn: lambda.Function): void {
    // sns:Publish on the topic, and kms:Decrypt/GenerateDataKey* on its key (the key policy delegates to IAM).
    this.topic.grantPublish(fn);
    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason: 'Publishing to the encrypted alerts topic: GenerateDataKey and its WithoutPlaintext variants, on the alerts key only.',
      });
    }
    fn.addEnvironment('ALERT_TOPIC_ARN', this.topic.topicArn);
  }

  /**
   * Tamper evidence for the audit trail. Audit events are only ever inserted (a Put conditioned on
   * attribute_not_exists(sk) in the transition's transaction), but IAM cannot keep the functions that
   * write a project's partition from overwriting or deleting its EVENT# items (dynamodb:LeadingKeys sees
   * the partition key only, and IAM cannot require a condition expression). So any change to an audit
   * event that is not its insert — a MODIFY (overwrite, update) or a REMOVE — is sent from the table's
   * stream to this topic by an EventBridge pipe (no code: a filter and a target). Point-in-time recovery
   * keeps the original. The stream then has two readers (this pipe and the domain-event publisher).
   */
  watchAuditTrail(table: dynamodb.ITable): pipes.CfnPipe {
    if (!table.tableStreamArn) throw new Error('watchAuditTrail: the table has no stream');
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'AuditTrailWatchRole', {
      description: 'Assumed by EventBridge Pipes: reads the projects table stream, publishes audit-trail tampering to the alerts topic',
      assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
    });
    table.grantStreamRead(role);
    this.topic.grantPublish(role);
    Validations.of(role).acknowledge(
      { id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: 'dynamodb:ListStreams has no resource-level permission; the pipe reads the projects table stream only.' },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason: 'Publishing to the encrypted alerts topic: GenerateDataKey and its WithoutPlaintext variants, on the alerts key only.',
      },
    );
    return new pipes.CfnPipe(this, 'AuditTrailWatch', {
      description: 'Any overwrite, update or delete of an audit event (EVENT# item) of the projects table → alerts topic',
      roleArn: role.roleArn,
      source: table.tableStreamArn,
      sourceParameters: {
        dynamoDbStreamParameters: { startingPosition: 'LATEST', batchSize: 1 },
        filterCriteria: { filters: [{ pattern: JSON.stringify(AUDIT_TAMPERING_PATTERN) }] },
      },
      target: this.topic.topicArn,
    });
  }

  /** A key-policy grant to an AWS service that publishes to the topic: the publish key actions, for this topic only. */
  private admitService(service: string, conditions: Record<string, Record<string, unknown>>): void {
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `Publish${service.split('.')[0]}`,
        principals: [new iam.ServicePrincipal(service)],
        actions: PUBLISH_KEY_ACTIONS,
        resources: ['*'],
        conditions: {
          ...conditions,
          StringEquals: { ...conditions.StringEquals, 'kms:EncryptionContext:aws:sns:topicArn': this.topicArn },
        },
      }),
    );
  }
}
