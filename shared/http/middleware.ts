import middy from '@middy/core';
import httpEventNormalizer from '@middy/http-event-normalizer';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { z } from 'zod';
import { DomainError, isTransientError } from '../domain/errors';
import type { RequestContext } from '../domain/project';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { routeOfEvent } from '../api/routes';
import { idempotency } from '../idempotency/middleware';
import { logger, metrics, recordOutcome } from '../observability/telemetry';
import { getDeps } from '../runtime';
import { problemResponse } from './problem';

export const MAX_BODY_BYTES = 1024 * 1024;

export interface Schemas {
  body?: z.ZodType;
  query?: z.ZodType;
  path?: z.ZodType;
  /** The route reads If-Match: its syntax is validated with the rest, before an Idempotency-Key is claimed. */
  ifMatch?: true;
}

type Out<S, K extends 'body' | 'query' | 'path'> = S extends { [P in K]: infer T } ? (T extends z.ZodType ? z.output<T> : undefined) : undefined;

export interface Validated<S extends Schemas> {
  body: Out<S, 'body'>;
  query: Out<S, 'query'>;
  path: Out<S, 'path'>;
  /** The version If-Match names (routes declaring `ifMatch`), parsed once by the validator. */
  expectedVersion: number | undefined;
  headers: Record<string, string | undefined>;
  ctx: RequestContext;
}

type HttpEvent = APIGatewayProxyEvent & { parsedBody?: unknown };
type HttpRequest = middy.Request<HttpEvent, APIGatewayProxyResult, Error, Context>;

const badRequest = (status: number, code: string, title: string, detail: string) => new DomainError(status, code, title, detail);

/** Parses a JSON body; a body that is not JSON, too large, or of another media type is a 4xx. */
export function jsonBodyParser(): middy.MiddlewareObj<HttpEvent, APIGatewayProxyResult> {
  return {
    before: async (request: HttpRequest) => {
      const { event } = request;
      if (event.body === null || event.body === undefined || event.body === '') {
        event.parsedBody = undefined;
        return;
      }
      const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
      if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) {
        throw badRequest(413, 'PAYLOAD_TOO_LARGE', 'Payload too large', `The body must be at most ${MAX_BODY_BYTES} bytes.`);
      }
      const contentType = (event.headers?.['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (contentType !== 'application/json' && !contentType.endsWith('+json')) {
        throw badRequest(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', 'Send the body as application/json.');
      }
      try {
        event.parsedBody = JSON.parse(raw);
      } catch {
        throw badRequest(400, 'MALFORMED_JSON', 'Malformed JSON', 'The body is not valid JSON.');
      }
    },
  };
}

function issuesOf(part: string, error: z.ZodError): unknown[] {
  return error.issues.map((i) => ({ path: [part, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], code: i.code, message: i.message }));
}

/** Validates body, query string and path parameters with zod; the parsed values go to the handler. */
export function zodValidator<S extends Schemas>(schemasOf: S | ((event: APIGatewayProxyEvent) => S)): middy.MiddlewareObj<HttpEvent, APIGatewayProxyResult> {
  return {
    before: async (request: HttpRequest) => {
      const { event } = request;
      const schemas = typeof schemasOf === 'function' ? schemasOf(event) : schemasOf;
      const issues: unknown[] = [];
      const repeated = Object.entries(event.multiValueQueryStringParameters ?? {}).filter(([, v]) => (v?.length ?? 0) > 1);
      for (const [k] of repeated) issues.push({ path: ['query', k], code: 'repeated', message: 'give this parameter once' });
      const parts: ['body' | 'query' | 'path', unknown][] = [
        ['body', event.parsedBody],
        ['query', event.queryStringParameters ?? {}],
        ['path', event.pathParameters ?? {}],
      ];
      const out: Record<string, unknown> = {};
      for (const [part, value] of parts) {
        const schema = schemas[part];
        if (!schema) {
          const empty = value === undefined || (typeof value === 'object' && value !== null && Object.keys(value).length === 0);
          if (part !== 'path' && !empty) issues.push({ path: [part], code: 'unrecognized', message: `this operation takes no ${part === 'body' ? 'body' : 'query parameters'}` });
          continue;
        }
        const parsed = schema.safeParse(value);
        if (parsed.success) out[part] = parsed.data;
        else issues.push(...issuesOf(part, parsed.error));
      }
      if (schemas.ifMatch) {
        try {
          out.expectedVersion = parseIfMatch(event.headers?.['if-match']);
        } catch (e) {
          if (!(e instanceof DomainError)) throw e;
          issues.push(...((e.extra as { issues?: unknown[] } | undefined)?.issues ?? []));
        }
      }
      if (issues.length > 0) {
        throw new DomainError(400, 'VALIDATION_FAILED', 'Request validation failed', 'The request does not match the API schema; see issues.', { issues });
      }
      (event as HttpEvent & { validated?: unknown }).validated = out;
    },
  };
}


/** Last in the stack: every error becomes RFC 9457 problem+json; unexpected ones are logged, not shown. */
export function problemJsonErrorHandler(): middy.MiddlewareObj<HttpEvent, APIGatewayProxyResult> {
  return {
    onError: async (request: HttpRequest) => {
      const error = request.error;
      const instance = request.event?.requestContext?.requestId;
      if (error instanceof DomainError) {
        request.response = problemResponse(error, instance);
        return;
      }
      if (isTransientError(error)) {
        logger.warn('transient dependency error', { error: error?.name });
        const unavailable = new DomainError(503, 'SERVICE_UNAVAILABLE', 'Service unavailable', 'A dependency is busy; retry with backoff.');
        request.response = { ...problemResponse(unavailable, instance), headers: { 'content-type': 'application/problem+json', 'retry-after': '1' } };
        return;
      }
      logger.error('unhandled error', error as Error);
      request.response = problemResponse(error, instance);
    },
  };
}

/** Who is calling: the IAM caller ARN API Gateway puts in the request context ("local" when absent). */
export function requestContextOf(event: APIGatewayProxyEvent, context: Context | undefined): RequestContext {
  const identity = event.requestContext?.identity;
  return {
    actor: identity?.userArn ?? identity?.caller ?? 'local',
    requestId: event.requestContext?.requestId ?? context?.awsRequestId ?? 'unknown',
  };
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export function noContent(): APIGatewayProxyResult {
  return { statusCode: 204, headers: {}, body: '' };
}

/**
 * HEAD is answered as GET without a body: same status and headers (ETag included); `content-length`
 * says how long the GET body would be. First in the stack, so it sees the final response, errors too.
 */
export function headWithoutBody(): middy.MiddlewareObj<HttpEvent, APIGatewayProxyResult> {
  const strip = async (request: HttpRequest) => {
    const response = request.response;
    if (request.event?.httpMethod !== 'HEAD' || !response) return;
    const bytes = response.isBase64Encoded ? Buffer.from(response.body, 'base64').length : Buffer.byteLength(response.body ?? '', 'utf8');
    request.response = { ...response, headers: { ...response.headers, 'content-length': String(bytes) }, body: '', isBase64Encoded: false };
  };
  return { after: strip, onError: strip };
}

const idempotencyDeps = () => {
  const { idempotency: store, clock } = getDeps();
  return { store, clock };
};

/**
 * Puts the request's identity into every log line (requestId, operation, projectId) and records its
 * outcome as metrics (Requests and Conflicts by operation and result).
 */
export function requestTelemetry(): middy.MiddlewareObj<HttpEvent, APIGatewayProxyResult> {
  const operationOf = (event: HttpEvent) => {
    const route = routeOfEvent(event);
    return route?.operation ?? `${event.httpMethod} ${event.resource}`;
  };
  const record = (request: HttpRequest) => {
    const response = request.response;
    if (!response) return;
    let code: string | undefined;
    if (response.statusCode >= 400) {
      try {
        code = (JSON.parse(response.body) as { code?: string }).code;
      } catch {
        code = undefined;
      }
    }
    recordOutcome(operationOf(request.event), response.statusCode, code);
    logger.info('request completed', { statusCode: response.statusCode, ...(code ? { code } : {}) });
  };
  return {
    before: async (request: HttpRequest) => {
      const { event } = request;
      logger.appendKeys({
        requestId: event.requestContext?.requestId,
        operation: operationOf(event),
        ...(event.pathParameters?.id ? { projectId: event.pathParameters.id } : {}),
      });
    },
    after: async (request: HttpRequest) => record(request),
    onError: async (request: HttpRequest) => record(request),
  };
}

/**
 * The one middy stack every HTTP function uses: HEAD as GET without a body → header and event normalizers → JSON body parser →
 * zod validation → Idempotency-Key (POST/PUT/DELETE) → the use case; the problem+json error handler is last.
 */
export function httpHandler<S extends Schemas>(
  schemas: S | ((event: APIGatewayProxyEvent) => S),
  handle: (input: Validated<S>, event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>,
) {
  return middy<HttpEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(headWithoutBody())
    .use(logMetrics(metrics))
    .use(requestTelemetry())
    .use(httpHeaderNormalizer())
    .use(httpEventNormalizer())
    .use(jsonBodyParser())
    .use(zodValidator(schemas))
    .use(idempotency({ resolve: idempotencyDeps, callerOf: (event) => requestContextOf(event, undefined).actor }))
    .use(problemJsonErrorHandler())
    .handler(async (event, context) => {
      const validated = (event as HttpEvent & { validated: Record<string, unknown> }).validated;
      return handle(
        {
          body: validated.body,
          query: validated.query,
          path: validated.path,
          expectedVersion: validated.expectedVersion,
          headers: event.headers ?? {},
          ctx: requestContextOf(event, context),
        } as Validated<S>,
        event,
      );
    });
}

/** If-Match carries a version as an ETag ("3"); `*` or no header means any version. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(header);
  if (!m) {
    throw new DomainError(400, 'VALIDATION_FAILED', 'Request validation failed', 'If-Match must be an ETag returned by this API, e.g. "3".', {
      issues: [{ path: ['headers', 'if-match'], code: 'invalid_format', message: 'expected "<version>"' }],
    });
  }
  return Number(m[1]);
}

export const etag = (version: number) => `"${version}"`;
