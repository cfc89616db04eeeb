import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { localDocumentClient } from '../../infra/local/dynamodb-local';
import { DynamoIdempotencyStore } from '../../shared/adapters/dynamodb/idempotency-store';
import { MemoryIdempotencyStore } from '../../shared/adapters/memory/idempotency-store';
import type { IdempotencyStore } from '../../shared/idempotency/port';
import { useLocalTable } from '../support/harness';

const TIMES = { ttlMs: 24 * 3600_000, leaseMs: 60_000 };
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const response = { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };

/** The execute response of a 1,000-project batch with long project names: about 450 KB of JSON. */
function bigBatchResponse(): { statusCode: number; headers: Record<string, string>; body: string } {
  const results = Array.from({ length: 1000 }, (_, i) => ({
    projectId: randomUUID(),
    name: `warehouse-orders-archive-migration-eu-west-1-tenant-${String(i).padStart(4, '0')}-`.padEnd(215, 'x'),
    outcome: 'SUCCEEDED',
    status: 'PAUSED',
    version: 7,
    updatedAt: '2026-01-01T00:00:00.000Z',
    allowedActions: ['resume', 'release', 'modify-alert-config', 'skip-full-verification'],
  }));
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ batchId: randomUUID(), operation: 'pause', results }) };
}

/** A body gzip cannot shrink (random bytes, base64): past DynamoDB's 400 KB item limit even compressed. */
const incompressible = (bytes: number) => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ blob: randomBytes(bytes).toString('base64') }) });

/** The same contract for the DynamoDB adapter and the in-memory fake. */
describe.each([
  ['memory', async (): Promise<IdempotencyStore> => new MemoryIdempotencyStore(TIMES)],
  [
    'DynamoDB Local',
    async (): Promise<IdempotencyStore> => {
      const { tableName, endpoint } = await useLocalTable();
      return new DynamoIdempotencyStore(localDocumentClient(endpoint), tableName, TIMES);
    },
  ],
])('IdempotencyStore contract (%s)', (_name, make) => {
  let store: IdempotencyStore;
  const claim = (key: string, nowMs = T0, fingerprint = 'fp') => store.claim({ scope: 's', key, fingerprint, nowMs });

  beforeAll(async () => {
    store = await make();
  });

  it('of 10 concurrent claims of one key exactly one wins', async () => {
    // Prepare
    const key = randomUUID();

    // Act
    const results = await Promise.all(Array.from({ length: 10 }, () => claim(key)));

    // Assess
    expect(results.filter((r) => r.outcome === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'in-progress')).toHaveLength(9);
  });

  it('a completed key returns its response and fingerprint', async () => {
    // Prepare
    const key = randomUUID();
    const c = await claim(key);
    if (c.outcome !== 'claimed') throw new Error('not claimed');

    // Act
    await store.complete({ scope: 's', key, token: c.token, fingerprint: 'fp', response, nowMs: T0 });
    const again = await claim(key, T0 + 1000, 'other');

    // Assess
    expect(again).toEqual({ outcome: 'completed', fingerprint: 'fp', response });
  });

  it('a released key can be claimed again; a stale token neither completes nor releases', async () => {
    // Prepare
    const key = randomUUID();
    const first = await claim(key);
    if (first.outcome !== 'claimed') throw new Error('not claimed');
    await store.release({ scope: 's', key, token: first.token });

    // Act
    const second = await claim(key);
    await store.release({ scope: 's', key, token: first.token });
    await store.complete({ scope: 's', key, token: first.token, fingerprint: 'fp', response, nowMs: T0 });
    const third = await claim(key);

    // Assess
    expect(second.outcome).toBe('claimed');
    expect(third.outcome).toBe('in-progress');
  });

  it('an IN_PROGRESS claim stops blocking once its lease ends; a completed one lives until ttl', async () => {
    // Prepare
    const abandoned = randomUUID();
    const done = randomUUID();
    await claim(abandoned);
    const c = await claim(done);
    if (c.outcome !== 'claimed') throw new Error('not claimed');
    await store.complete({ scope: 's', key: done, token: c.token, fingerprint: 'fp', response, nowMs: T0 });

    // Act
    const beforeLease = await claim(abandoned, T0 + TIMES.leaseMs - 1);
    const afterLease = await claim(abandoned, T0 + TIMES.leaseMs);
    const beforeTtl = await claim(done, T0 + TIMES.ttlMs - 1000);
    const afterTtl = await claim(done, T0 + TIMES.ttlMs + 1000);

    // Assess
    expect(beforeLease.outcome).toBe('in-progress');
    expect(afterLease.outcome).toBe('claimed');
    expect(beforeTtl.outcome).toBe('completed');
    expect(afterTtl.outcome).toBe('claimed');
  });

  it('scopes keep keys apart', async () => {
    // Prepare
    const key = randomUUID();
    await store.claim({ scope: 'caller-a POST /projects', key, fingerprint: 'fp', nowMs: T0 });

    // Act
    const other = await store.claim({ scope: 'caller-b POST /projects', key, fingerprint: 'fp', nowMs: T0 });

    // Assess
    expect(other.outcome).toBe('claimed');
  });

  it('a 1,000-project batch response of ~450 KB (over the 400 KB item limit as plain JSON) is stored and replayed byte for byte', async () => {
    // Prepare
    const key = randomUUID();
    const big = bigBatchResponse();
    const c = await claim(key);
    if (c.outcome !== 'claimed') throw new Error('not claimed');

    // Act
    const stored = await store.complete({ scope: 's', key, token: c.token, fingerprint: 'fp', response: big, nowMs: T0 });
    const replay = await claim(key, T0 + 1000);

    // Assess
    expect(Buffer.byteLength(big.body)).toBeGreaterThan(440 * 1024);
    expect(stored).toBe('stored');
    expect(replay).toEqual({ outcome: 'completed', fingerprint: 'fp', response: big });
  });

  it.each([
    ['just over the limit', 420 * 1024],
    ['far over it', 2 * 1024 * 1024],
  ])('a response that cannot be stored even compressed (%s) still completes the key: a retry never executes again', async (_what, bytes) => {
    // Prepare
    const key = randomUUID();
    const c = await claim(key);
    if (c.outcome !== 'claimed') throw new Error('not claimed');

    // Act
    const stored = await store.complete({ scope: 's', key, token: c.token, fingerprint: 'fp', response: incompressible(bytes), nowMs: T0 });
    const retry = await claim(key, T0 + TIMES.leaseMs + 1000);

    // Assess
    expect(stored).toBe('stored-without-response');
    expect(retry).toEqual({ outcome: 'completed-without-response', fingerprint: 'fp', statusCode: 200 });
  });

  it('a response just under the limit is stored whole', async () => {
    // Prepare: random bytes stay about their size under gzip: ~220 KB compressed is below what the store keeps
    const key = randomUUID();
    const body = incompressible(220 * 1024);
    const c = await claim(key);
    if (c.outcome !== 'claimed') throw new Error('not claimed');

    // Act
    const stored = await store.complete({ scope: 's', key, token: c.token, fingerprint: 'fp', response: body, nowMs: T0 });
    const replay = await claim(key, T0 + 1000);

    // Assess
    expect(stored).toBe('stored');
    expect(replay).toEqual({ outcome: 'completed', fingerprint: 'fp', response: body });
  });
});
