import { isoAt } from '../domain/clock';
import { DomainError, notFound } from '../domain/errors';
import { jobRef, runningParts, stageOf, stepPath, subtaskPath } from '../domain/orchestration';
import { applyPaths, pathHolds, type AttributePath, type PathValue } from '../domain/paths';
import type { AlertLevel, ProjectRecord, ProjectStatus, RequestContext } from '../domain/project';
import type { SwitchoverStepName } from '../domain/subtasks';
import { GUARDS, resultingStatus, ruleFor, type Operation, type TransitionRule, type UserOperation } from '../domain/transitions';
import { TransitionConflict, type TransitionWrite } from '../ports';
import type { Deps } from './deps';
import { openGate, pauseRun, stopRunAndJobs } from './run-control';

/** A request to apply one operation of the transitions table to one project. */
export interface LifecycleRequest {
  operation: Operation;
  projectId: string;
  /** Version from If-Match (or a batch preview): the write is then conditional on it. */
  expectedVersion?: number;
  /** Delete: the project's exact name, typed by the caller. Batch delete passes none. */
  confirmName?: string;
  /** Single delete: a missing confirmName is refused like a wrong one. */
  requireConfirmation?: boolean;
  /** Pause timers: act only on the pause that started at this instant (a later pause is another one). */
  samePause?: string;
  parameters?: { level?: AlertLevel; step?: SwitchoverStepName };
  /** Orchestration writes (complete, fail, compensation): only while the project is still at this run. */
  run?: number;
  /** Compensation of a resume: the pause it undoes (restored as it was). */
  restore?: Partial<Pick<ProjectRecord, 'pausedAt' | 'pauseExpiresAt' | 'pauseWarnedAt'>>;
  /** Extra audit detail (e.g. the failed subtask and its error). */
  detail?: Record<string, unknown>;
  ctx: RequestContext & { batchId?: string; cause?: string };
  /**
   * The project as a consistent read just saw it (a batch reads many at once): spares the read that
   * learns the version. The write's condition still decides; a stale copy only costs a retry.
   */
  current?: ProjectRecord;
}

/** Changes inside the item an operation makes, computed from the item as last seen (recomputed on a retry). */
interface PathChanges {
  set?: PathValue[];
  remove?: AttributePath[];
  /** What those changes assume (the write is refused, and retried from a fresh item, when it no longer holds). */
  expect?: PathValue[];
}

/**
 * What an operation writes besides the status (per operation; the states come from the table),
 * and which bookkeeping it does for a given source state.
 */
interface OperationSpec {
  set?: (req: LifecycleRequest, deps: Deps, nowMs: number, current: ProjectRecord) => Partial<ProjectRecord>;
  remove?: readonly (keyof ProjectRecord)[];
  paths?: (current: ProjectRecord, req: LifecycleRequest, nowMs: number) => PathChanges;
  /** Source states whose write differs (e.g. delete frees the name only before start). */
  bookkeeping?: (status: ProjectStatus, p: ProjectRecord) => Pick<TransitionWrite, 'freeName' | 'releaseDataSources'>;
}

const releaseBookkeeping = (p: ProjectRecord) => ({ freeName: p.name, releaseDataSources: [p.sourceId, p.destinationId] });

/** A new run: the execution of run n+1 alone may write from now on (fencing). */
const newRun = (current: ProjectRecord): Partial<ProjectRecord> => ({ run: (current.run ?? 0) + 1, currentStage: stageOf(current.subtasks) });

/** What the execution waited for belongs to the run that waited. */
const RUN_WAIT_STATE: (keyof ProjectRecord)[] = ['waitingStep', 'awaiting', 'taskToken'];

/** Pause: every running subtask and switchover step shows PAUSED (continuous ones too). */
function pausePaths(current: ProjectRecord): PathChanges {
  const { subtasks, steps } = runningParts(current);
  return {
    set: [
      ...subtasks.map((t) => ({ path: subtaskPath(current, t, 'status'), value: 'PAUSED' })),
      ...steps.flatMap((st) => [
        { path: stepPath(current, st, 'status'), value: 'PAUSED' },
        { path: stepPath(current, st, 'waitingForConfirmation'), value: false },
      ]),
    ],
    // Every subtask as read, not only the running ones: a run write (no version bump) that started the
    // next subtask since the read would otherwise stay RUNNING under a PAUSED project.
    expect: [
      ...(current.subtasks ?? []).map((t) => ({ path: subtaskPath(current, t.type, 'status'), value: t.status })),
      ...steps.map((st) => ({ path: stepPath(current, st, 'status'), value: 'RUNNING' })),
    ],
  };
}

function skipVerificationPaths(current: ProjectRecord, nowMs: number): PathChanges {
  const seen = current.subtasks.find((s) => s.type === 'FULL_VERIFICATION');
  if (!seen) return {};
  return {
    set: [
      { path: subtaskPath(current, 'FULL_VERIFICATION', 'status'), value: 'SKIPPED' },
      { path: subtaskPath(current, 'FULL_VERIFICATION', 'finishedAt'), value: isoAt(nowMs) },
    ],
    expect: [{ path: subtaskPath(current, 'FULL_VERIFICATION', 'status'), value: seen.status }],
  };
}

/** The stage after the item's own path changes (skip moves the run on to the next subtask). */
const stageAfter = (current: ProjectRecord, changes: PathChanges) => stageOf(applyPaths(current, changes.set ?? [], changes.remove ?? []).subtasks);

const SPECS: Record<Operation, OperationSpec> = {
  start: { set: (_r, _d, now, current) => ({ startedAt: isoAt(now), ...newRun(current) }) },
  pause: {
    set: (_r, deps, now) => ({ pausedAt: isoAt(now), pauseExpiresAt: isoAt(now + deps.config.pauseDeadlineMs) }),
    remove: RUN_WAIT_STATE,
    paths: (current) => pausePaths(current),
  },
  resume: { set: (_r, _d, _n, current) => newRun(current), remove: ['pausedAt', 'pauseExpiresAt', 'pauseWarnedAt', 'failedAt', ...RUN_WAIT_STATE] },
  'skip-full-verification': {
    set: (_r, _d, now, current) => ({ currentStage: stageAfter(current, skipVerificationPaths(current, now)) }),
    paths: (current, _r, now) => skipVerificationPaths(current, now),
  },
  'enter-forward-switchover': {
    set: (_r, _d, now) => ({ switchoverEnteredAt: isoAt(now) }),
    paths: (current, _r, now) => ({
      set: [
        { path: subtaskPath(current, 'FORWARD_SWITCHOVER', 'status'), value: 'RUNNING' },
        { path: subtaskPath(current, 'FORWARD_SWITCHOVER', 'startedAt'), value: isoAt(now) },
      ],
    }),
  },
  'start-forward-switchover': { set: (_r, _d, now) => ({ switchoverStartedAt: isoAt(now) }) },
  'confirm-switchover-step': {
    remove: ['waitingStep'],
    paths: (current, req, now) => {
      const step = req.parameters?.step;
      if (!step || !current.subtasks.some((s) => s.steps?.some((st) => st.name === step))) return {};
      return {
        set: [
          { path: stepPath(current, step, 'status'), value: 'SUCCEEDED' },
          { path: stepPath(current, step, 'waitingForConfirmation'), value: false },
          { path: stepPath(current, step, 'finishedAt'), value: isoAt(now) },
          { path: stepPath(current, step, 'confirmedBy'), value: req.ctx.actor },
          { path: stepPath(current, step, 'confirmedAt'), value: isoAt(now) },
        ],
      };
    },
  },
  complete: { set: (_r, _d, now) => ({ completedAt: isoAt(now), currentStage: null }), remove: RUN_WAIT_STATE },
  fail: { set: (_r, _d, now) => ({ failedAt: isoAt(now) }), remove: RUN_WAIT_STATE },
  'revert-start': { remove: ['startedAt', ...RUN_WAIT_STATE] },
  'revert-resume': { set: (req) => ({ ...req.restore }), remove: RUN_WAIT_STATE },
  'restart-run': { set: (_r, _d, _n, current) => newRun(current), remove: RUN_WAIT_STATE },
  'expire-pause': { set: (_r, _d, now) => ({ expiredAt: isoAt(now) }) },
  'warn-pause-expiring': { set: (_r, _d, now) => ({ pauseWarnedAt: isoAt(now) }) },
  release: {},
  'complete-release': { set: (_r, _d, now) => ({ releasedAt: isoAt(now) }), bookkeeping: (_s, p) => releaseBookkeeping(p) },
  delete: { bookkeeping: (status, p) => (status === 'NOT_STARTED' ? releaseBookkeeping(p) : {}) },
  'modify-alert-config': {
    set: (req) => {
      const level = req.parameters?.level;
      if (!level) throw new DomainError(400, 'VALIDATION_FAILED', 'Request validation failed', 'parameters.level is required.');
      return { alertLevel: level };
    },
  },
};

/**
 * Why a conditional write was refused, from the item as it was (ALL_OLD). Returns null when the only
 * reason was a concurrent change that leaves the operation allowed: the caller tries again with it.
 */
export function explainConflict(
  rule: TransitionRule,
  req: Pick<LifecycleRequest, 'projectId' | 'expectedVersion' | 'confirmName' | 'samePause' | 'run' | 'parameters'> & { operation: string },
  current: ProjectRecord | undefined,
  nowMs: number,
): DomainError | null {
  if (!current) return notFound('PROJECT_NOT_FOUND', req.projectId);
  if (req.expectedVersion !== undefined && current.version !== req.expectedVersion) {
    return new DomainError(412, 'VERSION_MISMATCH', 'Version mismatch', `The project is at version ${current.version}, not ${req.expectedVersion}.`, {
      currentVersion: current.version,
      currentStatus: current.status,
    });
  }
  if (req.confirmName !== undefined && current.name !== req.confirmName) {
    return new DomainError(400, 'CONFIRMATION_MISMATCH', 'Confirmation does not match', 'confirmName must repeat the project name exactly.');
  }
  if (req.samePause !== undefined && current.pausedAt !== req.samePause) {
    return new DomainError(409, 'PAUSE_SUPERSEDED', 'Another pause', 'The project is no longer in the pause this request was made for.', {
      currentStatus: current.status,
    });
  }
  if (req.run !== undefined && current.run !== req.run) {
    return new DomainError(409, 'RUN_SUPERSEDED', 'Run superseded', `The project is at run ${current.run ?? 0}, not ${req.run}.`, {
      currentStatus: current.status,
    });
  }
  if (!rule.from.includes(current.status)) {
    return new DomainError(
      409,
      'INVALID_STATE',
      'Operation not allowed in the current state',
      `Cannot ${req.operation} a project that is ${current.status}; allowed from ${rule.from.join(', ')}.`,
      { currentStatus: current.status, allowedFrom: [...rule.from], operation: req.operation },
    );
  }
  for (const guard of rule.guards ?? []) {
    if (!GUARDS[guard].holds(current, nowMs)) {
      return new DomainError(409, GUARDS[guard].failureCode, GUARDS[guard].title, GUARDS[guard].detail(current), {
        currentStatus: current.status,
        ...(guard === 'pauseNotExpired' || guard === 'pauseDeadlinePassed' ? { pauseExpiresAt: current.pauseExpiresAt } : {}),
        ...(guard === 'stepWaiting' ? { waitingStep: null } : { currentStage: current.currentStage ?? null }),
      });
    }
  }
  const step = req.parameters?.step;
  if (req.operation === 'confirm-switchover-step' && step !== current.waitingStep) {
    return new DomainError(409, 'STEP_NOT_WAITING', 'Step not waiting', `${step ?? '(none)'} is not the step waiting for confirmation (${current.waitingStep}).`, {
      currentStatus: current.status,
      waitingStep: current.waitingStep ?? null,
    });
  }
  return null;
}

const MAX_ATTEMPTS = 8;

/**
 * Applies one row of the transitions table as one conditional write. The project is read first only to
 * learn its version and status (the audit event is keyed by the new version and records `from`); the
 * write itself holds every rule (status IN from, version, guards, typed name), and a refusal is
 * explained from the item DynamoDB returns with the failed condition, never from the earlier read.
 */
export async function writeTransition(
  deps: Deps,
  ruleName: Operation,
  req: LifecycleRequest,
  known?: ProjectRecord,
): Promise<{ before: ProjectRecord; after: ProjectRecord | null }> {
  const rule = ruleFor(ruleName);
  const spec = SPECS[ruleName];
  let current = known ?? (await deps.projects.get(req.projectId));
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (!current) throw notFound('PROJECT_NOT_FOUND', req.projectId);
    const nowMs = deps.clock.nowMs();
    const sourceState = current.status;
    // Write for the state the item was last seen in; if it was in none of the allowed states, let the
    // write's condition refuse it so the answer comes from the item the write saw.
    const bookkeepingFor = rule.from.includes(sourceState) ? sourceState : (rule.from[0] as ProjectStatus);
    const bookkeeping = spec.bookkeeping?.(bookkeepingFor, current) ?? {};
    const from = spec.bookkeeping ? [bookkeepingFor] : rule.from;
    const to = rule.via ?? resultingStatus(rule, bookkeepingFor);
    const expectedVersion = req.expectedVersion ?? current.version;
    const equals: TransitionWrite['equals'] = {
      ...(req.confirmName !== undefined ? { name: req.confirmName } : {}),
      ...(req.samePause !== undefined ? { pausedAt: req.samePause } : {}),
      ...(req.run !== undefined ? { run: req.run } : {}),
      ...(ruleName === 'confirm-switchover-step' ? { waitingStep: req.parameters?.step } : {}),
    };
    const paths = spec.paths?.(current, req, nowMs) ?? {};
    const write: TransitionWrite = {
      projectId: req.projectId,
      from,
      to,
      expectedVersion,
      guards: rule.guards ?? [],
      ...(Object.keys(equals).length ? { equals } : {}),
      set: spec.set?.(req, deps, nowMs, current) ?? {},
      remove: spec.remove ?? [],
      ...(paths.set?.length ? { setPaths: paths.set } : {}),
      ...(paths.remove?.length ? { removePaths: paths.remove } : {}),
      ...(paths.expect?.length ? { expect: paths.expect } : {}),
      nowMs,
      event: {
        at: isoAt(nowMs),
        operation: ruleName,
        from: current.status,
        to,
        actor: req.ctx.actor,
        requestId: req.ctx.requestId,
        version: expectedVersion + 1,
        ...(req.ctx.batchId ? { batchId: req.ctx.batchId } : {}),
        ...(req.ctx.cause ? { cause: req.ctx.cause } : {}),
        ...eventDetail(ruleName, req),
      },
      ...bookkeeping,
    };
    try {
      await deps.projects.transition(write);
      return { before: current, after: to === null ? null : applyWrite(current, write, to) };
    } catch (e) {
      if (!(e instanceof TransitionConflict)) throw e;
      const explained = explainConflict(rule, { ...req, operation: ruleName }, e.current, nowMs);
      if (explained) throw explained;
      // Allowed, but the item changed under the write (a concurrent change, or a subtask the execution moved on).
      if (e.current && write.expect && !pathHolds(e.current, write.expect)) {
        current = e.current;
        continue;
      }
      current = e.current; // only lost a race that leaves the operation allowed: go again from what the write saw
    }
  }
  throw new DomainError(409, 'CONCURRENT_MODIFICATION', 'Concurrent modification', 'The project kept changing while this request was applied; retry.');
}

function eventDetail(ruleName: Operation, req: LifecycleRequest): { detail?: Record<string, unknown> } {
  const detail: Record<string, unknown> = { ...req.detail };
  if (req.parameters?.level && ruleName === 'modify-alert-config') detail.level = req.parameters.level;
  if (req.parameters?.step && ruleName === 'confirm-switchover-step') detail.step = req.parameters.step;
  if (ruleName === 'skip-full-verification') detail.subtask = 'FULL_VERIFICATION';
  if (req.run !== undefined) detail.run = req.run;
  return Object.keys(detail).length ? { detail } : {};
}

function applyWrite(current: ProjectRecord, w: TransitionWrite, to: ProjectStatus): ProjectRecord {
  const next: ProjectRecord = { ...current, ...w.set, status: to, version: w.expectedVersion + 1, updatedAt: isoAt(w.nowMs) };
  for (const k of w.remove) delete next[k];
  for (const [k, v] of Object.entries(w.set)) if (v === undefined) delete (next as unknown as Record<string, unknown>)[k];
  return applyPaths(next, w.setPaths ?? [], w.removePaths ?? []);
}

/**
 * Applies a user-facing operation with its side effects (through the Orchestrator, MigrationEngine and
 * ExpiryScheduler ports). Returns the project after the operation, or null once deleted.
 */
export async function applyOperation(deps: Deps, req: LifecycleRequest & { operation: UserOperation }): Promise<ProjectRecord | null> {
  if (req.operation === 'delete' && req.requireConfirmation && !req.confirmName) {
    throw new DomainError(400, 'CONFIRMATION_MISMATCH', 'Confirmation does not match', 'Deleting a project needs confirmName: the project name, typed exactly.');
  }
  if (req.operation === 'confirm-switchover-step' && !req.parameters?.step) {
    throw new DomainError(400, 'VALIDATION_FAILED', 'Request validation failed', 'parameters.step is required.');
  }
  const rule = ruleFor(req.operation);
  const { before, after } = await writeTransition(deps, req.operation, req, req.current);
  switch (req.operation) {
    case 'start':
      return startExecution(deps, req, after as ProjectRecord, 'revert-start');
    case 'pause':
      // Committed: a failure to stop the execution or pause a job must not turn the answer into an error
      // (the execution is fenced anyway and ends at its next step).
      await afterCommit('stop the run and pause its jobs', req, () => pauseRun(deps, after as ProjectRecord, runningParts(before).subtasks));
      await afterCommit('schedule pause expiry', req, () => deps.expiry.schedulePauseExpiry(after as ProjectRecord));
      return after;
    case 'resume': {
      // A resume whose execution cannot start goes back to its pause (same deadline, its timers kept:
      // they are cancelled only once the run is under way); a resume from FAILED is FAILED again.
      const fromPause = before.status === 'PAUSED';
      const restore = { pausedAt: before.pausedAt, pauseExpiresAt: before.pauseExpiresAt, ...(before.pauseWarnedAt ? { pauseWarnedAt: before.pauseWarnedAt } : {}) };
      const running = await startExecution(deps, { ...req, ...(fromPause ? { restore } : {}) }, after as ProjectRecord, fromPause ? 'revert-resume' : 'fail');
      await afterCommit('cancel pause expiry', req, () => deps.expiry.cancelPauseExpiry(before));
      return running;
    }
    case 'release': {
      const releasing = after as ProjectRecord;
      await afterCommit('cancel pause expiry', req, () => deps.expiry.cancelPauseExpiry(before));
      if (rule.via === undefined) return releasing;
      // RELEASING is committed: if stopping or the second write fails, the answer is the RELEASING
      // project (2xx, the release did happen) and the reconciler finishes the release.
      return (await finishRelease(deps, releasing, req)) ?? releasing;
    }
    case 'skip-full-verification': {
      const seen = before.subtasks.find((s) => s.type === 'FULL_VERIFICATION');
      if (seen && (seen.status === 'RUNNING' || seen.status === 'PAUSED' || seen.status === 'FAILED')) {
        await afterCommit('stop the verification job', req, async () => void (await deps.engine.stopJob(jobRef(before, 'FULL_VERIFICATION'))));
      }
      return after;
    }
    case 'enter-forward-switchover':
      await afterCommit('complete the waiting task', req, () => openGate(deps, req.projectId, 'SWITCHOVER_ENTRY'));
      return after;
    case 'start-forward-switchover':
      await afterCommit('complete the waiting task', req, () => openGate(deps, req.projectId, 'SWITCHOVER_START'));
      return after;
    case 'confirm-switchover-step':
      await afterCommit('complete the waiting task', req, () => openGate(deps, req.projectId, 'STEP_CONFIRMATION'));
      return after;
    default:
      return after;
  }
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
