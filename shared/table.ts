import { shardOf } from './domain/shards';

/**
 * The single definition of the projects table: key schema, indexes, TTL attribute and item layout.
 * CDK builds the deployed table from it; the local runtime and the tests create DynamoDB Local tables
 * from it. Plain data: no AWS SDK import.
 */
export const TABLE = {
  defaultName: 'migration-control-plane',
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
  /** Every committed audit event flows from the table's stream to the event bus (at least once, in order per project). */
  streamView: 'NEW_IMAGE',
  indexes: {
    /**
     * Every item of a kind, newest first: gsi1sk = createdAt#id. Projects are spread over SHARD_COUNT
     * partitions (gsi1pk = PROJECT#<shard>, shared/domain/shards.ts): a listing merges them; data
     * sources (few, rarely written) keep one partition, gsi1pk = DATASOURCE.
     */
    byKind: { indexName: 'byKind', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    /** Projects of one status, newest first: gsi2pk = PROJECT#STATUS#<status>#<shard>, gsi2sk = createdAt#id. */
    byStatus: { indexName: 'byStatus', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    /**
     * Sparse: only the projects with a source paused on its own and not expired (while not ended),
     * gsi3pk = PROJECT#SOURCEPAUSE#<shard>, gsi3sk = SOURCEPAUSE#<id>. The reconciler's pause sweep finds
     * them here, whatever their status, to check each such source's own expiry timer. Written only when
     * a transition changes `sources` (a per-source pause or resume, a source's expiry, a whole resume)
     * or ends the project: a progress write never reaches it. KEYS_ONLY (DynamoDB allows 100 projected
     * attributes over all indexes, the two above take most): the sweep reads the few records it finds whole.
     */
    bySourcePause: { indexName: 'bySourcePause', partitionKey: 'gsi3pk', sortKey: 'gsi3sk', keysOnly: true },
  },
} as const;

export type TableIndex = (typeof TABLE.indexes)[keyof typeof TABLE.indexes];

/** Item keys: one place that knows how entities are laid out in the table. */
export const keys = {
  project: (id: string) => ({ pk: `PROJECT#${id}`, sk: 'PROJECT' }),
  projectEvent: (id: string, version: number) => ({ pk: `PROJECT#${id}`, sk: `EVENT#${String(version).padStart(10, '0')}` }),
  projectEventPrefix: 'EVENT#',
  /** An alert, under its project: sorted by its instant (newest first when read backwards), unique by its deterministic id. */
  projectAlert: (projectId: string, at: string, alertId: string) => ({ pk: `PROJECT#${projectId}`, sk: `ALERT#${at}#${alertId}` }),
  projectAlertPrefix: 'ALERT#',
  projectName: (name: string) => ({ pk: `PROJECTNAME#${name}`, sk: 'NAME' }),
  dataSource: (id: string) => ({ pk: `DATASOURCE#${id}`, sk: 'DATASOURCE' }),
  /** An Idempotency-Key record; `digest` hashes the key with its scope (route + caller). Expires by `ttl`. */
  idempotency: (digest: string) => ({ pk: `IDEMPOTENCY#${digest}`, sk: 'IDEMPOTENCY' }),
  /** The simulated migration engine's job state and failure injections (shared/adapters/engine). */
  simulatedJob: (jobId: string) => ({ pk: `SIMJOB#${jobId}`, sk: 'SIMJOB' }),
  simulatedFailure: (projectId: string, subtask: string) => ({ pk: `SIMFAIL#${projectId}#${subtask}`, sk: 'SIMFAIL' }),
  /** A background worker's checkpoint (the reconciler's shard workers: where a pass stands). */
  checkpoint: (worker: string) => ({ pk: `CHECKPOINT#${worker}`, sk: 'CHECKPOINT' }),
  /**
   * A project's fast-changing run measurements (each subtask's progress and checkpoint, written by every
   * poll): an item of its own, with no index key, so the poll writes never reach an index.
   */
  projectProgress: (id: string) => ({ pk: `PROJECT#${id}`, sk: 'PROGRESS' }),
  /**
   * The sort-key range that holds exactly a project's item and its progress item ('PROGRESS' < 'PROJECT'),
   * and none of the rest of its partition (EVENT#, ALERT#, COUNTED#: they sort outside it): one bounded
   * Query reads the whole record, however long the audit trail grows.
   */
  projectRecordRange: { from: 'PROGRESS', to: 'PROJECT' },
  /**
   * Projects per status: one counter item per status and shard (its own partition, so a burst of
   * transitions spreads like the index does), maintained from the table stream with ADD.
   */
  statusCounter: (status: string, shard: number) => ({ pk: `COUNTER#STATUS#${status}#${shard}`, sk: 'COUNT' }),
  /** Present once the counters hold every project (written by a recount): until then the gauge recounts. */
  statusCountersReady: { pk: 'COUNTER#READY', sk: 'COUNT' },
  /**
   * The audit event of a project version whose status change was counted: written with the counter ADDs
   * in one transaction, on condition it is absent, so a redelivered or replayed event counts once.
   * Expires (ttl) after the stream's 24 h retention, when no record can come again.
   */
  statusCounted: (projectId: string, version: number) => ({ pk: `PROJECT#${projectId}`, sk: `COUNTED#${String(version).padStart(10, '0')}` }),
  /** The byKind partition of one shard of projects. */
  kindProject: (shard: number) => `PROJECT#${shard}`,
  /** A batch run as a resource, and one result item per project of it (written once). */
  batch: (batchId: string) => ({ pk: `BATCH#${batchId}`, sk: 'BATCH' }),
  batchItem: (batchId: string, projectId: string) => ({ pk: `BATCH#${batchId}`, sk: `ITEM#${projectId}` }),
  batchItemPrefix: 'ITEM#',
  /** One expansion page of a batch (the ids it enqueued, written once): what a re-drive sends again. */
  batchPage: (batchId: string, at: number) => ({ pk: `BATCH#${batchId}`, sk: `PAGE#${String(at).padStart(10, '0')}` }),
  batchPagePrefix: 'PAGE#',
  /** Every batch's place in the newest-first listing (one partition: batches are created at human rates). */
  batchListing: (createdAt: string, batchId: string) => ({ pk: 'BATCHES#ALL', sk: `${createdAt}#${batchId}` }),
  kindDataSource: 'DATASOURCE',
  /** The bySourcePause partition of one shard (shared/domain/shards.ts). */
  sourcePausePartition: (shard: number) => `PROJECT#SOURCEPAUSE#${shard}`,
  /** Its sort key: the project id (a transition, which writes it, does not know createdAt; the sweep needs no order). */
  sourcePauseSort: (id: string) => `SOURCEPAUSE#${id}`,
  /** The byStatus partition of one status and shard. */
  statusPartition: (status: string, shard: number) => `PROJECT#STATUS#${status}#${shard}`,
  createdSort: (createdAt: string, id: string) => `${createdAt}#${id}`,
  /** The id in a createdSort key (createdAt is an ISO instant: it holds no '#'). */
  idOfCreatedSort: (sort: string) => sort.slice(sort.indexOf('#') + 1),
} as const;

/** The index keys of a project item: both partitions are sharded by the project id. */
export function projectIndexKeys(p: { id: string; createdAt: string; status: string }) {
  const shard = shardOf(p.id);
  const sort = keys.createdSort(p.createdAt, p.id);
  return { gsi1pk: keys.kindProject(shard), gsi1sk: sort, gsi2pk: keys.statusPartition(p.status, shard), gsi2sk: sort };
}

/**
 * What list views need, projected into both indexes (INCLUDE): every project attribute a list page,
 * a selector or a background sweep reads, and the data source attributes (data sources share byKind).
 * Not projected: a project's precheck (its items and messages are for the project's own view) and its
 * running subtasks' measurements (progress and checkpoints: their own unindexed item, keys.projectProgress).
 * A transition writes the index; a poll does not.
 */
export const LIST_VIEW_ATTRIBUTES = [
  // projects
  'id', 'name', 'description', 'sourceId', 'sourceIds', 'sources', 'destinationId', 'migrationType', 'tables', 'labels', 'alertLevel', 'engine',
  'status', 'version', 'createdAt', 'updatedAt', 'startedAt', 'pausedAt', 'pauseExpiresAt', 'expiredAt', 'pauseWarnedAt',
  'releasedAt', 'subtasks', 'run', 'currentStage', 'switchoverEnteredAt', 'switchoverStartedAt', 'waitingStep', 'awaiting',
  'taskToken', 'completedAt', 'failedAt',
  // data sources
  'engine', 'host', 'port', 'username', 'database', 'secretArn', 'refCount',
].filter((a, i, all) => all.indexOf(a) === i);

/** Attribute definitions and key schema in the form both CloudFormation and CreateTable accept. */
export function tableDefinition(tableName: string) {
  const gsi = (ix: TableIndex) => ({
    IndexName: ix.indexName,
    KeySchema: [
      { AttributeName: ix.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: ix.sortKey, KeyType: 'RANGE' as const },
    ],
    Projection:
      'keysOnly' in ix && ix.keysOnly
        ? ({ ProjectionType: 'KEYS_ONLY' } as { ProjectionType: 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] })
        : { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...LIST_VIEW_ATTRIBUTES] },
  });
  const indexes = Object.values(TABLE.indexes);
  const attributeNames = [TABLE.partitionKey, TABLE.sortKey, ...indexes.flatMap((ix) => [ix.partitionKey, ix.sortKey])];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: attributeNames.map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
    KeySchema: [
      { AttributeName: TABLE.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: TABLE.sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: indexes.map(gsi),
    StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE.streamView },
  };
}
