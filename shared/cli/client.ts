import { randomUUID } from 'node:crypto';

/**
 * The HTTP client migctl talks to the API with. Every POST/PUT/DELETE carries an Idempotency-Key, so a
 * request that failed on the way (network, 5xx, 409 IDEMPOTENCY_IN_PROGRESS) is retried with the same
 * key and runs at most once.
 */

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface Problem {
  status: number;
  code: string;
  title?: string;
  detail?: string;
  [k: string]: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ? `${problem.code}: ${problem.detail}` : `${problem.code} (HTTP ${status})`);
    this.name = 'ApiError';
  }
}

export type RequestSigner = (req: { method: string; url: URL; headers: Record<string, string>; body?: string }) => Promise<Record<string, string>>;

export interface ClientOptions {
  endpoint: string;
  sign?: RequestSigner;
  fetch?: typeof fetch;
  /** Attempts per request (1 = no retry). */
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Sent as X-Actor (honoured by the local API only). */
  actor?: string;
}

/** fetch says only "fetch failed": the reason (ECONNREFUSED, ENOTFOUND...) is in its cause. */
function causeOf(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const message = (e as Error).message;
  return cause?.code ? `${cause.code}${cause.message && !cause.message.includes(cause.code) ? ` ${cause.message}` : ''}` : cause?.message ?? message;
}

const MUTATING = new Set(['POST', 'PUT', 'DELETE']);
const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  idempotencyKey?: string;
}

export class ApiClient {
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ClientOptions) {
    this.fetch = options.fetch ?? fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  get endpoint() {
    return this.options.endpoint;
  }

  /** Sends one request; answers below 400 resolve, problems reject with ApiError. */
  async request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = new URL(path.replace(/^\//, ''), this.options.endpoint.endsWith('/') ? this.options.endpoint : `${this.options.endpoint}/`);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = {
      accept: 'application/json, application/problem+json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(MUTATING.has(method) ? { 'idempotency-key': opts.idempotencyKey ?? randomUUID() } : {}),
      ...(this.options.actor ? { 'x-actor': this.options.actor } : {}),
      ...opts.headers,
    };
    const attempts = this.options.attempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        const sent = this.options.sign ? await this.options.sign({ method, url, headers, ...(body !== undefined ? { body } : {}) }) : headers;
        res = await this.fetch(url, { method, headers: sent, ...(body !== undefined ? { body } : {}) });
      } catch (e) {
        if (attempt >= attempts) throw new ApiError(0, { status: 0, code: 'NETWORK_ERROR', detail: `${url.origin}: ${causeOf(e)}` });
        await this.sleep(200 * 2 ** attempt);
        continue;
      }
      const text = await res.text();
      let parsed: unknown = undefined;
      if (text) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      if (res.status < 400) return { status: res.status, headers: res.headers, body: parsed as T };
      const problem: Problem =
        parsed && typeof parsed === 'object' && 'code' in parsed
          ? (parsed as Problem)
          : { status: res.status, code: `HTTP_${res.status}`, detail: typeof parsed === 'string' ? parsed.slice(0, 500) : res.statusText };
      const retry = RETRYABLE_STATUS.has(res.status) || (res.status === 409 && problem.code === 'IDEMPOTENCY_IN_PROGRESS') || res.status === 429;
      if (!retry || attempt >= attempts) throw new ApiError(res.status, problem);
      const after = Number(res.headers.get('retry-after'));
      await this.sleep(Number.isFinite(after) && after > 0 ? after * 1000 : 200 * 2 ** attempt);
    }
  }
}
