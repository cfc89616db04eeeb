import type { SQSEvent } from 'aws-lambda';
import { InProcessBatchQueue, type InProcessQueueOptions } from '../../shared/adapters/memory/in-process-queue';
import type { BatchMessage } from '../../shared/domain/batch-jobs';
import type { Delivery } from '../../shared/usecases/batch-jobs';

/** Messages the local worker handles at once (the deployed event source mapping's maximum concurrency). */
export const LOCAL_BATCH_CONCURRENCY = 4;

/** The SQS event the deployed worker receives for one message. */
export function sqsEventOf(message: BatchMessage, delivery: Delivery): SQSEvent {
  return {
    Records: [
      {
        messageId: delivery.messageId,
        receiptHandle: delivery.messageId,
        body: JSON.stringify(message),
        attributes: {
          ApproximateReceiveCount: String(delivery.attempt),
          SentTimestamp: String(Date.now()),
          SenderId: 'local',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:local:000000000000:batch-queue',
        awsRegion: 'local',
      },
    ],
  };
}

/**
 * The batch queue of `npm start` (and the integration tests): each message goes to the handler module the
 * deployed batch-worker function bundles, as the SQS event it would get, at most LOCAL_BATCH_CONCURRENCY at
 * once; a message it reports failed is delivered again (same id, next attempt), then dead-lettered. The queue
 * lives in memory: messages still waiting when the process stops are not kept (see README, Batch operations).
 */
export async function localBatchQueue(options: InProcessQueueOptions = {}): Promise<InProcessBatchQueue> {
  const { handler } = await import('../../functions/batch-worker/handler');
  return new InProcessBatchQueue(
    async (message, delivery) => {
      const out = await handler(sqsEventOf(message, delivery));
      if (out.batchItemFailures.length > 0) throw new Error(`batch worker reported message ${delivery.messageId} failed`);
    },
    { concurrency: LOCAL_BATCH_CONCURRENCY, ...options },
  );
}
