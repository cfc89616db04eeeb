import { SimulatedMigrationEngine } from '../../../shared/adapters/engine/simulated-engine';
import { DomainError } from '../../../shared/domain/errors';
import { executionNameFor, jobIdFor } from '../../../shared/domain/orchestration';
import type { ProjectRecord } from '../../../shared/domain/project';
import type { JobState } from '../../../shared/ports';
import { createDataSource } from '../../../shared/usecases/data-sources';
import { applyOperation } from '../../../shared/usecases/lifecycle';
import { reconcileRuns } from '../../../shared/usecases/orchestration';
import { reconcilePauses } from '../../../shared/usecases/reconcile';
import { createProject } from '../../../shared/usecases/projects';
import { memoryDeps } from '../../support/memory-deps';
import { ExecutionDriver } from '../faults/execution-driver';
import { SimulatedOrchestrator } from '../faults/faulty-adapters';
import { HeldEngine } from './held-engine';

/**
 * The engine-effects world: the real lifecycle and orchestration use cases on the in-memory stores,
 * a SIMULATED Step Functions (live executions played by the fault suite's execution driver), the
 * SIMULATED engine behind a HeldEngine, so the engine calls of an operation (a pause's pauseJob, a
 * release's stopJob, a run's startJob/resumeJob/pollJob, a compensation) can be held back and
 * delivered later, in any order, while other transitions commit.
 */

export type UserOp = 'pause' | 'resume' | 'release' | 'skip-full-verification';
export type Stage = 'migrating' | 'verifying' | 'switchover';

const ctx = { actor: 'arn:aws:iam::123456789012:user/effects', requestId: 'effects' };
const MIGRATION = { structureMigration: false, fullMigration: true, incrementalSync: true, fullVerification: true, reverseIncrementalSync: true };

/** Lets every pending promise chain run as far as it goes (the in-memory world has no timers). */
const quiesce = async () => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
};

export async function createEffectsWorld(options: { unfenced?: boolean; projects: number; stage: Stage }) {
  const orchestrator = new SimulatedOrchestrator();
  const base = memoryDeps({ orchestrator });
  const engine = new HeldEngine(base.engine, options.unfenced);
  const simulated = base.engine as SimulatedMigrationEngine;
  const deps = { ...base, engine };
  const driver = new ExecutionDriver(() => deps, orchestrator);
  /** Operations whose engine calls are held, by label, until they end. */
  const pending = new Map<string, Promise<void>>();
  /** Executions with a held drive under way (one at a time each). */
  const driving = new Set<string>();
  const errors: string[] = [];
  const figures = { refused: 0, won: 0, checks: 0 };
  let opCounter = 0;

  const src = await createDataSource(deps, { name: 'src', engine: 'mysql', host: 'h', port: 3306, username: 'u' });
  const dst = await createDataSource(deps, { name: 'dst', engine: 'tidb', host: 'h', port: 4000, username: 'u' });
  const ids: string[] = [];
  for (let i = 0; i < options.projects; i++) {
    const p = await createProject(deps, { name: `effects-${i}`, sourceId: src.id, destinationId: dst.id, migrationType: MIGRATION }, ctx);
    ids.push(p.id);
    await applyOperation(deps, { operation: 'start', projectId: p.id, ctx });
  }
  const driveAll = async () => {
    for (const exec of orchestrator.live()) if (!driving.has(exec.name)) await driver.drive(exec);
  };
  await driveAll();
  if (options.stage !== 'migrating') {
    deps.clock.advance(600_000); // the full migrations are done: the syncs start, the verifications run
    await driveAll();
  }
  if (options.stage === 'switchover') {
    deps.clock.advance(300_000); // the verifications are done: the runs wait at the switchover entry
    await driveAll();
  }

  const project = async (i: number) => (await deps.projects.get(ids[i % ids.length] as string)) as ProjectRecord;

  /** Runs `body` now, or as a held operation whose engine calls wait for delivery; a refusal (4xx) is counted. */
  const act = async (label: string, held: boolean, body: () => Promise<unknown>) => {
    const guarded = async () => {
      try {
        await body();
        figures.won++;
      } catch (e) {
        if (e instanceof DomainError && e.status < 500) figures.refused++;
        else errors.push(`${label}: ${(e as Error)?.stack ?? String(e)}`);
      }
    };
    if (!held) return guarded();
    const key = `${label} #${++opCounter}`;
    pending.set(
      key,
      engine.holding(key, guarded).finally(() => pending.delete(key)),
    );
    await quiesce();
  };

  const world = {
    deps,
    engine,
    simulated,
    orchestrator,
    ids,
    errors,
    figures,
    pending,
    project,

    op: (op: UserOp, target: number, held: boolean) =>
      act(`${op} p${target % ids.length}`, held, () => applyOperation(deps, { operation: op, projectId: ids[target % ids.length] as string, ctx })),

    /** The operator's next switchover move for the project: enter, start, or confirm the step that waits. */
    switchover: async (target: number) => {
      const p = await project(target);
      const operation = !p.switchoverEnteredAt ? 'enter-forward-switchover' : !p.switchoverStartedAt ? 'start-forward-switchover' : 'confirm-switchover-step';
      const parameters = operation === 'confirm-switchover-step' && p.waitingStep ? { step: p.waitingStep } : undefined;
      await act(`${operation} p${target % ids.length}`, false, () => applyOperation(deps, { operation, projectId: p.id, ctx, ...(parameters ? { parameters } : {}) }));
    },

    /** The live execution of the project's current run takes its next steps (held: its engine calls wait). */
    drive: async (target: number, held: boolean) => {
      const p = await project(target);
      const exec = orchestrator.executions.get(executionNameFor(p.id, p.run ?? 0));
      if (!exec || exec.status !== 'RUNNING' || driving.has(exec.name)) return;
      if (!held) return void (await driver.drive(exec));
      driving.add(exec.name);
      await act(`drive ${exec.name}`, true, async () => {
        try {
          await driver.drive(exec);
        } finally {
          driving.delete(exec.name);
        }
      });
    },

    deliver: async (pick: number) => {
      engine.deliver(pick);
      await quiesce();
    },

    advance: (ms: number) => deps.clock.advance(ms),

    reconcile: async () => {
      const runs = await reconcileRuns(deps);
      const pauses = await reconcilePauses(deps);
      for (const e of [...runs.errors, ...pauses.errors]) errors.push(`reconciler: ${e.projectId}: ${e.error}`);
    },

    /** Every held call delivered (in the order `picks` says, then oldest first) and every operation ended. */
    settle: async (picks: readonly number[] = []) => {
      let i = 0;
      for (let guard = 0; guard < 1000 && (engine.held.length || pending.size); guard++) {
        if (engine.held.length) engine.deliver(picks[i++] ?? 0);
        await quiesce();
      }
      if (engine.held.length || pending.size) throw new Error(`effects did not settle: ${[...pending.keys()].join(', ')}`);
    },

    /** What runs without anyone asking: the live executions' next steps and the reconcilers (past their grace). */
    repair: async () => {
      await driveAll();
      deps.clock.advance(61_000);
      await world.reconcile();
      await driveAll();
    },

    /**
     * Once the effects settled: every engine job's state matches its subtask's. A RUNNING subtask of a
     * RUNNING project has a RUNNING job (a finite one may have SUCCEEDED since its last poll); any other
     * subtask's job does not run; a PAUSED project has no job running; a RELEASED one no job running or
     * paused. No project FAILED (no failure is injected: a failure means the run found its jobs wrong,
     * e.g. the switchover precheck finding the forward sync PAUSED). No operation or reconciler erred.
     */
    violations: async (): Promise<string[]> => {
      figures.checks++;
      const out = [...errors];
      for (const id of ids) {
        const p = (await deps.projects.get(id)) as ProjectRecord;
        if (p.status === 'FAILED') out.push(`${id}: FAILED: ${JSON.stringify(p.subtasks.find((s) => s.lastError)?.lastError)}`);
        for (const s of p.subtasks) {
          const job = await simulated.store.get(s.jobId ?? jobIdFor(id, s.type));
          if (!job) continue;
          const state: JobState = job.state;
          const where = `${id} (${p.status}, run ${p.run}) ${s.type} ${s.status}: job ${state} (job run ${job.run})`;
          if (p.status === 'RELEASED') {
            if (state === 'RUNNING' || state === 'PAUSED') out.push(`${where}: a released project's job not stopped`);
          } else if (p.status === 'RUNNING' && s.status === 'RUNNING') {
            if (state !== 'RUNNING' && !(state === 'SUCCEEDED' && !s.continuous)) out.push(`${where}: the subtask runs, its job does not`);
          } else if (state === 'RUNNING') {
            out.push(`${where}: the job runs, the ${p.status === 'PAUSED' ? 'project is paused' : 'subtask does not run'}`);
          }
        }
      }
      return out;
    },
  };
  return world;
}

export type EffectsWorld = Awaited<ReturnType<typeof createEffectsWorld>>;
