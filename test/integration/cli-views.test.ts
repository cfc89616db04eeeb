import { describe, expect, it } from 'vitest';
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
