import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, loadFunctionHandler } from '../../infra/local/api-server';
import { failSubtaskRoute, FAIL_SUBTASK_PATH } from '../../infra/local/failure-injection';
import { ROUTES } from '../../shared/api/routes';
import { run, type Io } from '../../shared/cli/main';
import { getDeps } from '../../shared/runtime';
import { createProject } from '../support/harness';
import { NO_COMPONENTS, post, running, subtask, useRunFixture, waitForProject } from '../support/orchestration';

/**
 * The local-only failure injection (README "Trying failures"): the route the local server mounts, and
 * `migctl fail-subtask`, make the SIMULATED engine fail a project's current subtask; the run records
 * FAILED with the message, and resume retries it to the end. DynamoDB Local, the synthesized state
 * machine, the simulated engine 400× faster than real time.
 */
const { fixture, engine, events } = useRunFixture('inject', 400);
let server: ReturnType<typeof createApiServer>;
let base = '';

function io(): { io: Io; text: () => string } {
  const out: string[] = [];
  return {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => out.push(s) }, ask: async () => undefined, env: { MIGCTL_ENDPOINT: base }, sleep: async () => {} },
    text: () => out.join(''),
  };
}

beforeAll(async () => {
  // The route is given the fixture's simulated engine (as main.ts gives it the local one).
  server = createApiServer(loadFunctionHandler, [failSubtaskRoute(getDeps, engine())]);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.close();
  server.closeAllConnections();
});

const inject = (id: string, body: unknown = {}) =>
  fetch(`${base}/local/projects/${id}/fail-subtask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('local failure injection', () => {
  it('fails the current subtask: FAILED with the message; resume retries it from its checkpoint to COMPLETED', async () => {
    // Prepare
    const p = await createProject(fixture.ds, { migrationType: { ...NO_COMPONENTS, structureMigration: true, fullMigration: true } });
    await post(`/projects/${p.id}/start`);
    await waitForProject(p.id, running('FULL_MIGRATION', 10), 'full migration running');

    // Act
    const injected = await inject(p.id, { message: 'disk full (injected)' });
    const failed = await waitForProject(p.id, (x) => x.status === 'FAILED', 'FAILED');
    const resumed = await post(`/projects/${p.id}/resume`);
    const done = await waitForProject(p.id, (x) => x.status === 'COMPLETED', 'COMPLETED');

    // Assess
    expect(injected.status).toBe(202);
    expect(await injected.json()).toMatchObject({ projectId: p.id, subtask: 'FULL_MIGRATION', atPercent: 0 });
    expect(subtask(failed, 'FULL_MIGRATION')).toMatchObject({ status: 'FAILED', lastError: { code: 'SIMULATED_FAILURE', message: 'disk full (injected)' } });
    expect(failed.allowedActions).toEqual(expect.arrayContaining(['resume', 'release']));
    expect(resumed.status).toBe(200);
    expect(subtask(done, 'FULL_MIGRATION').status).toBe('SUCCEEDED');
    expect((await events(p.id)).map((e) => e.operation)).toEqual(['create', 'start', 'fail', 'resume', 'complete']);
  });

  it('migctl fail-subtask drives the same route (a named subtask, at a percent)', async () => {
    // Prepare
    const p = await createProject(fixture.ds, { migrationType: { ...NO_COMPONENTS, structureMigration: true, fullMigration: true } });
    const out = io();

    // Act
    const code = await run(['fail-subtask', p.id, '--subtask', 'full_migration', '--at-percent', '30', '--message', 'from migctl'], out.io);
    await post(`/projects/${p.id}/start`);
    const failed = await waitForProject(p.id, (x) => x.status === 'FAILED', 'FAILED');

    // Assess
    expect(code).toBe(0);
    expect(out.text()).toContain('FULL_MIGRATION of');
    expect(subtask(failed, 'STRUCTURE_MIGRATION').status).toBe('SUCCEEDED');
    expect(subtask(failed, 'FULL_MIGRATION')).toMatchObject({ status: 'FAILED', lastError: { message: 'from migctl' } });
    expect(subtask(failed, 'FULL_MIGRATION').progress.percent).toBeGreaterThanOrEqual(30);
  });

  it('refuses what it cannot do: unknown project 404, a bad body 400, a subtask the project lacks 409', async () => {
    // Prepare
    const p = await createProject(fixture.ds, { migrationType: { ...NO_COMPONENTS, fullMigration: true } });

    // Act
    const missing = await inject('no-such-project');
    const badField = await inject(p.id, { when: 'now' });
    const badPercent = await inject(p.id, { atPercent: 101 });
    const lacking = await inject(p.id, { subtask: 'FULL_VERIFICATION' });

    // Assess
    expect(missing.status).toBe(404);
    expect(badField.status).toBe(400);
    expect(badPercent.status).toBe(400);
    expect(lacking.status).toBe(409);
    expect(((await lacking.json()) as { code: string }).code).toBe('NO_SUCH_SUBTASK');
  });

  it('is local only: not in the route table, so neither deployed nor in the OpenAPI document', () => {
    // Assess
    expect(ROUTES.some((r) => r.path.startsWith('/local/') || r.path === FAIL_SUBTASK_PATH)).toBe(false);
  });
});
