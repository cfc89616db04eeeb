import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { isFinalAnswer, requestFingerprint } from '../../shared/idempotency/middleware';

const event = (headers: Record<string, string>, body: unknown = { level: 'LOW' }) =>
  ({ pathParameters: { id: 'p-1' }, queryStringParameters: null, headers, parsedBody: body }) as unknown as APIGatewayProxyEvent & { parsedBody?: unknown };

const problem = (statusCode: number, code: string) => ({ statusCode, body: JSON.stringify({ status: statusCode, code }) });

describe('what an Idempotency-Key stores', () => {
  it.each([
    [200, 'ok'],
    [201, 'ok'],
    [204, ''],
    [400, 'VALIDATION_FAILED'],
    [404, 'PROJECT_NOT_FOUND'],
    [409, 'INVALID_STATE'],
    [409, 'PAUSE_EXPIRED'],
    [409, 'NAME_TAKEN'],
    [412, 'VERSION_MISMATCH'],
  ])('%i %s is a final answer: stored and replayed', (status, code) => {
    // Act / Assess
    expect(isFinalAnswer(problem(status, code))).toBe(true);
  });

  it.each([
    [409, 'CONCURRENT_MODIFICATION'],
    [409, 'IDEMPOTENCY_IN_PROGRESS'],
    [408, 'REQUEST_TIMEOUT'],
    [429, 'TOO_MANY_REQUESTS'],
    [500, 'INTERNAL_ERROR'],
    [503, 'SERVICE_UNAVAILABLE'],
    [503, 'ORCHESTRATION_UNAVAILABLE'],
    [504, 'GATEWAY_TIMEOUT'],
  ])('%i %s is retryable: never stored, the key is freed', (status, code) => {
    // Act / Assess
    expect(isFinalAnswer(problem(status, code))).toBe(false);
  });

  it('a 4xx whose body is not JSON is still final (the code decides only when there is one)', () => {
    // Act / Assess
    expect(isFinalAnswer({ statusCode: 404, body: 'not found' })).toBe(true);
  });
});

describe('the request fingerprint', () => {
  it('If-Match is part of it: another version, or none, is another request', () => {
    // Act
    const v1 = requestFingerprint(event({ 'if-match': '"1"' }));
    const v1Spaced = requestFingerprint(event({ 'if-match': ' "1" ' }));
    const v2 = requestFingerprint(event({ 'if-match': '"2"' }));
    const none = requestFingerprint(event({}));
    const upper = requestFingerprint(event({ 'If-Match': '"2"' }));

    // Assess
    expect(v1).toBe(v1Spaced);
    expect(v1).not.toBe(v2);
    expect(v1).not.toBe(none);
    expect(upper).toBe(v2);
  });

  it('headers that do not change the request (content-type spelling, user-agent, the key itself) leave it alone', () => {
    // Act
    const a = requestFingerprint(event({ 'content-type': 'application/json', 'user-agent': 'curl', 'idempotency-key': 'a' }));
    const b = requestFingerprint(event({ 'content-type': 'application/json; charset=utf-8', 'idempotency-key': 'a' }));

    // Assess
    expect(a).toBe(b);
  });

  it('body key order does not matter, a value does', () => {
    // Act / Assess
    expect(requestFingerprint(event({}, { a: 1, b: 2 }))).toBe(requestFingerprint(event({}, { b: 2, a: 1 })));
    expect(requestFingerprint(event({}, { a: 1 }))).not.toBe(requestFingerprint(event({}, { a: 2 })));
  });
});
