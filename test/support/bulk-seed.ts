import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { eventItem, nameReservationItem, projectItem } from '../../shared/adapters/dynamodb/project-store';
import { isoAt } from '../../shared/domain/clock';
import type { AuditEvent, MigrationType, ProjectRecord } from '../../shared/domain/project';
import { buildSubtasks } from '../../shared/domain/subtasks';
import { keys } from '../../shared/table';

/**
 * Writes many projects straight into the table with BatchWriteItem — the items createProject (and, for
 * RUNNING, start) would have written: the project item with its index keys, the name reservation, the
 * audit events, and the references on both data sources. For the 1000-project test and the benchmark,
 * where going through the API would take minutes on DynamoDB Local.
 */
export interface BulkSeedOptions {
  count: number;
  ds: { sourceId: string; destinationId: string };
  status: 'NOT_STARTED' | 'RUNNING';
  labels?: string[];
  namePrefix?: string;
  migrationType?: MigrationType;
  /** createdAt of the first project; each next one is 1 ms later. */
  startMs?: number;
  /** BatchWriteItem requests in flight. */
  parallel?: number;
}

const ALL: MigrationType = { structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: true, reverseIncrementalSync: true };

export async function bulkSeedProjects(client: DynamoDBDocumentClient, table: string, o: BulkSeedOptions): Promise<ProjectRecord[]> {
  const prefix = o.namePrefix ?? `bulk-${randomUUID().slice(0, 8)}`;
  const t0 = o.startMs ?? Date.now();
  const actor = 'bulk-seed';
  const projects: ProjectRecord[] = [];
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < o.count; i++) {
    const created = isoAt(t0 + i);
    const migrationType = o.migrationType ?? ALL;
    const p: ProjectRecord = {
      id: randomUUID(),
      name: `${prefix}-${String(i).padStart(6, '0')}`,
      sourceId: o.ds.sourceId,
      destinationId: o.ds.destinationId,
      migrationType,
      tables: null,
      labels: o.labels ?? [],
      alertLevel: 'NONE',
      status: 'NOT_STARTED',
      version: 1,
      createdAt: created,
      updatedAt: created,
      subtasks: buildSubtasks(migrationType),
    };
    const events: AuditEvent[] = [{ at: created, operation: 'create', from: null, to: 'NOT_STARTED', actor, requestId: 'bulk-seed', version: 1 }];
    if (o.status === 'RUNNING') {
      Object.assign(p, { status: 'RUNNING', version: 2, startedAt: created });
      events.push({ at: created, operation: 'start', from: 'NOT_STARTED', to: 'RUNNING', actor, requestId: 'bulk-seed', version: 2 });
    }
    projects.push(p);
    items.push(projectItem(p), nameReservationItem(p), ...events.map((e) => eventItem(p.id, e)));
  }
  await batchWrite(client, table, items, o.parallel ?? 8);
  for (const id of [o.ds.sourceId, o.ds.destinationId]) {
    await client.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.dataSource(id),
        UpdateExpression: 'ADD refCount :n',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':n': o.count },
      }),
    );
  }
  return projects;
}

async function batchWrite(client: DynamoDBDocumentClient, table: string, items: Record<string, unknown>[], parallel: number): Promise<void> {
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      let pending = (chunks[next++] as Record<string, unknown>[]).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 10) throw new Error(`BatchWriteItem left ${pending.length} item(s) unprocessed`);
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * Math.min(1000, 20 * 2 ** attempt)));
        const out = await client.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, chunks.length) }, worker));
}
