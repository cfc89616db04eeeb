/**
 * Idempotency: one small store for single and batch calls alike. A caller claims a key (scoped to a
 * route and a caller) for a request fingerprint; exactly one claim of a live key wins. The winner
 * completes the key with the response it gave, or releases it when the request failed on our side.
 * Pure port: adapters (DynamoDB, in-memory) implement it.
 */

/** How long a completed key answers replays (DynamoDB TTL attribute `ttl`): at least 24 h. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * How long an IN_PROGRESS claim blocks others. Longer than any API function runs (API Gateway stops
 * waiting after 29 s), so a claim whose function died stops blocking the key soon after.
 */
export const IDEMPOTENCY_LEASE_MS = 60 * 1000;

/** The response a completed request gave, replayed byte for byte. */
export interface StoredResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface IdempotencyClaim {
  /** What the key is scoped to, e.g. `<caller> POST /projects/{id}/pause` or `<caller> batch`. */
  scope: string;
  /** The caller's Idempotency-Key. */
  key: string;
  /** A digest of the request (path, query, body): the same key with another fingerprint is a misuse. */
  fingerprint: string;
  nowMs: number;
}

export type ClaimResult =
  /** This caller holds the key and must complete or release it with `token`. */
  | { outcome: 'claimed'; token: string }
  /** Another request holds the key and has not finished. */
  | { outcome: 'in-progress'; fingerprint: string }
  /** A request with this key finished: its response is replayed. */
  | { outcome: 'completed'; fingerprint: string; response: StoredResponse }
  /**
   * A request with this key finished but its response could not be stored (too large even compressed,
   * or the full write failed): it is never executed again; the caller gets a clear problem instead.
   */
  | { outcome: 'completed-without-response'; fingerprint: string; statusCode: number };

/**
 * What `complete` did: stored the response; stored only that the request completed (and its status);
 * or nothing, because a newer claim owns the key (this one outlived its lease).
 */
export type CompleteOutcome = 'stored' | 'stored-without-response' | 'superseded';

export interface IdempotencyStore {
  /**
   * Claims the key: succeeds when no record exists, the record expired (ttl), or an IN_PROGRESS claim
   * outlived its lease. Otherwise returns what the key holds. Atomic: of concurrent claims one wins.
   */
  claim(claim: IdempotencyClaim): Promise<ClaimResult>;
  /**
   * Stores the response of the claimed request (only while `token` still holds the key). A response that
   * cannot be stored still completes the key, without it ('stored-without-response'); throws only when
   * not even that could be written.
   */
  complete(args: { scope: string; key: string; token: string; fingerprint: string; response: StoredResponse; nowMs: number }): Promise<CompleteOutcome>;
  /** Frees the key so a retry executes again (only while `token` still holds it). */
  release(args: { scope: string; key: string; token: string }): Promise<void>;
}

export interface IdempotencyTimes {
  ttlMs: number;
  leaseMs: number;
}

export const DEFAULT_IDEMPOTENCY_TIMES: IdempotencyTimes = { ttlMs: IDEMPOTENCY_TTL_MS, leaseMs: IDEMPOTENCY_LEASE_MS };
