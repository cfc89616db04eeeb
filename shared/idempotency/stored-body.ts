import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * Stored response bodies are gzipped into a binary attribute: a 1,000-project batch answer of ~450 KB
 * of JSON (DynamoDB items stop at 400 KB) shrinks to a few tens of KB. A body still over this bound
 * once compressed is not stored at all (the record keeps only its status: see the port).
 */
export const MAX_STORED_BODY_BYTES = 350 * 1024;

/** The gzipped body, or undefined when even compressed it is over MAX_STORED_BODY_BYTES. */
export function packBody(body: string): Buffer | undefined {
  const packed = gzipSync(Buffer.from(body, 'utf8'));
  return packed.length <= MAX_STORED_BODY_BYTES ? packed : undefined;
}

export function unpackBody(packed: Uint8Array): string {
  return gunzipSync(packed).toString('utf8');
}

/** The metric (namespace MigrationControlPlane, dimension service) an alarm watches: a response was not stored. */
export const RESPONSE_NOT_STORED_METRIC = 'IdempotencyResponseNotStored';
