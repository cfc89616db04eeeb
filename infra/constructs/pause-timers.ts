import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Stage } from './stage';
import { controlPlaneFunction, scopeLogicalPrefix } from './function';
import { grantTableAccess, tableAccessOf } from './projects-table';
import { deadLetterQueue } from './dead-letters';

export interface PauseTimersProps {
  readonly stage: Stage;
  readonly table: dynamodb.ITable;
  readonly pauseDeadlineSeconds: number;
  readonly pauseWarningSeconds: number;
}

/**
 * Pause expiry on EventBridge Scheduler: a dedicated schedule group, the pause-timer function the
 * one-time schedules invoke, the role Scheduler assumes (it may invoke only that function and write
 * only to the timers' dead-letter queue), and the grants API functions need to manage the schedules.
 */
export class PauseTimers extends Construct {
  readonly group: scheduler.CfnScheduleGroup;
  readonly function: NodejsFunction;
  readonly schedulerRole: iam.Role;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: PauseTimersProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.group = new scheduler.CfnScheduleGroup(this, 'Group', { name: `${stack.stackName}-pause-timers` });
    this.group.applyRemovalPolicy(props.stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);

    this.function = controlPlaneFunction(this, {
      fn: 'pause-timer',
      stage: props.stage,
      environment: { TABLE_NAME: props.table.tableName, PAUSE_DEADLINE_SECONDS: String(props.pauseDeadlineSeconds) },
    });
    // Writes only projects (the conditional expire / warn transitions and their audit events).
    grantTableAccess(props.table, this.function, tableAccessOf('pause-timer'));

    this.deadLetterQueue = deadLetterQueue(this, 'the pause timers');

    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: 'Assumed by EventBridge Scheduler to fire pause timers',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    this.function.grantInvoke(this.schedulerRole);
    this.deadLetterQueue.grantSendMessages(this.schedulerRole);
    Validations.of(this.schedulerRole).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${scopeLogicalPrefix(this.function)}.Arn>:*]`,
      reason: 'Versions and aliases of the pause-timer function only (added by grantInvoke).',
    });
  }

  /** Schedule ARNs of this group only. */
  get scheduleArnPattern(): string {
    return Stack.of(this).formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${this.group.name}/*` });
  }

  /**
   * Lets the reconciler sweep the pause timers: what grantManage gives, plus listing the schedules of the
   * group (ListSchedules supports no resource-level permission, so its statement names "*").
   */
  grantSweep(fn: IFunction & { addEnvironment(key: string, value: string): unknown }, props: PauseTimersProps): void {
    this.grantManage(fn, props);
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['scheduler:ListSchedules'], resources: ['*'] }));
    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'scheduler:ListSchedules has no resource type (IAM requires "*"); it only lists names, and the code lists this group only.',
      });
    }
  }

  /** Lets an API function create and delete the pause timers (and pass the Scheduler role), nothing else. */
  grantManage(fn: IFunction & { addEnvironment(key: string, value: string): unknown }, props: PauseTimersProps): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule'],
        resources: [this.scheduleArnPattern],
      }),
    );
    this.schedulerRole.grantPassRole(fn.grantPrincipal);
    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.group.name}/*]`,
        reason: 'Pause timers are one-time schedules named per project and pause, all inside this dedicated group.',
      });
    }
    fn.addEnvironment('SCHEDULE_GROUP_NAME', this.group.name as string);
    fn.addEnvironment('PAUSE_TIMER_FUNCTION_ARN', this.function.functionArn);
    fn.addEnvironment('SCHEDULER_ROLE_ARN', this.schedulerRole.roleArn);
    fn.addEnvironment('SCHEDULER_DLQ_ARN', this.deadLetterQueue.queueArn);
    fn.addEnvironment('PAUSE_WARNING_SECONDS', String(props.pauseWarningSeconds));
  }
}
