import { TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { MAX_TRANSACTION_ITEMS, packWrites, TransactionCombiner, type TransactItems } from '../../shared/adapters/dynamodb/transaction-combiner';

/** A transition's items as the project store builds them: the project update first, then its audit event. */
const transition = (id: string, extra: TransactItems = []): TransactItems => [
  { Update: { TableName: 't', Key: { pk: `PROJECT#${id}`, sk: 'PROJECT' }, UpdateExpression: 'SET #s = :s' } },
  { Put: { TableName: 't', Item: { pk: `PROJECT#${id}`, sk: 'EVENT#0000000002' } } },
  ...extra,
];
const dataSourceRef = (id: string): TransactItems[number] => ({ Update: { TableName: 't', Key: { pk: `DATASOURCE#${id}`, sk: 'DATASOURCE' }, UpdateExpression: 'ADD refCount :m' } });

const cancelled = (reasons: CancellationReason[]) => new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: reasons });

/** Records what the combiner sends; each send's outcome is decided by the test. */
function fakePorts(outcomes: { group?: (items: TransactItems) => Promise<void>; alone?: (items: TransactItems) => Promise<void> } = {}) {
  const groups: TransactItems[] = [];
  const alone: TransactItems[] = [];
  return {
    groups,
    alone,
    ports: {
      sendGroup: async (items: TransactItems) => {
        groups.push(items);
        await outcomes.group?.(items);
      },
      sendAlone: async (items: TransactItems) => {
        alone.push(items);
        await outcomes.alone?.(items);
      },
      conflict: (reason: CancellationReason) => Object.assign(new Error('conflict'), { item: reason.Item }),
    },
  };
}

describe('transaction combiner (batch writes sharing transactions)', () => {
  it('packs whole writes in order, at most 100 items per transaction, never the same item twice', () => {
    // Prepare: 60 two-item writes, then two releases that both give back data source ds-1
    const writes = Array.from({ length: 60 }, (_, i) => ({ items: transition(`p${i}`) }));
    const r1 = { items: transition('r1', [dataSourceRef('ds-1')]) };
    const r2 = { items: transition('r2', [dataSourceRef('ds-1')]) };

    // Act
    const groups = packWrites([...writes, r1, r2]);

    // Assess
    expect(groups.map((g) => g.reduce((n, w) => n + w.items.length, 0))).toEqual([100, 23, 3]);
    expect(groups.flat()).toHaveLength(62);
    expect(groups[1]).toContain(r1);
    expect(groups[2]).toEqual([r2]);
    expect(groups.every((g) => g.reduce((n, w) => n + w.items.length, 0) <= MAX_TRANSACTION_ITEMS)).toBe(true);
  });

  it('writes made together go out as one transaction and all succeed with it', async () => {
    // Prepare
    const fake = fakePorts();
    const combiner = new TransactionCombiner(fake.ports);

    // Act
    await Promise.all(['a', 'b', 'c'].map((id) => combiner.write(transition(id))));

    // Assess
    expect(fake.groups).toHaveLength(1);
    expect(fake.groups[0]).toHaveLength(6);
    expect(fake.alone).toHaveLength(0);
  });

  it('a write alone is sent exactly as a single call sends it', async () => {
    const fake = fakePorts();
    await new TransactionCombiner(fake.ports).write(transition('solo'));
    expect(fake.groups).toHaveLength(0);
    expect(fake.alone).toEqual([transition('solo')]);
  });

  it('a cancelled transaction: the refused project gets its conflict with ALL_OLD, the others go again alone and succeed', async () => {
    // Prepare: b's project condition failed; a and c were only cancelled with it
    const old = { pk: { S: 'PROJECT#b' }, status: { S: 'PAUSED' } };
    const fake = fakePorts({
      group: async () => {
        throw cancelled([{ Code: 'None' }, { Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: old }, { Code: 'None' }, { Code: 'None' }, { Code: 'None' }]);
      },
    });
    const combiner = new TransactionCombiner(fake.ports);

    // Act
    const outcomes = await Promise.allSettled(['a', 'b', 'c'].map((id) => combiner.write(transition(id))));

    // Assess
    expect(outcomes[0]?.status).toBe('fulfilled');
    expect(outcomes[2]?.status).toBe('fulfilled');
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: { message: 'conflict', item: old } });
    expect(fake.alone).toEqual([transition('a'), transition('c')]);
  });

  it('a transaction conflict on one item: every write goes again alone, each with its own outcome', async () => {
    const fake = fakePorts({
      group: async () => {
        throw cancelled([{ Code: 'None' }, { Code: 'None' }, { Code: 'TransactionConflict' }, { Code: 'None' }]);
      },
      alone: async (items) => {
        if (JSON.stringify(items).includes('PROJECT#y')) throw new Error('still busy');
      },
    });
    const combiner = new TransactionCombiner(fake.ports);

    const outcomes = await Promise.allSettled(['x', 'y'].map((id) => combiner.write(transition(id))));

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected']);
    expect(fake.alone).toHaveLength(2);
  });

  it('an error that leaves the outcome unknown fails every write of the group and re-sends none', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const fake = fakePorts({
      group: async () => {
        throw throttled;
      },
    });
    const combiner = new TransactionCombiner(fake.ports);

    const outcomes = await Promise.allSettled(['x', 'y'].map((id) => combiner.write(transition(id))));

    expect(outcomes).toEqual([
      { status: 'rejected', reason: throttled },
      { status: 'rejected', reason: throttled },
    ]);
    expect(fake.alone).toHaveLength(0);
  });
});
