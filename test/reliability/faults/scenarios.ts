import type { Context } from 'aws-lambda';
import type { AuditEvent, ProjectRecord, ProjectStatus } from '../../../shared/domain/project';
import { getDeps } from '../../../shared/runtime';
import type { PauseTimerInput } from '../../../shared/domain/pause-timers';
import { call } from '../../support/harness';
import type { SimulatedExecution } from './faulty-adapters';
import type { World } from './world';

/**
 * The operations the suite injects faults into, each with the state it starts from (built fault-free)
 * and what its caller saw. HTTP operations go through the real handler modules; the others call the
 * handlers or use cases their trigger calls (pause timer, reconciler, the state machine's tasks).
 */
export interface CaseContext {
  projectIds: string[];
  /** Data of the scenario (the project name of a create, the timer of a firing). */
  data: Record<string, unknown>;
}

/** What the caller of the operation saw. */
export type Outcome =
  | { kind: 'http'; status: number; body: any; /** projectId → the user operation it asked for */ asked: Record<string, string> }
  | { kind: 'batch'; status: number; body: any; asked: Record<string, string> }
  | { kind: 'timer'; threw: boolean; input: PauseTimerInput }
  | { kind: 'background'; threw: boolean };

export interface Scenario {
  name: string;
  /** The operation runs every shard's reconciler worker: its repair runs them all again (else only the case's shards). */
  touchesEveryShard?: boolean;
  setup(w: World): Promise<CaseContext>;
  act(w: World, ctx: CaseContext): Promise<Outcome>;
}

type MigrationType = Record<string, boolean>;
const NONE = { structureMigration: false, fullMigration: false, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false };
const STRUCTURE: MigrationType = { ...NONE, structureMigration: true, fullMigration: true };
const VERIFY: MigrationType = { ...NONE, structureMigration: true, fullVerification: true };
const SWITCHOVER: MigrationType = { ...NONE, incrementalSync: true, reverseIncrementalSync: true };

let dataSources: { sourceId: string; destinationId: string } | undefined;
let counter = 0;

export function setDataSources(ds: { sourceId: string; destinationId: string }): void {
  dataSources = ds;
}

async function ok(method: string, path: string, body?: unknown): Promise<any> {
  const r = await call(method, path, body === undefined ? {} : { body });
  if (r.status >= 300) throw new Error(`set-up ${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function created(mt: MigrationType): Promise<string> {
  const body = await ok('POST', '/projects', { name: `fi-${process.pid}-${++counter}`, ...dataSources, migrationType: mt });
  return body.id as string;
}

const execOf = (w: World, p: ProjectRecord): SimulatedExecution | undefined => w.orchestrator.executions.get(`${p.id}-${p.run}`);

async function project(w: World, id: string): Promise<ProjectRecord> {
  const p = await w.inspect.get(id);
  if (!p) throw new Error(`set-up: project ${id} is gone`);
  return p;
}

/** Drives the project's execution, moving the clock by `stepMs` between drives, until `until` holds. */
async function driveUntil(w: World, id: string, until: (p: ProjectRecord) => boolean, what: string, stepMs = 30_000): Promise<ProjectRecord> {
  for (let i = 0; i < 60; i++) {
    const p = await project(w, id);
    if (until(p)) return p;
    const exec = execOf(w, p);
    if (!exec || exec.status !== 'RUNNING') throw new Error(`set-up: ${what}: no live execution (${p.status})`);
    const at = await w.driver.drive(exec);
    if (at === 'WAITING') w.clock.advance(stepMs);
  }
  throw new Error(`set-up: never reached ${what}`);
}

async function started(w: World, mt: MigrationType): Promise<string> {
  const id = await created(mt);
  await ok('POST', `/projects/${id}/start`);
  const p = await project(w, id);
  const exec = execOf(w, p);
  if (exec) await w.driver.drive(exec); // the first job runs
  return id;
}

async function paused(w: World, mt: MigrationType = STRUCTURE): Promise<string> {
  const id = await started(w, mt);
  await ok('POST', `/projects/${id}/pause`);
  return id;
}

async function failed(w: World): Promise<string> {
  const id = await created(STRUCTURE);
  await w.engine.injectFailure({ projectId: id, subtask: 'STRUCTURE_MIGRATION', atPercent: 10 });
  await ok('POST', `/projects/${id}/start`);
  await driveUntil(w, id, (p) => p.status === 'FAILED', 'FAILED');
  return id;
}

const single = (id: string, data: Record<string, unknown> = {}): CaseContext => ({ projectIds: [id], data });

async function http(method: string, path: string, asked: Record<string, string>, body?: unknown, headers?: Record<string, string>): Promise<Outcome> {
  const r = await call(method, path, { ...(body === undefined ? {} : { body }), ...(headers ? { headers } : {}) });
  return { kind: 'http', status: r.status, body: r.body, asked };
}

const lifecycle = (name: string, op: string, path: string, setup: (w: World) => Promise<string>, body?: unknown): Scenario => ({
  name,
  setup: async (w) => single(await setup(w)),
  act: async (_w, ctx) => http(path === 'alert-config' ? 'PUT' : 'POST', `/projects/${ctx.projectIds[0]}/${path}`, { [ctx.projectIds[0] as string]: op }, body),
});

type ProjectFlags = Pick<ProjectRecord, 'awaiting' | 'waitingStep' | 'status'>;
const awaiting = (gate: string, step?: string) => (p: ProjectFlags) => p.awaiting === gate && (step === undefined || p.waitingStep === step);

export const SCENARIOS: Scenario[] = [
  {
    name: 'create',
    setup: async () => ({ projectIds: [], data: { name: `fi-create-${process.pid}-${++counter}` } }),
    act: async (_w, ctx) => {
      const r = await call('POST', '/projects', { body: { name: ctx.data.name, ...dataSources, migrationType: STRUCTURE } });
      return { kind: 'http', status: r.status, body: r.body, asked: {} };
    },
  },
  lifecycle('start', 'start', 'start', (w) => created(STRUCTURE)),
  lifecycle('pause', 'pause', 'pause', (w) => started(w, STRUCTURE)),
  lifecycle('resume (from PAUSED)', 'resume', 'resume', (w) => paused(w)),
  lifecycle('resume (from FAILED)', 'resume', 'resume', (w) => failed(w)),
  lifecycle('release (from PAUSED)', 'release', 'release', (w) => paused(w)),
  lifecycle('release (from FAILED)', 'release', 'release', (w) => failed(w)),
  lifecycle('modify-alert-config', 'modify-alert-config', 'alert-config', (w) => started(w, STRUCTURE), { level: 'HIGH' }),
  {
    name: 'delete (NOT_STARTED)',
    setup: async (w) => {
      const id = await created(STRUCTURE);
      return single(id, { name: (await project(w, id)).name });
    },
    act: async (_w, ctx) => {
      const id = ctx.projectIds[0] as string;
      const r = await call('DELETE', `/projects/${id}?confirmName=${encodeURIComponent(String(ctx.data.name))}`);
      return { kind: 'http', status: r.status, body: r.body, asked: { [id]: 'delete' } };
    },
  },
  lifecycle('skip-full-verification', 'skip-full-verification', 'skip-full-verification', async (w) => {
    const id = await started(w, VERIFY);
    await driveUntil(w, id, (p) => p.currentStage === 'FULL_VERIFICATION', 'FULL_VERIFICATION');
    return id;
  }),
  lifecycle('enter-forward-switchover', 'enter-forward-switchover', 'forward-switchover', async (w) => {
    const id = await started(w, SWITCHOVER);
    await driveUntil(w, id, awaiting('SWITCHOVER_ENTRY'), 'awaiting SWITCHOVER_ENTRY');
    return id;
  }),
  lifecycle('start-forward-switchover', 'start-forward-switchover', 'forward-switchover/start', async (w) => {
    const id = await started(w, SWITCHOVER);
    await driveUntil(w, id, awaiting('SWITCHOVER_ENTRY'), 'awaiting SWITCHOVER_ENTRY');
    await ok('POST', `/projects/${id}/forward-switchover`);
    await driveUntil(w, id, awaiting('SWITCHOVER_START'), 'awaiting SWITCHOVER_START');
    return id;
  }),
  lifecycle(
    'confirm-switchover-step',
    'confirm-switchover-step',
    'forward-switchover/confirm',
    async (w) => {
      const id = await started(w, SWITCHOVER);
      await driveUntil(w, id, awaiting('SWITCHOVER_ENTRY'), 'awaiting SWITCHOVER_ENTRY');
      await ok('POST', `/projects/${id}/forward-switchover`);
      await driveUntil(w, id, awaiting('SWITCHOVER_START'), 'awaiting SWITCHOVER_START');
      await ok('POST', `/projects/${id}/forward-switchover/start`);
      await driveUntil(w, id, awaiting('STEP_CONFIRMATION', 'CONFIRM_SOURCE_WRITES_STOPPED'), 'CONFIRM_SOURCE_WRITES_STOPPED waiting');
      return id;
    },
    { step: 'CONFIRM_SOURCE_WRITES_STOPPED' },
  ),
  {
    name: 'batch pause',
    setup: async (w) => ({ projectIds: [await started(w, STRUCTURE), await started(w, STRUCTURE)], data: {} }),
    act: async (_w, ctx) => {
      const r = await call('POST', '/batch-operations', { body: { operation: 'pause', projectIds: ctx.projectIds } });
      return { kind: 'batch', status: r.status, body: r.body, asked: Object.fromEntries(ctx.projectIds.map((id) => [id, 'pause'])) };
    },
  },
  {
    name: 'batch resume',
    setup: async (w) => ({ projectIds: [await paused(w), await paused(w)], data: {} }),
    act: async (_w, ctx) => {
      const r = await call('POST', '/batch-operations', { body: { operation: 'resume', projectIds: ctx.projectIds } });
      return { kind: 'batch', status: r.status, body: r.body, asked: Object.fromEntries(ctx.projectIds.map((id) => [id, 'resume'])) };
    },
  },
  ...(['expire', 'warn'] as const).map(
    (kind): Scenario => ({
      name: `pause timer fires (${kind})`,
      setup: async (w) => {
        const id = await paused(w);
        const p = await project(w, id);
        const timer = [...w.scheduler.timers.values()].find((t) => t.input.projectId === id && t.kind === kind);
        if (!timer) throw new Error(`set-up: no ${kind} timer`);
        w.clock.ms = Math.max(w.clock.ms, Date.parse(timer.at));
        w.scheduler.timers.delete(timer.name); // fired: EventBridge deletes a one-time schedule after it ran (ActionAfterCompletion)
        return single(p.id, { input: timer.input });
      },
      act: async (_w, ctx) => {
        const input = ctx.data.input as PauseTimerInput;
        const { handler } = (await import('../../../functions/pause-timer/handler')) as { handler: (e: unknown, c: Context) => Promise<unknown> };
        try {
          await handler(input, { awsRequestId: `timer-${++counter}` } as Context);
          return { kind: 'timer', threw: false, input };
        } catch {
          return { kind: 'timer', threw: true, input };
        }
      },
    }),
  ),
  {
    name: 'orchestration steps',
    setup: async (w) => {
      const id = await created(STRUCTURE);
      await ok('POST', `/projects/${id}/start`);
      return single(id);
    },
    act: async (w, ctx) => {
      // The run from its first task through structure migration into full migration.
      let threw = false;
      try {
        for (let i = 0; i < 4; i++) {
          const p = await w.inspect.get(ctx.projectIds[0] as string);
          const exec = p && execOf(w, p);
          if (!exec || exec.status !== 'RUNNING') break;
          await w.driver.drive(exec);
          w.clock.advance(40_000);
        }
      } catch {
        threw = true;
      }
      return { kind: 'background', threw };
    },
  },
  {
    name: 'reconciler',
    touchesEveryShard: true,
    setup: async (w) => {
      const id = await started(w, STRUCTURE);
      const p = await project(w, id);
      const exec = execOf(w, p);
      if (exec) exec.status = 'FAILED'; // the execution died outside the state machine's Catch
      // Past the grace period and past the freshness of its last recorded poll (a recent poll proves an
      // execution alive without a look-up: shared/usecases/reconcile.ts), so the reconciler looks it up.
      w.clock.advance(301_000);
      return single(id);
    },
    act: async () => {
      const { handler } = (await import('../../../functions/orchestration-reconciler/handler')) as { handler: (e: unknown, c: Context) => Promise<unknown> };
      try {
        await handler({}, { awsRequestId: `reconciler-${++counter}` } as Context);
        return { kind: 'background', threw: false };
      } catch {
        return { kind: 'background', threw: true };
      }
    },
  },
];

export { getDeps };
export type { AuditEvent, ProjectStatus };
