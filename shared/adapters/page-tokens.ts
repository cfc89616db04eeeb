import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../domain/errors';

/**
 * Page tokens are opaque and authenticated: `<base64url JSON position>.<base64url HMAC-SHA256>`, the MAC
 * taken over the listing the token belongs to (e.g. `projects|status=|label=x`) and the position. A token
 * edited, cut, made up, or taken from another listing is `400 INVALID_NEXT_TOKEN` before any read.
 *
 * The key: `PAGE_TOKEN_KEY` when set (a deployment secret, e.g. from Secrets Manager: then nobody without
 * it can make a token); otherwise derived from the table name and the region, which differ per
 * deployment (CloudFormation names the table with a random suffix): a caller cannot edit or forge a
 * token without knowing them. The local runtime and tests (DynamoDB Local, `DYNAMODB_ENDPOINT`) use a
 * fixed development key with the table name.
 */
const MAC_BYTES = 16;

export function pageTokenKey(env: NodeJS.ProcessEnv = process.env): Buffer {
  if (env.PAGE_TOKEN_KEY) return createHash('sha256').update(`page-token-key\0${env.PAGE_TOKEN_KEY}`).digest();
  const base = env.DYNAMODB_ENDPOINT ? 'local-development-page-token-key' : `deployment\0${env.AWS_REGION ?? ''}`;
  return createHash('sha256').update(`page-token\0${base}\0${env.TABLE_NAME ?? ''}`).digest();
}

const mac = (listing: string, payload: string) => createHmac('sha256', pageTokenKey()).update(`${listing}\n${payload}`).digest().subarray(0, MAC_BYTES);

export const invalidNextToken = () =>
  new DomainError(400, 'INVALID_NEXT_TOKEN', 'Invalid page token', 'nextToken is not a token this API returned for this listing.');

/** Seals a position (any JSON value) for one listing. */
export function sealPageToken(listing: string, position: unknown): string {
  const payload = Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
  return `${payload}.${mac(listing, payload).toString('base64url')}`;
}

/** The position a token of this listing holds; any other token is INVALID_NEXT_TOKEN. */
export function openPageToken(listing: string, token: string): unknown {
  const [payload, tag, ...rest] = token.split('.');
  if (!payload || !tag || rest.length > 0) throw invalidNextToken();
  const given = Buffer.from(tag, 'base64url');
  const expected = mac(listing, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected) || given.toString('base64url') !== tag) throw invalidNextToken();
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
  } catch {
    throw invalidNextToken();
  }
}

/** The listing a project page token is bound to: the collection and its filters. */
export const projectListing = (q: { status?: string | undefined; label?: string | undefined }) => JSON.stringify(['projects', q.status ?? null, q.label ?? null]);
