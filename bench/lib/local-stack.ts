import { InMemoryOrchestrator } from '../../shared/adapters/memory/orchestrator';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Context } from 'aws-lambda';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createApiServer, loadFunctionHandler, type HandlerLoader } from '../../infra/local/api-server';
import { ensureTable, localDocumentClient, startDynamoDbLocal, type DynamoDbLocal } from '../../infra/local/dynamodb-local';
import { LocalScheduler } from '../../infra/local/local-scheduler';
import { setDocumentClient } from '../../shared/adapters/dynamodb/client';
import type { ExpiryScheduler } from '../../shared/ports';
import { overrideDeps, pauseWarningLeadMs, resetDeps } from '../../shared/runtime';
import { TABLE } from '../../shared/table';

// @aws-sdk is pinned for Node 20 on purpose (README); its notice about Node 22 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A keep-alive HTTP/1.1 client on loopback (like an SDK client would keep its connections). */
export class HttpClient {
  readonly agent: Agent;
  constructor(
    private readonly port: number,
    maxSockets = 32,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  send(method: string, urlPath: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<HttpResult> {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path: urlPath,
          agent: this.agent,
          headers: { ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}), ...options.headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Sends and requires one of the expected statuses; returns the parsed JSON body. */
  async json(method: string, urlPath: string, expected: number[], options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<any> {
    const r = await this.send(method, urlPath, options);
    if (!expected.includes(r.status)) throw new Error(`${method} ${urlPath}: ${r.status} ${r.body.slice(0, 500)}`);
    return r.body ? JSON.parse(r.body) : undefined;
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface LocalStack {
  ddb: DynamoDbLocal;
  tableName: string;
  /** The document client the handlers use (set with setDocumentClient). */
  handlerClient: DynamoDBDocumentClient;
  /** A second client with the same configuration, for the bare baseline requests. */
  baselineClient: DynamoDBDocumentClient;
  port: number;
  http: HttpClient;
  scheduler: LocalScheduler;
  /** Lambda invocations by function folder, counted at the local API server's handler loader. */
  invocations: Map<string, number>;
  stop(): Promise<void>;
}

/**
 * The embedded default as `npm start` runs it, in this process: DynamoDB Local in memory, the table
 * from the shared definition, the local API server on a free loopback port, and the LocalScheduler
 * (pause timers in a temp JSON file). `decorate` wraps the handlers' DynamoDB client or the scheduler
 * (the cost benchmark counts requests there).
 */
export async function startLocalStack(
  options: {
    decorateClient?: (client: DynamoDBDocumentClient) => DynamoDBDocumentClient;
    decorateScheduler?: (scheduler: ExpiryScheduler) => ExpiryScheduler;
  } = {},
): Promise<LocalStack> {
  const ddb = await startDynamoDbLocal();
  const tableName = `bench-${TABLE.defaultName}-${randomUUID().slice(0, 8)}`;
  await ensureTable(ddb.endpoint, tableName);
  Object.assign(process.env, { TABLE_NAME: tableName, DYNAMODB_ENDPOINT: ddb.endpoint, AWS_REGION: 'local', MIGRATION_ENGINES: 'simulated' });
  delete process.env.PAUSE_DEADLINE_SECONDS;
  const handlerClient = (options.decorateClient ?? ((c) => c))(localDocumentClient(ddb.endpoint));
  const baselineClient = localDocumentClient(ddb.endpoint);
  setDocumentClient(handlerClient);
  resetDeps();

  const tmp = mkdtempSync(path.join(tmpdir(), 'bench-scheduler-'));
  const { handler: pauseTimer } = await import('../../functions/pause-timer/handler');
  const scheduler = new LocalScheduler(
    path.join(tmp, 'schedules.json'),
    (input) => pauseTimer(input, { awsRequestId: randomUUID() } as Context),
    pauseWarningLeadMs(),
    () => undefined,
  );
  scheduler.start();
  // Runs are not executed here: an in-memory orchestrator records them.
  overrideDeps({ expiry: (options.decorateScheduler ?? ((s) => s))(scheduler), orchestrator: new InMemoryOrchestrator() });

  const invocations = new Map<string, number>();
  const countingLoader: HandlerLoader = async (fn) => {
    const handler = await loadFunctionHandler(fn);
    return (event, context) => {
      invocations.set(fn, (invocations.get(fn) ?? 0) + 1);
      return handler(event, context);
    };
  };
  const server = createApiServer(countingLoader);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  const port = (server.address() as AddressInfo).port;
  const http = new HttpClient(port);
  return {
    ddb,
    tableName,
    handlerClient,
    baselineClient,
    port,
    http,
    scheduler,
    invocations,
    stop: async () => {
      http.close();
      scheduler.stop();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      handlerClient.destroy();
      baselineClient.destroy();
      setDocumentClient(undefined);
      resetDeps();
      await ddb.stop();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export const MIGRATION_TYPE = {
  structureMigration: true,
  fullMigration: true,
  incrementalSync: true,
  fullVerification: true,
  reverseIncrementalSync: false,
};

/** Two data sources and `count` projects through the API, each started when `running`; returns their ids. */
export async function seedProjects(http: HttpClient, count: number, options: { running: boolean; prefix?: string }): Promise<string[]> {
  const prefix = options.prefix ?? `b${randomUUID().slice(0, 6)}`;
  const ds = async (name: string, engine: string) =>
    (await http.json('POST', '/data-sources', [201], { body: { name, engine, host: 'db.internal', port: 3306, username: 'migrator' } })).id as string;
  const sourceId = await ds(`${prefix}-src`, 'mysql');
  const destinationId = await ds(`${prefix}-dst`, 'oceanbase-mysql');
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const p = await http.json('POST', '/projects', [201], { body: { name: `${prefix}-p${i}`, sourceId, destinationId, migrationType: MIGRATION_TYPE } });
    if (options.running) await http.json('POST', `/projects/${p.id}/start`, [200]);
    ids.push(p.id as string);
  }
  return ids;
}
