import type { SQSClient } from '@aws-sdk/client-sqs';
import { lazyClient, onFirstUse } from '../aws/lazy-sdk';
import type { BatchMessage } from '../../domain/batch-jobs';
import type { BatchQueue } from '../../ports';

/** Loaded on first use (shared/adapters/aws/lazy-sdk.ts). */
const sqsSdk = onFirstUse(() => import('@aws-sdk/client-sqs'));

/** One SQS client per process, created on first use; tests inject their own. */
const sqsClientHolder = lazyClient(async () => new (await sqsSdk()).SQSClient({ maxAttempts: 4 }));
export const getSqsClient = sqsClientHolder.get;
export const setSqsClient = sqsClientHolder.set;

/** SQS takes at most 10 messages a SendMessageBatch. */
export const SQS_BATCH_ENTRIES = 10;
const ATTEMPTS = 4;

/**
 * The batch queue on Amazon SQS: messages go 10 a SendMessageBatch, each body the message as JSON.
 * Entries SQS failed for a reason of its own are sent again (up to 4 attempts); a sender fault (a bad
 * message) is not retryable and fails the send.
 */
export class SqsBatchQueue implements BatchQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly client: () => SQSClient | Promise<SQSClient> = getSqsClient,
  ) {}

  async send(messages: readonly BatchMessage[]): Promise<void> {
    const [sqs, { SendMessageBatchCommand }] = await Promise.all([this.client(), sqsSdk()]);
    for (let i = 0; i < messages.length; i += SQS_BATCH_ENTRIES) {
      let entries = messages.slice(i, i + SQS_BATCH_ENTRIES).map((m, j) => ({ Id: String(j), MessageBody: JSON.stringify(m) }));
      for (let attempt = 1; entries.length > 0; attempt++) {
        const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
        const failed = out.Failed ?? [];
        const fault = failed.find((f) => f.SenderFault);
        if (fault) throw new Error(`SQS refused a batch message: ${fault.Code ?? ''} ${fault.Message ?? ''}`.trim());
        if (failed.length > 0 && attempt >= ATTEMPTS) throw new Error(`SQS did not take ${failed.length} batch message(s) after ${ATTEMPTS} attempts`);
        const retry = new Set(failed.map((f) => f.Id));
        entries = entries.filter((e) => retry.has(e.Id));
      }
    }
  }
}
