import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../shared/api/routes';
import { run, type Io } from '../../shared/cli/main';

/** migctl against a scripted API (fetch stub): what it shows, what it sends. */

const jsonResponse = (status: number, body: unknown) => new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function fakeIo(fetchImpl: typeof fetch, opts: { tty?: boolean; answers?: string[] } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const sent: { method: string; url: string; body: unknown }[] = [];
  const io: Io = {
    stdout: { write: (s: string) => out.push(s), isTTY: opts.tty ?? false },
    stderr: { write: (s: string) => err.push(s), isTTY: opts.tty ?? false },
    ask: async () => opts.answers?.shift(),
    env: {},
    fetch: async (url, init) => {
      sent.push({ method: String(init?.method ?? 'GET'), url: String(url), body: init?.body ? JSON.parse(String(init.body)) : undefined });
      return fetchImpl(url, init);
    },
    sleep: async () => {},
  };
  return { io, out, err, sent, text: () => out.join('') };
}

const RUNNING_PROJECT = {
  id: 'p1',
  name: 'orders',
  status: 'RUNNING',
  version: 7,
  engine: 'simulated',
  sourceId: 'ds-src',
  destinationId: 'ds-dst',
  migrationType: { structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: false, reverseIncrementalSync: false },
  tables: null,
  labels: ['team:a'],
  alertLevel: 'LOW',
  precheck: {
    status: 'FAILED',
    checkedAt: '2026-01-01T09:00:00.000Z',
    items: [
      { name: 'CONNECTIONS', status: 'PASSED', message: 'ok' },
      { name: 'PRIMARY_KEYS', status: 'FAILED', message: 'public.logs has no primary key' },
    ],
  },
  currentStage: 'FORWARD_SWITCHOVER',
  awaiting: 'STEP_CONFIRMATION',
  waitingStep: 'CONFIRM_SOURCE_WRITES_STOPPED',
  switchoverEnteredAt: '2026-01-01T10:00:00.000Z',
  subtasks: [
    { type: 'STRUCTURE_MIGRATION', status: 'SUCCEEDED', continuous: false, progress: { percent: 100 } },
    { type: 'FULL_MIGRATION', status: 'SUCCEEDED', continuous: false, progress: { percent: 100, rows: 12000 } },
    { type: 'INCREMENTAL_SYNC', status: 'RUNNING', continuous: true, progress: { percent: 40, rows: 350, lagSeconds: 3 } },
    {
      type: 'FORWARD_SWITCHOVER',
      status: 'RUNNING',
      continuous: false,
      steps: [
        { name: 'START_FORWARD_SWITCHOVER', manual: false, status: 'SUCCEEDED' },
        { name: 'CONFIRM_SOURCE_WRITES_STOPPED', manual: true, status: 'RUNNING', waitingForConfirmation: true },
      ],
    },
  ],
  createdAt: '2026-01-01T08:00:00.000Z',
  updatedAt: '2026-01-01T10:00:00.000Z',
  resumable: false,
  allowedActions: ['pause', 'confirm-switchover-step'],
};

describe('migctl projects get', () => {
  it('shows engine (SIMULATED loudly), precheck and its failed items, stage, subtask progress, the waiting step and allowed actions', async () => {
    // Prepare
    const { io, text } = fakeIo(async () => jsonResponse(200, RUNNING_PROJECT));

    // Act
    const code = await run(['projects', 'get', 'p1'], io);

    // Assess
    const out = text();
    expect(code).toBe(0);
    expect(out).toMatch(/engine:\s+SIMULATED/);
    expect(out).toMatch(/precheck:\s+FAILED \(checked 2026-01-01 09:00:00Z\)/);
    expect(out).toContain('FAILED PRIMARY_KEYS: public.logs has no primary key');
    expect(out).not.toContain('PASSED CONNECTIONS');
    expect(out).toMatch(/current stage:\s+FORWARD_SWITCHOVER/);
    expect(out).toMatch(/INCREMENTAL_SYNC\s+RUNNING\s+\[#{8}-{12}\]\s+40%\s+rows 350, lag 3s/);
    expect(out).toMatch(/FULL_MIGRATION\s+SUCCEEDED\s+\[#{20}\] 100%\s+rows 12000/);
    expect(out).toMatch(/> FORWARD_SWITCHOVER/);
    expect(out).toContain('waiting for:     step CONFIRM_SOURCE_WRITES_STOPPED to be confirmed (migctl switchover confirm p1 --step CONFIRM_SOURCE_WRITES_STOPPED)');
    expect(out).toMatch(/RUNNING\s+CONFIRM_SOURCE_WRITES_STOPPED \(manual\)\s+<- WAITING FOR CONFIRMATION/);
    expect(out).toMatch(/allowed actions:\s+pause, confirm-switchover-step/);
  });

  it('shows the pause deadline and whether the project can still be resumed; a real engine is named plainly', async () => {
    // Prepare
    const paused = { ...RUNNING_PROJECT, status: 'PAUSED', engine: 'postgresql', awaiting: undefined, waitingStep: undefined, pauseExpiresAt: '2026-01-02T10:00:00.000Z', resumable: true };
    const expired = { ...paused, resumable: false, expiredAt: '2026-01-02T10:00:01.000Z' };
    const a = fakeIo(async () => jsonResponse(200, paused));
    const b = fakeIo(async () => jsonResponse(200, expired));

    // Act
    await run(['projects', 'get', 'p1'], a.io);
    await run(['projects', 'get', 'p1'], b.io);

    // Assess
    expect(a.text()).toMatch(/engine:\s+postgresql\n/);
    expect(a.text()).not.toContain('SIMULATED');
    expect(a.text()).toMatch(/pause expires:\s+2026-01-02 10:00:00Z, resumable until then/);
    expect(a.text()).not.toContain('waiting for:');
    expect(b.text()).toMatch(/pause expires:\s+2026-01-02 10:00:00Z, not resumable \(expired 2026-01-02 10:00:01Z\)/);
  });


  it('a multi-source project: every source named, each one with its status, pause time and deadline', async () => {
    // Prepare
    const twoSources = {
      ...RUNNING_PROJECT,
      sourceIds: ['ds-a', 'ds-b'],
      sources: [
        { sourceId: 'ds-a', status: 'RUNNING', resumable: false },
        { sourceId: 'ds-b', status: 'PAUSED', pausedAt: '2026-01-01T11:00:00.000Z', pauseExpiresAt: '2026-01-01T23:00:00.000Z', resumable: true },
      ],
    };
    const a = fakeIo(async () => jsonResponse(200, twoSources));

    // Act
    await run(['projects', 'get', 'p1'], a.io);

    // Assess
    expect(a.text()).toMatch(/source:\s+ds-a, ds-b\n/);
    expect(a.text()).toMatch(/SOURCE\s+STATUS\s+PAUSED\s+RESUMABLE UNTIL\n/);
    expect(a.text()).toMatch(/ds-a\s+RUNNING\n/);
    expect(a.text()).toMatch(/ds-b\s+PAUSED\s+2026-01-01 11:00:00Z\s+2026-01-01 23:00:00Z\n/);
  });
  it('--json keeps the whole API body for scripts', async () => {
    // Prepare
    const { io, text } = fakeIo(async () => jsonResponse(200, RUNNING_PROJECT));

    // Act
    const code = await run(['projects', 'get', 'p1', '--json'], io);

    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(text()).projects[0].project).toEqual(RUNNING_PROJECT);
  });
});

describe('migctl lifecycle commands (derived from the operation records)', () => {
  const ok = async () => jsonResponse(200, { id: 'p1', name: 'orders', status: 'RUNNING' });

  it.each([
    [['projects', 'precheck', 'p1'], 'POST', '/projects/p1/precheck', undefined],
    [['projects', 'skip-verification', 'p1'], 'POST', '/projects/p1/skip-full-verification', undefined],
    [['projects', 'skip-full-verification', 'p1'], 'POST', '/projects/p1/skip-full-verification', undefined],
    [['switchover', 'enter', 'p1'], 'POST', '/projects/p1/forward-switchover', undefined],
    [['switchover', 'start', 'p1'], 'POST', '/projects/p1/forward-switchover/start', undefined],
    [['switchover', 'confirm', 'p1', '--step', 'process_database_objects'], 'POST', '/projects/p1/forward-switchover/confirm', { step: 'PROCESS_DATABASE_OBJECTS' }],
    [['alert-level', 'set', 'p1', '--level', 'high'], 'PUT', '/projects/p1/alert-config', { level: 'HIGH' }],
    [['projects', 'alert-config', 'p1', '--level', 'none'], 'PUT', '/projects/p1/alert-config', { level: 'NONE' }],
    [['projects', 'resume', 'p1'], 'POST', '/projects/p1/resume', undefined],
  ] as const)('%j sends %s %s', async (args, method, path, body) => {
    // Prepare
    const { io, sent, text } = fakeIo(ok);

    // Act
    const code = await run([...args, '--endpoint', 'http://api.test'], io);

    // Assess
    expect(code).toBe(0);
    expect(sent).toEqual([{ method, url: `http://api.test${path}`, body }]);
    expect(text()).toMatch(/p1\s+orders\s+ok\s+RUNNING/);
  });

  it('a body-carrying command without its flag is a usage error, and nothing is sent', async () => {
    // Prepare
    const { io, sent, err } = fakeIo(ok);

    // Act
    const code = await run(['alert-level', 'set', 'p1'], io);

    // Assess
    expect(code).toBe(2);
    expect(err.join('')).toContain('missing --level');
    expect(sent).toEqual([]);
  });

  it('--help lists every command, the lifecycle ones from the records', async () => {
    // Prepare
    const { io, text } = fakeIo(ok);

    // Act
    await run(['--help'], io);

    // Assess
    for (const cmd of ['projects precheck', 'projects skip-full-verification', 'projects alert-config <id>... --level LEVEL', 'switchover confirm <id> --step NAME', 'alert-level set', 'watch <id>', 'alerts <id>', 'data-sources create', 'test-connection']) {
      expect(text()).toContain(cmd);
    }
  });
});

describe('migctl paged read-outs', () => {
  it('events and alerts follow nextToken to the last page', async () => {
    // Prepare
    const pages: Record<string, unknown> = {
      '/projects/p1/events': { items: [{ at: '2026-01-01T00:00:00.000Z', operation: 'create', from: null, to: 'NOT_STARTED', version: 1, actor: 'me' }], nextToken: 'e2' },
      '/projects/p1/events?e2': { items: [{ at: '2026-01-01T00:01:00.000Z', operation: 'start', from: 'NOT_STARTED', to: 'RUNNING', version: 2, actor: 'me' }] },
      '/projects/p1/alerts': { items: [{ at: '2026-01-01T00:02:00.000Z', condition: 'SYNC_LATENCY_HIGH', severity: 'WARNING', level: 'LOW', message: 'lag 90 s' }], nextToken: 'a2' },
      '/projects/p1/alerts?a2': { items: [{ at: '2026-01-01T00:03:00.000Z', condition: 'PROJECT_FAILED', severity: 'CRITICAL', level: 'LOW', message: 'failed', notifiedAt: '2026-01-01T00:03:01.000Z' }] },
    };
    const api = async (url: string | URL | Request) => {
      const u = new URL(String(url));
      const token = u.searchParams.get('nextToken');
      return jsonResponse(200, pages[`${u.pathname}${token ? `?${token}` : ''}`]);
    };
    const ev = fakeIo(api);
    const al = fakeIo(api);

    // Act
    const evCode = await run(['events', 'p1'], ev.io);
    const alCode = await run(['alerts', 'p1'], al.io);

    // Assess
    expect(evCode).toBe(0);
    expect(ev.sent.map((s) => new URL(s.url).searchParams.get('nextToken'))).toEqual([null, 'e2']);
    expect(ev.text()).toMatch(/create\s+-\s+NOT_STARTED/);
    expect(ev.text()).toMatch(/start\s+NOT_STARTED\s+RUNNING/);
    expect(alCode).toBe(0);
    expect(al.text()).toMatch(/SYNC_LATENCY_HIGH\s+WARNING\s+LOW\s+no\s+lag 90 s/);
    expect(al.text()).toMatch(/PROJECT_FAILED\s+CRITICAL\s+LOW\s+2026-01-01 00:03:01Z\s+failed/);
  });
});

describe('migctl watch', () => {
  const at = (status: string, percent: number, lagSeconds: number) => ({
    ...RUNNING_PROJECT,
    status,
    awaiting: undefined,
    waitingStep: undefined,
    currentStage: 'INCREMENTAL_SYNC',
    subtasks: [
      { type: 'FULL_MIGRATION', status: 'SUCCEEDED', continuous: false, progress: { percent: 100, rows: 12000 } },
      { type: 'INCREMENTAL_SYNC', status: status === 'RUNNING' ? 'RUNNING' : 'SUCCEEDED', continuous: true, progress: { percent, rows: 10, lagSeconds } },
    ],
  });
  /** Answers GET /projects/p1 with each body in turn (the last one again once they run out). */
  const sequence = (bodies: unknown[]) => {
    let i = 0;
    return async () => jsonResponse(200, bodies[Math.min(i++, bodies.length - 1)]);
  };

  it('on a terminal redraws the view in place each refresh and ends when the project leaves RUNNING', async () => {
    // Prepare
    const { io, out, sent } = fakeIo(sequence([at('RUNNING', 10, 5), at('RUNNING', 60, 2), at('COMPLETED', 100, 0)]), { tty: true });

    // Act
    const code = await run(['watch', 'p1'], io);

    // Assess
    expect(code).toBe(0);
    expect(sent).toHaveLength(3);
    expect(out).toHaveLength(3);
    expect(out[0]).not.toContain('\x1b[');
    expect(out[0]).toMatch(/orders \(p1\)\s+RUNNING\s+stage INCREMENTAL_SYNC\s+\[SIMULATED ENGINE\]/);
    expect(out[0]).toMatch(/> INCREMENTAL_SYNC\s+RUNNING\s+\[##-{18}\]\s+10%\s+rows 10, lag 5s/);
    expect(out[1]).toMatch(/^\x1b\[3A\x1b\[0J/);
    expect(out[1]).toMatch(/\[#{12}-{8}\]\s+60%\s+rows 10, lag 2s/);
    expect(out[2]).toMatch(/^\x1b\[3A\x1b\[0J.*COMPLETED/);
  });

  it('cuts each line to the terminal width, so a redraw moves up exactly the lines it drew', async () => {
    // Prepare
    const { io, out } = fakeIo(sequence([at('RUNNING', 10, 5), at('COMPLETED', 100, 0)]), { tty: true });
    (io.stdout as { columns?: number }).columns = 40;

    // Act
    await run(['watch', 'p1'], io);

    // Assess
    const rows = out.map((o) => o.replace(/^\x1b\[\d+A\x1b\[0J/, '').split('\n').filter(Boolean));
    expect(rows.flat().every((l) => l.length <= 39)).toBe(true);
    expect(out[1]).toMatch(new RegExp(`^\\x1b\\[${rows[0]!.length}A`));
  });

  it('without a terminal writes one line per change, and exits 1 when the project FAILED', async () => {
    // Prepare
    const { io, out } = fakeIo(sequence([at('RUNNING', 10, 5), at('RUNNING', 10, 5), at('RUNNING', 40, 1), at('FAILED', 40, 1)]));

    // Act
    const code = await run(['watch', 'p1'], io);

    // Assess
    expect(code).toBe(1);
    expect(out).toHaveLength(3);
    expect(out[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z RUNNING stage=INCREMENTAL_SYNC \| FULL_MIGRATION SUCCEEDED 100% \(rows 12000\) \| INCREMENTAL_SYNC RUNNING 10% \(rows 10, lag 5s\)\n$/);
    expect(out[1]).toContain('INCREMENTAL_SYNC RUNNING 40% (rows 10, lag 1s)');
    expect(out[2]).toContain('FAILED stage=');
  });

  it('--once shows one view and stops; Ctrl-C ends the watch with 130', async () => {
    // Prepare
    const once = fakeIo(sequence([at('RUNNING', 10, 5)]));
    const interrupted = fakeIo(sequence([at('RUNNING', 10, 5)]));
    let interrupt: (() => void) | undefined;
    interrupted.io.onInterrupt = (fn) => {
      interrupt = fn;
      return () => (interrupt = undefined);
    };
    interrupted.io.sleep = async () => interrupt?.(); // Ctrl-C pressed during the first wait

    // Act
    const onceCode = await run(['watch', 'p1', '--once'], once.io);
    const ctrlC = await run(['watch', 'p1'], interrupted.io);

    // Assess
    expect(onceCode).toBe(0);
    expect(once.sent).toHaveLength(1);
    expect(once.out).toHaveLength(1);
    expect(ctrlC).toBe(130);
    expect(interrupted.sent).toHaveLength(1);
    expect(interrupt).toBeUndefined();
  });
});

describe('migctl batch after a preview', () => {
  /** A batch API: the preview finds e1, e2 eligible and n1 not; the execution answers per requested id. */
  function batchApi(failing: string[] = []) {
    return async (_url: string | URL | Request, init?: RequestInit) => {
      const body = JSON.parse(String(init?.body));
      if (body.dryRun) {
        return jsonResponse(200, {
          operation: body.operation,
          eligible: [
            { projectId: 'e1', name: 'one', status: 'RUNNING', updatedAt: '2026-01-01T00:00:00.000Z', version: 3 },
            { projectId: 'e2', name: 'two', status: 'RUNNING', updatedAt: '2026-01-01T00:00:01.000Z', version: 5 },
          ],
          ineligible: [{ projectId: 'n1', name: 'three', status: 'NOT_STARTED', code: 'INVALID_STATE', reason: 'not running' }],
        });
      }
      const results = (body.projectIds as string[]).map((id) =>
        failing.includes(id) ? { projectId: id, name: id, ok: false, code: 'VERSION_CONFLICT', message: 'changed since the preview' } : { projectId: id, name: id, ok: true, status: 'PAUSED' },
      );
      return jsonResponse(200, { operation: body.operation, requested: results.length, succeeded: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length, results });
    };
  }

  it('sends only the eligible projects at their previewed versions, reports the others as skipped, and exits 0', async () => {
    // Prepare
    const { io, sent } = fakeIo(batchApi());

    // Act
    const code = await run(['batch', 'pause', '--label', 'team:a', '--yes', '--json'], io);

    // Assess
    expect(code).toBe(0);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.body).toEqual({ operation: 'pause', projectIds: ['e1', 'e2'], expectedVersions: { e1: 3, e2: 5 } });
  });

  it('reports the skipped ones in JSON and in the table', async () => {
    // Prepare
    const json = fakeIo(batchApi());
    const human = fakeIo(batchApi());

    // Act
    await run(['batch', 'pause', '--label', 'team:a', '--yes', '--json'], json.io);
    await run(['batch', 'pause', '--label', 'team:a', '--yes'], human.io);

    // Assess
    const out = JSON.parse(json.text());
    expect(out).toMatchObject({ op: 'batch pause', result: true, msg: '2 succeeded, 0 failed, 1 skipped' });
    expect(out.projects).toEqual([
      expect.objectContaining({ projectId: 'e1', result: true }),
      expect.objectContaining({ projectId: 'e2', result: true }),
      expect.objectContaining({ projectId: 'n1', result: false, skipped: true, msg: 'skipped: INVALID_STATE: not running' }),
    ]);
    expect(human.text()).toMatch(/n1\s+three\s+skipped\s+NOT_STARTED\s+skipped: INVALID_STATE: not running/);
  });

  it('exits 1 when an eligible project fails', async () => {
    // Prepare
    const { io, text } = fakeIo(batchApi(['e2']));

    // Act
    const code = await run(['batch', 'pause', '--label', 'team:a', '--yes'], io);

    // Assess
    expect(code).toBe(1);
    expect(text()).toMatch(/e2\s+e2\s+FAILED\s+VERSION_CONFLICT: changed since the preview/);
    expect(text()).toContain('1 succeeded, 1 failed, 1 skipped.');
  });
});

describe('migctl with an unreachable API', () => {
  const refused = async (): Promise<Response> => {
    throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3000'), { code: 'ECONNREFUSED' }) });
  };

  it('says what to check instead of "fetch failed": npm start, the endpoint and where it came from, the port', async () => {
    // Prepare
    const { io, err, sent } = fakeIo(refused);

    // Act
    const code = await run(['projects', 'list'], io);

    // Assess
    const text = err.join('');
    expect(code).toBe(1);
    expect(sent).toHaveLength(4); // retried before giving up
    expect(text).not.toContain('fetch failed');
    expect(text).toContain('cannot reach the API at http://localhost:3000 (NETWORK_ERROR: http://localhost:3000: ECONNREFUSED');
    expect(text).toContain('`npm start`');
    expect(text).toContain('the default (neither --endpoint nor MIGCTL_ENDPOINT is set)');
    expect(text).toContain('is 3000 the port the API listens on');
  });

  it('names MIGCTL_ENDPOINT when the endpoint came from it, and stops a multi-project command at the first unreachable call', async () => {
    // Prepare
    const { io, err, sent } = fakeIo(refused);
    io.env = { MIGCTL_ENDPOINT: 'http://127.0.0.1:4100' };

    // Act
    const code = await run(['projects', 'pause', 'p1', 'p2'], io);

    // Assess
    expect(code).toBe(1);
    expect(sent.every((s) => s.url.endsWith('/projects/p1/pause'))).toBe(true);
    expect(err.join('')).toContain('migctl used http://127.0.0.1:4100, from MIGCTL_ENDPOINT');
    expect(err.join('')).toContain('is 4100 the port');
  });
});

describe('migctl covers the API', () => {
  /** One migctl command line per route of the API (ids: p1 project, ds1 data source, b1 batch). */
  const COMMANDS: Record<string, string[]> = {
    'POST /data-sources': ['data-sources', 'create', '--name', 'n', '--engine', 'mysql', '--host', 'h', '--port', '3306', '--username', 'u'],
    'GET /data-sources': ['data-sources', 'list'],
    'GET /data-sources/{id}': ['data-sources', 'get', 'ds1'],
    'DELETE /data-sources/{id}': ['data-sources', 'delete', 'ds1'],
    'POST /data-sources/{id}/test-connection': ['data-sources', 'test-connection', 'ds1'],
    'POST /projects': ['projects', 'create', '--name', 'n', '--source', 'ds1', '--destination', 'ds2'],
    'GET /projects': ['projects', 'list'],
    'GET /projects/{id}': ['projects', 'get', 'p1'],
    'POST /projects/{id}/clone': ['projects', 'clone', 'p1', '--name', 'n2'],
    'POST /projects/{id}/start': ['projects', 'start', 'p1'],
    'POST /projects/{id}/precheck': ['projects', 'precheck', 'p1'],
    'POST /projects/{id}/pause': ['projects', 'pause', 'p1'],
    'POST /projects/{id}/resume': ['projects', 'resume', 'p1'],
    'POST /projects/{id}/release': ['projects', 'release', 'p1'],
    'POST /projects/{id}/skip-full-verification': ['projects', 'skip-verification', 'p1'],
    'POST /projects/{id}/forward-switchover': ['switchover', 'enter', 'p1'],
    'POST /projects/{id}/forward-switchover/start': ['switchover', 'start', 'p1'],
    'POST /projects/{id}/forward-switchover/confirm': ['switchover', 'confirm', 'p1', '--step', 'CONFIRM_SOURCE_WRITES_STOPPED'],
    'DELETE /projects/{id}': ['projects', 'delete', 'p1', '--confirm-name', 'orders'],
    'PUT /projects/{id}/alert-config': ['alert-level', 'set', 'p1', '--level', 'HIGH'],
    'POST /batch-operations': ['batch', 'pause', '--ids', 'p1', '--yes'],
    'GET /batch-operations': ['batch', 'list'],
    'GET /batch-operations/{id}': ['batch', 'get', 'b1'],
    'GET /projects/{id}/events': ['events', 'p1'],
    'GET /projects/{id}/alerts': ['alerts', 'p1'],
  };
  /** The API's own description: read by tools, not a command. */
  const NOT_A_COMMAND = ['GET /openapi.json'];
  const IDS: Record<string, string> = { '/projects/': 'p1', '/data-sources/': 'ds1', '/batch-operations/': 'b1' };
  const concrete = (path: string) => path.replace(/^(\/[a-z-]+\/)\{id\}/, (_, prefix: string) => `${prefix}${IDS[prefix]}`);

  /** Answers every call with a body each command can read (a project, a page, a preview with p1 eligible, a batch). */
  const anyBody = async (_url: string | URL | Request, init?: RequestInit) => {
    if (init?.method === 'DELETE') return jsonResponse(204, null);
    return jsonResponse(200, {
      ...RUNNING_PROJECT,
      items: [],
      operation: 'pause',
      eligible: [{ projectId: 'p1', name: 'orders', status: 'RUNNING', updatedAt: '2026-01-01T00:00:00.000Z', version: 7 }],
      ineligible: [],
      results: [],
      batchId: 'b1',
      createdAt: '2026-01-01T00:00:00.000Z',
      actor: 'me',
      requested: 0,
      succeeded: 0,
      failed: 0,
      skipped: 0,
      pending: 0,
    });
  };

  it('every route of the API has a migctl command, which sends that request', async () => {
    // Prepare
    const routes = ROUTES.map((r) => `${r.method} ${r.path}`);

    // Assess: a new route needs its command here (and in migctl)
    expect(Object.keys(COMMANDS).sort()).toEqual(routes.filter((r) => !NOT_A_COMMAND.includes(r)).sort());

    for (const [route, argv] of Object.entries(COMMANDS)) {
      // Act
      const { io, sent, err } = fakeIo(anyBody);
      const code = await run(argv, io);

      // Assess
      const [method, path] = route.split(' ') as [string, string];
      expect(code, `${argv.join(' ')}: ${err.join('')}`).toBe(0);
      expect(sent.map((s) => `${s.method} ${new URL(s.url).pathname}`), argv.join(' ')).toContain(`${method} ${concrete(path)}`);
    }
  });
});
