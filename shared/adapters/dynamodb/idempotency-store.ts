import { createHash, randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  DEFAULT_IDEMPOTENCY_TIMES,
  type ClaimResult,
  type CompleteOutcome,
  type IdempotencyClaim,
  type IdempotencyStore,
  type IdempotencyTimes,
  type StoredResponse,
} from '../../idempotency/port';
import { packBody, unpackBody } from '../../idempotency/stored-body';
import { TABLE, keys } from '../../table';
import { Expression } from './conditions';

interface IdempotencyItem {
  state: 'IN_PROGRESS' | 'COMPLETED';
  fingerprint: string;
  token: string;
  leaseUntil?: number;
  ttl: number;
  /** Records written before bodies were compressed: the whole response as a map. */
  response?: StoredResponse;
  statusCode?: number;
  headers?: Record<string, string>;
  /** The gzipped body; absent on a COMPLETED record whose response could not be stored. */
  bodyGz?: Uint8Array;
}

/** What a COMPLETED record answers a claim with. */
function completedResult(held: IdempotencyItem): ClaimResult {
  if (held.response) return { outcome: 'completed', fingerprint: held.fingerprint, response: held.response };
  const statusCode = held.statusCode ?? 0;
  if (held.bodyGz === undefined) return { outcome: 'completed-without-response', fingerprint: held.fingerprint, statusCode };
  return { outcome: 'completed', fingerprint: held.fingerprint, response: { statusCode, headers: held.headers ?? {}, body: unpackBody(held.bodyGz) } };
}

const MAX_CLAIM_ATTEMPTS = 4;

/** The record's key: a digest of scope and key, so any printable key of up to 255 characters fits. */
export function idempotencyDigest(scope: string, key: string): string {
  return createHash('sha256').update(scope).update('\u0000').update(key).digest('hex');
}

/** `Item` on a failed condition may arrive marshalled even through the document client. */
function plainItem(item: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!item) return undefined;
  const marshalled = Object.values(item).every((v) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1);
  return marshalled ? unmarshall(item as Parameters<typeof unmarshall>[0]) : item;
}

/**
 * Idempotency records in the projects table: a conditional put claims a key (IN_PROGRESS, absent or
 * expired), a put conditioned on the claim token completes it, a delete on the same condition releases it.
 * DynamoDB's TTL removes records after `ttl`; until it does, the condition treats them as absent.
 */
export class DynamoIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly times: IdempotencyTimes = DEFAULT_IDEMPOTENCY_TIMES,
  ) {}

  async claim(c: IdempotencyClaim): Promise<ClaimResult> {
    const key = keys.idempotency(idempotencyDigest(c.scope, c.key));
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      const token = randomUUID();
      const x = new Expression();
      const ttl = x.name(TABLE.ttlAttribute);
      const condition = [
        `attribute_not_exists(${x.name('pk')})`,
        `${ttl} <= ${x.value(Math.floor(c.nowMs / 1000))}`,
        `(${x.name('state')} = ${x.value('IN_PROGRESS')} AND ${x.name('leaseUntil')} <= ${x.value(c.nowMs)})`,
      ].join(' OR ');
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.table,
            Item: {
              ...key,
              state: 'IN_PROGRESS',
              scope: c.scope,
              fingerprint: c.fingerprint,
              token,
              leaseUntil: c.nowMs + this.times.leaseMs,
              [TABLE.ttlAttribute]: Math.ceil((c.nowMs + this.times.ttlMs) / 1000),
            },
            ConditionExpression: condition,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            ...x.attributes(),
          }),
        );
        return { outcome: 'claimed', token };
      } catch (e) {
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
        const held =
          (plainItem(e.Item as Record<string, unknown> | undefined) as IdempotencyItem | undefined) ??
          ((await this.client.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }))).Item as IdempotencyItem | undefined);
        if (!held) continue; // released between our put and our read: claim again
        if (held.state === 'COMPLETED') return completedResult(held);
        return { outcome: 'in-progress', fingerprint: held.fingerprint };
      }
    }
    return { outcome: 'in-progress', fingerprint: c.fingerprint };
  }

  /**
   * Completes the key with the gzipped response (binary attribute). When that cannot be written (over the
   * item limit even compressed, or the write failed), the key is still completed, without the body, so a
   * retry is answered with a problem instead of executing again.
   */
  async complete(a: { scope: string; key: string; token: string; fingerprint: string; response: StoredResponse; nowMs: number }): Promise<CompleteOutcome> {
    const record = {
      ...keys.idempotency(idempotencyDigest(a.scope, a.key)),
      state: 'COMPLETED',
      scope: a.scope,
      fingerprint: a.fingerprint,
      token: a.token,
      statusCode: a.response.statusCode,
      completedAt: new Date(a.nowMs).toISOString(),
      [TABLE.ttlAttribute]: Math.ceil((a.nowMs + this.times.ttlMs) / 1000),
    };
    const packed = packBody(a.response.body);
    let failure: unknown;
    if (packed) {
      try {
        return await this.putCompleted({ ...record, headers: a.response.headers, bodyGz: packed }, a.token);
      } catch (e) {
        failure = e; // e.g. ValidationException (item size) or throttling past the SDK's retries
      }
    }
    try {
      const outcome = await this.putCompleted(record, a.token);
      return outcome === 'superseded' ? outcome : 'stored-without-response';
    } catch (e) {
      throw failure ?? e;
    }
  }

  private async putCompleted(item: Record<string, unknown>, token: string): Promise<'stored' | 'superseded'> {
    const x = new Expression();
    try {
      await this.client.send(
        new PutCommand({ TableName: this.table, Item: item, ConditionExpression: `${x.name('token')} = ${x.value(token)}`, ...x.attributes() }),
      );
      return 'stored';
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return 'superseded'; // lost the lease: the newer claim owns the key
      throw e;
    }
  }

  async release(a: { scope: string; key: string; token: string }): Promise<void> {
    const x = new Expression();
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.table,
          Key: keys.idempotency(idempotencyDigest(a.scope, a.key)),
          ConditionExpression: `${x.name('token')} = ${x.value(a.token)}`,
          ...x.attributes(),
        }),
      );
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
    }
  }
}
