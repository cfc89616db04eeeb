import { randomBytes, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { httpHandler, json } from '../../shared/http/middleware';
import type { IdempotencyStore } from '../../shared/idempotency/port';
import { RESPONSE_NOT_STORED_METRIC } from '../../shared/idempotency/stored-body';
import { logger } from '../../shared/observability/telemetry';
import { getDeps, overrideDeps } from '../../shared/runtime';
import { useLocalTable } from '../support/harness';

/** A POST route whose answer is as large as the test says: counts how often it really ran. */
function bigAnswerRoute(bodyOf: () => unknown) {
  const runs = { count: 0 };
  const handler = httpHandler({}, async () => {
    runs.count += 1;
    return json(200, bodyOf());
  });
  const send = async (key: string): Promise<APIGatewayProxyResult> => {
    const event = {
      resource: '/batch-operations',
      path: '/batch-operations',
      httpMethod: 'POST',
      headers: { 'Idempotency-Key': key },
      multiValueHeaders: { 'Idempotency-Key': [key] },
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: { requestId: randomUUID(), identity: { userArn: 'arn:aws:iam::123456789012:user/tester' } },
    } as unknown as APIGatewayProxyEvent;
    return (await handler(event as Parameters<typeof handler>[0], { awsRequestId: randomUUID() } as Context)) as APIGatewayProxyResult;
  };
  return { runs, send };
}

describe('an Idempotency-Key whose response is too large to store (DynamoDB Local)', () => {
  let realStore: IdempotencyStore;

  beforeAll(async () => {
    await useLocalTable();
    realStore = getDeps().idempotency;
  });

  afterEach(() => {
    overrideDeps({ idempotency: realStore });
    vi.restoreAllMocks();
  });

  it('a ~450 KB batch answer is replayed whole, and nothing runs twice', async () => {
    // Prepare
    const results = Array.from({ length: 1000 }, (_, i) => ({ projectId: randomUUID(), name: `tenant-${i}-`.padEnd(400, 'n'), outcome: 'SUCCEEDED' }));
    const route = bigAnswerRoute(() => ({ results }));
    const key = randomUUID();

    // Act
    const first = await route.send(key);
    const replay = await route.send(key);

    // Assess
    expect(first.body.length).toBeGreaterThan(400 * 1024);
    expect(replay.statusCode).toBe(200);
    expect(replay.headers?.['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(first.body);
    expect(route.runs.count).toBe(1);
  });

  it('an answer too large even compressed: the retry is 409 IDEMPOTENCY_RESPONSE_UNAVAILABLE, never a second run, and an ERROR names the metric', async () => {
    // Prepare
    const errors = vi.spyOn(logger, 'error');
    const route = bigAnswerRoute(() => ({ blob: randomBytes(600 * 1024).toString('base64') }));
    const key = randomUUID();

    // Act
    const first = await route.send(key);
    const retry = await route.send(key);
    const again = await route.send(key);

    // Assess
    expect(first.statusCode).toBe(200);
    expect(retry.statusCode).toBe(409);
    expect(retry.headers?.['content-type']).toBe('application/problem+json');
    expect(JSON.parse(retry.body)).toMatchObject({ code: 'IDEMPOTENCY_RESPONSE_UNAVAILABLE', originalStatus: 200 });
    expect(again.statusCode).toBe(409);
    expect(route.runs.count).toBe(1);
    expect(errors).toHaveBeenCalledWith(expect.any(String), expect.objectContaining({ metric: RESPONSE_NOT_STORED_METRIC, statusCode: 200 }));
  });

  it('when the store cannot complete the key at all, the ERROR with the metric is logged (not a quiet warning)', async () => {
    // Prepare
    const errors = vi.spyOn(logger, 'error');
    overrideDeps({
      idempotency: {
        claim: (c) => realStore.claim(c),
        release: (a) => realStore.release(a),
        complete: async () => {
          throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
        },
      },
    });
    const route = bigAnswerRoute(() => ({ ok: true }));

    // Act
    const first = await route.send(randomUUID());

    // Assess
    expect(first.statusCode).toBe(200);
    expect(errors).toHaveBeenCalledWith(expect.any(String), expect.objectContaining({ metric: RESPONSE_NOT_STORED_METRIC, error: 'ProvisionedThroughputExceededException' }));
  });
});
