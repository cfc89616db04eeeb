import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { keys, TABLE, tableDefinition } from '../../shared/table';
import type { Stage } from './stage';

export interface ProjectsTableProps {
  readonly stage: Stage;
}

type KeySchema = ReadonlyArray<{ AttributeName: string; KeyType: 'HASH' | 'RANGE' }>;

/**
 * The projects table, built from the single definition in shared/table.ts (the same one DynamoDB
 * Local tables are created from), so key schema and indexes cannot drift between deploy and tests.
 * The physical name is left to CloudFormation; handlers get it through TABLE_NAME.
 */
export class ProjectsTable extends Construct {
  readonly table: dynamodb.Table;
  /** Attribute and index names of the table layout. */
  readonly attributes = TABLE;

  constructor(scope: Construct, id: string, props: ProjectsTableProps) {
    super(scope, id);
    const prod = props.stage === 'prod';
    // The name is not used: CloudFormation names the table.
    const def = tableDefinition(TABLE.defaultName);
    const attributeTypes = new Map<string, string>(def.AttributeDefinitions.map((a) => [a.AttributeName, a.AttributeType]));
    const attribute = (name: string): dynamodb.Attribute => {
      const type = attributeTypes.get(name);
      if (type !== 'S') throw new Error(`tableDefinition(): attribute ${name} must be defined as a string, got ${type}`);
      return { name, type: dynamodb.AttributeType.STRING };
    };
    const keys = (schema: KeySchema) => {
      const hash = schema.find((k) => k.KeyType === 'HASH');
      const range = schema.find((k) => k.KeyType === 'RANGE');
      if (!hash) throw new Error('tableDefinition(): key schema without a HASH key');
      return {
        partitionKey: attribute(hash.AttributeName),
        ...(range ? { sortKey: attribute(range.AttributeName) } : {}),
      };
    };
    if (def.BillingMode !== 'PAY_PER_REQUEST') throw new Error(`unsupported billing mode ${def.BillingMode}`);
    if (def.StreamSpecification.StreamViewType !== 'NEW_IMAGE') throw new Error('only a NEW_IMAGE stream is supported');

    this.table = new dynamodb.Table(this, 'Table', {
      ...keys(def.KeySchema),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE.ttlAttribute,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      stream: dynamodb.StreamViewType.NEW_IMAGE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: prod,
      removalPolicy: prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    for (const gsi of def.GlobalSecondaryIndexes) {
      const projection: { ProjectionType: string; NonKeyAttributes?: readonly string[] } = gsi.Projection;
      const projected =
        projection.ProjectionType === 'ALL'
          ? { projectionType: dynamodb.ProjectionType.ALL }
          : projection.ProjectionType === 'KEYS_ONLY'
            ? { projectionType: dynamodb.ProjectionType.KEYS_ONLY }
            : projection.ProjectionType === 'INCLUDE' && projection.NonKeyAttributes?.length
              ? { projectionType: dynamodb.ProjectionType.INCLUDE, nonKeyAttributes: [...projection.NonKeyAttributes] }
              : undefined;
      if (!projected) throw new Error(`index ${gsi.IndexName}: unsupported projection ${JSON.stringify(projection)}`);
      this.table.addGlobalSecondaryIndex({ indexName: gsi.IndexName, ...keys(gsi.KeySchema), ...projected });
    }
  }
}

/** The partition (pk) prefix of a key function of shared/table.ts. */
const prefixOf = (pk: string) => pk.slice(0, pk.indexOf('#') + 1);

/**
 * The table's partitions by their partition-key prefix. A project's partition holds the project item,
 * its audit events (EVENT#) and its alerts (ALERT#): IAM cannot tell them apart (dynamodb:LeadingKeys
 * sees the partition key only).
 */
export const PARTITIONS = {
  project: prefixOf(keys.project('x').pk),
  projectName: prefixOf(keys.projectName('x').pk),
  dataSource: prefixOf(keys.dataSource('x').pk),
  idempotency: prefixOf(keys.idempotency('x').pk),
  simulatedJob: prefixOf(keys.simulatedJob('x').pk),
  simulatedFailure: prefixOf(keys.simulatedFailure('x', 'y').pk),
  checkpoint: prefixOf(keys.checkpoint('x').pk),
  statusCounter: prefixOf(keys.statusCounter('x', 0).pk),
  /** A batch resource: its record and its per-project claims and results. */
  batch: prefixOf(keys.batch('x').pk),
  batchListing: prefixOf(keys.batchListing('x', 'y').pk),
} as const;
export type Partition = keyof typeof PARTITIONS;

export type TableReadAction = 'dynamodb:GetItem' | 'dynamodb:BatchGetItem' | 'dynamodb:Query';

/**
 * What one function does with the projects table: the reads on the table, whether it queries the
 * indexes, and in which partitions it puts/updates items and deletes items. No function scans, batch-
 * writes or reads the stream through these grants (the publisher's stream read is its event source's).
 * Transactions (TransactWriteItems) are authorized per item as PutItem/UpdateItem/DeleteItem, each with
 * its partition's dynamodb:LeadingKeys condition.
 */
export interface TableAccess {
  readonly read: readonly TableReadAction[];
  readonly queryIndexes?: boolean;
  /** PutItem and UpdateItem, on items of these partitions only. */
  readonly write?: readonly Partition[];
  /** DeleteItem, on items of these partitions only. */
  readonly delete?: readonly Partition[];
}

/** Every HTTP write (POST/PUT/DELETE) claims its Idempotency-Key record, and releases it if the request fails. */
const IDEMPOTENT = { read: ['dynamodb:GetItem'], write: ['idempotency'], delete: ['idempotency'] } as const;
/**
 * A project read whole (shared/usecases/project-read.ts readProject: its item and its progress item in one
 * Query on its partition, sort keys 'PROGRESS'..'PROJECT'): GET, every lifecycle answer, every transition
 * computed without a batch's read, each orchestration step.
 */
const RECORD_READ = 'dynamodb:Query';
/** A lifecycle transition: the project item and its audit event (one transaction). */
const TRANSITION: readonly Partition[] = ['project'];
/** Release and delete free the name (deleting its reservation) and release the data sources (refCount). */
const RELEASE_WRITES: readonly Partition[] = ['dataSource'];
/** The simulated engine keeps its jobs in the table, and deletes an injected failure once it fired. */
const ENGINE = { write: ['simulatedJob'], delete: ['simulatedFailure'] } as const;

/**
 * Per function (folder name), the table access its handler's use cases need (read from the adapters in
 * shared/adapters/dynamodb and shared/adapters/engine). Only delete-project, batch-operations and batch-worker
 * (which may delete) may delete items of a project's partition — the project item; no function may delete in
 * a project's partition otherwise, so none can delete an audit event. Putting/updating in a project's
 * partition cannot be narrowed further by IAM: tampering with an audit event is detected instead (Alerts.watchAuditTrail).
 */
export const TABLE_ACCESS = {
  'get-openapi': { read: [] },
  'get-project': { read: [RECORD_READ] },
  'list-projects': { read: [], queryIndexes: true },
  'list-project-events': { read: ['dynamodb:Query'] },
  'list-project-alerts': { read: ['dynamodb:GetItem', 'dynamodb:Query'] },
  'get-data-source': { read: ['dynamodb:GetItem'] },
  'list-data-sources': { read: [], queryIndexes: true },
  'create-data-source': { ...IDEMPOTENT, write: ['dataSource', ...IDEMPOTENT.write] },
  'delete-data-source': { ...IDEMPOTENT, delete: ['dataSource', ...IDEMPOTENT.delete] },
  // Reads the data sources to choose the engine, runs the precheck in it ('jobs') and records it (a transition).
  'create-project': { ...IDEMPOTENT, read: [...IDEMPOTENT.read, RECORD_READ], write: [...TRANSITION, 'projectName', ...RELEASE_WRITES, ...ENGINE.write, ...IDEMPOTENT.write], delete: [...ENGINE.delete, ...IDEMPOTENT.delete] },
  // Reads the data source and connects through its engine ('jobs').
  'test-data-source-connection': { ...IDEMPOTENT, write: [...ENGINE.write, ...IDEMPOTENT.write], delete: [...ENGINE.delete, ...IDEMPOTENT.delete] },
  'delete-project': { ...IDEMPOTENT, read: [...IDEMPOTENT.read, RECORD_READ], write: [...TRANSITION, ...RELEASE_WRITES, ...IDEMPOTENT.write], delete: ['project', 'projectName', ...IDEMPOTENT.delete] },
  'project-lifecycle': {
    ...IDEMPOTENT,
    read: [...IDEMPOTENT.read, RECORD_READ],
    write: [...TRANSITION, ...RELEASE_WRITES, ...ENGINE.write, ...IDEMPOTENT.write],
    delete: ['projectName', ...ENGINE.delete, ...IDEMPOTENT.delete],
  },
  // A small batch runs within the request; a large one is created (record + listing entry) for the worker.
  'batch-operations': {
    read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
    queryIndexes: true,
    write: [...TRANSITION, ...RELEASE_WRITES, ...ENGINE.write, ...IDEMPOTENT.write, 'batch', 'batchListing'],
    delete: ['project', 'projectName', ...ENGINE.delete, ...IDEMPOTENT.delete],
  },
  'get-batch-operation': { read: ['dynamodb:GetItem', 'dynamodb:Query'] },
  'list-batch-operations': { read: ['dynamodb:Query', 'dynamodb:BatchGetItem'] },
  // Expands a selector (index listings), claims and records its projects' results (BATCH#), applies the
  // operation as the batch route does, and reads a project's audit trail when a redelivery may have applied it.
  'batch-worker': {
    read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
    queryIndexes: true,
    write: [...TRANSITION, ...RELEASE_WRITES, ...ENGINE.write, 'batch'],
    delete: ['project', 'projectName', ...ENGINE.delete],
  },
  'orchestration-step': { read: ['dynamodb:GetItem', RECORD_READ], write: [...TRANSITION, ...ENGINE.write], delete: [...ENGINE.delete] },
  // Each shard worker saves its checkpoint (CHECKPOINT#): a pass resumes where the last invocation stopped.
  // Reads whole records and progress items of a page (BatchGetItem), and the batch listing (Query) to re-drive stalled batches.
  'orchestration-reconciler': {
    read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
    queryIndexes: true,
    write: [...TRANSITION, ...RELEASE_WRITES, ...ENGINE.write, 'checkpoint'],
    delete: ['projectName', ...ENGINE.delete],
  },
  // Expiry pauses the project's jobs (its 'jobs' capability, shared/wiring.ts).
  'pause-timer': { read: ['dynamodb:GetItem', RECORD_READ], write: [...TRANSITION, ...ENGINE.write], delete: [...ENGINE.delete] },
  // Reads the project and its progress item; fails the run (its fenced writes and the fail transition).
  // Polls jobs ('jobs'): the engine items of the simulated engine, as every function that runs jobs.
  'engine-notices': { read: ['dynamodb:GetItem', RECORD_READ], write: [...TRANSITION, ...ENGINE.write], delete: [...ENGINE.delete] },
  // Alerts are items of the project's partition (ALERT#): recorded, then marked notified. Status changes are
  // counted into the status counters, each with its counted marker in the project's partition (one transaction).
  'publish-domain-events': { read: ['dynamodb:GetItem'], write: ['project', 'statusCounter'] },
  // Reads the counters; recounts the status index and sets them when they were never set.
  'project-status-metrics': { read: ['dynamodb:BatchGetItem'], queryIndexes: true, write: ['statusCounter'] },
} as const satisfies Record<string, TableAccess>;

export type TableAccessFunction = keyof typeof TABLE_ACCESS;

/** The access of a function; throws for a function the record does not list (a new function must be added there). */
export function tableAccessOf(fn: string): TableAccess {
  const access = (TABLE_ACCESS as Record<string, TableAccess>)[fn];
  if (!access) throw new Error(`no TABLE_ACCESS entry for function ${fn} (infra/constructs/projects-table.ts)`);
  return access;
}

const leadingKeys = (partitions: readonly Partition[]) => ({
  'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...new Set(partitions)].sort().map((p) => `${PARTITIONS[p]}*`) },
});

/** Grants exactly the table access of `access` to the grantee: one statement per kind of access. */
export function grantTableAccess(table: dynamodb.ITable, grantee: iam.IGrantable, access: TableAccess): void {
  const add = (actions: string[], resources: string[], conditions?: Record<string, Record<string, unknown>>) =>
    iam.Grant.addToPrincipal({ grantee, actions, resourceArns: resources, ...(conditions ? { conditions } : {}) });
  if (access.read.length > 0) add([...access.read], [table.tableArn]);
  if (access.queryIndexes) add(['dynamodb:Query'], [`${table.tableArn}/index/*`]);
  if (access.write?.length) add(['dynamodb:PutItem', 'dynamodb:UpdateItem'], [table.tableArn], leadingKeys(access.write));
  if (access.delete?.length) add(['dynamodb:DeleteItem'], [table.tableArn], leadingKeys(access.delete));
}
