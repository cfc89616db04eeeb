import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ApiClient } from '../../shared/cli/client';
import { regionOfEndpoint, resolveRegion, shouldSign, signRequest } from '../../shared/cli/sigv4';

/** The AWS SigV4 test suite's example credentials, scope and time (get-vanilla and friends). */
const SUITE = {
  region: 'us-east-1',
  service: 'service',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  signingDate: new Date('2015-08-30T12:36:00Z'),
};
const SCOPE = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=';

describe('SigV4 signing', () => {
  it('get-vanilla: GET / on example.amazonaws.com signs to the published signature', async () => {
    // Act
    const headers = await signRequest({ method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {} }, SUITE);

    // Assess
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
    expect(headers.authorization).toBe(`${SCOPE}5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31`);
  });

  it('get-vanilla-query-order-key-case: the query is sorted before signing', async () => {
    // Act
    const headers = await signRequest({ method: 'GET', url: new URL('https://example.amazonaws.com/?Param2=value2&Param1=value1'), headers: {} }, SUITE);

    // Assess
    expect(headers.authorization).toBe(`${SCOPE}b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500`);
  });

  it('a different secret gives a different signature (the vector is not a constant)', async () => {
    // Act
    const headers = await signRequest(
      { method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {} },
      { ...SUITE, credentials: { ...SUITE.credentials, secretAccessKey: 'other' } },
    );

    // Assess
    expect(headers.authorization).not.toContain('5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
  });

  it('the client sends signed requests (execute-api scope, session token, body hash) to the server', async () => {
    // Prepare
    let seen: IncomingHttpHeaders = {};
    const server = createServer((req, res) => {
      seen = req.headers;
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new ApiClient({
      endpoint,
      sign: (req) => signRequest(req, { region: 'eu-west-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'SECRET', sessionToken: 'TOKEN' } }),
    });

    // Act
    await client.request('POST', '/projects/p1/pause', { body: {} });
    server.close();

    // Assess
    expect(seen.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[^,]*idempotency-key[^,]*, Signature=[0-9a-f]{64}$/);
    expect(seen['x-amz-security-token']).toBe('TOKEN');
    expect(seen['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('region and signing come from flags, environment or the endpoint', () => {
    // Act / Assess
    const api = 'https://abc123.execute-api.eu-central-1.amazonaws.com/prod';
    expect(regionOfEndpoint(api)).toBe('eu-central-1');
    expect(resolveRegion(undefined, api, { AWS_CONFIG_FILE: '/nonexistent' })).toBe('eu-central-1');
    expect(resolveRegion(undefined, api, { AWS_REGION: 'us-west-2' })).toBe('us-west-2');
    expect(resolveRegion('ap-south-1', api, { AWS_REGION: 'us-west-2' })).toBe('ap-south-1');
    expect(resolveRegion(undefined, 'http://localhost:3000', { AWS_CONFIG_FILE: '/nonexistent' })).toBeUndefined();
    expect(shouldSign(api, undefined)).toBe(true);
    expect(shouldSign('http://localhost:3000', undefined)).toBe(false);
    expect(shouldSign('http://localhost:3000', true)).toBe(true);
  });
});
