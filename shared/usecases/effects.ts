import { DomainError } from '../domain/errors';
import type { EffectName } from '../domain/effects';
import { jobRef, jobSpec, partPath, projectSpec, runningParts } from '../domain/orchestration';
import { isoAt } from '../domain/clock';
import type { AwaitedGate, PrecheckItem, ProjectRecord } from '../domain/project';
import type { Operation } from '../domain/transitions';
import type { Deps } from './deps';
import { openGate, pauseRun, pauseSubtaskJobs, stopRunAndJobs } from './run-control';
import { driveJob } from './run/source-parts';
import { compensateJob } from './run/run-state';
import { RunWriteRefused } from '../ports';
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
  'switchover-step-work': (deps, { req, after }) => switchoverStepWork(deps, after, req),
  'schedule-pause-expiry': (deps, { req, after }) => afterCommit('schedule pause expiry', req, () => deps.expiry.schedulePauseExpiry(after)),
  // The timers of the pause the write ended (the project before it).
  'cancel-pause-expiry': (deps, { req, before }) => afterCommit('cancel pause expiry', req, () => deps.expiry.cancelPauseExpiry(before)),
  'pause-source-jobs': (deps, { req, after }) =>
    afterCommit("pause the sources' jobs", req, async () => {
      for (const s of after.subtasks) if (s.sources?.length) await pauseSubtaskJobs(deps, after, s.type, ['RUNNING', 'PAUSED'], req.sources ?? []);
    }),
  'resume-source-jobs': (deps, { req, after }) => afterCommit("resume the sources' jobs", req, () => resumeSourceJobs(deps, after, req.sources ?? [])),
  // The timers of the named sources' pauses (as they were before the write ended them), not the project's.
  'cancel-source-pause-expiry': (deps, { req, before }) =>
    afterCommit('cancel source pause expiry', req, () =>
      deps.expiry.cancelPauseExpiry({ id: before.id, sources: (before.sources ?? []).map((s) => ((req.sources ?? []).includes(s.sourceId) ? s : { sourceId: s.sourceId })) }),
    ),
};

/**
 * The jobs of sources a per-source resume named, in every running per-source subtask: started, resumed
 * from their checkpoints or claimed, as the project's run (the engine refuses it to an older one), and
 * each part's progress recorded (fenced on the run and the part still RUNNING).
 */
async function resumeSourceJobs(deps: Deps, p: ProjectRecord, sourceIds: readonly string[]): Promise<void> {
  if (p.run === undefined) return;
  for (const s of p.subtasks) {
    if (s.status !== 'RUNNING' || !s.sources?.length) continue;
    for (const [i, part] of s.sources.entries()) {
      if (!sourceIds.includes(part.sourceId) || part.status !== 'RUNNING') continue;
      const { status } = await driveJob(deps, p, p.run, s.type, { ...part, status: 'PAUSED' });
      const at = (field: string) => partPath(p, s.type, i, field);
      try {
        await deps.projects.updateRun({
          projectId: p.id,
          run: p.run,
          set: [
            { path: at('jobId'), value: jobSpec(p, s.type, p.run, part.sourceId).jobId },
            { path: at('progress'), value: status.progress },
            { path: at('checkpoint'), value: status.checkpoint },
            ...(part.startedAt ? [] : [{ path: at('startedAt'), value: isoAt(deps.clock.nowMs()) }]),
          ],
          expect: [{ path: at('status'), value: 'RUNNING' }],
        });
      } catch (e) {
        if (!(e instanceof RunWriteRefused)) throw e;
        // The part or the project moved on (paused again, released) while its job resumed: bring the job to what it says now.
        await compensateJob(deps, e.current, jobSpec(p, s.type, p.run, part.sourceId), part.sourceId);
      }
    }
  }
}

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
 * The engine's work of a confirmed switchover step. Done before the waiting task is completed, so the
 * run goes on only once it is done; a failure fails the run (fenced on it) with the step and the error,
 * and the answer is the FAILED project.
 */
async function switchoverStepWork(deps: Deps, project: ProjectRecord, req: LifecycleRequest): Promise<ProjectRecord | undefined> {
  const step = req.parameters?.step;
  if (!step || !deps.engine.switchoverStep) return undefined;
  try {
    await deps.engine.switchoverStep(jobSpec(project, 'FORWARD_SWITCHOVER'), step);
    return undefined;
  } catch (e) {
    const message = `${step}: ${(e as Error)?.message ?? String(e)}`;
    console.error(JSON.stringify({ level: 'ERROR', message: 'switchover step work failed: failing the run', projectId: project.id, step, error: message }));
    const { after } = await writeTransition(deps, 'fail', {
      ...req,
      operation: 'fail',
      expectedVersion: project.version,
      run: project.run,
      confirmName: undefined,
      detail: { subtask: 'FORWARD_SWITCHOVER', step, error: { code: 'SWITCHOVER_STEP_FAILED', message } },
      ctx: { ...req.ctx, cause: 'switchover-step-failed' },
    }, project);
    return after ?? undefined;
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
  // A whole resume also ended the sources' own pauses: undone, they stand in them again (same deadlines, timers kept).
  const sources = req.operation === 'resume' && before.sources ? { sources: before.sources } : {};
  const restore = { pausedAt: before.pausedAt, pauseExpiresAt: before.pauseExpiresAt, ...(before.pauseWarnedAt ? { pauseWarnedAt: before.pauseWarnedAt } : {}), ...sources };
  return startExecution(deps, { ...req, ...(fromPause ? { restore } : Object.keys(sources).length ? { restore: sources } : {}) }, after, fromPause ? 'revert-resume' : 'fail');
}

/**
 * Second half of a release: the execution and every job stopped, the engine's per-project bookkeeping
 * on the data sources freed (MigrationEngine.releaseProject), then RELEASED (name and data sources freed). Returns undefined when it could not finish now (logged): the project stays RELEASING and the
 * reconciler finishes it. Safe to run again: stopping is idempotent and the write is conditional.
 */
export async function finishRelease(deps: Deps, releasing: ProjectRecord, req: LifecycleRequest): Promise<ProjectRecord | null | undefined> {
  try {
    await stopRunAndJobs(deps, releasing, 'released');
    // Then what the engine keeps for the project on its data sources (a project that never ran has nothing there).
    if (releasing.run !== undefined && deps.engine.releaseProject) await deps.engine.releaseProject(projectSpec(releasing));
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
