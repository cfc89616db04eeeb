import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { inject } from 'vitest';
import { loadFunctionHandler, matchRoute, type LambdaHandler } from '../../infra/local/api-server';
import { ensureTable, localDocumentClient } from '../../infra/local/dynamodb-local';
import { setDocumentClient } from '../../shared/adapters/dynamodb/client';
import type { Clock } from '../../shared/domain/clock';
import { overrideDeps, resetDeps } from '../../shared/runtime';
import { DEFAULT_PAUSE_WARNING_SECONDS, type Deps } from '../../shared/usecases/deps';
import { InMemoryOrchestrator } from '../../shared/adapters/memory/orchestrator';
import { InMemoryExpiryScheduler } from '../../shared/adapters/memory/scheduler';
import type { InProcessBatchQueue } from '../../shared/adapters/memory/in-process-queue';
import { localBatchQueue } from '../../infra/local/local-batch-queue';

/** A clock a test moves by hand, to stand exactly before or after a deadline. */
export class ManualClock implements Clock {
  constructor(public ms = Date.parse('2026-01-01T00:00:00.000Z')) {}
  nowMs(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/**
 * Points the handlers at a fresh table in the run's DynamoDB Local and returns its name.
 * `overrides` replace dependencies (clock, adapters) for this file.
 */
let batchQueue: InProcessBatchQueue | undefined;

/** Resolves once the local batch queue of the current table has nothing waiting, running or due again. */
export function batchQueueIdle(): Promise<void> {
  return batchQueue ? batchQueue.idle() : Promise.resolve();
}

/** The local batch queue of the current table (its dead letters, for assertions). */
export function currentBatchQueue(): InProcessBatchQueue | undefined {
  return batchQueue;
}

export async function useLocalTable(overrides: Partial<Deps> = {}, endpoint: string = inject('dynamoEndpoint')): Promise<{ tableName: string; endpoint: string }> {
  const tableName = `t-${randomUUID()}`;
  await ensureTable(endpoint, tableName);
  process.env.TABLE_NAME = tableName;
  delete process.env.PAUSE_DEADLINE_SECONDS;
  // The simulated engine on this table (as a deployed function with MIGRATION_ENGINES=simulated).
  process.env.MIGRATION_ENGINES = 'simulated';
  setDocumentClient(localDocumentClient(endpoint));
  resetDeps();
  // Runs and timers: in-memory fakes unless the test brings its own (nothing is started or scheduled for real).
  // Large batches run on the local queue: the batch worker's handler module, in-process (as under npm start).
  batchQueue = await localBatchQueue({ retryDelayMs: 20 });
  overrideDeps({ orchestrator: new InMemoryOrchestrator(), expiry: new InMemoryExpiryScheduler(DEFAULT_PAUSE_WARNING_SECONDS * 1000), batchQueue, ...overrides });
  return { tableName, endpoint };
}

export interface CallResult {
  status: number;
  headers: Record<string, string>;
  body: any;
}

const handlers = new Map<string, Promise<LambdaHandler>>();

/** Sends one request through the same REST proxy event and handler module API Gateway would use. */
export async function call(
  method: string,
  pathWithQuery: string,
  options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<CallResult> {
  const url = new URL(pathWithQuery, 'http://localhost');
  const { match } = matchRoute(method, url.pathname);
  if (!match) throw new Error(`no route ${method} ${url.pathname}`);
  const query = Object.fromEntries(url.searchParams);
  const multi: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    // Own properties whatever the name ("constructor", "__proto__"), as in API Gateway's JSON event.
    if (Object.hasOwn(multi, k)) (multi[k] as string[]).push(v);
    else Object.defineProperty(multi, k, { value: [v], writable: true, enumerable: true, configurable: true });
  }
  const body = options.rawBody ?? (options.body === undefined ? null : JSON.stringify(options.body));
  const headers: Record<string, string> = {
    ...(body !== null && options.rawBody === undefined ? { 'Content-Type': 'application/json' } : {}),
    ...options.headers,
  };
  const requestId = randomUUID();
  const event = {
    resource: match.route.path,
    path: url.pathname,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: Object.keys(query).length ? multi : null,
    pathParameters: Object.keys(match.pathParameters).length ? match.pathParameters : null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      requestId,
      resourcePath: match.route.path,
      httpMethod: method,
      stage: 'test',
      identity: { userArn: headers['X-Actor'] ?? 'arn:aws:iam::123456789012:user/tester' },
    },
  } as unknown as Parameters<LambdaHandler>[0];
  let handler = handlers.get(match.route.fn);
  if (!handler) handlers.set(match.route.fn, (handler = loadFunctionHandler(match.route.fn)));
  const result: APIGatewayProxyResult = await (await handler)(event, { awsRequestId: requestId } as Context);
  const text = result.body;
  return {
    status: result.statusCode,
    headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])),
    body: text ? JSON.parse(text) : undefined,
  };
}

export const ALL_COMPONENTS = {
  structureMigration: true,
  fullMigration: true,
  incrementalSync: true,
  fullVerification: true,
  reverseIncrementalSync: true,
};

/** Creates a source and a destination data source; returns their ids. */
export async function createDataSources(prefix = 'ds'): Promise<{ sourceId: string; destinationId: string }> {
  const make = async (name: string, engine: string) => {
    const r = await call('POST', '/data-sources', { body: { name, engine, host: 'db.internal', port: 3306, username: 'migrator' } });
    if (r.status !== 201) throw new Error(`data source: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.id as string;
  };
  return { sourceId: await make(`${prefix}-src`, 'mysql'), destinationId: await make(`${prefix}-dst`, 'oceanbase-mysql') };
}

let projectCounter = 0;

export async function createProject(ds: { sourceId: string; destinationId: string }, extra: Record<string, unknown> = {}) {
  const r = await call('POST', '/projects', {
    body: { name: `p-${process.pid}-${++projectCounter}-${randomUUID().slice(0, 8)}`, ...ds, migrationType: ALL_COMPONENTS, ...extra },
  });
  if (r.status !== 201) throw new Error(`project: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { id: string; name: string; version: number; status: string };
}
