import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, type LambdaHandler } from '../../infra/local/api-server';

interface Answer {
  status: number;
  contentType: string | undefined;
  body: { code?: string; status?: number };
}

/** A raw HTTP request (fetch cannot send another Host): the header set exactly as a browser or rebinding page would. */
function send(port: number, method: string, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: raw ? (JSON.parse(raw) as Answer['body']) : {} });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the local API answers only loopback callers (no CSRF, no DNS rebinding)', () => {
  const calls: string[] = [];
  const handler: LambdaHandler = async (event) => {
    calls.push(`${event.httpMethod} ${event.path}`);
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: true }) };
  };
  const server = createApiServer(async () => handler);
  let port = 0;

  beforeAll(async () => {
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => {
    server.close();
    server.closeAllConnections();
  });

  it.each([
    ['localhost:PORT'],
    ['127.0.0.1:PORT'],
    ['[::1]:PORT'],
    ['localhost'],
    ['LOCALHOST:PORT'],
  ])('Host %s reaches the handler', async (host) => {
    // Prepare
    calls.length = 0;

    // Act
    const res = await send(port, 'POST', '/projects/p-1/pause', { host: host.replace('PORT', String(port)) });

    // Assess
    expect(res.status).toBe(200);
    expect(calls).toEqual(['POST /projects/p-1/pause']);
  });

  it.each([
    ['evil.example:PORT'],
    ['evil.example'],
    ['localhost.evil.example:PORT'],
    ['127.0.0.1.nip.io:PORT'],
    ['10.0.0.5:PORT'],
    ['0.0.0.0:PORT'],
    ['localhost:PORT@evil.example'],
    ['localhost:notaport'],
  ])('Host %s (DNS rebinding) is 403 FORBIDDEN_HOST and runs nothing', async (host) => {
    // Prepare
    calls.length = 0;

    // Act
    const res = await send(port, 'POST', '/projects/p-1/pause', { host: host.replace('PORT', String(port)) });

    // Assess
    expect(res.status).toBe(403);
    expect(res.contentType).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status: 403, code: 'FORBIDDEN_HOST' });
    expect(calls).toEqual([]);
  });

  it('a request without Host is refused as FORBIDDEN_HOST (problem+json, not Node\'s bare 400)', async () => {
    // Prepare
    calls.length = 0;

    // Act
    const res = await send(port, 'GET', '/projects', {});

    // Assess
    expect(res.status).toBe(403);
    expect(res.contentType).toBe('application/problem+json');
    expect(res.body.code).toBe('FORBIDDEN_HOST');
    expect(calls).toEqual([]);
  });

  it.each([
    ['https://evil.example'],
    ['http://evil.example:PORT'],
    ['null'],
    ['http://localhost:OTHER'],
    ['http://127.0.0.1'],
    ['https://localhost:PORT'],
    ['http://localhost:PORT.evil.example'],
  ])('a body-less lifecycle POST from Origin %s (CSRF) is 403 FORBIDDEN_ORIGIN and runs nothing', async (origin) => {
    // Prepare
    calls.length = 0;
    const value = origin.replace('OTHER', String(port === 65535 ? 1 : port + 1)).replace('PORT', String(port));

    // Act
    const res = await send(port, 'POST', '/projects/p-1/release', { host: `localhost:${port}`, origin: value });

    // Assess
    expect(res.status).toBe(403);
    expect(res.contentType).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status: 403, code: 'FORBIDDEN_ORIGIN' });
    expect(calls).toEqual([]);
  });

  it.each([['http://localhost:PORT'], ['http://127.0.0.1:PORT'], ['http://[::1]:PORT']])('Origin %s (a page served by this API) is accepted', async (origin) => {
    // Prepare
    calls.length = 0;

    // Act
    const res = await send(port, 'POST', '/projects/p-1/pause', { host: `127.0.0.1:${port}`, origin: origin.replace('PORT', String(port)) });

    // Assess
    expect(res.status).toBe(200);
    expect(calls).toEqual(['POST /projects/p-1/pause']);
  });

  it('a foreign Origin is refused on reads too (no cross-site read of the project list)', async () => {
    // Prepare
    calls.length = 0;

    // Act
    const res = await send(port, 'GET', '/projects', { host: `localhost:${port}`, origin: 'https://evil.example' });

    // Assess
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('FORBIDDEN_ORIGIN');
    expect(calls).toEqual([]);
  });
});
