import { Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { Stage } from './stage';

export interface AlertsProps {
  readonly stage: Stage;
  /** Subscribed to the alerts topic by e-mail (it confirms the subscription first). */
  readonly alarmEmail?: string;
}

/**
 * The alerts SNS topic: encrypted with the AWS-managed SNS key, publishing over TLS only. Alerts
 * (shared/domain/alerts.ts) are raised by the stream publisher and sent here and to the event bus;
 * people and tools subscribe (the optional e-mail from `alarmEmail`, chat, pager, SQS).
 */
export class Alerts extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: `${Stack.of(this).stackName}-alerts`,
      displayName: `Migration control plane alerts (${props.stage})`,
      masterKey: kms.Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
  }

  /**
   * Lets a function raise alerts: publish to this topic only (ALERT_TOPIC_ARN), read projects (their
   * alert level) and write alert items — GetItem, PutItem and UpdateItem on the table (not its
   * indexes), nothing else. IAM cannot tell alert items from project items (same partition, and
   * dynamodb:LeadingKeys sees only the partition key): the code writes ALERT# items only.
   */
  grantRaise(fn: lambda.Function, table: dynamodb.ITable): void {
    this.topic.grantPublish(fn);
    // With cdk.json's @aws-cdk/aws-kms:applyImportedAliasPermissionsToPrincipal, publishing to a topic under
    // an imported key alias grants kms:Decrypt/GenerateDataKey* on key/* conditioned on that alias.
    if (fn.role) {
      Validations.of(fn.role).acknowledge(
        {
          id: 'AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
          reason: 'Publishing to the alerts topic encrypted with the AWS-managed SNS key; limited by kms:ResourceAliases = alias/aws/sns.',
        },
        {
          id: 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]',
          reason: 'The AWS-managed SNS key has no ARN known at synth time; the grant is conditioned on kms:ResourceAliases = alias/aws/sns.',
        },
      );
    }
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: [table.tableArn] }),
    );
    fn.addEnvironment('ALERT_TOPIC_ARN', this.topic.topicArn);
  }
}
