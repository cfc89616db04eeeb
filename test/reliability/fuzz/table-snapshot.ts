import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Every item of the table, keyed by pk + sk, as canonical JSON. */
export type TableSnapshot = Map<string, string>;

export async function snapshotTable(client: DynamoDBDocumentClient, tableName: string): Promise<TableSnapshot> {
  const out: TableSnapshot = new Map();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
    for (const item of page.Items ?? []) {
      const sorted = Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      out.set(`${String(item.pk)} ${String(item.sk)}`, JSON.stringify(sorted));
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

export interface TableDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

/** What changed between two snapshots; `ignore` filters keys (e.g. Idempotency-Key records, counted separately). */
export function diffSnapshots(before: TableSnapshot, after: TableSnapshot, ignore: (key: string) => boolean = () => false): TableDiff {
  const diff: TableDiff = { added: [], removed: [], changed: [] };
  for (const [k, v] of after) {
    if (ignore(k)) continue;
    const was = before.get(k);
    if (was === undefined) diff.added.push(k);
    else if (was !== v) diff.changed.push(k);
  }
  for (const k of before.keys()) if (!ignore(k) && !after.has(k)) diff.removed.push(k);
  return diff;
}

export const isIdempotencyKey = (key: string) => key.startsWith('IDEMPOTENCY#');

export function newIdempotencyRecords(before: TableSnapshot, after: TableSnapshot): number {
  let n = 0;
  for (const k of after.keys()) if (isIdempotencyKey(k) && !before.has(k)) n++;
  return n;
}
