import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DMS_REPLICATION_STATE_CHANGE, DMS_TASK_STATE_CHANGE } from '../../shared/adapters/engine/dms/events';
import type { Stage } from './stage';
import { controlPlaneFunction } from './function';
import { grantTableAccess, tableAccessOf } from './projects-table';
import { deadLetterQueue } from './dead-letters';

export interface EngineNoticesProps {
  readonly stage: Stage;
  readonly table: dynamodb.ITable;
  /** The control plane's bus, where the engine's notices arrive (DmsEngine forwards the DMS state changes there). */
  readonly bus: events.IEventBus;
}

/**
 * The engine's own notices on the control plane's bus → the engine-notices function
 * (shared/usecases/engine-notices.ts): a failed DMS task fails its project's run at once, not at the
 * run's next poll. The rule matches every DMS replication state change on the bus (the DmsEngine
 * construct forwards only its own replications'); the function reads which ones are failures. Events
 * EventBridge cannot deliver, and invocations that keep failing, land in the dead-letter queue.
 */
export class EngineNotices extends Construct {
  readonly function: NodejsFunction;
  readonly rule: events.Rule;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: EngineNoticesProps) {
    super(scope, id);
    this.function = controlPlaneFunction(this, {
      fn: 'engine-notices',
      stage: props.stage,
      environment: { TABLE_NAME: props.table.tableName },
      timeout: Duration.seconds(60),
    });
    grantTableAccess(props.table, this.function, tableAccessOf('engine-notices'));

    this.deadLetterQueue = deadLetterQueue(this, 'the engine notices (rule deliveries and failed invocations)');
    // Lambda retries a failed asynchronous invocation twice, then hands the event to the queue.
    this.function.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(6), onFailure: new SqsDestination(this.deadLetterQueue) });

    this.rule = new events.Rule(this, 'Rule', {
      eventBus: props.bus,
      description: "The migration engine's notices (AWS DMS replication state changes) to the engine-notices function",
      eventPattern: { source: ['aws.dms'], detailType: [DMS_TASK_STATE_CHANGE, DMS_REPLICATION_STATE_CHANGE] },
      targets: [new targets.LambdaFunction(this.function, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 8, maxEventAge: Duration.hours(6) })],
    });
  }
}
