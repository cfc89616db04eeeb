import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { controlPlaneFunction } from './function';
import { grantTableAccess, tableAccessOf } from './projects-table';
import type { Stage } from './stage';
import { deadLetterQueue } from './dead-letters';

export interface BatchQueueProps {
  readonly stage: Stage;
  readonly table: dynamodb.ITable;
  readonly pauseDeadlineSeconds: number;
  /** Worker invocations at once (the event source mapping's maximum concurrency, 2-1000); default 10. */
  readonly maxConcurrency?: number;
}

/** How long one message may take the worker (ITEMS_PER_MESSAGE projects, 16 at a time, or one expansion step). */
export const BATCH_WORKER_TIMEOUT = Duration.seconds(120);
/** Deliveries of a message before it is dead-lettered. */
export const BATCH_MAX_RECEIVE_COUNT = 5;

/**
 * Large batches: an SQS queue (and its dead-letter queue, both encrypted and TLS-only) consumed by the
 * batch-worker function one message per invocation, at most `maxConcurrency` at once, reporting failed
 * messages alone (partial batch responses). The visibility timeout is six times the worker's timeout, as
 * AWS advises, so a message is not delivered again while a worker may still be on it.
 */
export class BatchQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly worker: NodejsFunction;

  constructor(scope: Construct, id: string, props: BatchQueueProps) {
    super(scope, id);
    this.deadLetterQueue = deadLetterQueue(this, 'the batch queue');
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(BATCH_WORKER_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: BATCH_MAX_RECEIVE_COUNT },
    });

    this.worker = controlPlaneFunction(this, {
      fn: 'batch-worker',
      stage: props.stage,
      environment: { TABLE_NAME: props.table.tableName, PAUSE_DEADLINE_SECONDS: String(props.pauseDeadlineSeconds) },
      timeout: BATCH_WORKER_TIMEOUT,
    });
    grantTableAccess(props.table, this.worker, tableAccessOf('batch-worker'));
    this.worker.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true, maxConcurrency: props.maxConcurrency ?? 10 }),
    );
  }

  /** A function that puts batch work on the queue: SendMessage on it, and its URL as BATCH_QUEUE_URL. */
  grantEnqueue(fn: NodejsFunction): void {
    this.queue.grantSendMessages(fn);
    fn.addEnvironment('BATCH_QUEUE_URL', this.queue.queueUrl);
  }
}
