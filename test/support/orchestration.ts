import { LocalStepFunctions } from '../../infra/local/local-stepfunctions';
import { loadStateMachine } from '../../infra/local/state-machine';
import { SimulatedMigrationEngine } from '../../shared/adapters/engine/simulated-engine';
import type { Deps } from '../../shared/usecases/deps';
import { beforeAll, expect } from 'vitest';
import { call, createDataSources, createProject, useLocalTable } from './harness';

/**
 * Runs on DynamoDB Local with the synthesized state machine executed by aws-local-stepfunctions (the
 * same wiring as `npm start`) and the simulated engine sped up by `timeScale`.
 */
export async function useLocalRuns(options: { timeScale: number; overrides?: Partial<Deps>; historyEventLimit?: number }) {
  const engine = new SimulatedMigrationEngine({ timeScale: options.timeScale });
  const log: string[] = [];
  const sfn = new LocalStepFunctions({
    stateMachine: loadStateMachine(),
    timeScale: options.timeScale,
    log: (l) => log.push(l),
    ...(options.historyEventLimit !== undefined ? { historyEventLimit: options.historyEventLimit } : {}),
  });
  const table = await useLocalTable({ orchestrator: sfn, engine, ...options.overrides });
  return { engine, sfn, log, ...table };
}

export type ProjectBody = Record<string, any>;

export async function getProject(id: string): Promise<ProjectBody> {
  const r = await call('GET', `/projects/${id}`);
  if (r.status !== 200) throw new Error(`GET ${id}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as ProjectBody;
}

/** Polls GET /projects/{id} until `until` holds (a generous limit, never a timing assertion). */
export async function waitForProject(id: string, until: (p: ProjectBody) => boolean, what: string, limitMs = 30_000): Promise<ProjectBody> {
  const deadline = Date.now() + limitMs;
  let last: ProjectBody | undefined;
  while (Date.now() < deadline) {
    last = await getProject(id);
    if (until(last)) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`project ${id} never reached: ${what}; last seen ${JSON.stringify(last, null, 1)}`);
}

export const subtask = (p: ProjectBody, type: string) => (p.subtasks as ProjectBody[]).find((s) => s.type === type) as ProjectBody;
export const statuses = (p: ProjectBody) => Object.fromEntries((p.subtasks as ProjectBody[]).map((s) => [s.type, s.status]));

export async function post(path: string, body?: unknown, headers?: Record<string, string>) {
  return call('POST', path, { ...(body === undefined ? {} : { body }), ...(headers ? { headers } : {}) });
}

/** Enters and starts the forward switchover and confirms each manual step as it comes to wait. */
export async function runSwitchover(id: string, actor = 'arn:aws:iam::123456789012:user/operator'): Promise<string[]> {
  const confirmed: string[] = [];
  await waitForProject(id, (p) => p.allowedActions.includes('enter-forward-switchover'), 'switchover enterable');
  expectOk(await post(`/projects/${id}/forward-switchover`), 'enter');
  await waitForProject(id, (p) => p.allowedActions.includes('start-forward-switchover'), 'switchover startable');
  expectOk(await post(`/projects/${id}/forward-switchover/start`), 'start');
  const manual = (subtask(await getProject(id), 'FORWARD_SWITCHOVER').steps as ProjectBody[]).filter((s) => s.manual).map((s) => s.name as string);
  for (const step of manual) {
    await waitForProject(id, (p) => p.waitingStep === step, `${step} waiting`);
    expectOk(await post(`/projects/${id}/forward-switchover/confirm`, { step }, { 'X-Actor': actor }), `confirm ${step}`);
    confirmed.push(step);
  }
  return confirmed;
}

function expectOk(r: { status: number; body: unknown }, what: string) {
  if (r.status !== 200) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
}


export const NO_COMPONENTS = { structureMigration: false, fullMigration: false, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false };

/** Running at least `minPercent` in the given subtask. */
export const running = (type: string, minPercent = 0) => (p: ProjectBody) =>
  subtask(p, type)?.status === 'RUNNING' && (subtask(p, type)?.progress?.percent ?? 0) >= minPercent;

/**
 * The shared set-up of the orchestration test files: the local stack (registered in beforeAll) and
 * helpers that read its engine jobs, executions and audit trail.
 */
export function useRunFixture(prefix: string, timeScale = 400, options: { historyEventLimit?: number } = {}) {
  const fixture = {} as { run: Awaited<ReturnType<typeof useLocalRuns>>; ds: { sourceId: string; destinationId: string } };
  beforeAll(async () => {
    fixture.run = await useLocalRuns({ timeScale, ...options });
    fixture.ds = await createDataSources(prefix);
  });
  const engine = () => fixture.run.engine as SimulatedMigrationEngine;
  return {
    fixture,
    engine,
    jobOf: async (projectId: string, type: string) => engine().store.get(`${projectId}.${type}`),
    events: async (id: string) => (await call('GET', `/projects/${id}/events`)).body.items as ProjectBody[],
    execution: (id: string, n: number) => fixture.run.sfn.executions.get(`${id}-${n}`),
    started: async (migrationType: Record<string, boolean>) => {
      const p = await createProject(fixture.ds, { migrationType: { ...NO_COMPONENTS, ...migrationType } });
      const r = await post(`/projects/${p.id}/start`);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'RUNNING', run: 1 });
      return p.id;
    },
  };
}
