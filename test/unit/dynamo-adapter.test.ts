import { ConditionalCheckFailedException, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoProjectStore } from '../../shared/adapters/dynamodb/project-store';
import { TransitionConflict, type TransitionWrite } from '../../shared/ports';
import { shardOf } from '../../shared/domain/shards';

const ddb = mockClient(DynamoDBDocumentClient);
const store = new DynamoProjectStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })), 'projects');

const pauseWrite: TransitionWrite = {
  projectId: 'p1',
  from: ['RUNNING'],
  to: 'PAUSED',
  expectedVersion: 4,
  guards: [],
  set: { pausedAt: '2026-01-01T00:00:00.000Z', pauseExpiresAt: '2026-01-01T12:00:00.000Z' },
  remove: [],
  nowMs: Date.parse('2026-01-01T00:00:00.000Z'),
  event: { at: '2026-01-01T00:00:00.000Z', operation: 'pause', from: 'RUNNING', to: 'PAUSED', actor: 'a', requestId: 'r', version: 5 },
};

const cancelled = (reasons: object[]) =>
  new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: reasons as never });

describe('DynamoProjectStore (aws-sdk-client-mock)', () => {
  beforeEach(() => ddb.reset());

  it('a transition is one TransactWriteItems: the guarded project update and the audit event', async () => {
    // Prepare
    ddb.on(TransactWriteCommand).resolves({});

    // Act
    await store.transition(pauseWrite);

    // Assess
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
    const input = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input;
    const [update, event] = input?.TransactItems ?? [];
    expect(update?.Update?.ConditionExpression).toBe('attribute_exists(#pk) AND #status IN (:v0) AND #version = :v1');
    expect(update?.Update?.ExpressionAttributeValues).toMatchObject({ ':v0': 'RUNNING', ':v1': 4 });
    expect(update?.Update?.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    const values = update?.Update?.ExpressionAttributeValues ?? {};
    const expression = update?.Update?.UpdateExpression ?? '';
    const assigned = (name: string) => values[expression.match(new RegExp(`#${name} = (:v\\d+)`))?.[1] ?? ''];
    expect(assigned('status')).toBe('PAUSED');
    expect(assigned('version')).toBe(5);
    expect(assigned('pauseExpiresAt')).toBe('2026-01-01T12:00:00.000Z');
    expect(assigned('gsi2pk')).toBe(`PROJECT#STATUS#PAUSED#${shardOf('p1')}`);
    expect(event?.Put?.Item).toMatchObject({ pk: 'PROJECT#p1', sk: 'EVENT#0000000005', operation: 'pause' });
    expect(event?.Put?.ConditionExpression).toBe('attribute_not_exists(#sk)');
  });

  it('the sparse bySourcePause keys follow a write of `sources`: set while a source stands in its own pause, removed when none does or the project ends', async () => {
    // Prepare
    ddb.on(TransactWriteCommand).resolves({});
    const paused = { sourceId: 'b', pausedAt: '2026-01-01T00:00:00.000Z', pauseExpiresAt: '2026-01-01T12:00:00.000Z' };
    const write = (to: TransitionWrite['to'], set: TransitionWrite['set']): TransitionWrite => ({ ...pauseWrite, from: ['RUNNING'], to, set });
    const update = (i: number) => ddb.commandCalls(TransactWriteCommand)[i]?.args[0].input.TransactItems?.[0]?.Update;
    const keysOf = (i: number) => {
      const u = update(i);
      const [sets, removes = ''] = (u?.UpdateExpression ?? '').split(' REMOVE ');
      const setTo = sets?.match(/#gsi3pk = (:v\d+)/)?.[1];
      return { set: setTo ? u?.ExpressionAttributeValues?.[setTo] : undefined, removed: removes.includes('#gsi3pk') && removes.includes('#gsi3sk') };
    };

    // Act
    await store.transition(write('RUNNING', { sources: [{ sourceId: 'a' }, paused] })); // pause-sources
    await store.transition(write('RUNNING', { sources: [{ sourceId: 'a' }, { sourceId: 'b' }] })); // resume-sources
    await store.transition(write('FAILED', { sources: [{ sourceId: 'a' }, { ...paused, expiredAt: '2026-01-01T12:00:01.000Z' }] })); // expire-source-pause
    await store.transition(write('RELEASING', {})); // release
    await store.transition(write('PAUSED', { pausedAt: '2026-01-01T00:00:00.000Z' })); // a whole pause: sources untouched

    // Assess
    expect(keysOf(0)).toEqual({ set: `PROJECT#SOURCEPAUSE#${shardOf('p1')}`, removed: false });
    expect(keysOf(1)).toEqual({ set: undefined, removed: true });
    expect(keysOf(2)).toEqual({ set: undefined, removed: true });
    expect(keysOf(3)).toEqual({ set: undefined, removed: true });
    expect(keysOf(4)).toEqual({ set: undefined, removed: false });
  });

  it('resume carries the pause deadline inside the condition, compared with the write time', async () => {
    // Prepare
    ddb.on(TransactWriteCommand).resolves({});

    // Act
    await store.transition({ ...pauseWrite, from: ['PAUSED', 'FAILED'], to: 'RUNNING', guards: ['pauseNotExpired'], set: {}, remove: ['pausedAt', 'pauseExpiresAt'] });

    // Assess
    const update = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[0]?.Update;
    expect(update?.ConditionExpression).toBe(
      'attribute_exists(#pk) AND #status IN (:v0, :v1) AND #version = :v2 AND (attribute_not_exists(#expiredAt) AND (attribute_not_exists(#pauseExpiresAt) OR #pauseExpiresAt > :v3))',
    );
    expect(update?.ExpressionAttributeValues?.[':v3']).toBe('2026-01-01T00:00:00.000Z');
    expect(update?.UpdateExpression).toMatch(/REMOVE #pausedAt, #pauseExpiresAt$/);
  });

  it('a failed condition becomes a TransitionConflict carrying the unmarshalled current item (no extra read)', async () => {
    // Prepare
    const current = { pk: 'PROJECT#p1', sk: 'PROJECT', id: 'p1', status: 'PAUSED', version: 5, labels: ['x'] };
    ddb.on(TransactWriteCommand).rejects(cancelled([{ Code: 'ConditionalCheckFailed', Item: marshall(current) }, { Code: 'None' }]));

    // Act
    const error = await store.transition(pauseWrite).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(TransitionConflict);
    expect((error as TransitionConflict).current).toEqual({ id: 'p1', status: 'PAUSED', version: 5, labels: ['x'] });
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 0);
  });

  it('a missing project is a conflict without an item', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled([{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }]));
    const error = await store.transition(pauseWrite).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransitionConflict);
    expect((error as TransitionConflict).current).toBeUndefined();
  });

  it('a transaction cancelled only by a concurrent transaction is retried', async () => {
    // Prepare
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled([{ Code: 'TransactionConflict' }, { Code: 'None' }]))
      .rejectsOnce(cancelled([{ Code: 'None' }, { Code: 'TransactionConflict' }]))
      .resolves({});

    // Act
    await store.transition(pauseWrite);

    // Assess
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 3);
  });

  it('other errors are not swallowed', async () => {
    ddb.on(TransactWriteCommand).rejects(new ConditionalCheckFailedException({ message: 'x', $metadata: {} }));
    await expect(store.transition(pauseWrite)).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });

  it('getMany reads 100 keys a BatchGetItem, consistently, and retries unprocessed keys until none is left', async () => {
    // Prepare: 250 ids → 3 requests; the first answers 40 keys unprocessed once
    const ids = Array.from({ length: 250 }, (_, i) => `p${i}`);
    const item = (key: { pk?: unknown }) => {
      const id = String(key.pk).replace('PROJECT#', '');
      return { pk: key.pk, sk: 'PROJECT', gsi2pk: 'PROJECT#STATUS#RUNNING', id, status: 'RUNNING', version: 2 };
    };
    let first = true;
    ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { pk?: unknown }[] }> }) => {
      const keys = input.RequestItems.projects?.Keys ?? [];
      const cut = first ? 40 : 0;
      first = false;
      const served = keys.slice(cut).filter((k) => k.pk !== 'PROJECT#p7');
      return {
        Responses: { projects: served.map(item) },
        ...(cut ? { UnprocessedKeys: { projects: { Keys: keys.slice(0, cut), ConsistentRead: true } } } : {}),
      };
    });

    // Act
    const found = await store.getMany([...ids, 'p1']);

    // Assess
    expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 4);
    const calls = ddb.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems?.projects);
    expect(calls.map((c) => c?.Keys?.length).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([40, 50, 100, 100]);
    expect(calls.every((c) => c?.ConsistentRead === true)).toBe(true);
    expect(found.size).toBe(249);
    expect(found.has('p7')).toBe(false);
    expect(found.get('p0')).toEqual({ id: 'p0', status: 'RUNNING', version: 2 });
  });

  it('getMany fails loudly (never drops keys) when DynamoDB keeps leaving keys unprocessed', async () => {
    ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: unknown[] }> }) => ({
      Responses: { projects: [] },
      UnprocessedKeys: { projects: { Keys: input.RequestItems.projects?.Keys ?? [] } },
    }));
    vi.useFakeTimers();
    const pending = store.getMany(['a', 'b']).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    const error = await pending;
    vi.useRealTimers();
    expect(error).toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 11);
  });
});
