import { randomUUID } from 'node:crypto';
import {
  DEFAULT_IDEMPOTENCY_TIMES,
  type ClaimResult,
  type CompleteOutcome,
  type IdempotencyClaim,
  type IdempotencyStore,
  type IdempotencyTimes,
  type StoredResponse,
} from '../../idempotency/port';
import { packBody } from '../../idempotency/stored-body';

interface Entry {
  fingerprint: string;
  token: string;
  state: 'IN_PROGRESS' | 'COMPLETED';
  leaseUntilMs: number;
  expiresAtMs: number;
  response?: StoredResponse;
  statusCode?: number;
}

/** In-memory IdempotencyStore with the same rules as the DynamoDB adapter (for unit tests and fakes). */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly entries = new Map<string, Entry>();

  constructor(private readonly times: IdempotencyTimes = DEFAULT_IDEMPOTENCY_TIMES) {}

  private id(scope: string, key: string) {
    return `${scope}\n${key}`;
  }

  async claim(c: IdempotencyClaim): Promise<ClaimResult> {
    const id = this.id(c.scope, c.key);
    const held = this.entries.get(id);
    const free = !held || held.expiresAtMs <= c.nowMs || (held.state === 'IN_PROGRESS' && held.leaseUntilMs <= c.nowMs);
    if (free) {
      const token = randomUUID();
      this.entries.set(id, {
        fingerprint: c.fingerprint,
        token,
        state: 'IN_PROGRESS',
        leaseUntilMs: c.nowMs + this.times.leaseMs,
        expiresAtMs: c.nowMs + this.times.ttlMs,
      });
      return { outcome: 'claimed', token };
    }
    if (held.state === 'COMPLETED') {
      if (held.response) return { outcome: 'completed', fingerprint: held.fingerprint, response: structuredClone(held.response) };
      return { outcome: 'completed-without-response', fingerprint: held.fingerprint, statusCode: held.statusCode ?? 0 };
    }
    return { outcome: 'in-progress', fingerprint: held.fingerprint };
  }

  /** Keeps what the DynamoDB adapter could keep: a body over the bound even gzipped completes the key without it. */
  async complete(a: { scope: string; key: string; token: string; fingerprint: string; response: StoredResponse; nowMs: number }): Promise<CompleteOutcome> {
    const id = this.id(a.scope, a.key);
    if (this.entries.get(id)?.token !== a.token) return 'superseded';
    const fits = packBody(a.response.body) !== undefined;
    this.entries.set(id, {
      fingerprint: a.fingerprint,
      token: a.token,
      state: 'COMPLETED',
      leaseUntilMs: 0,
      expiresAtMs: a.nowMs + this.times.ttlMs,
      statusCode: a.response.statusCode,
      ...(fits ? { response: structuredClone(a.response) } : {}),
    });
    return fits ? 'stored' : 'stored-without-response';
  }

  async release(a: { scope: string; key: string; token: string }): Promise<void> {
    const id = this.id(a.scope, a.key);
    if (this.entries.get(id)?.token === a.token) this.entries.delete(id);
  }
}
