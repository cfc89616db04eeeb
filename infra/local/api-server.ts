import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { methodsOf, ROUTES, type Route } from '../../shared/api/routes';

/**
 * Serves the API on localhost by turning each HTTP request into the API Gateway REST proxy event the
 * deployed API would send, and calling the same handler module. The caller identity comes from the
 * X-Actor header (API Gateway takes it from the IAM signature).
 */
export type LambdaHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export type HandlerLoader = (fn: string) => Promise<LambdaHandler>;

export const loadFunctionHandler: HandlerLoader = async (fn) => {
  const mod = (await import(/* @vite-ignore */ `../../functions/${fn}/handler`)) as { handler: LambdaHandler };
  return mod.handler;
};

interface Match {
  route: Route;
  pathParameters: Record<string, string>;
}

function templateRegex(path: string): RegExp {
  const pattern = path.replace(/\{(\w+)\}/g, (_m, name: string) => `(?<${name}>[^/]+)`);
  return new RegExp(`^${pattern}/?$`);
}

const compiled = ROUTES.map((route) => ({ route, regex: templateRegex(route.path) }));

/** A segment that is not valid percent-encoding stays as sent: the route's schema then refuses it (400), as any bad id. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function matchRoute(method: string, path: string): { match?: Match; pathKnown: boolean } {
  let pathKnown = false;
  for (const { route, regex } of compiled) {
    const m = regex.exec(path);
    if (!m) continue;
    pathKnown = true;
    if (!methodsOf(route).includes(method)) continue;
    const pathParameters: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.groups ?? {})) pathParameters[k] = decodeSegment(v);
    return { match: { route, pathParameters }, pathKnown };
  }
  return { pathKnown };
}

function problem(res: ServerResponse, status: number, code: string, title: string, detail: string) {
  res.writeHead(status, { 'content-type': 'application/problem+json' });
  res.end(JSON.stringify({ type: `urn:migration-control-plane:problem:${code.toLowerCase().replace(/_/g, '-')}`, title, status, code, detail }));
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Sets an own property whatever its name, as API Gateway's JSON event has it: a query parameter or header
 * named "constructor" or "__proto__" must not reach Object.prototype (a 500, or a parameter that vanishes).
 */
function setOwn<T>(o: Record<string, T>, k: string, v: T): void {
  Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
}

function appendOwn(o: Record<string, string[]>, k: string, v: string): void {
  if (Object.hasOwn(o, k)) (o[k] as string[]).push(v);
  else setOwn(o, k, [v]);
}

export function toProxyEvent(req: IncomingMessage, url: URL, match: Match, body: Buffer): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    const value = req.rawHeaders[i + 1] as string;
    setOwn(headers, name, value);
    appendOwn(multiValueHeaders, name, value);
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    setOwn(query, k, v);
    appendOwn(multiQuery, k, v);
  }
  const requestId = randomUUID();
  const actor = req.headers['x-actor'];
  const hasQuery = Object.keys(query).length > 0;
  // HEAD reaches the GET route's function as HEAD, as API Gateway sends it.
  const httpMethod = req.method === 'HEAD' ? 'HEAD' : match.route.method;
  return {
    resource: match.route.path,
    path: url.pathname,
    httpMethod,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: Object.keys(match.pathParameters).length ? match.pathParameters : null,
    stageVariables: null,
    body: body.length ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: undefined,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod,
      path: url.pathname,
      stage: 'local',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: match.route.path,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: typeof actor === 'string' && actor.length > 0 ? actor : 'local',
      },
    },
  };
}

function lambdaContext(fn: string, requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: fn,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${fn}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${fn}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 29_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The Host a browser sends names the site it thinks it talks to: a page on evil.example whose name was
 * rebound to 127.0.0.1 sends `Host: evil.example`. Only loopback names (with or without a port) pass.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const m = /^(localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i.exec(host.trim());
  return m !== null;
}

/**
 * Browsers send Origin with every cross-site POST (and with CORS reads): only a page this very server
 * serves (http, a loopback name, the port it listens on) may call it. No Origin at all is curl, migctl,
 * a script: not a browser acting for a foreign site.
 */
export function isOwnOrigin(origin: string | undefined, serverPort: number | undefined): boolean {
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file:) and anything unparsable
  }
  if (url.protocol !== 'http:' || url.origin !== origin.trim().toLowerCase()) return false;
  if (!LOOPBACK_NAMES.has(url.hostname)) return false;
  return serverPort !== undefined && Number(url.port || '80') === serverPort;
}

/** API Gateway's payload limit: larger bodies never reach a function. */
const API_GATEWAY_MAX_BODY = 10 * 1024 * 1024;

/**
 * A request Node's HTTP parser rejects (a control character in a header, headers over the size limit, a
 * broken request line) never reaches a handler: answer it as problem+json too, instead of Node's bare 400.
 */
function answerClientError(error: NodeJS.ErrnoException & { code?: string }, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const code = tooLarge ? 'HEADERS_TOO_LARGE' : 'MALFORMED_REQUEST';
  const title = tooLarge ? 'Request header fields too large' : 'Malformed HTTP request';
  const body = JSON.stringify({
    type: `urn:migration-control-plane:problem:${code.toLowerCase().replace(/_/g, '-')}`,
    title,
    status,
    code,
    detail: tooLarge ? 'The request headers exceed the server limit.' : 'The request is not valid HTTP/1.1 (e.g. a control character in a header).',
  });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export function createApiServer(load: HandlerLoader = loadFunctionHandler): Server {
  const handlers = new Map<string, Promise<LambdaHandler>>();
  const handlerFor = (fn: string) => {
    let h = handlers.get(fn);
    if (!h) handlers.set(fn, (h = load(fn)));
    return h;
  };
  // A missing Host is answered below as FORBIDDEN_HOST (problem+json) instead of Node's bare 400.
  const server = createServer({ requireHostHeader: false }, (req, res) => {
    void (async () => {
      if (!isLoopbackHost(req.headers.host)) {
        req.resume();
        problem(res, 403, 'FORBIDDEN_HOST', 'Forbidden host', 'The local API answers only loopback host names (localhost, 127.0.0.1, [::1]).');
        return;
      }
      const origin = req.headers.origin;
      if (!isOwnOrigin(origin, req.socket.localPort)) {
        req.resume();
        problem(res, 403, 'FORBIDDEN_ORIGIN', 'Forbidden origin', 'The local API refuses requests sent by pages of another origin.');
        return;
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      const { match, pathKnown } = matchRoute(req.method ?? 'GET', url.pathname);
      if (!match) {
        req.resume();
        if (pathKnown) problem(res, 405, 'METHOD_NOT_ALLOWED', 'Method not allowed', `${req.method} is not supported on ${url.pathname}.`);
        else problem(res, 404, 'ROUTE_NOT_FOUND', 'No such route', `There is no route ${req.method} ${url.pathname}.`);
        return;
      }
      const body = await readBody(req, API_GATEWAY_MAX_BODY);
      if (body === 'too-large') {
        problem(res, 413, 'PAYLOAD_TOO_LARGE', 'Payload too large', 'The body exceeds 10 MB.');
        return;
      }
      const event = toProxyEvent(req, url, match, body);
      const handler = await handlerFor(match.route.fn);
      const result = await handler(event, lambdaContext(match.route.fn, event.requestContext.requestId));
      const headers: Record<string, string> = { 'x-request-id': event.requestContext.requestId };
      for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
      res.writeHead(result.statusCode, headers);
      res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
    })().catch((e: unknown) => {
      console.error('local API server error', e);
      if (!res.headersSent) problem(res, 500, 'INTERNAL_ERROR', 'Internal error', 'The local server failed to run the handler.');
      else res.end();
    });
  });
  server.on('clientError', answerClientError);
  return server;
}
