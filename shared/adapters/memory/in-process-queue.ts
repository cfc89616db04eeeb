import { randomUUID } from 'node:crypto';
import type { BatchMessage } from '../../domain/batch-jobs';
import { logger } from '../../observability/telemetry';
import type { BatchQueue } from '../../ports';
import type { Delivery } from '../../usecases/batch-jobs';

export interface InProcessQueueOptions {
  /** Messages handled at once (the deployed event source mapping's maximum concurrency). */
  concurrency?: number;
  /** Deliveries of a message before it is dead-lettered (the deployed queue's maxReceiveCount). */
  maxAttempts?: number;
  /** Wait before a failed message is delivered again. */
  retryDelayMs?: number;
}

type Consumer = (message: BatchMessage, delivery: Delivery) => Promise<void>;

/**
 * The batch queue of the local runtime and the tests: messages are handed to the same consumer the
 * deployed worker runs, in-process, at most `concurrency` at a time, at least once (a failed message is
 * delivered again with the same id, up to `maxAttempts`, then kept in `deadLetters` and logged).
 */
export class InProcessBatchQueue implements BatchQueue {
  readonly deadLetters: { message: BatchMessage; error: string }[] = [];
  private readonly waiting: { id: string; message: BatchMessage; attempt: number }[] = [];
  private active = 0;
  private delayed = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;

  constructor(
    private readonly consumer: Consumer,
    options: InProcessQueueOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 4;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 200;
    if (!(this.concurrency >= 1) || !(this.maxAttempts >= 1)) throw new Error('InProcessBatchQueue: concurrency and maxAttempts must be at least 1');
  }

  async send(messages: readonly BatchMessage[]): Promise<void> {
    for (const message of messages) this.waiting.push({ id: randomUUID(), message: structuredClone(message), attempt: 0 });
    this.pump();
  }

  /** Resolves once nothing waits, runs or is due for another delivery. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.waiting.length === 0 && this.active === 0 && this.delayed === 0;
  }

  private pump(): void {
    while (this.active < this.concurrency && this.waiting.length > 0) {
      const next = this.waiting.shift() as (typeof this.waiting)[number];
      this.active++;
      void this.deliver(next).finally(() => {
        this.active--;
        this.pump();
        if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
      });
    }
  }

  private async deliver(entry: { id: string; message: BatchMessage; attempt: number }): Promise<void> {
    entry.attempt++;
    try {
      await this.consumer(entry.message, { messageId: entry.id, attempt: entry.attempt });
    } catch (e) {
      const error = (e as Error | undefined)?.message ?? String(e);
      if (entry.attempt >= this.maxAttempts) {
        this.deadLetters.push({ message: entry.message, error });
        logger.error('batch message dead-lettered', { batchId: entry.message.batchId, kind: entry.message.kind, attempts: entry.attempt, error });
        return;
      }
      logger.warn('batch message failed; delivered again', { batchId: entry.message.batchId, kind: entry.message.kind, attempt: entry.attempt, error });
      this.delayed++;
      setTimeout(() => {
        this.delayed--;
        this.waiting.push(entry);
        this.pump();
      }, this.retryDelayMs * entry.attempt).unref?.();
    }
  }
}
