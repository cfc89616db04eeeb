import { createHash } from 'node:crypto';
import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Clock } from '../domain/clock';
import { DomainError } from '../domain/errors';
import { logger, metrics, MetricUnit } from '../observability/telemetry';
import type { IdempotencyStore, StoredResponse } from './port';
import { RESPONSE_NOT_STORED_METRIC } from './stored-body';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** Set on a response that was replayed from the store rather than executed. */
export const REPLAYED_HEADER = 'idempotent-replayed';
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'DELETE']);
/** 1 to 255 printable ASCII characters (a UUID is typical). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7E]{1,255}$/;

type HttpEvent = APIGatewayProxyEvent & { parsedBody?: unknown };
type Request = middy.Request<HttpEvent, APIGatewayProxyResult, Error>;

interface Held {
  scope: string;
  key: string;
  token: string;
  fingerprint: string;
}

/** JSON with object keys sorted, so two bodies that differ only in key order or spacing are one request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * What makes two requests with one key the same request: path parameters, query, body, and every header
 * that changes what the request does: If-Match (another version is another request). The caller (and so
 * X-Actor, which only the local API honours) is in the key's scope; Content-Type is not needed: only
 * JSON bodies reach this point, compared parsed.
 */
export function requestFingerprint(event: HttpEvent): string {
  const ifMatch = headerValue(event, 'if-match')?.trim();
  const material = canonicalJson({
    path: event.pathParameters ?? {},
    query: event.queryStringParameters ?? {},
    body: event.parsedBody ?? null,
    ...(ifMatch !== undefined ? { ifMatch } : {}),
  });
  return createHash('sha256').update(material).digest('hex');
}

/** Problem codes that say "nothing happened, try again": never stored, the key is freed. */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set(['CONCURRENT_MODIFICATION', 'IDEMPOTENCY_IN_PROGRESS', 'SERVICE_UNAVAILABLE', 'ORCHESTRATION_UNAVAILABLE']);

/**
 * A final answer is stored and replayed for the key's lifetime: any 2xx, and a 4xx that a retry of the
 * same request would get again (INVALID_STATE, VERSION_MISMATCH, NOT_FOUND, validation, ...). A
 * retryable answer (408, 429, 5xx, or a problem code in RETRYABLE_CODES, e.g. 409 CONCURRENT_MODIFICATION)
 * frees the key so the retry executes.
 */
export function isFinalAnswer(response: Pick<APIGatewayProxyResult, 'statusCode' | 'body'>): boolean {
  const status = response.statusCode;
  if (status >= 200 && status < 300) return true;
  if (status < 400 || status >= 500 || status === 408 || status === 429) return false;
  let code: unknown;
  try {
    code = (JSON.parse(response.body) as { code?: unknown }).code;
  } catch {
    code = undefined;
  }
  return !(typeof code === 'string' && RETRYABLE_CODES.has(code));
}

/** Keys are scoped to the caller and the route: one caller's key never answers another caller. */
export function idempotencyScope(event: HttpEvent, caller: string): string {
  return `${caller} ${event.httpMethod} ${event.resource}`;
}

export const keyReused = () =>
  new DomainError(
    422,
    'IDEMPOTENCY_KEY_REUSED',
    'Idempotency key reused',
    'This Idempotency-Key was used for a different request (path, query, body or If-Match); use a new key for a new request.',
  );

export const keyInProgress = () =>
  new DomainError(
    409,
    'IDEMPOTENCY_IN_PROGRESS',
    'Request in progress',
    'A request with this Idempotency-Key is still being processed; retry in a second to get its response.',
  );

export const responseUnavailable = (statusCode: number) =>
  new DomainError(
    409,
    'IDEMPOTENCY_RESPONSE_UNAVAILABLE',
    'Stored response unavailable',
    `The request with this Idempotency-Key was executed (status ${statusCode}) but its response could not be stored; it is not executed again. Read the current state instead of retrying.`,
    { originalStatus: statusCode },
  );

/** An ERROR log and the metric an alarm watches: a completed request whose response a retry cannot get. */
function responseNotStored(message: string, h: Held, stored: StoredResponse | undefined, error?: unknown): void {
  logger.error(message, {
    metric: RESPONSE_NOT_STORED_METRIC,
    scope: h.scope,
    ...(stored ? { statusCode: stored.statusCode, bodyBytes: Buffer.byteLength(stored.body, 'utf8') } : {}),
    ...(error ? { error: (error as Error)?.name, detail: (error as Error)?.message } : {}),
  });
  const single = metrics.singleMetric();
  single.addMetric(RESPONSE_NOT_STORED_METRIC, MetricUnit.Count, 1);
}

function headerValue(event: HttpEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  const value = headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  return value ?? undefined;
}

const headerOf = (event: HttpEvent) => headerValue(event, IDEMPOTENCY_HEADER);

export interface IdempotencyOptions {
  /** Resolved per request, so tests and the local runtime can swap the store and clock. */
  resolve: () => { store: IdempotencyStore; clock: Clock };
  callerOf: (event: HttpEvent) => string;
}

/**
 * Idempotency-Key on POST/PUT/DELETE. Runs after validation (a request that fails validation never
 * claims a key) and before the handler. A completed key replays its stored response without running
 * the handler; the same key with another request is 422; a key whose request is still running is 409.
 * Final answers are stored (isFinalAnswer: 2xx and non-retryable 4xx); any other answer releases the key
 * so a retry executes again.
 * Must be `use`d before the problem+json error handler, so that its onError sees the problem response.
 */
export function idempotency(options: IdempotencyOptions): middy.MiddlewareObj<HttpEvent, APIGatewayProxyResult> {
  const held = new WeakMap<object, Held & { store: IdempotencyStore; clock: Clock }>();

  const finish = async (request: Request, response: APIGatewayProxyResult | null | undefined) => {
    const h = held.get(request);
    if (!h) return;
    held.delete(request);
    try {
      if (response && isFinalAnswer(response)) {
        const stored: StoredResponse = {
          statusCode: response.statusCode,
          headers: Object.fromEntries(Object.entries(response.headers ?? {}).map(([k, v]) => [k, String(v)])),
          body: response.isBase64Encoded ? Buffer.from(response.body, 'base64').toString('utf8') : response.body,
        };
        const outcome = await h.store.complete({ scope: h.scope, key: h.key, token: h.token, fingerprint: h.fingerprint, response: stored, nowMs: h.clock.nowMs() });
        if (outcome === 'stored-without-response') {
          responseNotStored('idempotency response not stored: a retry with this key is answered IDEMPOTENCY_RESPONSE_UNAVAILABLE', h, stored);
        }
      } else {
        await h.store.release({ scope: h.scope, key: h.key, token: h.token });
      }
    } catch (e) {
      // The request itself is done; a key we could not record at all expires with its lease.
      if (response && isFinalAnswer(response)) responseNotStored('idempotency record not completed: a retry after the lease executes again', h, undefined, e);
      else logger.warn('idempotency key not released', { error: (e as Error)?.name, detail: (e as Error)?.message });
    }
  };

  return {
    before: async (request: Request) => {
      const { event } = request;
      if (!IDEMPOTENT_METHODS.has(event.httpMethod)) return;
      const key = headerOf(event);
      if (key === undefined) return;
      if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
        throw new DomainError(400, 'VALIDATION_FAILED', 'Request validation failed', 'Idempotency-Key must be 1 to 255 printable ASCII characters.', {
          issues: [{ path: ['headers', IDEMPOTENCY_HEADER], code: 'invalid_format', message: 'expected 1 to 255 printable ASCII characters' }],
        });
      }
      const { store, clock } = options.resolve();
      const scope = idempotencyScope(event, options.callerOf(event));
      const fingerprint = requestFingerprint(event);
      const result = await store.claim({ scope, key, fingerprint, nowMs: clock.nowMs() });
      switch (result.outcome) {
        case 'claimed':
          held.set(request, { scope, key, token: result.token, fingerprint, store, clock });
          return;
        case 'completed':
          if (result.fingerprint !== fingerprint) throw keyReused();
          return { ...result.response, headers: { ...result.response.headers, [REPLAYED_HEADER]: 'true' } };
        case 'completed-without-response':
          if (result.fingerprint !== fingerprint) throw keyReused();
          throw responseUnavailable(result.statusCode);
        case 'in-progress':
          if (result.fingerprint !== fingerprint) throw keyReused();
          throw keyInProgress();
      }
    },
    after: async (request: Request) => finish(request, request.response),
    onError: async (request: Request) => finish(request, request.response),
  };
}
