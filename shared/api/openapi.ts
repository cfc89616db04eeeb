import * as z from 'zod';
import { IDEMPOTENCY_KEY_PATTERN, REPLAYED_HEADER } from '../idempotency/middleware';
import { IDEMPOTENCY_TTL_MS } from '../idempotency/port';
import {
  AlertList,
  AlertView,
  AuditEventList,
  BatchExecutionView,
  BatchJobDetail,
  BatchJobList,
  BatchJobView,
  BatchOperationResult,
  BatchPreviewView,
  DataSourceList,
  DataSourceView,
  ConnectionTestView,
  PROBLEM_CODES,
  Problem,
  ProjectList,
  ProjectView,
  RESPONSE_EXAMPLES,
  SubtaskView,
  problemExample,
  type ProblemCode,
} from './responses';
import { ROUTES, type Route } from './routes';
import { EFFECTS } from '../domain/effects';
import { ASYNC_BATCH_THRESHOLD } from '../domain/batch-jobs';
import { GUARDS, HTTP_OPERATIONS, ruleFor, type UserOperation } from '../domain/transitions';
import {
  BatchOperationBody,
  CreateDataSourceBody,
  CreateProjectBody,
  DeleteProjectQuery,
  IdPath,
  OPERATION_BODIES,
  operationBody,
  ListProjectsQuery,
  ListQuery,
} from './schemas';

/**
 * The OpenAPI 3.1 document, generated from the route table (shared/api/routes.ts), the request schemas
 * the handlers validate with (shared/api/schemas.ts) and the response schemas (shared/api/responses.ts).
 * JSON Schema comes from zod 4's own z.toJSONSchema (draft 2020-12, the dialect of OpenAPI 3.1).
 * `npm run openapi` writes shared/api/openapi.json; a test fails when that copy is stale.
 */

type Json = Record<string, unknown>;

export interface OperationContract {
  operationId: string;
  tag: 'projects' | 'data-sources' | 'meta';
  request: { body?: z.ZodType; query?: z.ZodType; path?: z.ZodType };
  /** Example request body (parsed with the body schema in the tests). */
  bodyExample?: unknown;
  success: {
    status: number;
    description: string;
    /** A registered response component (with .meta({ id })), or absent for 204. */
    schema?: z.ZodType;
    /** Name of its example in RESPONSE_EXAMPLES (components/examples). */
    example?: keyof typeof RESPONSE_EXAMPLES;
    /** The response carries the project version as ETag. */
    etag?: boolean;
    /** A second success: the request was accepted and runs on (202, Location of the resource). */
    accepted?: { description: string; schema: z.ZodType };
  };
  /** If-Match is honoured (optimistic concurrency). */
  ifMatch?: boolean;
  /** Problem codes particular to this route (the common ones are added from its traits). */
  errors: readonly ProblemCode[];
  /** The document itself: no schema of its own. */
  freeForm?: boolean;
}

const CREATE_PROJECT_EXAMPLE = {
  name: 'orders-to-oceanbase',
  sourceId: 'a1f0e9d8-c7b6-4a59-8e7d-6c5b4a392817',
  destinationId: 'b2e1d0c9-b8a7-4968-9d8c-7b6a59483726',
  migrationType: { structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: true, reverseIncrementalSync: false },
  tables: [{ schema: 'shop', table: 'orders' }],
  alertLevel: 'MEDIUM',
  labels: ['team:payments'],
};

/** The problem codes an operation's record implies: the common ones, its guards', its effects' and its own. */
export function operationProblems(operation: UserOperation): ProblemCode[] {
  const rule = ruleFor(operation);
  const codes = new Set<string>(['PROJECT_NOT_FOUND', 'INVALID_STATE', 'VERSION_MISMATCH', 'CONCURRENT_MODIFICATION']);
  for (const g of rule.guards ?? []) codes.add(GUARDS[g].failureCode);
  for (const e of rule.effects ?? []) for (const code of EFFECTS[e].problems) codes.add(code);
  for (const code of rule.http?.problems ?? []) codes.add(code);
  for (const code of codes) if (!(code in PROBLEM_CODES)) throw new Error(`operation ${operation}: problem code ${code} is not registered in PROBLEM_CODES`);
  return [...codes] as ProblemCode[];
}

/** Example bodies of the operations that take one (parsed with the body schema in the tests). */
const BODY_EXAMPLES: Record<keyof typeof OPERATION_BODIES, unknown> = { alertLevel: { level: 'HIGH' }, step: { step: 'CONFIRM_SOURCE_WRITES_STOPPED' } };

/** The contract of an operation's route, from its record. */
function operationContract(r: (typeof HTTP_OPERATIONS)[number]): OperationContract {
  const deletes = r.to === 'DELETED';
  return {
    operationId: r.http.operationId,
    tag: 'projects',
    request: deletes ? { path: IdPath, query: DeleteProjectQuery } : { path: IdPath, body: operationBody(r.operation) },
    ...(r.http.body ? { bodyExample: BODY_EXAMPLES[r.http.body] } : {}),
    success: deletes
      ? { status: 204, description: 'Deleted.' }
      : { status: 200, description: `The project after ${r.operation}.`, schema: ProjectView, example: 'project', etag: true },
    ifMatch: true,
    errors: operationProblems(r.operation),
  };
}

/** One row per route of ROUTES, keyed `METHOD path`. A route without a row fails the generator. */
export const CONTRACT: Record<string, OperationContract> = {
  'POST /data-sources': {
    operationId: 'createDataSource',
    tag: 'data-sources',
    request: { body: CreateDataSourceBody },
    bodyExample: { name: 'src-mysql', engine: 'mysql', host: '10.0.0.5', port: 3306, username: 'migrator', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:src-mysql-AbCdEf' },
    success: { status: 201, description: 'The data source.', schema: DataSourceView, example: 'dataSource' },
    errors: [],
  },
  'GET /data-sources': {
    operationId: 'listDataSources',
    tag: 'data-sources',
    request: { query: ListQuery },
    success: { status: 200, description: 'A page of data sources, newest first.', schema: DataSourceList, example: 'dataSourceList' },
    errors: ['INVALID_NEXT_TOKEN'],
  },
  'GET /data-sources/{id}': {
    operationId: 'getDataSource',
    tag: 'data-sources',
    request: { path: IdPath },
    success: { status: 200, description: 'The data source.', schema: DataSourceView, example: 'dataSource' },
    errors: ['DATA_SOURCE_NOT_FOUND'],
  },
  'DELETE /data-sources/{id}': {
    operationId: 'deleteDataSource',
    tag: 'data-sources',
    request: { path: IdPath },
    success: { status: 204, description: 'Deleted.' },
    errors: ['DATA_SOURCE_NOT_FOUND', 'DATA_SOURCE_IN_USE'],
  },
  'POST /data-sources/{id}/test-connection': {
    operationId: 'testDataSourceConnection',
    tag: 'data-sources',
    request: { path: IdPath },
    success: { status: 200, description: 'What connecting found (checked=false when no engine of this deployment connects to this kind of data source).', schema: ConnectionTestView, example: 'connectionTest' },
    errors: ['DATA_SOURCE_NOT_FOUND'],
  },
  'POST /projects': {
    operationId: 'createProject',
    tag: 'projects',
    request: { body: CreateProjectBody },
    bodyExample: CREATE_PROJECT_EXAMPLE,
    success: { status: 201, description: 'The new project (NOT_STARTED).', schema: ProjectView, example: 'newProject', etag: true },
    errors: ['NAME_TAKEN'],
  },
  'GET /projects': {
    operationId: 'listProjects',
    tag: 'projects',
    request: { query: ListProjectsQuery },
    success: { status: 200, description: 'A page of projects, newest first.', schema: ProjectList, example: 'projectList' },
    errors: ['INVALID_NEXT_TOKEN'],
  },
  'GET /projects/{id}': {
    operationId: 'getProject',
    tag: 'projects',
    request: { path: IdPath },
    success: { status: 200, description: 'The project; ETag is its version.', schema: ProjectView, example: 'project', etag: true },
    errors: ['PROJECT_NOT_FOUND'],
  },
  ...Object.fromEntries(HTTP_OPERATIONS.map((r) => [`${r.http.method} ${r.http.path}`, operationContract(r)])),
  'POST /batch-operations': {
    operationId: 'runBatchOperation',
    tag: 'projects',
    request: { body: BatchOperationBody },
    bodyExample: { operation: 'pause', projectIds: ['3b0c8f5e-1d2a-4e6b-9c7d-2a1f0e9d8c7b', '5d2e0a7f-3c4b-4d8e-8f9a-4c3b2a1f0e9d'], expectedVersions: { '3b0c8f5e-1d2a-4e6b-9c7d-2a1f0e9d8c7b': 2 } },
    success: {
      status: 200,
      description: 'With dryRun: the preview (BatchPreview), nothing changed. Otherwise one result per project (BatchExecution), also when some failed.',
      schema: BatchOperationResult,
      example: 'batchExecution',
      accepted: {
        description: `A large batch (more than ${ASYNC_BATCH_THRESHOLD} ids, or a selector matching more than one page of ${ASYNC_BATCH_THRESHOLD}): accepted as a batch resource that runs on the batch queue; Location is its URL (GET it for counters and results).`,
        schema: BatchJobView,
      },
    },
    errors: ['INVALID_NEXT_TOKEN'],
  },
  'GET /batch-operations': {
    operationId: 'listBatchOperations',
    tag: 'projects',
    request: { query: ListQuery },
    success: { status: 200, description: 'A page of batch resources, newest first.', schema: BatchJobList },
    errors: ['INVALID_NEXT_TOKEN'],
  },
  'GET /batch-operations/{id}': {
    operationId: 'getBatchOperation',
    tag: 'projects',
    request: { path: IdPath, query: ListQuery },
    success: { status: 200, description: 'The batch (status, counters) and one page of its per-project results, by project id.', schema: BatchJobDetail },
    errors: ['BATCH_NOT_FOUND', 'INVALID_NEXT_TOKEN'],
  },
  'GET /projects/{id}/events': {
    operationId: 'listProjectEvents',
    tag: 'projects',
    request: { path: IdPath, query: ListQuery },
    success: { status: 200, description: 'A page of the audit trail, oldest first (kept after delete).', schema: AuditEventList, example: 'auditEventList' },
    errors: ['PROJECT_NOT_FOUND', 'INVALID_NEXT_TOKEN'],
  },
  'GET /projects/{id}/alerts': {
    operationId: 'listProjectAlerts',
    tag: 'projects',
    request: { path: IdPath, query: ListQuery },
    success: {
      status: 200,
      description: "A page of the project's alerts, newest first (by `at`); kept after the project is deleted. Which conditions raise an alert, and above which thresholds, depends on the project's alert level.",
      schema: AlertList,
      example: 'alertList',
    },
    errors: ['PROJECT_NOT_FOUND', 'INVALID_NEXT_TOKEN'],
  },
  'GET /openapi.json': {
    operationId: 'getOpenApiDocument',
    tag: 'meta',
    request: {},
    success: { status: 200, description: 'This document.' },
    errors: [],
    freeForm: true,
  },
};

export const routeKey = (r: Pick<Route, 'method' | 'path'>) => `${r.method} ${r.path}`;
const MUTATING = new Set(['POST', 'PUT', 'DELETE']);

/** Problem codes a route can answer with: its own plus those its traits imply. */
export function problemCodesOf(route: Route, c: OperationContract): ProblemCode[] {
  const codes = new Set<ProblemCode>(['INTERNAL_ERROR', 'SERVICE_UNAVAILABLE']);
  if (!c.freeForm) codes.add('VALIDATION_FAILED');
  if (c.request.body) for (const code of ['MALFORMED_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE'] as const) codes.add(code);
  if (MUTATING.has(route.method)) for (const code of ['IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_IN_PROGRESS', 'IDEMPOTENCY_RESPONSE_UNAVAILABLE', 'VALIDATION_FAILED'] as const) codes.add(code);
  for (const code of c.errors) codes.add(code);
  return [...codes].sort((a, b) => PROBLEM_CODES[a].status - PROBLEM_CODES[b].status || a.localeCompare(b));
}

/** Shapes zod's JSON Schema for the document: no $schema/$id in components, no restated date-time regex. */
function tidy(schema: unknown, openObjects: boolean): unknown {
  if (Array.isArray(schema)) return schema.map((s) => tidy(s, openObjects));
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema as Json)) {
    if (k === '$schema' || k === '$id') continue;
    if (k === 'pattern' && (schema as Json).format === 'date-time') continue;
    if (k === 'additionalProperties' && v === false && openObjects) continue;
    if (k === 'maximum' && v === Number.MAX_SAFE_INTEGER) continue;
    if (k === 'minimum' && v === Number.MIN_SAFE_INTEGER) continue;
    out[k] = k === 'properties' || k === '$defs' ? Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, tidy(s, openObjects)])) : tidy(v, openObjects);
  }
  return out;
}

const COMPONENT_URI = (id: string) => `#/components/schemas/${id}`;

/** Request schemas as accepted on the wire (zod input), inline. */
/** The object a body schema accepts: a schema that screens the raw value first (no inline credentials) pipes into it. */
function acceptedObject(schema: z.ZodType): z.ZodType {
  const def = (schema as unknown as { _zod: { def: { type: string; in?: z.ZodType; out?: z.ZodType } } })._zod.def;
  if (def.type === 'pipe' && def.in && def.out && (def.in as unknown as { _zod: { def: { type: string } } })._zod.def.type === 'unknown') return def.out;
  return schema;
}

/** JSON Schema draft 4 of a request body, for API Gateway request models (same zod source as the handlers). */
export function apiGatewayModelSchema(schema: z.ZodType): Json {
  const json = z.toJSONSchema(acceptedObject(schema), { target: 'draft-4', io: 'input', unrepresentable: 'any' }) as Json;
  return json;
}

function requestSchema(schema: z.ZodType): Json {
  const s = acceptedObject(schema);
  const json = tidy(z.toJSONSchema(s, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }), false) as Json;
  if ('$defs' in json) throw new Error('request schemas must not contain registered (id) schemas');
  return json;
}

function responseComponents(): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const s of [SubtaskView, ProjectView, DataSourceView, ConnectionTestView, AlertView, ProjectList, DataSourceList, AuditEventList, AlertList, BatchPreviewView, BatchExecutionView, BatchOperationResult, Problem]) {
    const id = (s.meta() as { id?: string } | undefined)?.id;
    if (!id) throw new Error('response component without id');
    registry.add(s, { id });
  }
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', io: 'output', uri: COMPONENT_URI });
  return Object.fromEntries(Object.entries(schemas).map(([id, s]) => [id, tidy(s, true) as Json]));
}

function componentRef(schema: z.ZodType): Json {
  const id = (schema.meta() as { id?: string } | undefined)?.id;
  if (!id) throw new Error('response schema without .meta({ id })');
  return { $ref: COMPONENT_URI(id) };
}

function parametersOf(route: Route, c: OperationContract): Json[] {
  const params: Json[] = [];
  for (const [where, schema] of [['path', c.request.path], ['query', c.request.query]] as const) {
    if (!schema) continue;
    const json = requestSchema(schema);
    const required = new Set((json.required as string[] | undefined) ?? []);
    for (const [name, s] of Object.entries((json.properties as Record<string, Json>) ?? {})) {
      const { description, ...rest } = s;
      params.push({
        name,
        in: where,
        required: where === 'path' || required.has(name),
        ...(description ? { description } : {}),
        schema: rest,
      });
    }
  }
  if (c.ifMatch) params.push({ $ref: '#/components/parameters/IfMatch' });
  if (MUTATING.has(route.method)) params.push({ $ref: '#/components/parameters/IdempotencyKey' });
  return params;
}

function problemResponses(codes: ProblemCode[]): Record<string, Json> {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of codes) {
    const status = PROBLEM_CODES[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<string, Json> = {};
  for (const [status, list] of byStatus) {
    out[String(status)] = {
      description: list.map((code) => `\`${code}\`: ${PROBLEM_CODES[code].title}`).join('; '),
      content: {
        'application/problem+json': {
          schema: {
            allOf: [{ $ref: COMPONENT_URI('Problem') }, { type: 'object', properties: { status: { const: status }, code: { enum: list } } }],
          },
          examples: Object.fromEntries(list.map((code) => [code, { $ref: `#/components/examples/${code}` }])),
        },
      },
    };
  }
  return out;
}

function operationOf(route: Route, c: OperationContract): Json {
  const headers: Json = {};
  if (c.success.etag) headers.ETag = { $ref: '#/components/headers/ETag' };
  if (MUTATING.has(route.method)) headers[REPLAYED_HEADER] = { $ref: '#/components/headers/IdempotentReplayed' };
  const success: Json = {
    description: c.success.description,
    ...(Object.keys(headers).length ? { headers } : {}),
    ...(c.success.schema
      ? { content: { 'application/json': { schema: componentRef(c.success.schema), ...(c.success.example ? { examples: { [c.success.example]: { $ref: `#/components/examples/${c.success.example}` } } } : {}) } } }
      : c.freeForm
        ? { content: { 'application/json': { schema: { type: 'object' } } } }
        : {}),
  };
  const body = c.request.body;
  const bodyOptional = body ? body.safeParse(undefined).success : false;
  return {
    operationId: c.operationId,
    summary: route.summary,
    tags: [c.tag],
    ...(route.operation ? { 'x-transition-operation': route.operation } : {}),
    ...(c.freeForm ? { security: [] } : {}),
    parameters: parametersOf(route, c),
    ...(body
      ? {
          requestBody: {
            required: !bodyOptional,
            content: {
              'application/json': {
                schema: requestSchema(body),
                ...(c.bodyExample !== undefined ? { example: c.bodyExample } : {}),
              },
            },
          },
        }
      : {}),
    responses: {
      [String(c.success.status)]: success,
      ...(c.success.accepted
        ? {
            '202': {
              description: c.success.accepted.description,
              headers: { Location: { description: 'The batch resource.', schema: { type: 'string' } }, ...headers },
              content: { 'application/json': { schema: componentRef(c.success.accepted.schema) } },
            },
          }
        : {}),
      ...problemResponses(problemCodesOf(route, c)),
    },
  };
}

export function buildOpenApiDocument(routes: readonly Route[] = ROUTES): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const c = CONTRACT[routeKey(route)];
    if (!c) throw new Error(`No OpenAPI contract for ${routeKey(route)}: add it to CONTRACT in shared/api/openapi.ts`);
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operationOf(route, c);
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      title: 'Migration control plane API',
      version: '1.0.0',
      description: [
        'Control plane for data-migration projects. Errors are RFC 9457 problem+json documents with a stable `code`.',
        `Every POST, PUT and DELETE takes an optional \`Idempotency-Key\`: a retry with the same key and request replays the stored response (marked \`${REPLAYED_HEADER}: true\`) without running again, for ${IDEMPOTENCY_TTL_MS / 3_600_000} hours.`,
        'Deployed, the API is called with AWS SigV4 (service `execute-api`).',
      ].join('\n\n'),
    },
    servers: [{ url: '/', description: 'The API root (locally http://localhost:3000).' }],
    security: [{ sigv4: [] }],
    tags: [
      { name: 'projects', description: 'Migration projects and their lifecycle.' },
      { name: 'data-sources', description: 'Databases projects migrate from and to.' },
      { name: 'meta', description: 'About the API itself.' },
    ],
    paths,
    components: {
      schemas: responseComponents(),
      examples: {
        ...Object.fromEntries(Object.entries(RESPONSE_EXAMPLES).map(([name, value]) => [name, { value }])),
        ...Object.fromEntries((Object.keys(PROBLEM_CODES) as ProblemCode[]).map((code) => [code, { summary: PROBLEM_CODES[code].title, value: problemExample(code) }])),
      },
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: `Makes the request safe to retry: the first request with a key runs, later ones with the same key and request get its response. Keys are scoped to the caller and the route and live ${IDEMPOTENCY_TTL_MS / 3_600_000} h. The same key with another request is 422 IDEMPOTENCY_KEY_REUSED; while the first is running, 409 IDEMPOTENCY_IN_PROGRESS.`,
          schema: { type: 'string', minLength: 1, maxLength: 255, pattern: IDEMPOTENCY_KEY_PATTERN.source },
          example: '6f1d2c3b-4a59-4e8d-9c7b-1a2b3c4d5e6f',
        },
        IfMatch: {
          name: 'If-Match',
          in: 'header',
          required: false,
          description: 'Apply only if the project is at this version (its ETag); otherwise 412 VERSION_MISMATCH.',
          schema: { type: 'string' },
          example: '"3"',
        },
      },
      headers: {
        ETag: { description: 'The project version, e.g. "3": pass it as If-Match.', schema: { type: 'string' } },
        IdempotentReplayed: { description: 'true when the response was replayed for an Idempotency-Key.', schema: { type: 'string', enum: ['true'] } },
      },
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'AWS Signature Version 4 (service execute-api) with IAM credentials.',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
    },
  };
}

/** The document as written to shared/api/openapi.json (stable formatting, trailing newline). */
export function renderOpenApiDocument(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}
