import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../../domain/errors';

/** Opaque page tokens: base64url JSON of a DynamoDB key whose values are all strings. */
export function encodeToken(key: Record<string, unknown> | undefined): string | undefined {
  if (!key) return undefined;
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

const invalidToken = () => new DomainError(400, 'INVALID_NEXT_TOKEN', 'Invalid page token', 'nextToken is not a token this API returned for this listing.');

export function decodeToken(token: string | undefined, expectedAttributes: readonly string[]): Record<string, string> | undefined {
  if (token === undefined) return undefined;
  const invalid = invalidToken;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid();
  const entries = Object.entries(parsed as Record<string, unknown>);
  const sameKeys =
    entries.length === expectedAttributes.length && expectedAttributes.every((a) => typeof (parsed as Record<string, unknown>)[a] === 'string');
  if (!sameKeys) throw invalid();
  return parsed as Record<string, string>;
}

/** Reads one page of at most `limit` matching items, continuing past filtered-out items; the token resumes after the last one returned. */
export async function queryPage(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
  ix: { partitionKey: string; sortKey: string },
  limit: number,
  nextToken: string | undefined,
): Promise<{ items: Record<string, unknown>[]; nextToken?: string }> {
  const keyAttributes = ['pk', 'sk', ix.partitionKey, ix.sortKey];
  let startKey: Record<string, unknown> | undefined = decodeToken(nextToken, keyAttributes);
  let fromToken = startKey !== undefined;
  const items: Record<string, unknown>[] = [];
  do {
    let out: QueryCommandOutput;
    try {
      out = await client.send(
        new QueryCommand({
          ...input,
          Limit: input.FilterExpression ? Math.max(limit, 100) : limit - items.length,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
    } catch (e) {
      // A well-formed token whose key does not belong to this listing (another partition): DynamoDB
      // refuses the start key. That is the caller's bad token, not our failure.
      if (fromToken && (e as Error)?.name === 'ValidationException') throw invalidToken();
      throw e;
    }
    fromToken = false;
    for (const item of out.Items ?? []) {
      items.push(item);
      if (items.length === limit) {
        const last = Object.fromEntries(keyAttributes.map((a) => [a, item[a]]));
        const more = out.LastEvaluatedKey !== undefined || item !== out.Items?.[out.Items.length - 1];
        return { items, ...(more ? { nextToken: encodeToken(last) } : {}) };
      }
    }
    startKey = out.LastEvaluatedKey;
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
