import { DomainError } from '../domain/errors';
import type { EffectName } from '../domain/effects';
import { jobRef, jobSpec, runningParts } from '../domain/orchestration';
import { isoAt } from '../domain/clock';
import type { AwaitedGate, PrecheckItem, ProjectRecord } from '../domain/project';
import type { Operation } from '../domain/transitions';
import type { Deps } from './deps';
import { openGate, pauseRun, stopRunAndJobs } from './run-control';
import { writeTransition, type LifecycleRequest } from './transition-write';

/**
 * The side effects of the operations (named in shared/domain/effects.ts, listed per operation in the
 * operations table), each run after its operation's write committed. An effect may answer a newer
 * project (a compensated start, a finished release); `undefined` keeps the one it was given.
 */
export interface EffectContext {
  req: LifecycleRequest;
  /** The project as the write saw it, and after it. */
  before: ProjectRecord;
  after: ProjectRecord;
}

type Effect = (deps: Deps, c: EffectContext) => Promise<ProjectRecord | null | undefined | void>;

/** The gate each gate-opening operation opens (the execution may wait there). */
const GATE_OF: Partial<Record<Operation, AwaitedGate>> = {
  'enter-forward-switchover': 'SWITCHOVER_ENTRY',
  'start-forward-switchover': 'SWITCHOVER_START',
  'confirm-switchover-step': 'STEP_CONFIRMATION',
};

export const EFFECT_RUNNERS: Record<EffectName, Effect> = {
  'start-run': (deps, c) => startRunOrCompensate(deps, c),
  'pause-run': (deps, { req, before, after }) =>
    // Committed: a failure to stop the execution or pause a job must not turn the answer into an error
    // (the execution is fenced anyway and ends at its next step; the reconciler pauses jobs left running).
    afterCommit('stop the run and pause its jobs', req, () => pauseRun(deps, after, runningParts(before).subtasks)),
  'stop-run-and-jobs': (deps, { after }) => stopRunAndJobs(deps, after, 'pause-expired'),
  'finish-release': async (deps, { req, after }) => (await finishRelease(deps, after, req)) ?? after,
  'stop-verification-job': (deps, { req, before }) => {
    const seen = before.subtasks.find((s) => s.type === 'FULL_VERIFICATION');
    if (!seen || !(seen.status === 'RUNNING' || seen.status === 'PAUSED' || seen.status === 'FAILED')) return Promise.resolve();
    return afterCommit('stop the verification job', req, async () => void (await deps.engine.stopJob(jobRef(before, 'FULL_VERIFICATION'))));
  },
  'open-gate': (deps, { req }) => {
    const gate = GATE_OF[req.operation];
    if (!gate) throw new Error(`operation ${req.operation} opens no gate`);
    return afterCommit('complete the waiting task', req, () => openGate(deps, req.projectId, gate));
  },
  'run-precheck': (deps, { req, after }) => runPrecheck(deps, after, req),
  'schedule-pause-expiry': (deps, { req, after }) => afterCommit('schedule pause expiry', req, () => deps.expiry.schedulePauseExpiry(after)),
  // The timers of the pause the write ended (the project before it).
  'cancel-pause-expiry': (deps, { req, before }) => afterCommit('cancel pause expiry', req, () => deps.expiry.cancelPauseExpiry(before)),
};

/**
 * The precheck of a project in its engine, recorded on the project (record-precheck, conditional on the
 * version the precheck write left). An engine that cannot be asked fails the precheck with the reason.
 */
export async function runPrecheck(deps: Deps, project: ProjectRecord, req: LifecycleRequest): Promise<ProjectRecord | undefined> {
  let items: PrecheckItem[];
  try {
    items = (await deps.engine.precheck?.(jobSpec(project, 'STRUCTURE_MIGRATION'))) ?? [];
  } catch (e) {
    items = [{ name: 'engine', status: 'FAILED', message: `The precheck could not run: ${(e as Error)?.message ?? String(e)}` }];
  }
  if (items.length === 0) items = [{ name: 'engine', status: 'PASSED', message: `The ${project.engine ?? 'simulated'} engine has nothing to check.` }];
  const precheck = { status: items.every((i) => i.status === 'PASSED') ? ('PASSED' as const) : ('FAILED' as const), items, checkedAt: isoAt(deps.clock.nowMs()) };
  try {
    const { after } = await writeTransition(deps, 'record-precheck', { ...req, operation: 'record-precheck', expectedVersion: project.version, confirmName: undefined, parameters: { precheck } }, project);
    return after ?? undefined;
  } catch (e) {
    // The project moved on meanwhile (another precheck, started, deleted): this result is not the latest.
    if (e instanceof DomainError && e.status < 500) return undefined;
    throw e;
  }
}

/**
 * Runs an operation's effects in order. Each sees the project as the previous one left it; a deleted
 * project (null) ends the chain.
 */
export async function runEffects(deps: Deps, effects: readonly EffectName[], c: EffectContext): Promise<ProjectRecord | null> {
  let project: ProjectRecord = c.after;
  for (const name of effects) {
    const next = await EFFECT_RUNNERS[name](deps, { ...c, after: project });
    if (next === null) return null;
    if (next) project = next;
  }
  return project;
}

/**
 * start / resume / restart: the execution of the run the write began. When it cannot start, the project
 * must not stay RUNNING with nothing running: a start is undone (revert-start), a resume from a pause goes
 * back to that pause (revert-resume, same deadline, its timers kept), a resume from FAILED is FAILED again.
 */
function startRunOrCompensate(deps: Deps, { req, before, after }: EffectContext): Promise<ProjectRecord> {
  if (req.operation === 'start') return startExecution(deps, req, after, 'revert-start');
  const fromPause = before.status === 'PAUSED';
  const restore = { pausedAt: before.pausedAt, pauseExpiresAt: before.pauseExpiresAt, ...(before.pauseWarnedAt ? { pauseWarnedAt: before.pauseWarnedAt } : {}) };
  return startExecution(deps, { ...req, ...(fromPause ? { restore } : {}) }, after, fromPause ? 'revert-resume' : 'fail');
}

/**
 * Second half of a release: the execution and every job stopped, then RELEASED (name and data sources
 * freed). Returns undefined when it could not finish now (logged): the project stays RELEASING and the
 * reconciler finishes it. Safe to run again: stopping is idempotent and the write is conditional.
 */
export async function finishRelease(deps: Deps, releasing: ProjectRecord, req: LifecycleRequest): Promise<ProjectRecord | null | undefined> {
  try {
    await stopRunAndJobs(deps, releasing, 'released');
    const done = await writeTransition(deps, 'complete-release', { ...req, operation: 'complete-release', expectedVersion: releasing.version, confirmName: undefined }, releasing);
    return done.after;
  } catch (e) {
    if (e instanceof DomainError && e.status < 500) throw e;
    console.error(
      JSON.stringify({ level: 'WARN', message: 'release left RELEASING: the reconciler finishes it', projectId: releasing.id, error: (e as Error)?.name, detail: (e as Error)?.message }),
    );
    return undefined;
  }
}

/**
 * Starts the execution of the run a start or resume just began. If that fails, the project must not
 * stay RUNNING with nothing running: a compensating transition (fenced on the run and the version the
 * start wrote) undoes a start or marks a resume FAILED, and the caller gets a 503 to retry.
 */
async function startExecution(deps: Deps, req: LifecycleRequest, running: ProjectRecord, compensation: 'revert-start' | 'revert-resume' | 'fail'): Promise<ProjectRecord> {
  try {
    await deps.orchestrator.startRun(running);
    return running;
  } catch (e) {
    console.error(
      JSON.stringify({ level: 'ERROR', message: 'could not start the execution; compensating', projectId: running.id, run: running.run, compensation, error: (e as Error)?.name, detail: (e as Error)?.message }),
    );
    let state = 'unchanged';
    try {
      const undone = await writeTransition(
        deps,
        compensation,
        {
          ...req,
          operation: compensation,
          expectedVersion: running.version,
          run: running.run,
          confirmName: undefined,
          detail: { reason: 'the orchestration could not be started' },
          ctx: { ...req.ctx, cause: 'orchestration-unavailable' },
        },
        running,
      );
      state = undone.after?.status ?? state;
    } catch (undoError) {
      // The project moved on meanwhile (paused, or another start): nothing is left RUNNING by this request.
      if (!(undoError instanceof DomainError)) throw undoError;
      state = `left as is (${undoError.code})`;
    }
    throw new DomainError(503, 'ORCHESTRATION_UNAVAILABLE', 'Orchestration unavailable', `The run could not be started; the project is ${state}. Retry later.`, {
      projectStatus: state,
    });
  }
}

/**
 * A side effect after a committed transition whose failure must not turn the answer into an error:
 * the state did change. The pause deadline stays enforced by the resume write's own condition, so a
 * missing or stale schedule costs only the early warning and the expiry mark (the reconciler redoes them).
 */
async function afterCommit(what: string, req: LifecycleRequest, effect: () => Promise<void>): Promise<void> {
  try {
    await effect();
  } catch (e) {
    console.error(
      JSON.stringify({ level: 'WARN', message: `${what} failed after the transition was committed`, projectId: req.projectId, operation: req.operation, error: (e as Error)?.name, detail: (e as Error)?.message }),
    );
  }
}
