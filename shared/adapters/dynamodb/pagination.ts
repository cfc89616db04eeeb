import { DomainError } from '../../domain/errors';

/** Opaque page tokens: base64url JSON of a DynamoDB key whose values are all strings. */
export function encodeToken(key: Record<string, unknown> | undefined): string | undefined {
  if (!key) return undefined;
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeToken(token: string | undefined, expectedAttributes: readonly string[]): Record<string, string> | undefined {
  if (token === undefined) return undefined;
  const invalid = () =>
    new DomainError(400, 'INVALID_NEXT_TOKEN', 'Invalid page token', 'nextToken is not a token this API returned for this listing.');
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
