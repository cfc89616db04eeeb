import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../infra/local/api-server';
import { run, type Io } from '../../shared/cli/main';
import { ALL_COMPONENTS, call, createDataSources, createProject, useLocalTable } from '../support/harness';

const BIN = join(__dirname, '../../shared/cli/bin.cjs');

/** Runs the real bin (node + tsx) as a child process, answering prompts from `input`. */
function migctl(endpoint: string, args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, MIGCTL_ENDPOINT: endpoint }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/**
 * The local API, with every POST /batch-operations request (body and headers) logged on its way to the
 * real batch route, so the tests can check what migctl sent.
 */
function apiWithBatchLog(real: Server, log: { body: any; headers: IncomingMessage['headers'] }[]): Server {
  return createServer((req, res) => {
    if (!req.url?.startsWith('/batch-operations')) {
      real.emit('request', req, res);
      return;
    }
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const raw = Buffer.concat(chunks);
      log.push({ body: JSON.parse(raw.toString('utf8') || '{}'), headers: req.headers });
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string' && !['host', 'connection', 'content-length'].includes(e[0])),
      );
      const upstream = await fetch(`http://127.0.0.1:${(real.address() as AddressInfo).port}${req.url}`, { method: req.method ?? 'POST', headers, body: raw });
      res.writeHead(upstream.status, Object.fromEntries(upstream.headers)).end(Buffer.from(await upstream.arrayBuffer()));
    })().catch((e: unknown) => res.writeHead(502).end(String(e)));
  });
}

describe('migctl end to end against the local API', () => {
  const real = createApiServer();
  const batchLog: { body: any; headers: IncomingMessage['headers'] }[] = [];
  let endpoint = '';
  const server = apiWithBatchLog(real, batchLog);
  let ds: { sourceId: string; destinationId: string };

  beforeAll(async () => {
    await useLocalTable();
    ds = await createDataSources('cli');
    await new Promise<void>((ok) => real.listen(0, '127.0.0.1', ok));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => {
    for (const s of [server, real]) {
      s.close();
      s.closeAllConnections();
    }
  });

  it('--help lists every command', async () => {
    // Act
    const r = await migctl(endpoint, ['--help']);

    // Assess
    expect(r.code).toBe(0);
    for (const cmd of ['projects list', 'projects get', 'projects create', 'projects start', 'projects pause', 'projects resume', 'projects release', 'projects clone', 'projects delete', 'batch <op>', 'switchover enter', 'switchover start', 'switchover confirm', 'events <id>', 'wait <id> [--for STATUS] [--allowed ACTION] [--step NAME] [--subtask TYPE:STATUS]']) {
      expect(r.stdout).toContain(cmd);
    }
  });

  it('projects create / start / get / list / events, with tables by default and dmctl JSON on --json', async () => {
    // Act
    const created = await migctl(endpoint, ['projects', 'create', '--name', 'cli-orders', '--source', ds.sourceId, '--destination', ds.destinationId, '--label', 'team:cli', '--json']);
    const id = JSON.parse(created.stdout).projects[0].projectId as string;
    const started = await migctl(endpoint, ['projects', 'start', id]);
    const got = await migctl(endpoint, ['projects', 'get', id]);
    const listed = await migctl(endpoint, ['projects', 'list', '--label', 'team:cli']);
    const events = await migctl(endpoint, ['events', id]);

    // Assess
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ op: 'projects create', result: true, msg: '', projects: [{ result: true, projectId: id, name: 'cli-orders' }] });
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(new RegExp(`${id}\\s+cli-orders\\s+ok\\s+RUNNING`));
    expect(got.stdout).toMatch(/status:\s+RUNNING/);
    expect(listed.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+STATUS\s+VERSION\s+UPDATED\s+LABELS$/);
    expect(listed.stdout).toContain('cli-orders');
    expect(events.stdout).toMatch(/create\s+-\s+NOT_STARTED/);
    expect(events.stdout).toMatch(/start\s+NOT_STARTED\s+RUNNING/);
  });

  it('projects clone: a project like another, the flags given replacing its fields; an unknown id exits 1', async () => {
    // Prepare
    const original = await createProject(ds, { labels: ['team:cli-clone'], alertLevel: 'LOW', tables: [{ schema: 's', table: 't' }] });

    // Act
    const cloned = await migctl(endpoint, ['projects', 'clone', original.id, '--name', `${original.name}-again`, '--alert-level', 'high', '--json']);
    const missing = await migctl(endpoint, ['projects', 'clone', 'no-such-project', '--name', 'whatever']);
    const noName = await migctl(endpoint, ['projects', 'clone', original.id]);

    // Assess
    expect(cloned.code).toBe(0);
    const id = JSON.parse(cloned.stdout).projects[0].projectId as string;
    const got = await call('GET', `/projects/${id}`);
    expect(got.body).toMatchObject({ name: `${original.name}-again`, status: 'NOT_STARTED', alertLevel: 'HIGH', labels: ['team:cli-clone'], tables: [{ schema: 's', table: 't' }] });
    expect(missing.code).toBe(1);
    expect(missing.stderr + missing.stdout).toContain('PROJECT_NOT_FOUND');
    expect(noName.code).toBe(2);
  });

  it('a multi-source project: create with --source twice, pause/resume --source act on that source and print its outcome', async () => {
    // Prepare
    const second = (await call('POST', '/data-sources', { body: { name: `cli-src2-${Date.now()}`, engine: 'mysql', host: 'db2.internal', port: 3306, username: 'migrator' } })).body.id as string;
    const created = await migctl(endpoint, ['projects', 'create', '--name', `cli-two-${Date.now()}`, '--source', ds.sourceId, '--source', second, '--destination', ds.destinationId, '--json']);
    const id = JSON.parse(created.stdout).projects[0].projectId as string;
    await call('POST', `/projects/${id}/start`);

    // Act
    const paused = await migctl(endpoint, ['projects', 'pause', id, '--source', second]);
    const afterPause = (await call('GET', `/projects/${id}`)).body as { status: string; sources: { sourceId: string; status: string }[] };
    const resumed = await migctl(endpoint, ['projects', 'resume', id, '--source', second, '--json']);
    const afterResume = (await call('GET', `/projects/${id}`)).body as { sources: { sourceId: string; status: string }[] };
    const misplaced = await migctl(endpoint, ['projects', 'release', id, '--source', second]);

    // Assess
    expect(created.code).toBe(0);
    expect(afterPause.status).toBe('RUNNING');
    expect(afterPause.sources.map((s) => [s.sourceId, s.status])).toEqual([[ds.sourceId, 'RUNNING'], [second, 'PAUSED']]);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toMatch(new RegExp(`${id}\\s+cli-two-\\d+\\s+ok\\s+RUNNING`));
    expect(paused.stdout).toMatch(/cli-two-\d+: pause\S* on 1 source\(s\), all ok/);
    expect(paused.stdout).toMatch(/SOURCE\s+RESULT\s+MESSAGE/);
    expect(paused.stdout).toMatch(new RegExp(`  ${second}\\s+ok`));
    expect(paused.stdout).not.toMatch(new RegExp(`  ${ds.sourceId}\\s+ok`));
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout).projects[0].outcome).toMatchObject({ result: true, sources: [{ source: second, result: true }] });
    expect(afterResume.sources.map((s) => s.status)).toEqual(['RUNNING', 'RUNNING']);
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toContain('--source applies to pause and resume only');
  });

  it('batch pause --source: selects the projects reading that source and pauses that source only in each', async () => {
    // Prepare
    const shared = (await call('POST', '/data-sources', { body: { name: `cli-shared-${Date.now()}`, engine: 'mysql', host: 'db3.internal', port: 3306, username: 'migrator' } })).body.id as string;
    const two = await createProject(ds, { sourceId: undefined, sourceIds: [ds.sourceId, shared], migrationType: { ...ALL_COMPONENTS, reverseIncrementalSync: false } });
    const one = await createProject({ sourceId: shared, destinationId: ds.destinationId });
    const other = await createProject(ds);
    for (const p of [two, one, other]) await call('POST', `/projects/${p.id}/start`);
    batchLog.length = 0;

    // Act
    const r = await migctl(endpoint, ['batch', 'pause', '--source', shared, '--yes', '--json']);
    const text = await migctl(endpoint, ['batch', 'resume', '--ids', `${two.id},${one.id}`, '--source', shared, '--yes']);
    const views = await Promise.all([two, one, other].map(async (p) => (await call('GET', `/projects/${p.id}`)).body as { status: string; sources?: { sourceId: string; status: string }[] }));

    // Assess
    expect(r.code, r.stderr).toBe(0);
    expect(batchLog[0]!.body).toMatchObject({ operation: 'pause', selector: { sourceId: shared }, parameters: { sources: [shared] }, dryRun: true });
    expect(batchLog[1]!.body).toMatchObject({ operation: 'pause', parameters: { sources: [shared] } });
    expect(new Set(batchLog[1]!.body.projectIds)).toEqual(new Set([two.id, one.id]));
    const items = JSON.parse(r.stdout).projects as { projectId: string; result: boolean; outcome?: { sources: { source: string; result: boolean }[] } }[];
    expect(items.find((i) => i.projectId === two.id)).toMatchObject({ result: true, outcome: { sources: [{ source: shared, result: true }] } });
    expect(items.find((i) => i.projectId === one.id)).toMatchObject({ result: true });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/: resume\S* on 1 source\(s\), all ok/);
    expect(views[0]!.sources?.map((s) => s.status)).toEqual(['RUNNING', 'RUNNING']);
    expect(views[1]!.status).toBe('RUNNING');
    expect(views[2]!.status).toBe('RUNNING');
  });

  it('a failed item makes the exit status non-zero, and JSON says which', async () => {
    // Prepare
    const running = await createProject(ds);
    await call('POST', `/projects/${running.id}/start`);
    const idle = await createProject(ds);

    // Act
    const r = await migctl(endpoint, ['projects', 'pause', running.id, idle.id, '--json']);

    // Assess
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ op: 'projects pause', result: false, msg: '1 of 2 failed' });
    expect(out.projects).toEqual([
      expect.objectContaining({ result: true, projectId: running.id, name: running.name, msg: '' }),
      expect.objectContaining({ result: false, projectId: idle.id, msg: expect.stringMatching(/^INVALID_STATE: /) }),
    ]);
  });

  it('batch pause --label L shows the preview, asks, sends only the eligible projects and reports the others as skipped', async () => {
    // Prepare
    const label = `cli-batch-${Date.now()}`;
    const a = await createProject(ds, { labels: [label] });
    const b = await createProject(ds, { labels: [label] });
    const c = await createProject(ds, { labels: [label] });
    await call('POST', `/projects/${a.id}/start`);
    await call('POST', `/projects/${b.id}/start`);
    batchLog.length = 0;

    // Act
    const r = await migctl(endpoint, ['batch', 'pause', '--label', label], 'y\n');

    // Assess
    expect(r.code).toBe(0); // c was NOT_STARTED: never sent, reported as skipped, not as a failure
    expect(r.stdout).toContain('2 project(s) will pause:');
    expect(r.stdout).toContain(a.name);
    expect(r.stdout).toMatch(/Latest change: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/);
    expect(r.stdout).toContain('1 project(s) skipped:');
    expect(r.stderr).toContain('pause 2 project(s)? [y/N]');
    expect(r.stdout).toMatch(new RegExp(`${a.id}\\s+${a.name}\\s+ok\\s+PAUSED`));
    expect(r.stdout).toMatch(new RegExp(`${b.id}\\s+${b.name}\\s+ok\\s+PAUSED`));
    expect(r.stdout).toMatch(new RegExp(`${c.id}\\s+${c.name}\\s+skipped\\s+NOT_STARTED\\s+skipped: INVALID_STATE`));
    expect(r.stdout).toContain('2 succeeded, 0 failed, 1 skipped.');
    expect(batchLog.map((l) => l.body.dryRun ?? false)).toEqual([true, false]);
    expect(batchLog[1]!.body.projectIds).toHaveLength(2);
    expect(new Set(batchLog[1]!.body.projectIds)).toEqual(new Set([a.id, b.id]));
    expect(batchLog[1]!.body).toMatchObject({ operation: 'pause', expectedVersions: { [a.id]: 2, [b.id]: 2 } });
    expect(Object.keys(batchLog[1]!.body.expectedVersions)).toHaveLength(2);
    expect(batchLog[1]!.body.selector).toBeUndefined();
    expect((await call('GET', `/projects/${c.id}`)).body.status).toBe('NOT_STARTED');
    expect(batchLog[1]!.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect((await call('GET', `/projects/${a.id}`)).body.status).toBe('PAUSED');
  });

  it('batch without confirmation does nothing; --dry-run only previews; --yes --json executes', async () => {
    // Prepare
    const p = await createProject(ds);
    await call('POST', `/projects/${p.id}/start`);
    batchLog.length = 0;

    // Act
    const declined = await migctl(endpoint, ['batch', 'pause', '--ids', p.id], 'n\n');
    const dry = await migctl(endpoint, ['batch', 'pause', '--ids', p.id, '--dry-run', '--json']);
    const statusAfter = (await call('GET', `/projects/${p.id}`)).body.status;
    const done = await migctl(endpoint, ['batch', 'pause', '--ids', p.id, '--yes', '--json']);

    // Assess
    expect(declined.code).toBe(1);
    expect(declined.stdout).toContain('Aborted.');
    expect(JSON.parse(dry.stdout)).toMatchObject({ op: 'batch pause (dry run)', result: true, projects: [{ result: true, projectId: p.id, name: p.name, msg: 'eligible' }] });
    expect(statusAfter).toBe('RUNNING');
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toEqual({ op: 'batch pause', result: true, msg: '', projects: [{ result: true, msg: '', projectId: p.id, name: p.name, status: 'PAUSED' }] });
    expect(batchLog.filter((l) => !l.body.dryRun)).toHaveLength(1);
  });

  it('delete asks for the project name: a wrong name deletes nothing, the right one deletes', async () => {
    // Prepare
    const p = await createProject(ds);

    // Act
    const wrong = await migctl(endpoint, ['projects', 'delete', p.id], 'not-the-name\n');
    const stillThere = (await call('GET', `/projects/${p.id}`)).status;
    const right = await migctl(endpoint, ['projects', 'delete', p.id], `${p.name}\n`);

    // Assess
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('Type the project name to confirm');
    expect(stillThere).toBe(200);
    expect(right.code).toBe(0);
    expect(right.stdout).toContain(`Deleted project ${p.name}`);
    expect((await call('GET', `/projects/${p.id}`)).status).toBe(404);
  });

  it('wait --for returns once the status is reached, and fails with a timeout otherwise', async () => {
    // Prepare
    const p = await createProject(ds);
    await call('POST', `/projects/${p.id}/start`);

    // Act
    const reached = await migctl(endpoint, ['wait', p.id, '--for', 'running']);
    const timedOut = await migctl(endpoint, ['wait', p.id, '--for', 'PAUSED', '--timeout', '0.3', '--interval', '0.1', '--json']);

    // Assess
    expect(reached.code).toBe(0);
    expect(reached.stdout).toContain('is RUNNING');
    expect(timedOut.code).toBe(1);
    expect(JSON.parse(timedOut.stdout).projects[0]).toMatchObject({ result: false, status: 'RUNNING', msg: expect.stringContaining('timed out') });
  });

  it('data-sources create / list / get / test-connection / delete', async () => {
    // Act
    const created = await migctl(endpoint, ['data-sources', 'create', '--name', `cli-ds-${Date.now()}`, '--engine', 'mysql', '--host', 'db.internal', '--port', '3306', '--username', 'migrator', '--json']);
    const id = JSON.parse(created.stdout).projects[0].projectId as string;
    const listed = await migctl(endpoint, ['data-sources', 'list']);
    const got = await migctl(endpoint, ['data-sources', 'get', id]);
    const tested = await migctl(endpoint, ['data-sources', 'test-connection', id]);
    const deleted = await migctl(endpoint, ['data-sources', 'delete', id]);
    const gone = (await call('GET', `/data-sources/${id}`)).status;

    // Assess
    expect(created.code).toBe(0);
    expect(listed.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+ENGINE\s+HOST\s+PORT/);
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+cli-ds-\\d+\\s+mysql\\s+db.internal\\s+3306`));
    expect(got.stdout).toMatch(/host:\s+db.internal/);
    expect(tested.code).toBe(0);
    expect(tested.stdout).toMatch(/checked:\s+NO/);
    expect(deleted.code).toBe(0);
    expect(gone).toBe(404);
  });

  it('projects precheck, alert-level set, skip-verification and alerts reach the API', async () => {
    // Prepare
    const p = await createProject(ds);

    // Act
    const prechecked = await migctl(endpoint, ['projects', 'precheck', p.id]);
    const leveled = await migctl(endpoint, ['alert-level', 'set', p.id, '--level', 'high']);
    const skipped = await migctl(endpoint, ['projects', 'skip-verification', p.id, '--json']);
    const alerts = await migctl(endpoint, ['alerts', p.id]);
    const got = await migctl(endpoint, ['projects', 'get', p.id]);

    // Assess
    expect(prechecked.code).toBe(0);
    expect(leveled.code).toBe(0);
    expect((await call('GET', `/projects/${p.id}`)).body.alertLevel).toBe('HIGH');
    expect(skipped.code).toBe(1); // not at the full verification: refused by the API, reported per project
    expect(JSON.parse(skipped.stdout).projects[0]).toMatchObject({ result: false, projectId: p.id, msg: expect.stringMatching(/^[A-Z_]+: /) });
    expect(alerts.code).toBe(0);
    expect(alerts.stdout).toContain('No alerts.');
    expect(got.stdout).toMatch(/engine:\s+SIMULATED/);
    expect(got.stdout).toMatch(/precheck:\s+(PASSED|RUNNING|FAILED)/);
    expect(got.stdout).toMatch(/alert level:\s+HIGH/);
  });

  it('watch --once prints one line for a log (no terminal); watch of a project not running ends at once', async () => {
    // Prepare
    const running = await createProject(ds);
    await call('POST', `/projects/${running.id}/start`);
    const idle = await createProject(ds);

    // Act
    const once = await migctl(endpoint, ['watch', running.id, '--once']);
    const ended = await migctl(endpoint, ['watch', idle.id]);

    // Assess
    expect(once.code).toBe(0);
    expect(once.stdout).toMatch(/^\d{4}-\d\d-\d\dT\S+Z RUNNING stage=STRUCTURE_MIGRATION/);
    expect(once.stdout.trim().split('\n')).toHaveLength(1);
    expect(once.stdout).not.toContain('\x1b[');
    expect(ended.code).toBe(0);
    expect(ended.stdout).toMatch(/NOT_STARTED stage=/);
  });

  it('usage errors exit 2; an unreachable endpoint exits 1 and says what to check', async () => {
    // Act
    const usage = await migctl(endpoint, ['batch', 'pause']);
    const unknown = await migctl(endpoint, ['frobnicate']);
    const down = await migctl('http://127.0.0.1:9', ['projects', 'list']);

    // Assess
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('choose projects with --ids, --status, --label or --source');
    expect(unknown.code).toBe(2);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach the API at http://127.0.0.1:9 (NETWORK_ERROR');
    expect(down.stderr).toContain('`npm start`');
    expect(down.stderr).toContain('from MIGCTL_ENDPOINT');
  }, 30_000);
});

describe('migctl in-process (terminal behaviour)', () => {
  function fakeIo(fetchImpl: typeof fetch, answers: string[] = []) {
    const out: string[] = [];
    const err: string[] = [];
    const io: Io = {
      stdout: { write: (s: string) => out.push(s), isTTY: true },
      stderr: { write: (s: string) => err.push(s), isTTY: true },
      ask: async () => answers.shift(),
      env: {},
      fetch: fetchImpl,
      sleep: async () => {},
    };
    return { io, out, err };
  }
  const jsonResponse = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  it('wait draws a progress bar on a TTY', async () => {
    // Prepare
    const statuses = ['RELEASING', 'RELEASING', 'RELEASED'];
    const { io, err } = fakeIo(async () => jsonResponse(200, { id: 'p1', name: 'one', status: statuses.shift() ?? 'RELEASED' }));

    // Act
    const code = await run(['wait', 'p1', '--for', 'RELEASED', '--interval', '1'], io);

    // Assess
    expect(code).toBe(0);
    expect(err.join('')).toMatch(/waiting for RELEASED \[[#-]{30}\] \d+\/600 .*RELEASING/);
  });

  it('wait --allowed / --step / --subtask: returns once every condition holds, and says what it waited for', async () => {
    // Prepare
    const views = [
      { id: 'p1', name: 'one', status: 'RUNNING', allowedActions: ['pause'], subtasks: [{ type: 'FULL_MIGRATION', status: 'RUNNING' }] },
      { id: 'p1', name: 'one', status: 'RUNNING', allowedActions: ['pause', 'enter-forward-switchover'], subtasks: [{ type: 'FULL_MIGRATION', status: 'RUNNING' }] },
      { id: 'p1', name: 'one', status: 'RUNNING', allowedActions: ['pause', 'enter-forward-switchover'], subtasks: [{ type: 'FULL_MIGRATION', status: 'SUCCEEDED' }] },
    ];
    let reads = 0;
    const { io, out } = fakeIo(async () => jsonResponse(200, views[Math.min(reads++, views.length - 1)]));
    const step = fakeIo(async () => jsonResponse(200, { id: 'p1', name: 'one', status: 'RUNNING', waitingStep: 'PROCESS_DATABASE_OBJECTS' }));
    const never = fakeIo(async () => jsonResponse(200, { id: 'p1', name: 'one', status: 'RUNNING', waitingStep: 'PROCESS_DATABASE_OBJECTS' }));
    const usage = fakeIo(async () => jsonResponse(200, {}));

    // Act
    const code = await run(['wait', 'p1', '--allowed', 'enter-forward-switchover', '--subtask', 'full_migration:succeeded', '--interval', '0.01'], io);
    const stepCode = await run(['wait', 'p1', '--step', 'process_database_objects'], step.io);
    const neverCode = await run(['wait', 'p1', '--step', 'START_REVERSE_INCREMENTAL', '--timeout', '0.05', '--interval', '0.01'], never.io);
    const usageCode = await run(['wait', 'p1'], usage.io);

    // Assess
    expect(code).toBe(0);
    expect(reads).toBe(3);
    expect(out.join('')).toContain('one is enter-forward-switchover allowed, FULL_MIGRATION SUCCEEDED.');
    expect(stepCode).toBe(0);
    expect(step.out.join('')).toContain('one is step PROCESS_DATABASE_OBJECTS waiting.');
    expect(neverCode).toBe(1);
    expect(never.out.join('')).toContain('timed out');
    expect(usageCode).toBe(2);
    expect(usage.err.join('')).toContain('wait for what?');
  });

  it('batch get --wait: a progress bar of the counters until COMPLETED, then every result; --timeout bounds it (exit 1)', async () => {
    // Prepare
    const batch = (status: string, requested: number, succeeded: number) => ({
      batchId: 'b1', operation: 'modify-alert-config', status, createdAt: '2026-01-01T00:00:00.000Z', actor: 'local',
      requested, succeeded, failed: 0, skipped: 0, pending: requested - succeeded,
    });
    const counters = [batch('ACCEPTED', 0, 0), batch('RUNNING', 3, 1), batch('COMPLETED', 3, 3)];
    const results = ['p1', 'p2', 'p3'].map((id, i) => ({ projectId: id, name: `bulk-${i + 1}`, disposition: 'succeeded', ok: true, status: 'NOT_STARTED' }));
    const urls: string[] = [];
    const done = fakeIo(async (url) => {
      urls.push(String(url));
      return String(url).includes('limit=1&') || String(url).endsWith('limit=1')
        ? jsonResponse(200, { ...(counters.length > 1 ? counters.shift() : counters[0]), results: [] })
        : jsonResponse(200, { ...counters[0], results });
    });
    const stuck = fakeIo(async () => jsonResponse(200, { ...batch('RUNNING', 3, 1), results: [] }));

    // Act
    const code = await run(['batch', 'get', 'b1', '--wait', '--interval', '0.01'], done.io);
    const stuckCode = await run(['batch', 'get', 'b1', '--wait', '--timeout', '0.05', '--interval', '0.01'], stuck.io);

    // Assess
    expect(code).toBe(0);
    expect(done.err.join('')).toMatch(/modify-alert-config \(batch b1\) \[#{30}\] 3\/3 3 succeeded, 0 failed, 0 skipped, 0 pending · COMPLETED/);
    const printed = done.out.join('');
    expect(printed).toContain('3 requested: 3 succeeded, 0 failed, 0 skipped, 0 pending');
    expect(printed.split('\n').filter((l) => /^bulk-\d\s+p\d\s+NOT_STARTED\s+ok$/.test(l.trim()))).toHaveLength(3);
    expect(urls.filter((u) => u.endsWith('limit=100'))).toHaveLength(1);
    expect(stuckCode).toBe(1);
    expect(stuck.out.join('')).toContain('timed out after 0.05 s (RUNNING: 1 succeeded, 0 failed, 0 skipped, 2 pending)');
  });

  it('switchover confirm posts {step} to the forward-switchover route', async () => {
    // Prepare
    const seen: { url: string; body: unknown; method: string }[] = [];
    const { io, out } = fakeIo(async (url, init) => {
      seen.push({ url: String(url), body: JSON.parse(String(init?.body ?? 'null')), method: String(init?.method) });
      return jsonResponse(200, { id: 'p1', name: 'one', status: 'RUNNING' });
    });

    // Act
    const code = await run(['switchover', 'confirm', 'p1', '--step', 'confirm_source_writes_stopped', '--endpoint', 'http://api.test/prod'], io);

    // Assess
    expect(code).toBe(0);
    expect(seen).toEqual([{ url: 'http://api.test/prod/projects/p1/forward-switchover/confirm', body: { step: 'CONFIRM_SOURCE_WRITES_STOPPED' }, method: 'POST' }]);
    expect(out.join('')).toMatch(/p1\s+one\s+ok\s+RUNNING/);
  });

  it('a 503 is retried with the same Idempotency-Key', async () => {
    // Prepare
    const keys: string[] = [];
    let calls = 0;
    const { io } = fakeIo(async (_url, init) => {
      keys.push((init?.headers as Record<string, string>)['idempotency-key']!);
      return ++calls === 1 ? jsonResponse(503, { status: 503, code: 'SERVICE_UNAVAILABLE' }) : jsonResponse(200, { id: 'p1', name: 'one', status: 'PAUSED' });
    });

    // Act
    const code = await run(['projects', 'pause', 'p1'], io);

    // Assess
    expect(code).toBe(0);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });
});
