import { isoAt } from '../domain/clock';
import { DomainError } from '../domain/errors';
import { partPath, runningParts, stageOf, stepPath, subtaskPath } from '../domain/orchestration';
import { applyPaths, type AttributePath, type PathValue } from '../domain/paths';
import type { ProjectRecord, ProjectStatus } from '../domain/project';
import type { Operation } from '../domain/transitions';
import type { TransitionWrite } from '../ports';
import type { Deps } from './deps';
import { sourceIdsOf } from '../domain/sources';
import { expireSourcePaths, expireSourceSet, pauseSourcesPaths, pauseSourcesSet, resumeAllSources, resumeSourcesPaths, resumeSourcesSet } from './source-writes';
import type { LifecycleRequest } from './transition-write';

/**
 * What each operation writes besides its status (the states and guards are the operations table's,
 * shared/domain/transitions.ts): attributes set and removed, changes inside the item, bookkeeping.
 */
/** Changes inside the item an operation makes, computed from the item as last seen (recomputed on a retry). */
export interface PathChanges {
  set?: PathValue[];
  remove?: AttributePath[];
  /** What those changes assume (the write is refused, and retried from a fresh item, when it no longer holds). */
  expect?: PathValue[];
}

/**
 * What an operation writes besides the status (per operation; the states come from the table),
 * and which bookkeeping it does for a given source state.
 */
export interface OperationSpec {
  set?: (req: LifecycleRequest, deps: Deps, nowMs: number, current: ProjectRecord) => Partial<ProjectRecord>;
  remove?: readonly (keyof ProjectRecord)[];
  paths?: (current: ProjectRecord, req: LifecycleRequest, nowMs: number) => PathChanges;
  /** Source states whose write differs (e.g. delete frees the name only before start). */
  bookkeeping?: (status: ProjectStatus, p: ProjectRecord) => Pick<TransitionWrite, 'freeName' | 'releaseDataSources'>;
}

const releaseBookkeeping = (p: ProjectRecord) => ({ freeName: p.name, releaseDataSources: [...sourceIdsOf(p), p.destinationId] });

/** A new run: the execution of run n+1 alone may write from now on (fencing). */
const newRun = (current: ProjectRecord): Partial<ProjectRecord> => ({ run: (current.run ?? 0) + 1, currentStage: stageOf(current.subtasks) });

/** A per-source change with a new run, when it changes anything (an empty change lets the write's condition refuse). */
const withNewRun = (current: ProjectRecord, change: Partial<ProjectRecord>): Partial<ProjectRecord> => (Object.keys(change).length ? { ...newRun(current), ...change } : change);

/** What the execution waited for belongs to the run that waited. */
const RUN_WAIT_STATE: (keyof ProjectRecord)[] = ['waitingStep', 'awaiting', 'taskToken'];

/** The last measurement of a subtask or part that stops RUNNING: from now on the project item holds it (shared/domain/progress.ts). */
const lastMeasured = (at: (field: string) => AttributePath, x: { progress?: unknown; checkpoint?: unknown }): PathValue[] => [
  { path: at('progress'), value: x.progress },
  { path: at('checkpoint'), value: x.checkpoint },
];

/** Pause: every running subtask and switchover step shows PAUSED (continuous ones too), with its last measurement. */
function pausePaths(current: ProjectRecord): PathChanges {
  const { subtasks, steps } = runningParts(current);
  return {
    set: [
      ...subtasks.flatMap((t) => [
        { path: subtaskPath(current, t, 'status'), value: 'PAUSED' },
        ...lastMeasured((f) => subtaskPath(current, t, f), current.subtasks.find((x) => x.type === t) ?? {}),
      ]),
      // The running parts of a per-source subtask pause with it (a part paused with its source already is).
      ...subtasks.flatMap((t) =>
        (current.subtasks.find((x) => x.type === t)?.sources ?? []).flatMap((part, i) =>
          part.status === 'RUNNING' ? [{ path: partPath(current, t, i, 'status'), value: 'PAUSED' }, ...lastMeasured((f) => partPath(current, t, i, f), part)] : [],
        ),
      ),
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

export const SPECS: Record<Operation, OperationSpec> = {
  start: { set: (_r, _d, now, current) => ({ startedAt: isoAt(now), ...newRun(current) }) },
  pause: {
    set: (_r, deps, now) => ({ pausedAt: isoAt(now), pauseExpiresAt: isoAt(now + deps.config.pauseDeadlineMs) }),
    remove: RUN_WAIT_STATE,
    paths: (current) => pausePaths(current),
  },
  // A per-source pause or resume begins a new run (fencing: the engine then refuses the older run's calls on those jobs).
  'pause-sources': { set: (req, deps, now, current) => withNewRun(current, pauseSourcesSet(req, deps.config.pauseDeadlineMs, now, current)), paths: (current, req) => pauseSourcesPaths(current, req), remove: RUN_WAIT_STATE },
  'resume-sources': { set: (req, _d, now, current) => withNewRun(current, resumeSourcesSet(req, now, current)), paths: (current, req) => resumeSourcesPaths(current, req), remove: RUN_WAIT_STATE },
  'expire-source-pause': { set: (req, _d, now, current) => expireSourceSet(req, now, current), paths: (current, req, now) => expireSourcePaths(current, req, now), remove: RUN_WAIT_STATE },
  resume: { set: (_r, _d, _n, current) => ({ ...newRun(current), ...resumeAllSources(current) }), remove: ['pausedAt', 'pauseExpiresAt', 'pauseWarnedAt', 'failedAt', ...RUN_WAIT_STATE] },
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
  fail: { set: (req, _d, now) => ({ failedAt: isoAt(now), ...req.restore }), remove: RUN_WAIT_STATE },
  'revert-start': { remove: ['startedAt', ...RUN_WAIT_STATE] },
  'revert-resume': { set: (req) => ({ ...req.restore }), remove: RUN_WAIT_STATE },
  'restart-run': { set: (_r, _d, _n, current) => newRun(current), remove: RUN_WAIT_STATE },
  'expire-pause': { set: (_r, _d, now) => ({ expiredAt: isoAt(now) }) },
  'warn-pause-expiring': { set: (_r, _d, now) => ({ pauseWarnedAt: isoAt(now) }) },
  release: {},
  'complete-release': { set: (_r, _d, now) => ({ releasedAt: isoAt(now) }), bookkeeping: (_s, p) => releaseBookkeeping(p) },
  delete: { bookkeeping: (status, p) => (status === 'NOT_STARTED' ? releaseBookkeeping(p) : {}) },
  // The precheck runs after the write (its effect) and is recorded by record-precheck.
  precheck: { set: (_r, _d, now) => ({ precheck: { status: 'RUNNING', items: [], checkedAt: isoAt(now) } }) },
  'record-precheck': {
    set: (req) => {
      const precheck = req.parameters?.precheck;
      if (!precheck) throw new Error('record-precheck needs parameters.precheck');
      return { precheck };
    },
  },
  'modify-alert-config': {
    set: (req) => {
      const level = req.parameters?.level;
      if (!level) throw new DomainError(400, 'VALIDATION_FAILED', 'Request validation failed', 'parameters.level is required.');
      return { alertLevel: level };
    },
  },
};
