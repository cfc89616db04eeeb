import { connect } from 'node:net';
import { matchRoute } from '../../../infra/local/api-server';
import { call } from '../../support/harness';

/** One answer, whichever way the request went. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  /** The body text as received. */
  text: string;
}

export interface Sent {
  method: string;
  /** Path and query exactly as put on the request line (already percent-encoded as wanted). */
  target: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/**
 * Through the handler module directly (test/support/harness.ts call()), as API Gateway would invoke it.
 * Returns undefined when the path does not route there (e.g. it normalises to another path).
 */
export async function viaCall(req: Sent): Promise<Answer | undefined> {
  const url = new URL(req.target, 'http://localhost');
  let routed: boolean;
  try {
    routed = matchRoute(req.method, url.pathname).match !== undefined;
  } catch {
    routed = false;
  }
  if (!routed) return undefined;
  // call() parses the response body as JSON; a body that is not JSON is reported as such.
  try {
    const r = await call(req.method, req.target, { rawBody: req.body?.toString('utf8') ?? undefined, headers: req.headers } as Parameters<typeof call>[2]);
    return { status: r.status, headers: r.headers, text: r.body === undefined ? '' : JSON.stringify(r.body) };
  } catch (e) {
    if (e instanceof SyntaxError) return { status: -1, headers: {}, text: `response body is not JSON: ${e.message}` };
    throw e;
  }
}

/**
 * Raw HTTP/1.1 over a socket to the local API server: the request line, headers and body bytes go out
 * exactly as given (invalid UTF-8, control characters, huge headers), which fetch and http.request refuse to send.
 */
export function viaSocket(port: number, req: Sent | Buffer, timeoutMs = 30_000): Promise<Answer> {
  let bytes: Buffer;
  if (Buffer.isBuffer(req)) bytes = req;
  else {
    const head = [`${req.method} ${req.target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close'];
    for (const [k, v] of Object.entries(req.headers)) head.push(`${k}: ${v}`);
    if (req.body !== undefined) head.push(`Content-Length: ${req.body.length}`);
    bytes = Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'utf8'), req.body ?? Buffer.alloc(0)]);
  }
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer within the timeout'));
    }, timeoutMs);
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // The server may close after answering while we still write a large body: keep what came back.
      if (e.code !== 'EPIPE' && e.code !== 'ECONNRESET') {
        clearTimeout(timer);
        reject(e);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (e) {
        reject(e as Error);
      }
    });
    // No half-close: the server answers, then closes (Connection: close); a FIN from us would abort it.
    socket.write(bytes);
  });
}

function parseResponse(raw: Buffer): Answer {
  const split = raw.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`incomplete HTTP response: ${JSON.stringify(raw.toString('latin1').slice(0, 200))}`);
  const lines = raw.subarray(0, split).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? NaN);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = raw.subarray(split + 4);
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const eol = body.indexOf('\r\n', at);
      if (eol < 0) break;
      const n = parseInt(body.subarray(at, eol).toString('latin1'), 16);
      if (!Number.isFinite(n) || n === 0) break;
      parts.push(body.subarray(eol + 2, eol + 2 + n));
      at = eol + 2 + n + 2;
    }
    body = Buffer.concat(parts);
  }
  return { status, headers, text: body.toString('utf8') };
}

/** The error-answer contract: status below 500; every 4xx is problem+json with type/title/status/code, status as sent. */
export function contractViolation(a: Answer): string | undefined {
  if (!Number.isInteger(a.status) || a.status < 100) return `no HTTP status (${a.text.slice(0, 200)})`;
  if (a.status >= 500) return `${a.status}: ${a.text.slice(0, 300)}`;
  if (a.status < 400) return undefined;
  const ct = a.headers['content-type'] ?? '';
  if (!ct.startsWith('application/problem+json')) return `${a.status} with content-type '${ct}': ${a.text.slice(0, 200)}`;
  let body: unknown;
  try {
    body = JSON.parse(a.text);
  } catch {
    return `${a.status} problem body is not JSON: ${a.text.slice(0, 200)}`;
  }
  const p = body as Record<string, unknown>;
  if (typeof p !== 'object' || p === null) return `${a.status} problem body is not an object`;
  if (typeof p.type !== 'string' || typeof p.title !== 'string' || typeof p.code !== 'string') return `${a.status} problem lacks type/title/code: ${a.text.slice(0, 200)}`;
  if (p.status !== a.status) return `problem status ${String(p.status)} differs from HTTP ${a.status}`;
  return undefined;
}

export function problemCode(a: Answer): string | undefined {
  try {
    return (JSON.parse(a.text) as { code?: string }).code;
  } catch {
    return undefined;
  }
}
