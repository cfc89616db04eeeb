import { describe, expect, it } from 'vitest';
import { InProcessBatchQueue } from '../../shared/adapters/memory/in-process-queue';
import { SqsBatchQueue, type SqsSendMessageBatchInput, type SqsSendMessageBatchOutput } from '../../shared/adapters/sqs/batch-queue';
import type { BatchMessage } from '../../shared/domain/batch-jobs';

const items = (n: number): BatchMessage[] => Array.from({ length: n }, (_, i) => ({ kind: 'items', batchId: 'b1', projectIds: [`p${i}`] }));

describe('SQS batch queue adapter', () => {
  it('sends 10 messages a SendMessageBatch, each body the message as JSON', async () => {
    // Prepare
    const calls: SqsSendMessageBatchInput[] = [];
    const queue = new SqsBatchQueue('https://sqs.eu-west-1.amazonaws.com/123456789012/batches', async () => ({
      sendMessageBatch: async (input) => {
        calls.push(input);
        return { Successful: input.Entries.map((e) => ({ Id: e.Id })) };
      },
    }));

    // Act
    await queue.send(items(23));

    // Assess
    expect(calls.map((c) => c.Entries.length)).toEqual([10, 10, 3]);
    expect(calls.every((c) => c.QueueUrl.endsWith('/batches'))).toBe(true);
    expect(calls.flatMap((c) => c.Entries.map((e) => (JSON.parse(e.MessageBody) as { projectIds: string[] }).projectIds[0]))).toEqual(items(23).map((m) => (m as { projectIds: string[] }).projectIds[0]));
  });

  it('sends again only the entries SQS failed for its own reasons; a sender fault fails the send', async () => {
    // Prepare
    const attempts: string[][] = [];
    let first = true;
    const flaky = new SqsBatchQueue('q', async () => ({
      sendMessageBatch: async (input): Promise<SqsSendMessageBatchOutput> => {
        attempts.push(input.Entries.map((e) => e.Id));
        if (first) {
          first = false;
          return { Failed: [{ Id: '1', SenderFault: false, Code: 'InternalError' }] };
        }
        return {};
      },
    }));
    const refusing = new SqsBatchQueue('q', async () => ({
      sendMessageBatch: async () => ({ Failed: [{ Id: '0', SenderFault: true, Code: 'InvalidMessageContents' }] }),
    }));

    // Act
    await flaky.send(items(3));
    const refused = refusing.send(items(1));

    // Assess
    expect(attempts).toEqual([['0', '1', '2'], ['1']]);
    await expect(refused).rejects.toThrow(/InvalidMessageContents/);
  });
});

describe('in-process batch queue (local runtime)', () => {
  it('runs at most `concurrency` messages at once, delivers a failed one again with the same id, dead-letters after maxAttempts', async () => {
    // Prepare
    let running = 0;
    let most = 0;
    const deliveries: { id: string; attempt: number; project: string }[] = [];
    const queue = new InProcessBatchQueue(
      async (m, d) => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setImmediate(resolve));
        running--;
        const project = (m as { projectIds: string[] }).projectIds[0] as string;
        deliveries.push({ id: d.messageId, attempt: d.attempt, project });
        if (project === 'p1' && d.attempt < 2) throw new Error('transient');
        if (project === 'p2') throw new Error('always');
      },
      { concurrency: 3, maxAttempts: 3, retryDelayMs: 1 },
    );

    // Act
    await queue.send(items(12));
    await queue.idle();

    // Assess
    expect(most).toBe(3);
    const p1 = deliveries.filter((d) => d.project === 'p1');
    expect(p1.map((d) => d.attempt)).toEqual([1, 2]);
    expect(new Set(p1.map((d) => d.id)).size).toBe(1);
    expect(deliveries.filter((d) => d.project === 'p2').map((d) => d.attempt)).toEqual([1, 2, 3]);
    expect(queue.deadLetters.map((d) => (d.message as { projectIds: string[] }).projectIds[0])).toEqual(['p2']);
    expect(deliveries.filter((d) => d.project !== 'p1' && d.project !== 'p2')).toHaveLength(10);
  });
});
