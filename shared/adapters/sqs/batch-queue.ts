import type { BatchMessage } from '../../domain/batch-jobs';
import type { BatchQueue } from '../../ports';

/**
 * The batch queue on Amazon SQS. `SqsSender` is the one call it makes, in the shape of the SDK's
 * SendMessageBatch (input and output as @aws-sdk/client-sqs has them), so the SDK's client fits it:
 * `{ sendMessageBatch: (input) => client.send(new SendMessageBatchCommand(input)) }`.
 */
export interface SqsSendMessageBatchInput {
  QueueUrl: string;
  Entries: { Id: string; MessageBody: string }[];
}
export interface SqsSendMessageBatchOutput {
  Successful?: { Id?: string }[];
  Failed?: { Id?: string; SenderFault?: boolean; Code?: string; Message?: string }[];
}
export interface SqsSender {
  sendMessageBatch(input: SqsSendMessageBatchInput): Promise<SqsSendMessageBatchOutput>;
}

/** SQS takes at most 10 messages a SendMessageBatch. */
export const SQS_BATCH_ENTRIES = 10;
const ATTEMPTS = 4;

export class SqsBatchQueue implements BatchQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly sender: () => Promise<SqsSender>,
  ) {}

  async send(messages: readonly BatchMessage[]): Promise<void> {
    const sqs = await this.sender();
    for (let i = 0; i < messages.length; i += SQS_BATCH_ENTRIES) {
      let entries = messages.slice(i, i + SQS_BATCH_ENTRIES).map((m, j) => ({ Id: String(j), MessageBody: JSON.stringify(m) }));
      // Entries SQS refused for a reason of its own are sent again; a sender fault (a bad message) is not retryable.
      for (let attempt = 1; entries.length > 0; attempt++) {
        const out = await sqs.sendMessageBatch({ QueueUrl: this.queueUrl, Entries: entries });
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

/**
 * The SDK client, loaded on first use. @aws-sdk/client-sqs is not among this repository's installed
 * packages: the Lambda runtime provides it deployed (the SDK is never bundled), so it is loaded by
 * name at run time; add it to package.json to use this outside Lambda.
 */
export function sdkSqsSender(): () => Promise<SqsSender> {
  let sender: Promise<SqsSender> | undefined;
  return () =>
    (sender ??= (async () => {
      const name = '@aws-sdk/client-sqs';
      const sdk = (await import(name)) as {
        SQSClient: new (config: object) => { send(command: unknown): Promise<SqsSendMessageBatchOutput> };
        SendMessageBatchCommand: new (input: SqsSendMessageBatchInput) => unknown;
      };
      const client = new sdk.SQSClient({});
      return { sendMessageBatch: (input) => client.send(new sdk.SendMessageBatchCommand(input)) };
    })());
}
