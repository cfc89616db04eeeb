import { TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { CLAIM_LEASE_MS, type BatchJobRecord, type BatchPage } from '../../domain/batch-jobs';
import type { BatchClaim, BatchStore, Page, StoredBatchItem } from '../../ports';
import { keys } from '../../table';
import { Expression, itemAbsent, itemExists } from './conditions';
import { queryPage } from './pagination';
import { transactWithRetry } from './project-store';
import type { TransactItems } from './transaction-combiner';

/** DynamoDB allows 100 items a transaction; one is the batch record's counters. */
const RESULTS_PER_TRANSACTION = 99;
const PRIMARY = { partitionKey: 'pk', sortKey: 'sk' } as const;
const KEY_ATTRIBUTES = new Set(['pk', 'sk', 'owner', 'claimedAt']);

function plain(item: CancellationReason['Item'] | Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!item) return undefined;
  const marshalled = Object.values(item).every((v) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1);
  return marshalled ? unmarshall(item as Parameters<typeof unmarshall>[0]) : (item as Record<string, unknown>);
}

const toRecord = (item: Record<string, unknown>): BatchJobRecord => {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as unknown as BatchJobRecord;
};

/** A result item as stored. Items recorded before `disposition` held it in `outcome` (a string): read as a disposition. */
const toResult = (item: Record<string, unknown>): StoredBatchItem => {
  const result = Object.fromEntries(Object.entries(item).filter(([k]) => !KEY_ATTRIBUTES.has(k)));
  if (result.disposition === undefined && typeof result.outcome === 'string') {
    result.disposition = result.outcome;
    delete result.outcome;
  }
  return result as unknown as StoredBatchItem;
};

/** An item holds a result once `recordedAt` is set (claims hold `claimedAt` only). */
const RECORDED = 'recordedAt';

/** Which items of a cancelled transaction failed their condition, with the item as it was (ALL_OLD). */
function conditionFailures(e: unknown): Map<number, Record<string, unknown> | undefined> | undefined {
  if (!(e instanceof TransactionCanceledException)) return undefined;
  const failures = new Map<number, Record<string, unknown> | undefined>();
  for (const [i, r] of (e.CancellationReasons ?? []).entries()) if (r.Code === 'ConditionalCheckFailed') failures.set(i, plain(r.Item));
  return failures.size > 0 ? failures : undefined;
}

/**
 * Batches in the projects table: the record `BATCH#<id>`/`BATCH` (counters moved with ADD), one item per
 * project `BATCH#<id>`/`ITEM#<projectId>` (claimed by a message, then its result, each step conditional),
 * and the newest-first listing `BATCHES#ALL`/`<createdAt>#<id>`.
 */
export class DynamoBatchStore implements BatchStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async create(batch: BatchJobRecord): Promise<void> {
    const x = new Expression();
    await transactWithRetry(this.client, [
      { Put: { TableName: this.table, Item: { ...keys.batch(batch.batchId), ...batch }, ConditionExpression: itemAbsent(x), ...x.attributes() } },
      { Put: { TableName: this.table, Item: { ...keys.batchListing(batch.createdAt, batch.batchId), batchId: batch.batchId } } },
    ]);
  }

  async get(batchId: string): Promise<BatchJobRecord | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.table, Key: keys.batch(batchId), ConsistentRead: true }));
    return out.Item ? toRecord(out.Item) : undefined;
  }

  async list(limit: number, nextToken?: string): Promise<Page<BatchJobRecord>> {
    const x = new Expression();
    const page = await queryPage(
      this.client,
      { TableName: this.table, KeyConditionExpression: `${x.name('pk')} = ${x.value(keys.batchListing('', '').pk)}`, ScanIndexForward: false, ...x.attributes() },
      PRIMARY,
      limit,
      nextToken,
      'batches',
    );
    const ids = page.items.map((i) => i.batchId as string);
    const records = new Map<string, BatchJobRecord>();
    let pending: Record<string, unknown>[] = ids.map((id) => keys.batch(id));
    for (let round = 0; pending.length > 0 && round < 10; round++) {
      const out = await this.client.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }));
      for (const item of out.Responses?.[this.table] ?? []) records.set(item.batchId as string, toRecord(item));
      pending = (out.UnprocessedKeys?.[this.table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
    if (pending.length > 0) throw Object.assign(new Error('BatchGetItem left keys unprocessed'), { name: 'ProvisionedThroughputExceededException' });
    return { items: ids.flatMap((id) => records.get(id) ?? []), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  async advanceExpansion(batchId: string, step: { from?: string; to?: string; added: number; nowIso: string }): Promise<boolean> {
    const x = new Expression();
    const set = [`${x.name('updatedAt')} = ${x.value(step.nowIso)}`];
    const remove: string[] = [];
    if (step.to === undefined) {
      set.push(`${x.name('expanded')} = ${x.value(true)}`, `${x.name('status')} = ${x.value('RUNNING')}`);
      remove.push(x.name('cursor'));
    } else {
      set.push(`${x.name('cursor')} = ${x.value(step.to)}`, `${x.name('status')} = ${x.value('EXPANDING')}`);
    }
    const cursorHolds = step.from === undefined ? `attribute_not_exists(${x.name('cursor')})` : `${x.name('cursor')} = ${x.value(step.from)}`;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.batch(batchId),
          UpdateExpression: `SET ${set.join(', ')} ADD ${x.name('requested')} ${x.value(step.added)}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ConditionExpression: `${itemExists(x)} AND ${x.name('expanded')} = ${x.value(false)} AND ${cursorHolds}`,
          ...x.attributes(),
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }

  async claim(batchId: string, projectIds: readonly string[], owner: string, nowIso: string, options: { claimsDeadBefore?: string } = {}): Promise<BatchClaim> {
    const out: BatchClaim = { claimed: [], reclaimed: [], done: new Map(), taken: [] };
    const deadBefore = options.claimsDeadBefore ?? new Date(Date.parse(nowIso) - CLAIM_LEASE_MS).toISOString();
    for (let i = 0; i < projectIds.length; i += 100) {
      let ids = [...new Set(projectIds.slice(i, i + 100))];
      // Each round either commits every claim left or drops the ones whose item exists (told by ALL_OLD).
      while (ids.length > 0) {
        const items: TransactItems = ids.map((projectId) => {
          const x = new Expression();
          return {
            Put: {
              TableName: this.table,
              Item: { ...keys.batchItem(batchId, projectId), projectId, owner, claimedAt: nowIso },
              ConditionExpression: itemAbsent(x),
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              ...x.attributes(),
            },
          };
        });
        try {
          await transactWithRetry(this.client, items);
          out.claimed.push(...ids);
          break;
        } catch (e) {
          const failures = conditionFailures(e);
          if (!failures) throw e;
          let existing = new Map<string, Record<string, unknown>>();
          for (const [index, old] of failures) if (old) existing.set(ids[index] as string, old);
          const unexplained = [...failures.keys()].map((index) => ids[index] as string).filter((id) => !existing.has(id));
          if (unexplained.length) existing = new Map([...existing, ...(await this.itemsOf(batchId, unexplained))]);
          for (const [id, old] of existing) {
            if (old[RECORDED] !== undefined) out.done.set(id, toResult(old));
            else if (old.owner === owner || (String(old.claimedAt) < deadBefore && (await this.takeOver(batchId, id, old, owner, nowIso)))) {
              out.reclaimed.push(id);
              out.claimed.push(id);
            } else out.taken.push(id);
          }
          ids = ids.filter((id) => !existing.has(id));
        }
      }
    }
    return out;
  }

  /** A dead message's claim, taken over by `owner`: only while it is still that message's and has no result. */
  private async takeOver(batchId: string, projectId: string, old: Record<string, unknown>, owner: string, nowIso: string): Promise<boolean> {
    const x = new Expression();
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.batchItem(batchId, projectId),
          UpdateExpression: `SET ${x.name('owner')} = ${x.value(owner)}, ${x.name('claimedAt')} = ${x.value(nowIso)}`,
          ConditionExpression: `${x.name('owner')} = ${x.value(old.owner)} AND attribute_not_exists(${x.name(RECORDED)})`,
          ...x.attributes(),
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }

  async recordPage(batchId: string, page: BatchPage): Promise<string[]> {
    const x = new Expression();
    try {
      await this.client.send(new PutCommand({ TableName: this.table, Item: { ...keys.batchPage(batchId, page.at), at: page.at, projectIds: page.projectIds }, ConditionExpression: itemAbsent(x), ...x.attributes() }));
      return [...page.projectIds];
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      const got = await this.client.send(new GetCommand({ TableName: this.table, Key: keys.batchPage(batchId, page.at), ConsistentRead: true }));
      return (got.Item?.projectIds as string[] | undefined) ?? [...page.projectIds];
    }
  }

  async nextPage(batchId: string, after?: number): Promise<BatchPage | undefined> {
    const x = new Expression();
    const { pk } = keys.batch(batchId);
    const from = after === undefined ? `begins_with(${x.name('sk')}, ${x.value(keys.batchPagePrefix)})` : `${x.name('sk')} BETWEEN ${x.value(keys.batchPage(batchId, after + 1).sk)} AND ${x.value(`${keys.batchPagePrefix}~`)}`;
    const out = await this.client.send(
      new QueryCommand({ TableName: this.table, KeyConditionExpression: `${x.name('pk')} = ${x.value(pk)} AND ${from}`, Limit: 1, ConsistentRead: true, ...x.attributes() }),
    );
    const item = out.Items?.[0];
    return item ? { at: Number(item.at), projectIds: (item.projectIds as string[]) ?? [] } : undefined;
  }

  async unrecorded(batchId: string, projectIds: readonly string[]): Promise<string[]> {
    const recorded = new Set<string>();
    for (let i = 0; i < projectIds.length; i += 100) {
      let pending: Record<string, unknown>[] = [...new Set(projectIds.slice(i, i + 100))].map((id) => keys.batchItem(batchId, id));
      for (let round = 0; pending.length > 0; round++) {
        if (round > 10) throw Object.assign(new Error('BatchGetItem left keys unprocessed'), { name: 'ProvisionedThroughputExceededException' });
        const out = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true, ProjectionExpression: '#p, #r', ExpressionAttributeNames: { '#p': 'projectId', '#r': RECORDED } } } }),
        );
        for (const item of out.Responses?.[this.table] ?? []) if (item[RECORDED] !== undefined) recorded.add(item.projectId as string);
        pending = (out.UnprocessedKeys?.[this.table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      }
    }
    return projectIds.filter((id) => !recorded.has(id));
  }

  private async itemsOf(batchId: string, projectIds: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    for (const id of projectIds) {
      const got = await this.client.send(new GetCommand({ TableName: this.table, Key: keys.batchItem(batchId, id), ConsistentRead: true }));
      if (got.Item) found.set(id, got.Item);
    }
    return found;
  }

  async recordResults(batchId: string, results: readonly StoredBatchItem[], owner: string, nowIso: string): Promise<string[]> {
    const recorded: string[] = [];
    for (let i = 0; i < results.length; i += RESULTS_PER_TRANSACTION) {
      let left = results.slice(i, i + RESULTS_PER_TRANSACTION);
      while (left.length > 0) {
        const items: TransactItems = left.map((r) => {
          const x = new Expression();
          const fields = Object.entries(r).filter(([k, v]) => k !== 'projectId' && v !== undefined);
          return {
            Update: {
              TableName: this.table,
              Key: keys.batchItem(batchId, r.projectId),
              UpdateExpression: `SET ${fields.map(([k, v]) => `${x.name(k)} = ${x.value(v)}`).join(', ')}`,
              ConditionExpression: `${x.name('owner')} = ${x.value(owner)} AND attribute_not_exists(${x.name(RECORDED)})`,
              ...x.attributes(),
            },
          };
        });
        const x = new Expression();
        const count = (o: StoredBatchItem['disposition']) => left.filter((r) => r.disposition === o).length;
        items.push({
          Update: {
            TableName: this.table,
            Key: keys.batch(batchId),
            UpdateExpression:
              `SET ${x.name('updatedAt')} = ${x.value(nowIso)} ADD ${x.name('done')} ${x.value(left.length)}, ` +
              `${x.name('succeeded')} ${x.value(count('succeeded'))}, ${x.name('failed')} ${x.value(count('failed'))}, ${x.name('skipped')} ${x.value(count('skipped'))}`,
            ConditionExpression: itemExists(x),
            ...x.attributes(),
          },
        });
        try {
          await transactWithRetry(this.client, items);
          recorded.push(...left.map((r) => r.projectId));
          break;
        } catch (e) {
          const failures = conditionFailures(e);
          if (!failures || failures.has(left.length)) throw e;
          // Already recorded (or not this owner's): never written nor counted again.
          left = left.filter((_, index) => !failures.has(index));
        }
      }
    }
    return recorded;
  }

  async noteRedrive(batchId: string, r: { seen?: number; redrives: number; atIso: string }): Promise<boolean> {
    const x = new Expression();
    const redrives = x.name('redrives');
    const asSeen = r.seen === undefined ? `attribute_not_exists(${redrives})` : `${redrives} = ${x.value(r.seen)}`;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.batch(batchId),
          UpdateExpression: `SET ${redrives} = ${x.value(r.redrives)}, ${x.name('redrivenAt')} = ${x.value(r.atIso)}`,
          ConditionExpression: `${itemExists(x)} AND ${x.name('status')} <> ${x.value('COMPLETED')} AND ${asSeen}`,
          ...x.attributes(),
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }

  async completeIfDone(batchId: string, nowIso: string): Promise<boolean> {
    const x = new Expression();
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.batch(batchId),
          UpdateExpression: `SET ${x.name('status')} = ${x.value('COMPLETED')}, ${x.name('completedAt')} = ${x.value(nowIso)}, ${x.name('updatedAt')} = ${x.value(nowIso)}`,
          ConditionExpression: `${x.name('expanded')} = ${x.value(true)} AND ${x.name('requested')} = ${x.name('done')} AND ${x.name('status')} <> ${x.value('COMPLETED')}`,
          ...x.attributes(),
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }

  async listResults(batchId: string, limit: number, nextToken?: string): Promise<Page<StoredBatchItem>> {
    const x = new Expression();
    const { pk } = keys.batch(batchId);
    const page = await queryPage(
      this.client,
      {
        TableName: this.table,
        KeyConditionExpression: `${x.name('pk')} = ${x.value(pk)} AND begins_with(${x.name('sk')}, ${x.value(keys.batchItemPrefix)})`,
        // Claimed but not yet done: not a result yet.
        FilterExpression: `attribute_exists(${x.name(RECORDED)})`,
        ConsistentRead: true,
        ...x.attributes(),
      },
      PRIMARY,
      limit,
      nextToken,
      JSON.stringify(['batch-results', batchId]),
    );
    return { items: page.items.map(toResult), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }
}

