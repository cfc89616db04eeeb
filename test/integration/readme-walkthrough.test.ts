import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/dynamodb-local';

/**
 * The README's walkthroughs, as written: the shell blocks README.md marks `<!-- walkthrough: postgresql -->`
 * (the first session on the embedded PostgreSQL clusters: real rows, a change captured, the switchover,
 * the reverse sync, the release; a failure with a real cause and its resume) and `<!-- walkthrough: simulated -->`
 * (the first session on the simulated engine, a whole run with its switchover, a failure and its resume, the
 * batch examples, a large batch run as a resource: 202, then its counters and results) are extracted from README.md itself
 * and run in document order, by bash, against a local server started here (infra/local/main.ts as
 * `npm start` runs it, on free ports with its own LOCAL_DATA_DIR, stopped in afterAll; its clusters are
 * started by it). What each block prints is checked, not only that it ends.
 *
 * The server's output goes to a file (server.log in its data directory, shown when the test fails) and
 * the script runs asynchronously with a deadline of its own: a hang ends in a failure that shows how far
 * the script got and what the server said, never in a silent wait. Every curl is bounded (`max-time` in a
 * curlrc of the test's own) and the README's waits are bounded (`migctl wait --timeout`, counted loops).
 * The simulated engine and the state machine's Wait states run at SIMULATION_TIME_SCALE 200 (README).
 */
const REPO = resolve(__dirname, '../..');
const TSX_CLI = join(REPO, 'node_modules/tsx/dist/cli.mjs');
const SCRIPT_DEADLINE_MS = 480_000;

export interface WalkthroughBlock {
  name: string;
  code: string;
}

/** The shell blocks marked `<!-- walkthrough: NAME ... -->` (NAME among `names`), in document order. */
export function walkthroughBlocks(markdown: string, names: readonly string[]): WalkthroughBlock[] {
  const blocks: WalkthroughBlock[] = [];
  for (const m of markdown.matchAll(/<!-- walkthrough: (\w+)\b[^>]*-->\s*```sh\n([\s\S]*?)\n```/g)) {
    if (names.includes(m[1] as string)) blocks.push({ name: m[1] as string, code: m[2] as string });
  }
  return blocks;
}

let server: ChildProcess | undefined;
let dir = '';
let port = 0;
const serverLog = () => (dir ? readFileSync(join(dir, 'server.log'), 'utf8') : '');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'readme-walkthrough-'));
  port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LOCAL_DATA_DIR: join(dir, 'data'),
    PORT: String(port),
    DYNAMODB_LOCAL_PORT: String(await freePort()),
    LOCAL_PG_SOURCE_PORT: String(await freePort()),
    LOCAL_PG_DESTINATION_PORT: String(await freePort()),
    SIMULATION_TIME_SCALE: '200',
    POWERTOOLS_LOG_LEVEL: 'WARN',
  };
  for (const k of ['DYNAMODB_ENDPOINT', 'TABLE_NAME', 'MIGRATION_ENGINES', 'PAUSE_DEADLINE_SECONDS', 'PAUSE_WARNING_SECONDS']) delete env[k];
  // A file, not a pipe: nothing of the server ever waits on this process reading its output.
  const log = openSync(join(dir, 'server.log'), 'a');
  server = spawn(process.execPath, [TSX_CLI, 'infra/local/main.ts'], { cwd: REPO, env, stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = new Promise<void>((ok) => server?.once('exit', () => ok()));
  for (;;) {
    if (/is up\.[\s\S]*run\(s\) restarted/.test(serverLog())) return;
    const done = await Promise.race([exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 250))]);
    if (done) throw new Error(`the local server exited while booting:\n${serverLog()}`);
  }
}, 240_000);

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise<void>((ok) => server?.once('exit', () => ok()));
    server.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** Runs a bash script in its own process group; on the deadline the group is killed and what it printed so far returned. */
function runScript(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((ok, fail) => {
    const child = spawn('bash', ['-c', script], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, SCRIPT_DEADLINE_MS);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      ok({ code, stdout, stderr, timedOut });
    });
  });
}

/** The lines a block printed (between its marker and the next). */
function printedBy(stdout: string, blocks: WalkthroughBlock[], index: number): string[] {
  const lines = stdout.split('\n');
  const start = lines.indexOf(`=== ${index + 1} ${blocks[index]?.name}`);
  const next = index + 1 < blocks.length ? lines.indexOf(`=== ${index + 2} ${blocks[index + 1]?.name}`) : lines.length;
  return start < 0 ? [] : lines.slice(start + 1, next < 0 ? lines.length : next).filter((l) => l.trim() !== '');
}

const json = (l: string | undefined) => JSON.parse(l ?? 'null') as Record<string, any>;

describe('README walkthroughs (PostgreSQL clusters and simulated engine)', () => {
  it('run as written, in order, and print what the README says', async () => {
    // Prepare
    const blocks = walkthroughBlocks(readFileSync(join(REPO, 'README.md'), 'utf8'), ['postgresql', 'simulated']);
    const script = ['set -euo pipefail', ...blocks.map((b, i) => `echo "=== ${i + 1} ${b.name}"\n${b.code}`)].join('\n');
    const curlHome = join(dir, 'curl');
    mkdirSync(curlHome, { recursive: true });
    writeFileSync(join(curlHome, '.curlrc'), 'max-time = 60\n');
    const env: NodeJS.ProcessEnv = { ...process.env, API: `http://127.0.0.1:${port}`, CURL_HOME: curlHome, PGCONNECT_TIMEOUT: '10' };
    delete env.MIGCTL_ENDPOINT;

    // Act
    const r = await runScript(script, env);

    // Assess
    const context = `${r.timedOut ? `TIMED OUT after ${SCRIPT_DEADLINE_MS} ms\n` : ''}--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}\n--- server log (tail)\n${serverLog().slice(-6000)}`;
    expect(blocks.map((b) => b.name), context).toEqual(['postgresql', 'postgresql', 'simulated', 'simulated', 'simulated', 'postgresql', 'simulated', 'simulated']);
    expect(r.code, context).toBe(0);

    // The PostgreSQL first session: the engine, the precheck, rows copied, a change captured.
    const pg1 = printedBy(r.stdout, blocks, 0);
    expect(json(pg1[0]), context).toMatchObject({ reachable: true, changeCapture: { ok: true } });
    expect(json(pg1[1])).toMatchObject({ engine: 'postgresql', precheck: 'PASSED', allowedActions: expect.arrayContaining(['start']) });
    expect(json(pg1[2])).toEqual({ status: 'RUNNING', run: 1 });
    expect(pg1[3]).toBe('shop-to-dest is FULL_MIGRATION SUCCEEDED.');
    expect(json(pg1[4])).toEqual(expect.arrayContaining([{ type: 'FULL_MIGRATION', status: 'SUCCEEDED' }, { type: 'INCREMENTAL_SYNC', status: 'RUNNING' }]));
    expect(pg1.slice(5)).toEqual(['100', 'UPDATE 1', 'changed at the source']);

    // Its switchover, the reverse sync, the release: no replication slot left.
    const pg2 = printedBy(r.stdout, blocks, 1);
    expect(pg2[0]).toBe('shop-to-dest is enter-forward-switchover allowed.');
    expect(pg2.slice(1, 6).map((l) => json(l))).toEqual(Array(5).fill({ status: 'RUNNING', currentStage: 'FORWARD_SWITCHOVER' }));
    expect(pg2.slice(6)).toEqual(['INSERT 0 1', 'new@dest.example', '{"status":"PAUSED"}', '{"status":"RELEASED"}', '0']);

    // The simulated first session: each operation's status, the delete's 204, the audit trail.
    const sim1 = printedBy(r.stdout, blocks, 2);
    expect(sim1.filter((l) => l.startsWith('{"status"')).map((l) => json(l).status)).toEqual(['RUNNING', 'PAUSED', 'RUNNING', 'PAUSED', 'RELEASED']);
    expect(sim1).toContain('204');
    expect(sim1.filter((l) => l.startsWith('{"operation"')).map((l) => json(l).operation)).toEqual(['create', 'start', 'pause', 'resume', 'pause', 'release', 'complete-release', 'delete']);

    // A whole run: to the switchover, both manual steps confirmed by alice, COMPLETED.
    const whole = printedBy(r.stdout, blocks, 3);
    expect(json(whole[0])).toEqual({ status: 'RUNNING' });
    expect(whole[1]).toBe('orders-whole-run is enter-forward-switchover allowed.');
    expect(whole.slice(2, 6).map((l) => json(l).currentStage)).toEqual(Array(4).fill('FORWARD_SWITCHOVER'));
    expect(whole[6]).toBe('orders-whole-run is COMPLETED.');
    expect(whole.slice(7).map((l) => json(l))).toEqual([
      { operation: 'confirm-switchover-step', step: 'CONFIRM_SOURCE_WRITES_STOPPED' },
      { operation: 'confirm-switchover-step', step: 'PROCESS_DATABASE_OBJECTS' },
    ]);

    // Trying failures: the injected failure, its alert, the resume.
    const failing = printedBy(r.stdout, blocks, 4);
    expect(json(failing[0])).toEqual({ subtask: 'FULL_MIGRATION', atPercent: 0 });
    expect(json(failing[1])).toEqual({ status: 'RUNNING' });
    expect(failing[2]).toBe('failing is FAILED.');
    expect(json(failing[3])).toMatchObject({ status: 'FAILED', failed: [{ type: 'FULL_MIGRATION', lastError: { code: 'SIMULATED_FAILURE', message: 'disk full' } }] });
    expect(json(failing[4])).toEqual([{ condition: 'PROJECT_FAILED', severity: 'CRITICAL' }]);
    expect(json(failing[5])).toEqual({ status: 'RUNNING', run: 2 });

    // On the PostgreSQL engine: a real cause (no destination table), its alert, the resume from FAILED, the rows.
    const pgFailing = printedBy(r.stdout, blocks, 5);
    expect(json(pgFailing[0]), context).toEqual({ status: 'RUNNING', run: 1 });
    expect(pgFailing[1]).toBe('products-rows-only is FAILED.');
    expect(json(pgFailing[2])).toEqual([{ type: 'FULL_MIGRATION', code: 'DESTINATION_TABLE_MISSING', message: 'table shop.products does not exist on the destination' }]);
    expect(json(pgFailing[3])).toEqual([{ condition: 'PROJECT_FAILED', severity: 'CRITICAL' }]);
    expect(json(pgFailing[4])).toEqual({ status: 'RUNNING', run: 2 });
    expect(pgFailing.slice(5)).toEqual(['products-rows-only is COMPLETED.', '20']);

    // Batch operations: three projects defined, the preview, the execution at the previewed versions, a selector.
    const batch = printedBy(r.stdout, blocks, 6);
    expect(batch.map((l) => json(l))).toEqual([
      { eligible: [{ name: 'batch-1', version: 2 }, { name: 'batch-2', version: 2 }], ineligible: [{ name: 'batch-3', code: 'INVALID_STATE' }] },
      { succeeded: 2, failed: 0, results: [{ name: 'batch-1', ok: true, status: 'PAUSED' }, { name: 'batch-2', ok: true, status: 'PAUSED' }] },
      { succeeded: 2, failed: 0 },
    ]);

    // A large batch: 202 with its Location, then migctl's wait to COMPLETED and every project's result, the paged GET, the list.
    const large = printedBy(r.stdout, blocks, 7);
    expect(large[0], context).toMatch(/^202 \/batch-operations\/[0-9a-f-]{36}$/);
    expect(large[1]).toMatch(/^modify-alert-config by local, .*: COMPLETED$/);
    expect(large[2]).toBe('101 requested: 101 succeeded, 0 failed, 0 skipped, 0 pending');
    expect(large[3]).toMatch(/^NAME\s+ID\s+STATUS\s+RESULT$/);
    const rows = large.slice(4, -2).map((l) => l.trim().split(/\s+/));
    expect(new Set(rows.map((cells) => cells[0]))).toEqual(new Set(Array.from({ length: 101 }, (_, i) => `bulk-${i + 1}`)));
    expect(rows.filter((cells) => cells.length === 4 && cells[2] === 'NOT_STARTED' && cells[3] === 'ok')).toHaveLength(101);
    expect(json(large.at(-2))).toEqual({ status: 'COMPLETED', requested: 101, succeeded: 101, failed: 0, skipped: 0, pending: 0, page: 100, more: true });
    expect(json(large.at(-1))).toEqual({ operation: 'modify-alert-config', status: 'COMPLETED' });
  }, 600_000);
});
