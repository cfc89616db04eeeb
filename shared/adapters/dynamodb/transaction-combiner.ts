import { TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
import type { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';

export type TransactItems = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>;
type TransactItem = TransactItems[number];

/** Most items DynamoDB takes in one TransactWriteItems. */
export const MAX_TRANSACTION_ITEMS = 100;

/** The table item a transaction item writes or checks: a transaction may touch each item only once. */
export function itemKeyOf(item: TransactItem): string {
  const op = item.Put ?? item.Update ?? item.Delete ?? item.ConditionCheck;
  if (!op) throw new Error('empty transaction item');
  const key = ('Item' in op && op.Item ? op.Item : 'Key' in op ? op.Key : undefined) as Record<string, unknown> | undefined;
  return JSON.stringify([op.TableName, key?.pk, key?.sk]);
}

/** A write waiting for its transaction: its items (its project write first), settled with its own outcome. */
export interface PendingWrite {
  items: TransactItems;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Packs writes, in their order, into groups of at most `maxItems` items in which no table item appears
 * twice (two releases may give back the same data source: they go to different transactions). A write
 * is never split: its items always commit together.
 */
export function packWrites<T extends Pick<PendingWrite, 'items'>>(writes: readonly T[], maxItems = MAX_TRANSACTION_ITEMS): T[][] {
  const groups: { writes: T[]; size: number; keys: Set<string> }[] = [];
  for (const w of writes) {
    const own = w.items.map(itemKeyOf);
    const fits = groups.find((g) => g.size + w.items.length <= maxItems && own.every((k) => !g.keys.has(k)));
    const group = fits ?? { writes: [], size: 0, keys: new Set<string>() };
    if (!fits) groups.push(group);
    group.writes.push(w);
    group.size += w.items.length;
    for (const k of own) group.keys.add(k);
  }
  return groups.map((g) => g.writes);
}

export interface CombinerPorts {
  /** Sends one shared transaction (same ClientRequestToken on retries whose outcome is unknown). */
  sendGroup(items: TransactItems): Promise<void>;
  /** The write alone, exactly as a single call sends it: its own transaction, retries and error mapping. */
  sendAlone(items: TransactItems): Promise<void>;
  /** What a write gets when its own project condition failed in a shared transaction (the reason carries ALL_OLD). */
  conflict(reason: CancellationReason): unknown;
}

/**
 * Commits the transition writes that arrive together (in the same turn of the event loop) in as few
 * TransactWriteItems as their size allows. Batch operations use it: their projects are independent,
 * and each write keeps its own condition and its own outcome:
 * - the shared transaction commits: every write in it committed (all or none, as any transaction);
 * - it is cancelled: a write whose project condition failed gets its conflict with the item as it is
 *   (ALL_OLD), as it would alone; every other write is sent again alone, exactly as a single call sends
 *   it, so one refused project never fails the others;
 * - any other error (its outcome still unknown after the retries with the same token, or a fatal one):
 *   every write of the group gets it, as each would alone. Nothing whose outcome is unknown is re-sent.
 */
export class TransactionCombiner {
  private queue: PendingWrite[] = [];

  constructor(
    private readonly ports: CombinerPorts,
    private readonly maxItems = MAX_TRANSACTION_ITEMS,
  ) {}

  write(items: TransactItems): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const queued = this.queue;
    this.queue = [];
    for (const group of packWrites(queued, this.maxItems)) void this.commit(group);
  }

  private async commit(group: PendingWrite[]): Promise<void> {
    const [first] = group;
    if (group.length === 1 && first) return settle(first, this.ports.sendAlone(first.items));
    try {
      await this.ports.sendGroup(group.flatMap((w) => w.items));
    } catch (e) {
      if (!(e instanceof TransactionCanceledException)) {
        for (const w of group) w.reject(e);
        return;
      }
      const reasons = e.CancellationReasons ?? [];
      let offset = 0;
      for (const w of group) {
        const own = reasons[offset];
        offset += w.items.length;
        if (own?.Code === 'ConditionalCheckFailed') w.reject(this.ports.conflict(own));
        else void settle(w, this.ports.sendAlone(w.items));
      }
      return;
    }
    for (const w of group) w.resolve();
  }
}

async function settle(w: PendingWrite, outcome: Promise<void>): Promise<void> {
  try {
    await outcome;
    w.resolve();
  } catch (e) {
    w.reject(e);
  }
}
