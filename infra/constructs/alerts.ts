import { ArnFormat, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { Stage } from '../stack';

export interface AlertsProps {
  readonly stage: Stage;
  /** Subscribed to the alerts topic by e-mail (it confirms the subscription first). */
  readonly alarmEmail?: string;
}

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
   * Lets a function raise alerts: publish to this topic only (ALERT_TOPIC_ARN) with its key, read projects
   * (their alert level) and write alert items — GetItem, PutItem and UpdateItem on the table (not its
   * indexes), nothing else. IAM cannot tell alert items from project items (same partition, and
   * dynamodb:LeadingKeys sees only the partition key): the code writes ALERT# items only.
   */
  grantRaise(fn: lambda.Function, table: dynamodb.ITable): void {
    // sns:Publish on the topic, and kms:Decrypt/GenerateDataKey* on its key (the key policy delegates to IAM).
    this.topic.grantPublish(fn);
    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason: 'Publishing to the encrypted alerts topic: GenerateDataKey and its WithoutPlaintext variants, on the alerts key only.',
      });
    }
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: [table.tableArn] }),
    );
    fn.addEnvironment('ALERT_TOPIC_ARN', this.topic.topicArn);
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
