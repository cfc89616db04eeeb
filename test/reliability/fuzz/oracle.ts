import * as z from 'zod';
import {
  AlertConfigBody,
  BatchOperationBody,
  CloneProjectBody,
  ConfirmStepBody,
  CreateDataSourceBody,
  CreateProjectBody,
  DeleteProjectQuery,
  EmptyBody,
  IdPath,
  ListProjectsQuery,
  ListQuery,
  SourcesBody,
} from '../../../shared/api/schemas';
import { ROUTES, type Route } from '../../../shared/api/routes';
import { IDEMPOTENCY_KEY_PATTERN, IDEMPOTENT_METHODS } from '../../../shared/idempotency/middleware';
import { MAX_BODY_BYTES } from '../../../shared/http/middleware';

/**
 * The fuzzer's oracle: what the API must refuse before it touches any record. It restates the request
 * contract (README "API", shared/api/schemas.ts) per route, independently of the middy stack, so a
 * request the stack lets through although the contract says no is caught (a 2xx, or a changed record).
 */

export interface RouteSchemas {
  body?: z.ZodType;
  query?: z.ZodType;
  path?: z.ZodType;
  /** Routes that read If-Match (lifecycle actions and delete). */
  ifMatch?: boolean;
}

const LIFECYCLE_BODY: Record<string, z.ZodType> = {
  start: EmptyBody,
  // Optionally `{"sources": [...]}`: only those sources of a multi-source project (README "Several sources per project").
  pause: SourcesBody,
  resume: SourcesBody,
  release: EmptyBody,
  'modify-alert-config': AlertConfigBody,
  'skip-full-verification': EmptyBody,
  'enter-forward-switchover': EmptyBody,
  'start-forward-switchover': EmptyBody,
  'confirm-switchover-step': ConfirmStepBody,
  precheck: EmptyBody,
};

/** The schemas each route's handler validates with (functions/<fn>/handler.ts), restated. */
export function schemasOf(route: Route): RouteSchemas {
  switch (route.fn) {
    case 'create-data-source':
      return { body: CreateDataSourceBody };
    case 'list-data-sources':
      return { query: ListQuery };
    case 'get-data-source':
    case 'delete-data-source':
    case 'test-data-source-connection':
    case 'get-project':
    case 'list-project-events':
      return { path: IdPath };
    case 'create-project':
      return route.path === '/projects/{id}/clone' ? { path: IdPath, body: CloneProjectBody } : { body: CreateProjectBody };
    case 'list-projects':
      return { query: ListProjectsQuery };
    case 'delete-project':
      return { path: IdPath, query: DeleteProjectQuery, ifMatch: true };
    case 'project-lifecycle': {
      const body = route.operation ? LIFECYCLE_BODY[route.operation] : undefined;
      if (!body) throw new Error(`no body schema for ${route.operation}`);
      return { path: IdPath, body, ifMatch: true };
    }
    case 'batch-operations':
      return { body: BatchOperationBody };
    case 'get-batch-operation':
      return { path: IdPath, query: ListQuery };
    case 'list-batch-operations':
      return { query: ListQuery };
    case 'list-project-alerts':
      return { path: IdPath, query: ListQuery };
    case 'get-openapi':
      return {};
    default:
      throw new Error(`route ${route.method} ${route.path} has no schemas in the fuzz oracle: add them`);
  }
}

export interface FuzzRequest {
  method: string;
  /** Path template of the route (e.g. /projects/{id}/pause) when the request targets one. */
  route?: Route;
  pathParameters?: Record<string, string>;
  /** Query parameters as sent (a key may repeat). */
  query?: [string, string][];
  headers: Record<string, string>;
  /** Raw body bytes as sent (undefined: no body). */
  body?: Buffer;
}

const IF_MATCH = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/;

function header(req: FuzzRequest, name: string): string | undefined {
  return Object.entries(req.headers).find(([k]) => k.toLowerCase() === name)?.[1];
}

/**
 * Why the contract refuses the request before any record is read or written (undefined: it does not).
 * Body size and media type, JSON syntax, body/query/path schemas, repeated query parameters,
 * Idempotency-Key syntax and If-Match syntax.
 */
export function refusalOf(req: FuzzRequest): string | undefined {
  const route = req.route;
  if (!route) return 'no such route';
  const s = schemasOf(route);
  let parsed: unknown;
  if (req.body !== undefined && req.body.length > 0) {
    const text = req.body.toString('utf8');
    if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) return 'body too large';
    const ct = (header(req, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (ct !== 'application/json' && !ct.endsWith('+json')) return 'media type';
    try {
      parsed = JSON.parse(text);
    } catch {
      return 'malformed JSON';
    }
  }
  const query: Record<string, string> = {};
  for (const [k, v] of req.query ?? []) {
    if (k in query) return `repeated query parameter ${k}`;
    query[k] = v;
  }
  const parts: [keyof RouteSchemas, unknown][] = [
    ['body', parsed],
    ['query', query],
    ['path', req.pathParameters ?? {}],
  ];
  for (const [part, value] of parts) {
    const schema = s[part] as z.ZodType | undefined;
    if (!schema) {
      const empty = value === undefined || (typeof value === 'object' && value !== null && Object.keys(value).length === 0);
      if (part !== 'path' && !empty) return `${part} not taken`;
      continue;
    }
    if (!schema.safeParse(value).success) return `${part} schema`;
  }
  const key = header(req, 'idempotency-key');
  if (IDEMPOTENT_METHODS.has(route.method) && key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(key)) return 'idempotency key';
  const ifMatch = header(req, 'if-match');
  if (s.ifMatch && ifMatch !== undefined && ifMatch.trim() !== '*' && !IF_MATCH.test(ifMatch)) return 'if-match';
  return undefined;
}

/** Whether the request carries an Idempotency-Key the API may record (a valid one, on a write). */
export function carriesValidKey(req: FuzzRequest): boolean {
  const key = header(req, 'idempotency-key');
  return req.route !== undefined && IDEMPOTENT_METHODS.has(req.route.method) && key !== undefined && IDEMPOTENCY_KEY_PATTERN.test(key);
}

/** Property paths of a schema (via z.toJSONSchema), so mutations reach every field, optional ones too. */
export function fieldPaths(schema: z.ZodType): string[][] {
  const out: string[][] = [];
  const walk = (js: Record<string, unknown>, prefix: string[]) => {
    const props = js.properties as Record<string, Record<string, unknown>> | undefined;
    if (!props) return;
    for (const [k, v] of Object.entries(props)) {
      out.push([...prefix, k]);
      if (v.type === 'object') walk(v, [...prefix, k]);
    }
  };
  for (const io of ['input', 'output'] as const) {
    const js = z.toJSONSchema(schema, { unrepresentable: 'any', io }) as Record<string, unknown>;
    walk(js, []);
    if (out.length > 0) break;
  }
  return out;
}

/** A project as the per-source oracle needs it: its status, its sources, and which are paused on their own (and past their deadline). */
export interface SourcesSubject {
  status: string;
  sourceIds: readonly string[];
  pausedOnOwn: readonly string[];
  expired?: readonly string[];
}

/**
 * What `POST /projects/{id}/pause|resume` with a schema-valid `{"sources": [...]}` must answer, from the
 * README ("Several sources per project") alone: only a RUNNING project takes it (409 INVALID_STATE, for a
 * resume too: a PAUSED project resumes whole); a project of one source has no source to act on alone
 * (409 NOT_MULTI_SOURCE); a source the project does not read is a 400 naming its body path; a source
 * paused on its own cannot pause again (409 SOURCE_NOT_RUNNING), one not paused cannot resume (409
 * SOURCE_NOT_PAUSED), one past its deadline never resumes (409 SOURCE_PAUSE_EXPIRED); else 200.
 */
export function sourcesAnswer(p: SourcesSubject | undefined, op: 'pause' | 'resume', sources: readonly string[]): { status: number; code?: string; path?: (string | number)[] } {
  if (!p) return { status: 404, code: 'PROJECT_NOT_FOUND' };
  if (p.status !== 'RUNNING') return { status: 409, code: 'INVALID_STATE' };
  if (p.sourceIds.length < 2) return { status: 409, code: 'NOT_MULTI_SOURCE' };
  const unknown = sources.findIndex((id) => !p.sourceIds.includes(id));
  if (unknown >= 0) return { status: 400, code: 'VALIDATION_FAILED', path: ['body', 'sources', unknown] };
  if (op === 'pause') return sources.some((id) => p.pausedOnOwn.includes(id)) ? { status: 409, code: 'SOURCE_NOT_RUNNING' } : { status: 200 };
  if (sources.some((id) => !p.pausedOnOwn.includes(id))) return { status: 409, code: 'SOURCE_NOT_PAUSED' };
  return sources.some((id) => p.expired?.includes(id)) ? { status: 409, code: 'SOURCE_PAUSE_EXPIRED' } : { status: 200 };
}

export const ROUTES_WITH_ID = ROUTES.filter((r) => r.path.includes('{id}'));
