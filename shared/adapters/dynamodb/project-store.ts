import { hasOpenSourcePause, sourceIdsOf } from '../../domain/sources';
import { ConditionalCheckFailedException, TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isTransientError } from '../../domain/errors';
import { isoAt } from '../../domain/clock';
import { PROJECT_STATUSES, type AuditEvent, type ProjectRecord, type ProjectStatus } from '../../domain/project';
import type { Measurement, ProgressWrite, ProjectProgress } from '../../domain/progress';
import {
  CreateConflict,
  ProgressWriteRefused,
  RunWriteRefused,
  TransitionConflict,
  type ListProjectsQuery,
  type Page,
  type ShardPageQuery,
  type StatusChange,
  type ProjectStore,
  type RunWrite,
  type SweepCheckpoint,
  type TransitionWrite,
} from '../../ports';
import { TABLE, keys, projectIndexKeys } from '../../table';
import { ALL_SHARDS, shardOf } from '../../domain/shards';
import { queryShardsPage } from './sharded-list';
import { Expression, allOf, attributeEquals, guardPieces, itemAbsent, itemExists, legIs, pathEquals, statusIn, versionIs, type ConditionPiece } from './conditions';
import { projectListing } from '../page-tokens';
import { queryAllPages, queryPage } from './pagination';
import { TransactionCombiner, type TransactItems } from './transaction-combiner';


const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk', 'ttl'] as const;

/**
 * The sparse bySourcePause keys a transition sets or removes (shared/table.ts): decided when it writes
 * `sources` (from them and the new status) or ends the project; otherwise left as they are.
 */
function sourcePauseKeys(w: Pick<TransitionWrite, 'projectId' | 'set' | 'to'>): { set?: Record<string, string>; remove?: string[] } {
  const ends = w.to === 'RELEASING' || w.to === 'RELEASED' || w.to === 'COMPLETED';
  if (w.set.sources === undefined && !ends) return {};
  if (!ends && w.to !== null && hasOpenSourcePause({ status: w.to, sources: w.set.sources })) {
    return { set: { gsi3pk: keys.sourcePausePartition(shardOf(w.projectId)), gsi3sk: keys.sourcePauseSort(w.projectId) } };
  }
  return { remove: ['gsi3pk', 'gsi3sk'] };
}
/** How long a counted-change marker stays: longer than the stream keeps a record (24 h). */
const COUNTED_TTL_SECONDS = 2 * 24 * 3600;
/** Retries of a transaction that DynamoDB cancelled only because another transaction held an item. */
const TRANSACTION_CONFLICT_RETRIES = 12;

export function toProjectRecord(item: Record<string, unknown>): ProjectRecord {
  const record = { ...item };
  for (const a of KEY_ATTRIBUTES) delete record[a];
  return record as unknown as ProjectRecord;
}

/** `e.Item` on a cancelled transaction (or a failed condition) arrives marshalled, even through the document client. */
function cancellationItem(reason: Pick<CancellationReason, 'Item'> | undefined): Record<string, unknown> | undefined {
  const item = reason?.Item as Record<string, unknown> | undefined;
  if (!item) return undefined;
  const looksMarshalled = Object.values(item).every(
    (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1,
  );
  return looksMarshalled ? unmarshall(item as Parameters<typeof unmarshall>[0]) : item;
}

/** A progress item holds each measurement as an attribute of its own (`m#<measurementKey>`): a write sets only those it names. */
const MEASUREMENT_PREFIX = 'm#';

/** The progress item as the table holds it (shared/domain/progress.ts): no index key, so no index ever sees it. */
export function toProjectProgress(item: Record<string, unknown>): ProjectProgress {
  const measurements: Record<string, Measurement> = {};
  for (const [k, v] of Object.entries(item)) if (k.startsWith(MEASUREMENT_PREFIX)) measurements[k.slice(MEASUREMENT_PREFIX.length)] = v as Measurement;
  const polled = item.polled as ProjectProgress['polled'] | undefined;
  return { projectId: String(item.projectId), run: Number(item.run), leg: Number(item.leg), ...(polled ? { polled } : {}), measurements };
}

/** The attributes a progress write sets (its run, leg, poll and each measurement it names); the item a first write creates adds its keys. */
export function progressAttributes(w: ProgressWrite): Record<string, unknown> {
  return {
    projectId: w.projectId,
    run: w.run,
    leg: w.leg,
    ...(w.polledAt !== undefined ? { polled: { run: w.run, leg: w.leg, at: w.polledAt } } : {}),
    ...Object.fromEntries(Object.entries(w.measurements).map(([key, m]) => [`${MEASUREMENT_PREFIX}${key}`, m])),
  };
}

/** The progress item a write leaves when it is the first (bench/scale/model.ts sizes it). */
export const progressItem = (w: ProgressWrite): Record<string, unknown> => ({ ...keys.projectProgress(w.projectId), ...progressAttributes(w) });

/** The project item as the table holds it: the record plus its keys and index keys (shared/table.ts). */
export function projectItem(p: ProjectRecord): Record<string, unknown> {
  return {
    ...keys.project(p.id),
    ...projectIndexKeys(p),
    ...p,
  };
}

/** An audit event item: under its project, keyed by the version the event created. */
export function eventItem(projectId: string, event: AuditEvent): Record<string, unknown> {
  return { ...keys.projectEvent(projectId, event.version), ...event };
}

/** The reservation that keeps a live project's name unique. */
export function nameReservationItem(p: Pick<ProjectRecord, 'id' | 'name' | 'createdAt'>): Record<string, unknown> {
  return { ...keys.projectName(p.name), projectId: p.id, createdAt: p.createdAt };
}

/** BatchGetItem takes at most 100 keys a request. */
export const BATCH_GET_LIMIT = 100;
/** Requests of one getMany in flight at once. */
const BATCH_GET_PARALLEL = 4;
/** Rounds of retrying UnprocessedKeys before giving up (the whole read fails, nothing is dropped). */
const UNPROCESSED_RETRIES = 10;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retries of a transaction whose outcome a transient error left unknown (throttled, timed out, a 500). */
const AMBIGUOUS_RETRIES = 2;

/**
 * Runs a transaction, retrying (with jitter) when DynamoDB cancelled it for a concurrent transaction,
 * and when a transient error leaves its outcome unknown: the write may have committed although the
 * call failed (a timeout or a 500 after the commit). Those retries carry the same ClientRequestToken,
 * so DynamoDB applies the transaction at most once (for 10 minutes it answers a repeated token with
 * success, without evaluating the conditions again): a committed transition is never reported as a
 * failure, nor refused as a conflict with itself.
 */
export async function transactWithRetry(
  client: DynamoDBDocumentClient,
  items: TransactItems,
  conflictRetries = TRANSACTION_CONFLICT_RETRIES,
): Promise<void> {
  let token = randomUUID();
  let ambiguous = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      await client.send(new TransactWriteCommand({ TransactItems: items, ClientRequestToken: token }));
      return;
    } catch (e) {
      if (isTransientError(e) && ambiguous < AMBIGUOUS_RETRIES) {
        ambiguous++;
        await sleep(Math.random() * 20 * 2 ** ambiguous);
        continue;
      }
      const reasons = e instanceof TransactionCanceledException ? (e.CancellationReasons ?? []) : undefined;
      const onlyConflicts =
        reasons !== undefined &&
        reasons.some((r) => r.Code === 'TransactionConflict') &&
        reasons.every((r) => r.Code === 'TransactionConflict' || r.Code === 'None' || r.Code === undefined);
      if (!onlyConflicts || attempt >= conflictRetries) throw e;
      token = randomUUID(); // cancelled: nothing committed, a new attempt
      await sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));
    }
  }
}

/** A transition refused by its project condition: the conflict carries the item as it is (ALL_OLD). */
function transitionConflict(reason: CancellationReason): TransitionConflict {
  const current = cancellationItem(reason);
  return new TransitionConflict(current ? toProjectRecord(current) : undefined);
}

export class DynamoProjectStore implements ProjectStore {
  /** Only on the view `combineTransitions()` returns: its transition writes share transactions. */
  private readonly combiner: TransactionCombiner | undefined;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    options: { combineTransitions?: boolean } = {},
  ) {
    this.combiner = options.combineTransitions
      ? new TransactionCombiner({
          // A shared transaction is not retried for a transaction conflict: its writes then go alone, each with its own retries.
          sendGroup: (items) => transactWithRetry(this.client, items, 0),
          sendAlone: (items) => this.commitTransition(items),
          conflict: transitionConflict,
        })
      : undefined;
  }

  /**
   * The same store, except that transition writes made together (a batch's projects) are committed
   * together: up to 100 items per TransactWriteItems, each write with its own condition and outcome
   * (TransactionCombiner).
   */
  combineTransitions(): ProjectStore {
    return new DynamoProjectStore(this.client, this.table, { combineTransitions: true });
  }

  async create(project: ProjectRecord, event: AuditEvent): Promise<void> {
    const dataSourceRef = (id: string) => {
      const x = new Expression();
      return {
        Update: {
          TableName: this.table,
          Key: keys.dataSource(id),
          UpdateExpression: `ADD ${x.name('refCount')} ${x.value(1)}`,
          ConditionExpression: itemExists(x),
          ...x.attributes(),
        },
      };
    };
    const nameX = new Expression();
    const projectX = new Expression();
    const items: TransactItems = [
      {
        Put: {
          TableName: this.table,
          Item: projectItem(project),
          ConditionExpression: itemAbsent(projectX),
          ...projectX.attributes(),
        },
      },
      {
        Put: {
          TableName: this.table,
          Item: nameReservationItem(project),
          ConditionExpression: itemAbsent(nameX),
          ...nameX.attributes(),
        },
      },
      dataSourceRef(project.destinationId),
      ...sourceIdsOf(project).map((id) => dataSourceRef(id)),
      this.eventPut(project.id, event),
    ];
    try {
      await transactWithRetry(this.client, items);
    } catch (e) {
      if (!(e instanceof TransactionCanceledException)) throw e;
      const failed = (i: number) => e.CancellationReasons?.[i]?.Code === 'ConditionalCheckFailed';
      if (failed(0)) throw new CreateConflict('ID_TAKEN');
      if (failed(1)) throw new CreateConflict('NAME_TAKEN');
      if (failed(2)) throw new CreateConflict('UNKNOWN_DATA_SOURCE', project.destinationId);
      const sources = sourceIdsOf(project);
      const unknown = sources.findIndex((_id, i) => failed(3 + i));
      if (unknown >= 0) throw new CreateConflict('UNKNOWN_DATA_SOURCE', sources[unknown]);
      throw e;
    }
  }

  async get(id: string): Promise<ProjectRecord | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.table, Key: keys.project(id), ConsistentRead: true }));
    return out.Item ? toProjectRecord(out.Item) : undefined;
  }

  /**
   * One Query on the project's partition, its sort key BETWEEN 'PROGRESS' AND 'PROJECT' (keys.projectRecordRange):
   * the two items and nothing else of the partition, so the read stays one request of at most two items
   * whatever the audit trail and alerts beside them hold (half the requests of two GetItems).
   */
  async getWithProgress(id: string): Promise<{ project?: ProjectRecord; progress?: ProjectProgress }> {
    const { pk } = keys.project(id);
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#sk': TABLE.sortKey },
        ExpressionAttributeValues: { ':pk': pk, ':from': keys.projectRecordRange.from, ':to': keys.projectRecordRange.to },
        ConsistentRead: true,
      }),
    );
    const items = out.Items ?? [];
    const project = items.find((i) => i[TABLE.sortKey] === keys.project(id).sk);
    const progress = items.find((i) => i[TABLE.sortKey] === keys.projectProgress(id).sk);
    return { ...(project ? { project: toProjectRecord(project) } : {}), ...(progress ? { progress: toProjectProgress(progress) } : {}) };
  }

  async getMany(ids: readonly string[]): Promise<Map<string, ProjectRecord>> {
    const unique = [...new Set(ids)];
    const chunks: string[][] = [];
    for (let i = 0; i < unique.length; i += BATCH_GET_LIMIT) chunks.push(unique.slice(i, i + BATCH_GET_LIMIT));
    const found = new Map<string, ProjectRecord>();
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++] as string[];
        for (const record of await this.batchGet(chunk)) found.set(record.id, record);
      }
    };
    await Promise.all(Array.from({ length: Math.min(BATCH_GET_PARALLEL, chunks.length) }, worker));
    return found;
  }

  /** One BatchGetItem of at most 100 ids, retrying UnprocessedKeys with exponential backoff and jitter. */
  private async batchGet(ids: readonly string[]): Promise<ProjectRecord[]> {
    const records: ProjectRecord[] = [];
    let pending: Record<string, unknown>[] = ids.map((id) => keys.project(id));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > UNPROCESSED_RETRIES) {
        const e = new Error(`BatchGetItem left ${pending.length} key(s) unprocessed after ${UNPROCESSED_RETRIES} retries`);
        e.name = 'ProvisionedThroughputExceededException';
        throw e;
      }
      if (attempt > 0) await sleep(Math.random() * Math.min(1000, 20 * 2 ** attempt));
      const out = await this.client.send(
        new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }),
      );
      for (const item of out.Responses?.[this.table] ?? []) records.push(toProjectRecord(item));
      pending = (out.UnprocessedKeys?.[this.table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
    return records;
  }

  async list(query: ListProjectsQuery): Promise<Page<ProjectRecord>> {
    const ix = query.status ? TABLE.indexes.byStatus : TABLE.indexes.byKind;
    const status = query.status;
    const page = await queryShardsPage(
      this.client,
      {
        table: this.table,
        ix,
        partition: (shard) => (status ? keys.statusPartition(status, shard) : keys.kindProject(shard)),
        shards: ALL_SHARDS,
        ...(query.label !== undefined
          ? { filter: { FilterExpression: 'contains(#label, :label)', ExpressionAttributeNames: { '#label': 'labels' }, ExpressionAttributeValues: { ':label': query.label } } }
          : {}),
        listing: projectListing(query),
      },
      query.limit,
      query.nextToken,
    );
    return { items: page.items.map(toProjectRecord), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  async listByStatusShard(status: ProjectStatus, shard: number, query: ShardPageQuery): Promise<Page<ProjectRecord>> {
    if (!ALL_SHARDS.includes(shard)) throw new Error(`no shard ${shard}`);
    const page = await queryShardsPage(
      this.client,
      {
        table: this.table,
        ix: TABLE.indexes.byStatus,
        partition: (s) => keys.statusPartition(status, s),
        shards: [shard],
        listing: JSON.stringify(['projects-shard', status, shard]),
      },
      query.limit,
      query.nextToken,
    );
    return { items: page.items.map(toProjectRecord), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  async listWithOpenSourcePause(query: ShardPageQuery): Promise<Page<ProjectRecord>> {
    const page = await queryShardsPage(
      this.client,
      { table: this.table, ix: TABLE.indexes.bySourcePause, partition: (s) => keys.sourcePausePartition(s), shards: ALL_SHARDS, listing: JSON.stringify(['projects-source-pause']) },
      query.limit,
      query.nextToken,
    );
    // The index holds keys only: the records are read whole (consistently), those deleted since left out.
    const ids = page.items.map((item) => String(item.pk).slice(keys.project('').pk.length));
    const records = await this.getMany(ids);
    return { items: ids.flatMap((id) => records.get(id) ?? []), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  async getCheckpoint(worker: string): Promise<SweepCheckpoint | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.table, Key: keys.checkpoint(worker), ConsistentRead: true }));
    if (!out.Item) return undefined;
    const { pk: _pk, sk: _sk, ...checkpoint } = out.Item;
    return checkpoint as SweepCheckpoint;
  }

  async saveCheckpoint(c: SweepCheckpoint): Promise<boolean> {
    const x = new Expression();
    const condition = c.version === 1 ? itemAbsent(x) : `${x.name('version')} = ${x.value(c.version - 1)}`;
    try {
      await this.client.send(new PutCommand({ TableName: this.table, Item: { ...keys.checkpoint(c.worker), ...c }, ConditionExpression: condition, ...x.attributes() }));
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }

  async transition(w: TransitionWrite): Promise<void> {
    const nowIso = isoAt(w.nowMs);
    const x = new Expression();
    const pieces: ConditionPiece[] = [
      itemExists,
      statusIn(w.from),
      versionIs(w.expectedVersion),
      ...w.guards.map((g) => guardPieces[g](nowIso)),
      ...Object.entries(w.equals ?? {}).map(([attribute, value]) => attributeEquals(attribute, value)),
      ...(w.expect ?? []).map((e) => pathEquals(e.path, e.value)),
    ];
    const condition = allOf(x, pieces);
    const key = keys.project(w.projectId);
    let projectWrite: TransactItems[number];
    const extra: TransactItems = [];
    if (w.to === null) {
      projectWrite = {
        Delete: { TableName: this.table, Key: key, ConditionExpression: condition, ReturnValuesOnConditionCheckFailure: 'ALL_OLD', ...x.attributes() },
      };
      extra.push({ Delete: { TableName: this.table, Key: keys.projectProgress(w.projectId) } });
    } else {
      const sourcePause = sourcePauseKeys(w);
      const set: Record<string, unknown> = {
        ...w.set,
        status: w.to,
        version: w.expectedVersion + 1,
        updatedAt: nowIso,
        gsi2pk: keys.statusPartition(w.to, shardOf(w.projectId)),
        ...sourcePause.set,
      };
      const assignments = [
        ...Object.entries(set)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${x.name(k)} = ${x.value(v)}`),
        ...(w.setPaths ?? []).filter((p) => p.value !== undefined).map((p) => `${x.path(p.path)} = ${x.value(p.value)}`),
      ];
      const removals = [...w.remove.map((k) => x.name(k)), ...(sourcePause.remove ?? []).map((k) => x.name(k)), ...(w.removePaths ?? []).map((p) => x.path(p))];
      projectWrite = {
        Update: {
          TableName: this.table,
          Key: key,
          UpdateExpression: `SET ${assignments.join(', ')}${removals.length ? ` REMOVE ${removals.join(', ')}` : ''}`,
          ConditionExpression: condition,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ...x.attributes(),
        },
      };
    }
    const items: TransactItems = [projectWrite, this.eventPut(w.projectId, w.event), ...extra];
    if (w.freeName !== undefined) {
      const nx = new Expression();
      items.push({
        Delete: {
          TableName: this.table,
          Key: keys.projectName(w.freeName),
          ConditionExpression: `${itemAbsent(nx)} OR ${attributeEquals('projectId', w.projectId)(nx)}`,
          ...nx.attributes(),
        },
      });
    }
    for (const id of w.releaseDataSources ?? []) {
      const dx = new Expression();
      items.push({
        Update: {
          TableName: this.table,
          Key: keys.dataSource(id),
          UpdateExpression: `ADD ${dx.name('refCount')} ${dx.value(-1)}`,
          ConditionExpression: itemExists(dx),
          ...dx.attributes(),
        },
      });
    }
    return this.combiner ? this.combiner.write(items) : this.commitTransition(items);
  }

  /** One transition in its own transaction; its project write is the first item. */
  private async commitTransition(items: TransactItems): Promise<void> {
    try {
      await transactWithRetry(this.client, items);
    } catch (e) {
      const reason = e instanceof TransactionCanceledException ? e.CancellationReasons?.[0] : undefined;
      if (reason?.Code === 'ConditionalCheckFailed') throw transitionConflict(reason);
      throw e;
    }
  }

  async recountStatus(status: ProjectStatus): Promise<number[]> {
    const ix = TABLE.indexes.byStatus;
    return Promise.all(
      ALL_SHARDS.map(async (shard) => {
        const x = new Expression();
        let count = 0;
        await queryAllPages(
          this.client,
          {
            TableName: this.table,
            IndexName: ix.indexName,
            KeyConditionExpression: `${x.name(ix.partitionKey)} = ${x.value(keys.statusPartition(status, shard))}`,
            Select: 'COUNT',
            ...x.attributes(),
          },
          (out) => (count += out.Count ?? 0),
        );
        return count;
      }),
    );
  }

  async countStatusChange(c: StatusChange): Promise<boolean> {
    if (c.from === c.to) return false;
    const shard = shardOf(c.projectId);
    const mx = new Expression();
    const items: TransactItems = [
      {
        Put: {
          TableName: this.table,
          Item: { ...keys.statusCounted(c.projectId, c.version), from: c.from, to: c.to, [TABLE.ttlAttribute]: Math.floor(Date.now() / 1000) + COUNTED_TTL_SECONDS },
          ConditionExpression: itemAbsent(mx),
          ...mx.attributes(),
        },
      },
    ];
    for (const [status, delta] of [[c.from, -1], [c.to, 1]] as const) {
      if (status === null) continue;
      items.push({
        Update: {
          TableName: this.table,
          Key: keys.statusCounter(status, shard),
          UpdateExpression: 'ADD #n :d',
          ExpressionAttributeNames: { '#n': 'n' },
          ExpressionAttributeValues: { ':d': delta },
        },
      });
    }
    try {
      await transactWithRetry(this.client, items);
      return true;
    } catch (e) {
      if (e instanceof TransactionCanceledException && e.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
      throw e;
    }
  }

  async readStatusCounts(): Promise<Record<ProjectStatus, number> | undefined> {
    const counterKeys = PROJECT_STATUSES.flatMap((status) => ALL_SHARDS.map((shard) => keys.statusCounter(status, shard)));
    const items = await this.batchGetItems([keys.statusCountersReady, ...counterKeys]);
    if (!items.some((i) => i.pk === keys.statusCountersReady.pk)) return undefined;
    const counts = Object.fromEntries(PROJECT_STATUSES.map((s) => [s, 0])) as Record<ProjectStatus, number>;
    for (const status of PROJECT_STATUSES) {
      const prefix = `COUNTER#STATUS#${status}#`;
      for (const item of items) if (String(item.pk).startsWith(prefix)) counts[status] += Number(item.n ?? 0);
    }
    return counts;
  }

  async writeStatusCounts(perShard: Record<ProjectStatus, readonly number[]>): Promise<void> {
    const puts = PROJECT_STATUSES.flatMap((status) =>
      ALL_SHARDS.map((shard) => ({ ...keys.statusCounter(status, shard), n: perShard[status]?.[shard] ?? 0 })),
    );
    for (let i = 0; i < puts.length; i += 16) {
      await Promise.all(puts.slice(i, i + 16).map((Item) => this.client.send(new PutCommand({ TableName: this.table, Item }))));
    }
    await this.client.send(new PutCommand({ TableName: this.table, Item: { ...keys.statusCountersReady, at: new Date().toISOString() } }));
  }

  /** Items by key (BatchGetItem, 100 keys a request, unprocessed keys retried), eventually consistent unless asked. */
  private async batchGetItems(itemKeys: readonly Record<string, unknown>[], consistent = false): Promise<Record<string, unknown>[]> {
    const found: Record<string, unknown>[] = [];
    for (let i = 0; i < itemKeys.length; i += BATCH_GET_LIMIT) {
      let pending: Record<string, unknown>[] = itemKeys.slice(i, i + BATCH_GET_LIMIT);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > UNPROCESSED_RETRIES) throw new Error(`BatchGetItem left ${pending.length} key(s) unprocessed`);
        if (attempt > 0) await sleep(Math.random() * Math.min(1000, 20 * 2 ** attempt));
        const out = await this.client.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ...(consistent ? { ConsistentRead: true } : {}) } } }));
        found.push(...(out.Responses?.[this.table] ?? []));
        pending = (out.UnprocessedKeys?.[this.table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      }
    }
    return found;
  }

  async updateRun(w: RunWrite): Promise<ProjectRecord> {
    const x = new Expression();
    const condition = allOf(x, [
      itemExists,
      attributeEquals('run', w.run),
      ...(w.leg !== undefined ? [legIs(w.run, w.leg)] : []),
      statusIn(w.statuses ?? ['RUNNING']),
      ...(w.expect ?? []).map((e) => pathEquals(e.path, e.value)),
    ]);
    const sets = w.set.filter((p) => p.value !== undefined).map((p) => `${x.path(p.path)} = ${x.value(p.value)}`);
    const removals = (w.remove ?? []).map((p) => x.path(p));
    if (sets.length === 0 && removals.length === 0) throw new Error('updateRun: nothing to write');
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.project(w.projectId),
          UpdateExpression: `${sets.length ? `SET ${sets.join(', ')}` : ''}${removals.length ? ` REMOVE ${removals.join(', ')}` : ''}`.trim(),
          ConditionExpression: condition,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ...x.attributes(),
        }),
      );
      return toProjectRecord(out.Attributes ?? {});
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) {
        const current = cancellationItem(e);
        throw new RunWriteRefused(current ? toProjectRecord(current) : undefined);
      }
      throw e;
    }
  }

  async getProgress(projectId: string): Promise<ProjectProgress | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.table, Key: keys.projectProgress(projectId), ConsistentRead: true }));
    return out.Item ? toProjectProgress(out.Item) : undefined;
  }

  async getProgressMany(projectIds: readonly string[]): Promise<Map<string, ProjectProgress>> {
    const unique = [...new Set(projectIds)];
    const found = new Map<string, ProjectProgress>();
    for (const item of await this.batchGetItems(unique.map((id) => keys.projectProgress(id)), true)) {
      const progress = toProjectProgress(item);
      found.set(progress.projectId, progress);
    }
    return found;
  }

  async writeProgress(w: ProgressWrite): Promise<void> {
    const x = new Expression();
    // Named placeholders of our own (#a0, #a1, ...): measurement keys hold source ids, which x.name would fold together.
    const sets = Object.entries(progressAttributes(w)).map(([attribute, value], i) => {
      x.names[`#a${i}`] = attribute;
      return `#a${i} = ${x.value(value)}`;
    });
    const run = x.name('run');
    const leg = x.name('leg');
    // The fence (progressWriteHolds): no newer run, nor a newer leg of this run, wrote the item.
    const condition = `attribute_not_exists(${run}) OR ${run} < ${x.value(w.run)} OR (${run} = ${x.value(w.run)} AND ${leg} <= ${x.value(w.leg)})`;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.projectProgress(w.projectId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: condition,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ...x.attributes(),
        }),
      );
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) {
        const current = cancellationItem(e);
        throw new ProgressWriteRefused(current ? { run: Number(current.run), leg: Number(current.leg) } : undefined);
      }
      throw e;
    }
  }

  async listEvents(projectId: string): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    const x = new Expression();
    await queryAllPages(
      this.client,
      {
        TableName: this.table,
        KeyConditionExpression: `${x.name('pk')} = ${x.value(keys.project(projectId).pk)} AND begins_with(${x.name('sk')}, ${x.value(keys.projectEventPrefix)})`,
        ConsistentRead: true,
        ...x.attributes(),
      },
      (out) => {
        for (const item of out.Items ?? []) {
          const { pk: _pk, sk: _sk, ...event } = item;
          events.push(event as unknown as AuditEvent);
        }
      },
    );
    return events;
  }

  async listEventsPage(projectId: string, limit: number, nextToken?: string): Promise<Page<AuditEvent>> {
    const x = new Expression();
    const page = await queryPage(
      this.client,
      {
        TableName: this.table,
        KeyConditionExpression: `${x.name('pk')} = ${x.value(keys.project(projectId).pk)} AND begins_with(${x.name('sk')}, ${x.value(keys.projectEventPrefix)})`,
        ConsistentRead: true,
        ...x.attributes(),
      },
      { partitionKey: 'pk', sortKey: 'sk' },
      limit,
      nextToken,
      JSON.stringify(['events', projectId]),
    );
    const items = page.items.map(({ pk: _pk, sk: _sk, ...event }) => event as unknown as AuditEvent);
    return { items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  private eventPut(projectId: string, event: AuditEvent): TransactItems[number] {
    const x = new Expression();
    return {
      Put: {
        TableName: this.table,
        Item: eventItem(projectId, event),
        ConditionExpression: `attribute_not_exists(${x.name('sk')})`,
        ...x.attributes(),
      },
    };
  }
}
