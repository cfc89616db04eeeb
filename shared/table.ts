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
    /** Every item of a kind, newest first: gsi1pk = kind, gsi1sk = createdAt#id. */
    byKind: { indexName: 'byKind', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    /** Projects of one status, newest first: gsi2pk = PROJECT#STATUS#<status>, gsi2sk = createdAt#id. */
    byStatus: { indexName: 'byStatus', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
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
  kindProject: 'PROJECT',
  kindDataSource: 'DATASOURCE',
  statusPartition: (status: string) => `PROJECT#STATUS#${status}`,
  createdSort: (createdAt: string, id: string) => `${createdAt}#${id}`,
} as const;

/** Attribute definitions and key schema in the form both CloudFormation and CreateTable accept. */
export function tableDefinition(tableName: string) {
  const gsi = (ix: TableIndex) => ({
    IndexName: ix.indexName,
    KeySchema: [
      { AttributeName: ix.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: ix.sortKey, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
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
