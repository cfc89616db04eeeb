import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { keys } from '../../shared/table';
import type { Stage } from './stage';
import { controlPlaneFunction } from './function';
import { grantTableAccess, tableAccessOf } from './projects-table';
import { deadLetterQueue } from './dead-letters';

export interface DomainEventsProps {
  readonly stage: Stage;
  readonly table: dynamodb.ITable;
}

/**
 * Domain events without a dual write: the audit event items committed with each transition flow from
 * the table's stream (filtered to inserted EVENT# items) through the publisher function to the event
 * bus, at least once and in order per project. Batches that keep failing land in a dead-letter queue.
 */
export class DomainEvents extends Construct {
  readonly bus: events.EventBus;
  readonly publisher: NodejsFunction;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: DomainEventsProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', { eventBusName: `${Stack.of(this).stackName}-events` });
    this.bus.applyRemovalPolicy(props.stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);

    this.publisher = controlPlaneFunction(this, {
      fn: 'publish-domain-events',
      stage: props.stage,
      environment: { EVENT_BUS_NAME: this.bus.eventBusName, TABLE_NAME: props.table.tableName },
      timeout: Duration.seconds(60),
    });
    this.bus.grantPutEventsTo(this.publisher);
    // Reads the project of an event, records and marks its alerts (ALERT# items of the project's partition).
    grantTableAccess(props.table, this.publisher, tableAccessOf('publish-domain-events'));

    this.deadLetterQueue = deadLetterQueue(this, 'the stream publisher');

    this.publisher.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        retryAttempts: 10,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.deadLetterQueue),
        filters: [
          lambda.FilterCriteria.filter({
            eventName: lambda.FilterRule.isEqual('INSERT'),
            dynamodb: { Keys: { sk: { S: lambda.FilterRule.beginsWith(keys.projectEventPrefix) } } },
          }),
        ],
      }),
    );
  }
}
