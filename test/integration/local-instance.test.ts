import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, localClient } from '../../infra/local/dynamodb-local';
import { isPortFree } from '../../infra/local/ports';

/**
 * `npm start`'s entry (tsx infra/local/main.ts) as child processes, each with its own LOCAL_DATA_DIR and
 * ports: a second instance on the same data directory or on a taken port is refused in one line and
 * leaves nothing running, and every way out (SIGTERM, an error after DynamoDB Local started, a SIGKILL of
 * the server process) stops DynamoDB Local and the PostgreSQL clusters. Few boots: the machine is small.
 */
const REPO = resolve(__dirname, '../..');
const TSX_CLI = join(REPO, 'node_modules/tsx/dist/cli.mjs');

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];

/** `npx tsx infra/local/main.ts` (as `npm start` runs it, below npm), or tsx straight from node_modules (faster). */
function launch(env: Record<string, string>, via: 'npx' | 'tsx' = 'tsx'): Started {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.DYNAMODB_ENDPOINT;
  if (!env.TABLE_NAME) delete childEnv.TABLE_NAME;
  // Its own process group, only so that afterAll can clear up whatever a failed test leaves.
  const [command, args] = via === 'npx' ? ['npx', ['tsx', 'infra/local/main.ts']] : [process.execPath, [TSX_CLI, 'infra/local/main.ts']];
  const child = spawn(command, args, { cwd: REPO, env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  return { child, output: () => output, exited };
}

/** Resolves once the boot banner is printed; rejects with the output if the process exits first. */
async function up(started: Started): Promise<void> {
  for (;;) {
    if (/is up\.[\s\S]*run\(s\) restarted/.test(started.output())) return;
    const done = await Promise.race([started.exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 100))]);
    if (done) throw new Error(`npm start exited while booting:\n${started.output()}`);
  }
}

/** Pids of processes whose command line mentions `dir` (DynamoDB Local's -dbPath, a postmaster's -D, a watchdog). */
function processesUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Polls `check` (up to 10 s) until it gives `want`, and returns its last answer: a killed process takes a moment to go. */
async function eventually<T>(check: () => T | Promise<T>, want: T): Promise<T> {
  let last = await check();
  for (let i = 0; i < 100 && JSON.stringify(last) !== JSON.stringify(want); i++) {
    await new Promise((r) => setTimeout(r, 100));
    last = await check();
  }
  return last;
}

const settledProcessesUsing = (dir: string) => eventually(() => processesUsing(dir), []);

async function api(port: number, method: string, path: string, body?: unknown): Promise<{ id: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as { id: string };
}

/** One value from database `shop` of the local cluster on `port`. */
async function sql(port: number, text: string): Promise<string> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'shop' });
  await client.connect();
  try {
    return String((await client.query<{ n: string }>(text)).rows[0]?.n);
  } finally {
    await client.end();
  }
}

async function tableItems(endpoint: string): Promise<unknown[]> {
  const client = localClient(endpoint);
  try {
    return (await client.send(new ScanCommand({ TableName: 'migration-control-plane' }))).Items ?? [];
  } finally {
    client.destroy();
  }
}

/** Waits until the table holds the same items across two reads 2 s apart (the instance's stream consumers are done). */
async function settled(endpoint: string): Promise<void> {
  let last = JSON.stringify(await tableItems(endpoint));
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 2000));
    const now = JSON.stringify(await tableItems(endpoint));
    if (now === last) return;
    last = now;
  }
  throw new Error('the first instance kept writing its table for 60 s');
}

describe('npm start owns its data directory and ports, and leaves nothing running', () => {
  const base = mkdtempSync(join(tmpdir(), 'local-instance-'));
  const dirA = join(base, 'a');
  const dirB = join(base, 'b');
  const ports = { apiA: 0, ddbA: 0, pgSrcA: 0, pgDstA: 0, apiB: 0, ddbB: 0, pgSrcB: 0, pgDstB: 0 };
  const envA = () => ({
    LOCAL_DATA_DIR: dirA,
    PORT: String(ports.apiA),
    DYNAMODB_LOCAL_PORT: String(ports.ddbA),
    LOCAL_PG_SOURCE_PORT: String(ports.pgSrcA),
    LOCAL_PG_DESTINATION_PORT: String(ports.pgDstA),
  });
  /** Instance B's settings, with some of A's (to collide) in `overrides`. */
  const envB = (overrides: Record<string, string> = {}) => ({
    LOCAL_DATA_DIR: dirB,
    PORT: String(ports.apiB),
    DYNAMODB_LOCAL_PORT: String(ports.ddbB),
    LOCAL_PG_SOURCE_PORT: String(ports.pgSrcB),
    LOCAL_PG_DESTINATION_PORT: String(ports.pgDstB),
    ...overrides,
  });
  let first: Started;
  let seeded: { sourceCustomers: string; destinationTables: string };

  beforeAll(async () => {
    for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] = await freePort();
    first = launch(envA(), 'npx');
    await up(first);
    seeded = {
      sourceCustomers: await sql(ports.pgSrcA, 'SELECT count(*)::text AS n FROM shop.customers'),
      destinationTables: await sql(ports.pgDstA, "SELECT count(*)::text AS n FROM information_schema.tables WHERE table_schema = 'shop'"),
    };
    // A paused project: its pause timers are what the banner of a later boot counts
    const source = await api(ports.apiA, 'POST', '/data-sources', { name: 'first-instance', engine: 'mysql', host: '10.0.0.5', port: 3306, username: 'migrator' });
    const destination = await api(ports.apiA, 'POST', '/data-sources', { name: 'first-dest', engine: 'mysql', host: '10.0.0.6', port: 3306, username: 'migrator' });
    const project = await api(ports.apiA, 'POST', '/projects', {
      name: 'paused-one',
      sourceId: source.id,
      destinationId: destination.id,
      migrationType: { structureMigration: true, fullMigration: true, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false },
    });
    await api(ports.apiA, 'POST', `/projects/${project.id}/start`);
    await api(ports.apiA, 'POST', `/projects/${project.id}/pause`);
    // The first instance digests its table stream after the answers (status counters, domain events): the
    // tests below compare its table before and after a second instance, so they start once it is settled.
    await settled(`http://127.0.0.1:${ports.ddbA}`);
  }, 180_000);

  afterAll(() => {
    for (const child of children) {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(base, { recursive: true, force: true });
  });

  it('the source cluster holds the demo database shop, the destination an empty shop', () => {
    // Assess (the clusters were brought up by the first instance's boot)
    expect(seeded).toEqual({ sourceCustomers: '50', destinationTables: '0' });
  });

  it('a second instance on the same LOCAL_DATA_DIR is refused in one line, exit 1, the first untouched', async () => {
    // Prepare
    const before = await tableItems(`http://127.0.0.1:${ports.ddbA}`);

    // Act
    const second = launch(envB({ LOCAL_DATA_DIR: dirA }));
    const code = await second.exited;

    // Assess
    expect(code).toBe(1);
    const lines = second.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/LOCAL_DATA_DIR .* is in use by another npm start \(pid \d+/);
    expect(await isPortFree(ports.ddbB)).toBe(true);
    expect(await isPortFree(ports.apiB, '127.0.0.1')).toBe(true);
    expect(await tableItems(`http://127.0.0.1:${ports.ddbA}`)).toEqual(before);
    expect(first.child.exitCode).toBeNull();
    expect(JSON.parse(readFileSync(join(dirA, 'instance.lock'), 'utf8'))).toMatchObject({ ports: { PORT: ports.apiA } });
  }, 60_000);

  it("another data directory on the first's API port: refused naming PORT, no DynamoDB Local started", async () => {
    // Act
    const second = launch(envB({ PORT: String(ports.apiA) }));
    const code = await second.exited;

    // Assess
    expect(code).toBe(1);
    expect(second.output().trim()).toBe(`Port ${ports.apiA} (PORT) is already in use: stop what listens there, or set PORT to a free port.`);
    expect(await isPortFree(ports.ddbB)).toBe(true);
    expect(processesUsing(dirB)).toEqual([]);
    expect(existsSync(join(dirB, 'instance.lock'))).toBe(false);
  }, 60_000);

  it("another data directory on the first's DynamoDB Local port: refused naming DYNAMODB_LOCAL_PORT, never writing into the first's table", async () => {
    // Prepare
    const before = await tableItems(`http://127.0.0.1:${ports.ddbA}`);

    // Act
    const second = launch(envB({ DYNAMODB_LOCAL_PORT: String(ports.ddbA) }));
    const code = await second.exited;

    // Assess
    expect(code).toBe(1);
    expect(second.output().trim()).toBe(
      `Port ${ports.ddbA} (DYNAMODB_LOCAL_PORT) is already in use: stop what listens there, or set DYNAMODB_LOCAL_PORT to a free port.`,
    );
    expect(await isPortFree(ports.apiB, '127.0.0.1')).toBe(true);
    expect(await tableItems(`http://127.0.0.1:${ports.ddbA}`)).toEqual(before);
    expect(processesUsing(dirB)).toEqual([]);
  }, 60_000);

  it("another data directory on the first's PostgreSQL destination port: refused naming LOCAL_PG_DESTINATION_PORT", async () => {
    // Act
    const second = launch(envB({ LOCAL_PG_DESTINATION_PORT: String(ports.pgDstA) }));
    const code = await second.exited;

    // Assess
    expect(code).toBe(1);
    expect(second.output().trim()).toBe(
      `Port ${ports.pgDstA} (LOCAL_PG_DESTINATION_PORT) is already in use: stop what listens there, or set LOCAL_PG_DESTINATION_PORT to a free port.`,
    );
    expect(await isPortFree(ports.pgSrcB, '127.0.0.1')).toBe(true);
    expect(processesUsing(dirB)).toEqual([]);
  }, 60_000);

  it('SIGTERM to the npx process above the server stops the API, DynamoDB Local and the clusters, and releases the data directory', async () => {
    // Act: the signal goes to npx only (npm start: to npm), not to the process group
    process.kill(first.child.pid as number, 'SIGTERM');
    await first.exited;

    // Assess: npx exits at once; the server below it notices and stops
    expect(await eventually(() => existsSync(join(dirA, 'instance.lock')), false)).toBe(false);
    expect(await settledProcessesUsing(dirA)).toEqual([]);
    expect(await eventually(() => isPortFree(ports.apiA, '127.0.0.1'), true)).toBe(true);
    expect(await eventually(() => isPortFree(ports.ddbA), true)).toBe(true);
    expect(await eventually(() => isPortFree(ports.pgSrcA, '127.0.0.1'), true)).toBe(true);
    expect(await eventually(() => isPortFree(ports.pgDstA, '127.0.0.1'), true)).toBe(true);
  }, 60_000);

  it('an error after DynamoDB Local and the clusters started: exit 1, all of them stopped', async () => {
    // Act: a table name DynamoDB refuses fails the start right after DynamoDB Local is up
    const failing = launch(envB({ TABLE_NAME: 'no' }));
    const code = await failing.exited;

    // Assess
    expect(failing.output()).toContain('Starting DynamoDB Local');
    expect(code).toBe(1);
    expect(await settledProcessesUsing(dirB)).toEqual([]);
    expect(await isPortFree(ports.ddbB)).toBe(true);
    expect(await isPortFree(ports.pgSrcB, '127.0.0.1')).toBe(true);
    expect(existsSync(join(dirB, 'instance.lock'))).toBe(false);
  }, 120_000);

  it('a SIGKILL of the server process still stops DynamoDB Local and the clusters; the next start on the data keeps it', async () => {
    // Prepare: the first instance's data directory again (its data survives the restart), its pause timers
    // lost (as a crash between a pause and its timer write would): the boot reconcile creates them again
    rmSync(join(dirA, 'schedules.json'), { force: true });
    const again = launch(envA());
    await up(again);
    const bannerTimers = Number(/(\d+) timer\(s\) pending/.exec(again.output())?.[1]);
    const timersOnDisk = (JSON.parse(readFileSync(join(dirA, 'schedules.json'), 'utf8')) as unknown[]).length;
    const listed = (await (await fetch(`http://127.0.0.1:${ports.apiA}/data-sources?limit=100`)).json()) as { items: { name: string }[] };
    const customers = await sql(ports.pgSrcA, 'SELECT count(*)::text AS n FROM shop.customers');
    const server = Number(readFileSync(`/proc/${again.child.pid}/task/${again.child.pid}/children`, 'utf8').trim().split(/\s+/)[0]);

    // Act: SIGKILL to the node process running main.ts (tsx's child): no handler of ours runs
    process.kill(server, 'SIGKILL');
    await again.exited;

    // Assess
    expect(listed.items.map((d) => d.name)).toContain('first-instance');
    expect(customers).toBe('50');
    expect(timersOnDisk).toBeGreaterThan(0);
    expect(bannerTimers).toBe(timersOnDisk);
    expect(await settledProcessesUsing(dirA)).toEqual([]);
    expect(await eventually(() => isPortFree(ports.ddbA), true)).toBe(true);
    expect(await eventually(() => isPortFree(ports.pgSrcA, '127.0.0.1'), true)).toBe(true);
  }, 180_000);
});
