import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { SHARD_COUNT } from '../../domain/shards';
import { keys } from '../../table';
import { invalidNextToken, openPageToken, sealPageToken } from '../page-tokens';

/**
 * One page of a listing whose items are spread over SHARD_COUNT index partitions (one per shard), merged
 * newest first (descending sort key: createdAt#id, unique per project).
 *
 * The page token carries one cursor per shard: the sort key the shard was read up to ('' = not read
 * yet, 0 = read to its end). A shard's next items all sort below its cursor, so an item may be returned
 * as soon as it sorts above every unread shard's cursor: the merge never returns an item out of order,
 * never twice, and never skips one that stayed in the listing (items that leave it meanwhile are simply
 * gone; items that enter it behind a cursor show up on the next walk, as with one partition).
 *
 * Bounded work: a shard is read only when its cursor is the highest unread position, `per` items at a
 * time (1.5 x limit/SHARD_COUNT + 1, doubling when one shard holds most of the page), so an unfiltered page
 * reads at most about 1.5 x limit + SHARD_COUNT items plus what a skewed shard doubles. A filtered page stops at the read budget (items examined,
 * Query calls) with a short page and a token at the boundary.
 */
export const SHARDED_READ_BUDGET = { items: 1000, queries: 3 * SHARD_COUNT } as const;
/**
 * Bytes of items one page returns at most (their JSON): projects are bounded by bytes (MAX_TABLES_BYTES),
 * so a page of them stays below Lambda's 6 MB response limit; a page that reaches it is short, with a token.
 */
export const PAGE_BYTES_BUDGET = 4 * 1024 * 1024;

type Cursor = string | 0;

interface ShardState {
  shard: number;
  /** Items read and not yet returned, newest first. */
  buffer: Record<string, unknown>[];
  /** Where the next read of the shard starts ('' = its start, 0 = nothing left). */
  cursor: Cursor;
  /** Its cursor when the page began. */
  startedAt: Cursor;
  /** The sort key of the last item returned from it (the token position while its buffer is not empty). */
  returned?: string;
  reads: number;
}

export interface ShardedListing {
  table: string;
  /** Index name and key attribute names. */
  ix: { indexName: string; partitionKey: string; sortKey: string };
  /** The index partition of one shard. */
  partition(shard: number): string;
  /** The shards to read (all of them for a merged listing, one for a per-shard listing). */
  shards: readonly number[];
  /** Extra query parts: a FilterExpression with its names and values. */
  filter?: Pick<QueryCommandInput, 'FilterExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>;
  /** The listing tokens are bound to (page-tokens.ts). */
  listing: string;
}

export interface ShardedPage {
  items: Record<string, unknown>[];
  nextToken?: string;
  /** Items DynamoDB examined for this page (ScannedCount), and Query calls: the page's work. */
  examined: number;
  queries: number;
}

function decodeCursors(token: string | undefined, listing: string, shards: readonly number[]): Cursor[] {
  if (token === undefined) return shards.map(() => '');
  const parsed = openPageToken(listing, token);
  const valid =
    Array.isArray(parsed) &&
    parsed.length === shards.length &&
    parsed.every((c) => c === 0 || c === '' || (typeof c === 'string' && c.indexOf('#') > 0 && c.indexOf('#') < c.length - 1));
  if (!valid) throw invalidNextToken();
  return parsed as Cursor[];
}

export async function queryShardsPage(
  client: DynamoDBDocumentClient,
  l: ShardedListing,
  limit: number,
  nextToken: string | undefined,
): Promise<ShardedPage> {
  const { ix } = l;
  const cursors = decodeCursors(nextToken, l.listing, l.shards);
  const states: ShardState[] = l.shards.map((shard, i) => ({ shard, buffer: [], cursor: cursors[i] as Cursor, startedAt: cursors[i] as Cursor, reads: 0 }));
  const filtered = l.filter?.FilterExpression !== undefined;
  const itemBudget = Math.max(SHARDED_READ_BUDGET.items, limit + 2 * l.shards.length);
  // A little over an even share: a page of 100 over 16 shards mostly needs no second read of any shard.
  const per = Math.ceil((1.5 * limit) / l.shards.length) + 1;
  let examined = 0;
  let queries = 0;

  const startKey = (s: ShardState) => {
    if (s.cursor === '' || s.cursor === 0) return undefined;
    const id = keys.idOfCreatedSort(s.cursor);
    return { ...keys.project(id), [ix.partitionKey]: l.partition(s.shard), [ix.sortKey]: s.cursor };
  };

  const read = async (s: ShardState, fromToken: boolean) => {
    const wanted = filtered ? Math.max(per * 2 ** s.reads, 25) : per * 2 ** s.reads;
    const input: QueryCommandInput = {
      TableName: l.table,
      IndexName: ix.indexName,
      KeyConditionExpression: '#ixpk = :ixpk',
      ScanIndexForward: false,
      Limit: Math.max(1, Math.min(wanted, itemBudget - examined)),
      ...(l.filter?.FilterExpression ? { FilterExpression: l.filter.FilterExpression } : {}),
      ExpressionAttributeNames: { ...(l.filter?.ExpressionAttributeNames ?? {}), '#ixpk': ix.partitionKey },
      ExpressionAttributeValues: { ...(l.filter?.ExpressionAttributeValues ?? {}), ':ixpk': l.partition(s.shard) },
    };
    const start = startKey(s);
    if (start) input.ExclusiveStartKey = start;
    s.reads += 1;
    queries += 1;
    try {
      const out = await client.send(new QueryCommand(input));
      examined += out.ScannedCount ?? out.Items?.length ?? 0;
      s.buffer.push(...(out.Items ?? []));
      s.cursor = out.LastEvaluatedKey ? String(out.LastEvaluatedKey[ix.sortKey]) : 0;
    } catch (e) {
      // A well-formed token whose position is not in this partition: DynamoDB refuses the start key.
      if (fromToken && (e as Error)?.name === 'ValidationException') throw invalidNextToken();
      throw e;
    }
  };

  // Every shard that starts the page without items is read once, together.
  await Promise.all(states.filter((s) => s.cursor !== 0).map((s) => read(s, nextToken !== undefined)));

  const items: Record<string, unknown>[] = [];
  let bytes = 0;
  const sortOf = (item: Record<string, unknown>) => String(item[ix.sortKey]);
  while (items.length < limit) {
    // The newest item buffered, and the highest position of a shard with nothing buffered but more to read.
    let best: ShardState | undefined;
    let blocker: ShardState | undefined;
    for (const s of states) {
      const head = s.buffer[0];
      if (head !== undefined) {
        if (!best || sortOf(head) > sortOf(best.buffer[0] as Record<string, unknown>)) best = s;
      } else if (s.cursor !== 0) {
        if (!blocker || above(s.cursor, blocker.cursor)) blocker = s;
      }
    }
    const mustRead = blocker !== undefined && (best === undefined || above(blocker.cursor, sortOf(best.buffer[0] as Record<string, unknown>)));
    if (mustRead) {
      const budgetLeft = examined < itemBudget && queries < SHARDED_READ_BUDGET.queries;
      if (!budgetLeft) break;
      await read(blocker as ShardState, false);
      continue;
    }
    if (!best) break;
    const size = Buffer.byteLength(JSON.stringify(best.buffer[0]), 'utf8');
    if (items.length > 0 && bytes + size > PAGE_BYTES_BUDGET) break;
    bytes += size;
    const item = best.buffer.shift() as Record<string, unknown>;
    items.push(item);
    best.returned = sortOf(item);
  }

  // Token: per shard, the last item returned while items stay buffered, else where reading stopped.
  const positions: Cursor[] = states.map((s) => (s.buffer.length > 0 ? (s.returned ?? s.startedAt) : s.cursor));
  const more = positions.some((c) => c !== 0);
  return { items, ...(more ? { nextToken: sealPageToken(l.listing, positions) } : {}), examined, queries };
}

/** '' (not read yet) stands above every sort key. */
function above(a: Cursor, b: Cursor | string): boolean {
  if (a === '') return b !== '';
  if (a === 0) return false;
  if (b === '') return false;
  return a > b;
}
