import { SendMessageBatchCommand, SQSClient, type SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { InProcessBatchQueue } from '../../shared/adapters/memory/in-process-queue';
import { SqsBatchQueue } from '../../shared/adapters/sqs/batch-queue';
import type { BatchMessage } from '../../shared/domain/batch-jobs';

const items = (n: number): BatchMessage[] => Array.from({ length: n }, (_, i) => ({ kind: 'items', batchId: 'b1', projectIds: [`p${i}`] }));

describe('SQS batch queue adapter', () => {
  const sqs = mockClient(SQSClient);
  beforeEach(() => sqs.reset());
  const queueOn = (url: string) => new SqsBatchQueue(url, () => new SQSClient({ region: 'eu-west-1' }));

  it('sends 10 messages a SendMessageBatch, each body the message as JSON', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({ Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: 'x' })), Failed: [] }));
    const queue = queueOn('https://sqs.eu-west-1.amazonaws.com/123456789012/batches');

    // Act
    await queue.send(items(23));

    // Assess
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Entries?.length)).toEqual([10, 10, 3]);
    expect(calls.every((c) => c.QueueUrl?.endsWith('/batches'))).toBe(true);
    expect(calls.flatMap((c) => (c.Entries ?? []).map((e) => (JSON.parse(e.MessageBody ?? '{}') as { projectIds: string[] }).projectIds[0]))).toEqual(items(23).map((m) => (m as { projectIds: string[] }).projectIds[0]));
  });

  it('sends again only the entries SQS failed for its own reasons; a sender fault fails the send', async () => {
    // Prepare
    sqs
      .on(SendMessageBatchCommand, { QueueUrl: 'flaky' })
      .resolvesOnce({ Successful: [], Failed: [{ Id: '1', SenderFault: false, Code: 'InternalError' }] })
      .resolves({ Successful: [], Failed: [] })
      .on(SendMessageBatchCommand, { QueueUrl: 'refusing' })
      .resolves({ Successful: [], Failed: [{ Id: '0', SenderFault: true, Code: 'InvalidMessageContents' }] });

    // Act
    await queueOn('flaky').send(items(3));
    const refused = queueOn('refusing').send(items(1));

    // Assess
    await expect(refused).rejects.toThrow(/InvalidMessageContents/);
    const attempts = sqs.commandCalls(SendMessageBatchCommand, { QueueUrl: 'flaky' }).map((c) => (c.args[0].input.Entries ?? []).map((e) => e.Id));
    expect(attempts).toEqual([['0', '1', '2'], ['1']]);
  });

  it('gives up after 4 attempts when SQS keeps failing an entry, and passes on a call that fails', async () => {
    // Prepare
    sqs
      .on(SendMessageBatchCommand, { QueueUrl: 'stuck' })
      .resolves({ Successful: [], Failed: [{ Id: '0', SenderFault: false, Code: 'InternalError' }] })
      .on(SendMessageBatchCommand, { QueueUrl: 'down' })
      .rejects(Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable' }));

    // Act
    const stuck = queueOn('stuck').send(items(1));
    const down = queueOn('down').send(items(1));

    // Assess
    await expect(stuck).rejects.toThrow(/after 4 attempts/);
    await expect(down).rejects.toThrow(/Service Unavailable/);
    expect(sqs.commandCalls(SendMessageBatchCommand, { QueueUrl: 'stuck' })).toHaveLength(4);
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
