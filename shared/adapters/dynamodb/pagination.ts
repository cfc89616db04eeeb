import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { invalidNextToken, openPageToken, sealPageToken } from '../page-tokens';

/**
 * Page tokens: a DynamoDB key whose values are all strings, sealed for one listing (see page-tokens.ts:
 * opaque, authenticated, bound to the listing they came from).
 */
export function encodeToken(key: Record<string, unknown> | undefined, listing: string): string | undefined {
  if (!key) return undefined;
  return sealPageToken(listing, key);
}

export function decodeToken(token: string | undefined, listing: string, expectedAttributes: readonly string[]): Record<string, string> | undefined {
  if (token === undefined) return undefined;
  const parsed = openPageToken(listing, token);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidNextToken();
  const entries = Object.entries(parsed as Record<string, unknown>);
  const sameKeys =
    entries.length === expectedAttributes.length && expectedAttributes.every((a) => typeof (parsed as Record<string, unknown>)[a] === 'string');
  if (!sameKeys) throw invalidNextToken();
  return parsed as Record<string, string>;
}

/**
 * What one page may read at most, whatever the filter: items examined (DynamoDB's ScannedCount) and
 * Query requests. A page that reaches the budget before `limit` matches is short (even empty) and carries
 * a nextToken at the boundary, so `GET /projects?label=rare&limit=1` never walks the whole table.
 * DynamoDB returns at most 1 MB a Query, so a page also holds at most ~4 MB of items: with projects
 * bounded by bytes (MAX_TABLES_BYTES), a page of them stays below Lambda's 6 MB response limit.
 */
export const READ_BUDGET = { items: 1000, queries: 4 } as const;

/**
 * Reads one page of at most `limit` matching items, continuing past filtered-out items within the read
 * budget; the token resumes after the last item returned, or after the last one examined at the budget.
 */
export async function queryPage(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
  ix: { partitionKey: string; sortKey: string },
  limit: number,
  nextToken: string | undefined,
  listing: string,
): Promise<{ items: Record<string, unknown>[]; nextToken?: string }> {
  const keyAttributes = [...new Set(['pk', 'sk', ix.partitionKey, ix.sortKey])];
  const positionOf = (item: Record<string, unknown>) => Object.fromEntries(keyAttributes.map((a) => [a, item[a]]));
  let startKey: Record<string, unknown> | undefined = decodeToken(nextToken, listing, keyAttributes);
  let fromToken = startKey !== undefined;
  const itemBudget = Math.max(READ_BUDGET.items, limit);
  let examined = 0;
  let queries = 0;
  const items: Record<string, unknown>[] = [];
  do {
    let out: QueryCommandOutput;
    try {
      out = await client.send(
        new QueryCommand({
          ...input,
          // Unfiltered: one more than the page needs, so a next page is promised only when there is one.
          Limit: input.FilterExpression ? itemBudget - examined : Math.min(limit - items.length + 1, itemBudget - examined),
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
    } catch (e) {
      // A well-formed token whose key does not belong to this listing (another partition): DynamoDB
      // refuses the start key. That is the caller's bad token, not our failure.
      if (fromToken && (e as Error)?.name === 'ValidationException') throw invalidNextToken();
      throw e;
    }
    fromToken = false;
    queries += 1;
    examined += out.ScannedCount ?? out.Items?.length ?? 0;
    for (const item of out.Items ?? []) {
      items.push(item);
      if (items.length === limit) {
        const more = out.LastEvaluatedKey !== undefined || item !== out.Items?.[out.Items.length - 1];
        return { items, ...(more ? { nextToken: encodeToken(positionOf(item), listing) } : {}) };
      }
    }
    startKey = out.LastEvaluatedKey;
    if (startKey && (examined >= itemBudget || queries >= READ_BUDGET.queries)) {
      return { items, nextToken: encodeToken(positionOf(startKey), listing) };
    }
  } while (startKey);
  return { items };
}

/** Runs a query through every page, handing each page's output to `onPage`. */
export async function queryAllPages(client: DynamoDBDocumentClient, input: QueryCommandInput, onPage: (out: QueryCommandOutput) => void): Promise<void> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await client.send(new QueryCommand({ ...input, ...(startKey ? { ExclusiveStartKey: startKey } : {}) }));
    onPage(out);
    startKey = out.LastEvaluatedKey;
  } while (startKey);
}
