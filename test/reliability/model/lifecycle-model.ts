/**
 * A pure reference model of a migration project's lifecycle, as the API should show it: statuses,
 * versions, names, the pause-expiry clock and timers, runs and their executions, subtasks and the
 * forward switchover as far as they move without a running engine. No I/O, no product imports: the
 * model is written from the README's rules, so a product that drifts from them diverges from it.
 *
 * `ModelFlaws` lets the self-test switch on a deliberately wrong rule; the comparison must catch it.
 */

import { SEEDS_FROM } from '../../support/seeds-table';

export type Status = 'NOT_STARTED' | 'RUNNING' | 'PAUSED' | 'FAILED' | 'RELEASING' | 'RELEASED' | 'COMPLETED';
export type Level = 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH';
export type SubStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'PAUSED' | 'SKIPPED';
export type Gate = 'SWITCHOVER_ENTRY' | 'SWITCHOVER_START' | 'STEP_CONFIRMATION';
export type UserOp =
  | 'start'
  | 'pause'
  | 'resume'
  | 'release'
  | 'delete'
  | 'modify-alert-config'
  | 'skip-full-verification'
  | 'enter-forward-switchover'
  | 'start-forward-switchover'
  | 'confirm-switchover-step'
  | 'precheck';
export type BatchOp = Exclude<UserOp, 'confirm-switchover-step' | 'precheck'>;

/** The orchestration list of a project with every component (what the suite creates). */
export const SUBTASKS = ['STRUCTURE_MIGRATION', 'FULL_MIGRATION', 'INCREMENTAL_SYNC', 'FULL_VERIFICATION', 'FORWARD_SWITCHOVER', 'REVERSE_INCREMENTAL_SYNC'] as const;
export type Sub = (typeof SUBTASKS)[number];
const CONTINUOUS: readonly Sub[] = ['INCREMENTAL_SYNC', 'REVERSE_INCREMENTAL_SYNC'];
export const STEPS = [
  ['START_FORWARD_SWITCHOVER', false],
  ['SWITCHOVER_PRECHECK', false],
  ['START_DESTINATION_STORE', false],
  ['CONFIRM_SOURCE_WRITES_STOPPED', true],
  ['CONFIRM_WRITE_STOP_TIMESTAMP', false],
  ['STOP_FORWARD_SYNC', false],
  ['PROCESS_DATABASE_OBJECTS', true],
  ['START_REVERSE_INCREMENTAL', true],
] as const;
export type StepName = (typeof STEPS)[number][0];
type Step = (typeof STEPS)[number];

/**
 * The subtasks and switchover steps a project has. A multi-source project is created without reverse
 * incremental sync (README "Several sources per project": several sources with reverse sync are refused
 * at create), so it has neither REVERSE_INCREMENTAL_SYNC nor the START_REVERSE_INCREMENTAL step.
 */
export const subtasksOf = (p: Pick<ModelProject, 'sources'>): readonly Sub[] => (severalSources(p) ? SUBTASKS.filter((s) => s !== 'REVERSE_INCREMENTAL_SYNC') : SUBTASKS);
export const stepsOf = (p: Pick<ModelProject, 'sources'>): readonly Step[] => (severalSources(p) ? STEPS.filter(([n]) => n !== 'START_REVERSE_INCREMENTAL') : STEPS);
const severalSources = (p: Pick<ModelProject, 'sources'>) => (p.sources?.length ?? 0) > 1;
export const MANUAL_STEPS = STEPS.filter(([, manual]) => manual).map(([n]) => n);

export interface ModelEvent {
  operation: string;
  from: Status | null;
  to: Status | null;
  actor: string;
  version: number;
  cause?: string;
  batch: boolean;
}

export interface ModelProject {
  /** Index in Model.projects (the real side keeps the id at the same index). */
  key: number;
  name: string;
  deleted: boolean;
  status: Status;
  version: number;
  alertLevel: Level;
  updatedAt: number;
  run?: number;
  startedAt?: number;
  pausedAt?: number;
  pauseExpiresAt?: number;
  expiredAt?: number;
  pauseWarnedAt?: number;
  failedAt?: number;
  releasedAt?: number;
  completedAt?: number;
  currentStage: Sub | null;
  subtasks: Record<Sub, SubStatus>;
  steps: Record<StepName, { status: SubStatus; waiting: boolean }>;
  switchoverEnteredAt?: number;
  switchoverStartedAt?: number;
  waitingStep?: StepName;
  awaiting?: Gate;
  /** The (simulated) execution stored a task token while it waits at `awaiting`. */
  hasToken: boolean;
  events: ModelEvent[];
  /** Every pausedAt this project had, for stale timer firings. */
  pauses: number[];
  /** A multi-source project's sources (2-3), by index; absent for a project of one source. */
  sources?: ModelSource[];
}

/** A source of a multi-source project: paused on its own while `pausedAt` is set (README "Several sources per project"). */
export interface ModelSource {
  pausedAt?: number;
  pauseExpiresAt?: number;
  expiredAt?: number;
  /** Every pausedAt of its own pauses, for stale timer firings. */
  pauses: number[];
}

export interface ModelTimer {
  name: string;
  kind: 'warn' | 'expire';
  key: number;
  pausedAt: number;
  at: number;
  /** A source's own expiry timer: the source's index (`expire-<project>.s<i>-<pausedMs>`). */
  source?: number;
}

const sourceTimerName = (key: number, i: number, pausedAt: number) => `expire-${key}.s${i}-${pausedAt}`;

export interface ModelFlaws {
  /** Wrong on purpose: resume ignores the pause deadline. */
  resumeIgnoresDeadline?: boolean;
  /** Wrong on purpose: release keeps the project's name reserved. */
  releaseKeepsName?: boolean;
  /** Wrong on purpose: a source paused on its own resumes after its deadline. */
  sourceResumeIgnoresDeadline?: boolean;
}

export interface Model {
  now: number;
  deadlineMs: number;
  warnLeadMs: number;
  projects: ModelProject[];
  /** Executions the orchestrator has running: project key → run. */
  executions: Map<number, number>;
  /** Pause timers scheduled (insertion order, as the in-memory scheduler keeps them). */
  timers: Map<string, ModelTimer>;
  /** Task tokens completed by the API (gates opened while the execution waited there). */
  completedTasks: number;
  flaws: ModelFlaws;
}

export function newModel(now: number, deadlineMs: number, warnLeadMs: number, flaws: ModelFlaws = {}): Model {
  return { now, deadlineMs, warnLeadMs, projects: [], executions: new Map(), timers: new Map(), completedTasks: 0, flaws };
}

/** What the model expects an HTTP call to answer. */
export interface Expected {
  status: number;
  code?: string;
}

// ---- the rules, written out per operation (not taken from the product's table) ----

/** The seeds' table, and the precheck (OMS runs one before start): again while NOT_STARTED. The suite's projects run on the simulated engine, whose precheck passes at creation. */
const FROM: Record<UserOp, readonly Status[]> = { ...SEEDS_FROM, precheck: ['NOT_STARTED'] };

/** The project's own pause (if any) is still within its deadline. */
const projectPauseOpen = (m: Model, p: ModelProject) => p.expiredAt === undefined && (p.pauseExpiresAt === undefined || m.now < p.pauseExpiresAt);

/** A source paused on its own can still resume: not marked expired, its deadline ahead. */
const sourceOpen = (m: Model, s: ModelSource) => (m.flaws.sourceResumeIgnoresDeadline ? true : s.expiredAt === undefined && (s.pauseExpiresAt === undefined || m.now < s.pauseExpiresAt));

/** README: once a source's own pause passed its deadline, its change stream is released and the project cannot resume. */
const noSourcePastDeadline = (m: Model, p: ModelProject) => (p.sources ?? []).every((s) => sourceOpen(m, s));

export const resumable = (m: Model, p: ModelProject): boolean => {
  if (p.status !== 'PAUSED' && p.status !== 'FAILED') return false;
  if (m.flaws.resumeIgnoresDeadline) return true;
  return projectPauseOpen(m, p) && noSourcePastDeadline(m, p);
};

/** pause-sources / resume-sources (README): RUNNING multi-source projects; resume-sources needs a source paused on its own that can resume. */
const multi = (p: ModelProject) => (p.sources?.length ?? 0) > 1;
const someSourceResumable = (m: Model, p: ModelProject) => (p.sources ?? []).some((s) => s.pausedAt !== undefined && sourceOpen(m, s));

/** The first guard that refuses the operation (its problem code), or undefined. */
function guardRefusal(m: Model, p: ModelProject, op: UserOp): string | undefined {
  switch (op) {
    case 'resume':
      if (m.flaws.resumeIgnoresDeadline) return undefined;
      if (!projectPauseOpen(m, p)) return 'PAUSE_EXPIRED';
      return noSourcePastDeadline(m, p) ? undefined : 'SOURCE_PAUSE_EXPIRED';
    case 'skip-full-verification':
      return p.currentStage === 'FULL_VERIFICATION' ? undefined : 'NOT_IN_FULL_VERIFICATION';
    case 'enter-forward-switchover':
      if (p.currentStage !== 'FORWARD_SWITCHOVER') return 'NOT_AT_FORWARD_SWITCHOVER';
      return p.switchoverEnteredAt === undefined ? undefined : 'SWITCHOVER_ALREADY_ENTERED';
    case 'start-forward-switchover':
      if (p.currentStage !== 'FORWARD_SWITCHOVER') return 'NOT_AT_FORWARD_SWITCHOVER';
      return p.switchoverEnteredAt !== undefined && p.switchoverStartedAt === undefined ? undefined : 'SWITCHOVER_NOT_STARTABLE';
    case 'confirm-switchover-step':
      if (p.currentStage !== 'FORWARD_SWITCHOVER') return 'NOT_AT_FORWARD_SWITCHOVER';
      return p.waitingStep !== undefined ? undefined : 'STEP_NOT_WAITING';
    default:
      return undefined;
  }
}

const isAllowed = (m: Model, p: ModelProject, op: UserOp) => FROM[op].includes(p.status) && guardRefusal(m, p, op) === undefined;

/** allowedActions as the model derives them, in a canonical (sorted) order. */
export function expectedAllowedActions(m: Model, p: ModelProject): string[] {
  const perSource = p.status === 'RUNNING' && multi(p) ? ['pause-sources', ...(someSourceResumable(m, p) ? ['resume-sources'] : [])] : [];
  return [...(Object.keys(FROM) as UserOp[]).filter((op) => isAllowed(m, p, op)), ...perSource].sort();
}

/** The subtask a run stands at: first not finished, ignoring continuous ones already started. */
export function stageOf(p: Pick<ModelProject, 'subtasks' | 'sources'>): Sub | null {
  for (const s of subtasksOf(p)) {
    const st = p.subtasks[s];
    if (st === 'SUCCEEDED' || st === 'SKIPPED') continue;
    if (CONTINUOUS.includes(s) && st !== 'PENDING') continue;
    return s;
  }
  return null;
}

export const nameTaken = (m: Model, name: string) =>
  m.projects.some((p) => p.name === name && !p.deleted && (p.status !== 'RELEASED' || m.flaws.releaseKeepsName));

// ---- transitions ----

function commit(m: Model, p: ModelProject, operation: string, to: Status, actor: string, extra: { cause?: string; batch?: boolean } = {}): void {
  const from = p.status;
  p.version += 1;
  p.status = to;
  p.updatedAt = m.now;
  p.events.push({ operation, from, to, actor, version: p.version, batch: extra.batch ?? false, ...(extra.cause ? { cause: extra.cause } : {}) });
}

function clearRunWait(p: ModelProject): void {
  delete p.waitingStep;
  delete p.awaiting;
  p.hasToken = false;
}

function cancelTimers(m: Model, p: ModelProject, pausedAt: number | undefined): void {
  if (pausedAt === undefined) return;
  for (const kind of ['warn', 'expire']) m.timers.delete(`${kind}-${p.key}-${pausedAt}`);
}

/** The timers of the sources' own pauses (a whole resume or a release cancels them with the project's). */
function cancelSourceTimers(m: Model, p: ModelProject, which: (i: number) => boolean = () => true): void {
  (p.sources ?? []).forEach((s, i) => {
    if (s.pausedAt !== undefined && which(i)) m.timers.delete(sourceTimerName(p.key, i, s.pausedAt));
  });
}

function openGate(m: Model, p: ModelProject, gate: Gate): void {
  if (p.hasToken && p.awaiting === gate && p.status === 'RUNNING') m.completedTasks += 1;
}

export function createProject(m: Model, name: string, level: Level | undefined, actor: string, sourceCount = 1): Expected {
  if (nameTaken(m, name)) return { status: 409, code: 'NAME_TAKEN' };
  const shape = { sources: sourceCount > 1 ? Array.from({ length: sourceCount }, (): ModelSource => ({ pauses: [] })) : undefined };
  const subtasks = Object.fromEntries(subtasksOf(shape).map((s) => [s, 'PENDING'])) as Record<Sub, SubStatus>;
  const steps = Object.fromEntries(stepsOf(shape).map(([n]) => [n, { status: 'PENDING' as SubStatus, waiting: false }])) as ModelProject['steps'];
  const p: ModelProject = {
    key: m.projects.length,
    name,
    deleted: false,
    status: 'NOT_STARTED',
    version: 1,
    alertLevel: level ?? 'NONE',
    updatedAt: m.now,
    currentStage: 'STRUCTURE_MIGRATION',
    subtasks,
    steps,
    hasToken: false,
    events: [],
    pauses: [],
    ...(shape.sources ? { sources: shape.sources } : {}),
  };
  p.events.push({ operation: 'create', from: null, to: 'NOT_STARTED', actor, version: 1, batch: false });
  m.projects.push(p);
  return { status: 201 };
}

export interface CallOptions {
  actor: string;
  ifMatch?: number;
  /** delete: undefined = none given. */
  confirmName?: string;
  level?: Level;
  step?: StepName;
  /** The next StartExecution fails (a simulated Step Functions outage). */
  outage?: boolean;
  /** Part of a batch: no typed name for delete, events carry the batch id. */
  batch?: boolean;
}

/**
 * A single lifecycle call on project `p` (undefined = an id that never was a project): the answer it
 * must get, applying its effects to the model when it succeeds.
 */
export function lifecycleCall(m: Model, p: ModelProject | undefined, op: UserOp, o: CallOptions): Expected {
  if (op === 'delete' && !o.batch && !o.confirmName) return { status: 400, code: 'CONFIRMATION_MISMATCH' };
  if (!p || p.deleted) return { status: 404, code: 'PROJECT_NOT_FOUND' };
  if (o.ifMatch !== undefined && o.ifMatch !== p.version) return { status: 412, code: 'VERSION_MISMATCH' };
  if (op === 'delete' && !o.batch && o.confirmName !== p.name) return { status: 400, code: 'CONFIRMATION_MISMATCH' };
  if (!FROM[op].includes(p.status)) return { status: 409, code: 'INVALID_STATE' };
  const refused = guardRefusal(m, p, op);
  if (refused) return { status: 409, code: refused };
  if (op === 'confirm-switchover-step' && o.step !== p.waitingStep) return { status: 409, code: 'STEP_NOT_WAITING' };
  return apply(m, p, op, o);
}

/**
 * `POST /projects/{id}/pause|resume` with body `{"sources": [...]}` (README "Several sources per
 * project"): `named` are source indexes of the project, or 'foreign' for an id that is not one of its
 * sources. Only those sources pause or resume, each under a new run (a new execution); the project stays
 * RUNNING while one source runs: pausing every source still running is the whole pause. A source
 * paused on its own gets its own deadline and its own expiry timer.
 */
export function sourceCall(m: Model, p: ModelProject | undefined, op: 'pause' | 'resume', named: (number | 'foreign')[], actor: string): Expected {
  if (!p || p.deleted) return { status: 404, code: 'PROJECT_NOT_FOUND' };
  if (p.status !== 'RUNNING') return { status: 409, code: 'INVALID_STATE' };
  if (!multi(p)) return { status: 409, code: 'NOT_MULTI_SOURCE' };
  const sources = p.sources as ModelSource[];
  if (named.some((i) => i === 'foreign' || i >= sources.length)) return { status: 400, code: 'VALIDATION_FAILED' };
  const idx = named as number[];
  if (op === 'pause') {
    if (idx.some((i) => sources[i]?.pausedAt !== undefined)) return { status: 409, code: 'SOURCE_NOT_RUNNING' };
    if (sources.every((s, i) => s.pausedAt !== undefined || idx.includes(i))) return apply(m, p, 'pause', { actor });
    commit(m, p, 'pause-sources', 'RUNNING', actor);
    for (const i of idx) {
      const src = sources[i] as ModelSource;
      src.pausedAt = m.now;
      src.pauseExpiresAt = m.now + m.deadlineMs;
      src.pauses.push(m.now);
      const name = sourceTimerName(p.key, i, m.now);
      if (!m.timers.has(name)) m.timers.set(name, { name, kind: 'expire', key: p.key, pausedAt: m.now, at: src.pauseExpiresAt, source: i });
    }
  } else {
    if (idx.some((i) => sources[i]?.pausedAt === undefined)) return { status: 409, code: 'SOURCE_NOT_PAUSED' };
    if (idx.some((i) => !sourceOpen(m, sources[i] as ModelSource))) return { status: 409, code: 'SOURCE_PAUSE_EXPIRED' };
    commit(m, p, 'resume-sources', 'RUNNING', actor);
    cancelSourceTimers(m, p, (i) => idx.includes(i));
    for (const i of idx) sources[i] = { pauses: (sources[i] as ModelSource).pauses };
  }
  p.run = (p.run ?? 0) + 1;
  p.currentStage = stageOf(p);
  clearRunWait(p);
  m.executions.set(p.key, p.run);
  return { status: 200 };
}

/**
 * A source's own expiry timer fires (README deadline rule): past the deadline of that very pause, the
 * source is EXPIRED and the project FAILED for good (run stopped); otherwise ignored.
 */
export function fireSourceTimer(m: Model, p: ModelProject | undefined, i: number, pausedAt: number): TimerOutcome {
  const ignored = (code: string): TimerOutcome => ({ outcome: 'ignored', code });
  if (!p || p.deleted) return ignored('PROJECT_NOT_FOUND');
  const src = p.sources?.[i];
  if (!src || src.pausedAt !== pausedAt) return ignored('PAUSE_SUPERSEDED');
  if (src.expiredAt !== undefined || src.pauseExpiresAt === undefined || m.now < src.pauseExpiresAt) return ignored('NOT_EXPIRABLE');
  if (p.status !== 'RUNNING' && p.status !== 'PAUSED' && p.status !== 'FAILED') return ignored('INVALID_STATE');
  commit(m, p, 'expire-source-pause', 'FAILED', 'system', { cause: 'source-pause-expired' });
  src.expiredAt = m.now;
  p.failedAt = m.now;
  clearRunWait(p);
  m.executions.delete(p.key);
  return { outcome: 'applied', version: p.version };
}

function apply(m: Model, p: ModelProject, op: UserOp, o: CallOptions): Expected {
  const ev = { batch: o.batch ?? false };
  switch (op) {
    case 'start': {
      commit(m, p, 'start', 'RUNNING', o.actor, ev);
      p.startedAt = m.now;
      p.run = (p.run ?? 0) + 1;
      p.currentStage = stageOf(p);
      if (o.outage) {
        commit(m, p, 'revert-start', 'NOT_STARTED', o.actor, { ...ev, cause: 'orchestration-unavailable' });
        delete p.startedAt;
        clearRunWait(p);
        return { status: 503, code: 'ORCHESTRATION_UNAVAILABLE' };
      }
      m.executions.set(p.key, p.run);
      return { status: 200 };
    }
    case 'pause': {
      commit(m, p, 'pause', 'PAUSED', o.actor, ev);
      p.pausedAt = m.now;
      p.pauseExpiresAt = m.now + m.deadlineMs;
      p.pauses.push(m.now);
      clearRunWait(p);
      for (const s of subtasksOf(p)) if (p.subtasks[s] === 'RUNNING') p.subtasks[s] = 'PAUSED';
      for (const [n] of stepsOf(p)) if (p.steps[n].status === 'RUNNING') p.steps[n] = { status: 'PAUSED', waiting: false };
      m.executions.delete(p.key);
      const warnAt = p.pauseExpiresAt - m.warnLeadMs;
      const timers: ModelTimer[] = [
        ...(warnAt > p.pausedAt ? [{ name: `warn-${p.key}-${p.pausedAt}`, kind: 'warn' as const, key: p.key, pausedAt: p.pausedAt, at: warnAt }] : []),
        { name: `expire-${p.key}-${p.pausedAt}`, kind: 'expire', key: p.key, pausedAt: p.pausedAt, at: p.pauseExpiresAt },
      ];
      for (const t of timers) if (!m.timers.has(t.name)) m.timers.set(t.name, t);
      return { status: 200 };
    }
    case 'resume': {
      const from = p.status;
      const pause = { pausedAt: p.pausedAt, pauseExpiresAt: p.pauseExpiresAt, pauseWarnedAt: p.pauseWarnedAt };
      commit(m, p, 'resume', 'RUNNING', o.actor, ev);
      p.run = (p.run ?? 0) + 1;
      p.currentStage = stageOf(p);
      delete p.pausedAt;
      delete p.pauseExpiresAt;
      delete p.pauseWarnedAt;
      delete p.failedAt;
      clearRunWait(p);
      if (o.outage) {
        if (from === 'PAUSED') {
          // The resume is undone: back in its pause with the same deadline; its timers were never cancelled.
          commit(m, p, 'revert-resume', 'PAUSED', o.actor, { ...ev, cause: 'orchestration-unavailable' });
          if (pause.pausedAt !== undefined) p.pausedAt = pause.pausedAt;
          if (pause.pauseExpiresAt !== undefined) p.pauseExpiresAt = pause.pauseExpiresAt;
          if (pause.pauseWarnedAt !== undefined) p.pauseWarnedAt = pause.pauseWarnedAt;
          clearRunWait(p);
          return { status: 503, code: 'ORCHESTRATION_UNAVAILABLE' };
        }
        commit(m, p, 'fail', 'FAILED', o.actor, { ...ev, cause: 'orchestration-unavailable' });
        p.failedAt = m.now;
        clearRunWait(p);
        return { status: 503, code: 'ORCHESTRATION_UNAVAILABLE' };
      }
      cancelTimers(m, p, pause.pausedAt);
      // Every source that can still resume resumes with the project (the guard refused one past its deadline).
      cancelSourceTimers(m, p);
      for (const src of p.sources ?? []) {
        delete src.pausedAt;
        delete src.pauseExpiresAt;
      }
      m.executions.set(p.key, p.run);
      return { status: 200 };
    }
    case 'release': {
      commit(m, p, 'release', 'RELEASING', o.actor, ev);
      m.executions.delete(p.key);
      cancelTimers(m, p, p.pausedAt);
      cancelSourceTimers(m, p);
      commit(m, p, 'complete-release', 'RELEASED', o.actor, ev);
      p.releasedAt = m.now;
      return { status: 200 };
    }
    case 'delete': {
      p.version += 1;
      p.updatedAt = m.now;
      p.events.push({ operation: 'delete', from: p.status, to: null, actor: o.actor, version: p.version, batch: ev.batch });
      p.deleted = true;
      return { status: o.batch ? 200 : 204 };
    }
    case 'modify-alert-config':
      commit(m, p, op, p.status, o.actor, ev);
      p.alertLevel = o.level ?? p.alertLevel;
      return { status: 200 };
    case 'precheck':
      // The precheck write, then its result (the simulated engine has nothing to check: PASSED).
      commit(m, p, op, p.status, o.actor, ev);
      commit(m, p, 'record-precheck', p.status, o.actor, ev);
      return { status: 200 };
    case 'skip-full-verification':
      commit(m, p, op, p.status, o.actor, ev);
      p.subtasks.FULL_VERIFICATION = 'SKIPPED';
      p.currentStage = stageOf(p);
      return { status: 200 };
    case 'enter-forward-switchover':
      commit(m, p, op, p.status, o.actor, ev);
      p.switchoverEnteredAt = m.now;
      p.subtasks.FORWARD_SWITCHOVER = 'RUNNING';
      openGate(m, p, 'SWITCHOVER_ENTRY');
      return { status: 200 };
    case 'start-forward-switchover':
      commit(m, p, op, p.status, o.actor, ev);
      p.switchoverStartedAt = m.now;
      openGate(m, p, 'SWITCHOVER_START');
      return { status: 200 };
    case 'confirm-switchover-step': {
      commit(m, p, op, p.status, o.actor, ev);
      const step = p.waitingStep as StepName;
      delete p.waitingStep;
      p.steps[step] = { status: 'SUCCEEDED', waiting: false };
      openGate(m, p, 'STEP_CONFIRMATION');
      return { status: 200 };
    }
  }
}

// ---- batch ----

export interface BatchItemExpectation {
  key: number | undefined;
  ok: boolean;
  code?: string;
  status?: Status;
  version?: number;
  deleted?: boolean;
}

const batchStep = (p: ModelProject): StepName | undefined => stepsOf(p).map(([n]) => n).find((n) => p.steps[n].status !== 'SUCCEEDED' && p.steps[n].status !== 'SKIPPED');

/** Eligibility of each target, as the preview shows it (the same judgement the execution starts from). */
export function batchAssess(m: Model, op: BatchOp, targets: (ModelProject | undefined)[], expected: Map<number, number>): { p: ModelProject | undefined; code?: string }[] {
  const assessed = targets.map((p): { p: ModelProject | undefined; code?: string } => {
    if (!p || p.deleted) return { p, code: 'PROJECT_NOT_FOUND' };
    const v = expected.get(p.key);
    if (v !== undefined && v !== p.version) return { p, code: 'VERSION_MISMATCH' };
    if (!FROM[op].includes(p.status)) return { p, code: 'INVALID_STATE' };
    const g = guardRefusal(m, p, op);
    return g ? { p, code: g } : { p };
  });
  if (op === 'start-forward-switchover') {
    const eligible = assessed.filter((a) => a.code === undefined).map((a) => a.p as ModelProject);
    const steps = new Set(eligible.map((p) => batchStep(p) ?? 'none'));
    const step = eligible[0] ? batchStep(eligible[0]) : undefined;
    if (eligible.length > 0 && (steps.size > 1 || step === undefined || step === 'SWITCHOVER_PRECHECK')) {
      for (const a of assessed) if (a.code === undefined) a.code = 'MIXED_SWITCHOVER_STEPS';
    }
  }
  return assessed;
}

export function batchExecute(m: Model, op: BatchOp, targets: (ModelProject | undefined)[], expected: Map<number, number>, actor: string, level?: Level): BatchItemExpectation[] {
  return batchAssess(m, op, targets, expected).map(({ p, code }) => {
    if (code) return { key: p?.key, ok: false, code, ...(p && !p.deleted ? { status: p.status, version: p.version } : {}) };
    const q = p as ModelProject;
    const r = lifecycleCall(m, q, op, { actor, batch: true, ...(expected.has(q.key) ? { ifMatch: expected.get(q.key) } : {}), ...(level ? { level } : {}) });
    if (r.status >= 300) throw new Error(`model: an eligible batch item was refused (${r.code})`);
    return q.deleted ? { key: q.key, ok: true, deleted: true } : { key: q.key, ok: true, status: q.status, version: q.version };
  });
}

// ---- pause timers ----

export type TimerOutcome = { outcome: 'applied'; version: number } | { outcome: 'ignored'; code: string };

/** A pause timer fires for `p` (undefined = no such project) and the pause that began at `pausedAt`. */
export function fireTimer(m: Model, p: ModelProject | undefined, kind: 'warn' | 'expire', pausedAt: number): TimerOutcome {
  const ignored = (code: string): TimerOutcome => ({ outcome: 'ignored', code });
  if (!p || p.deleted) return ignored('PROJECT_NOT_FOUND');
  if (p.pausedAt !== pausedAt) return ignored('PAUSE_SUPERSEDED');
  if (p.status !== 'PAUSED') return ignored('INVALID_STATE');
  const expired = p.expiredAt !== undefined || (p.pauseExpiresAt !== undefined && m.now >= p.pauseExpiresAt);
  if (kind === 'expire') {
    if (p.expiredAt !== undefined || p.pauseExpiresAt === undefined || m.now < p.pauseExpiresAt) return ignored('NOT_EXPIRABLE');
    commit(m, p, 'expire-pause', 'PAUSED', 'system', { cause: 'pause-expired' });
    p.expiredAt = m.now;
    m.executions.delete(p.key);
    return { outcome: 'applied', version: p.version };
  }
  if (expired) return ignored('PAUSE_EXPIRED');
  if (p.pauseWarnedAt !== undefined) return ignored('ALREADY_WARNED');
  commit(m, p, 'warn-pause-expiring', 'PAUSED', 'system', { cause: 'pause-expiring-soon' });
  p.pauseWarnedAt = m.now;
  return { outcome: 'applied', version: p.version };
}

/** The scheduler delivers every timer due now (and deletes it): their outcomes, by timer name. */
export function fireDue(m: Model): { name: string; outcome: TimerOutcome }[] {
  const due = [...m.timers.values()].filter((t) => t.at <= m.now).sort((a, b) => a.at - b.at);
  for (const t of due) m.timers.delete(t.name);
  return due.map((t) => ({ name: t.name, outcome: t.source !== undefined ? fireSourceTimer(m, m.projects[t.key], t.source, t.pausedAt) : fireTimer(m, m.projects[t.key], t.kind, t.pausedAt) }));
}

// ---- simulated engine progress and run ends (no engine runs in this suite) ----

/**
 * SIMULATED progress: where the (absent) engine and execution would move a RUNNING project next.
 * Returns false when the model has nothing to move (the command then does nothing on either side).
 */
export function simulatedProgress(p: ModelProject): false | 'verification' | 'verified' | Gate {
  if (p.status !== 'RUNNING' || p.run === undefined) return false;
  const stage = p.currentStage;
  if (stage === 'STRUCTURE_MIGRATION' || stage === 'FULL_MIGRATION') return 'verification';
  if (stage === 'FULL_VERIFICATION') return 'verified';
  if (stage !== 'FORWARD_SWITCHOVER') return false;
  if (p.switchoverEnteredAt === undefined) return p.awaiting === 'SWITCHOVER_ENTRY' ? false : 'SWITCHOVER_ENTRY';
  if (p.switchoverStartedAt === undefined) return p.awaiting === 'SWITCHOVER_START' ? false : 'SWITCHOVER_START';
  const next = stepsOf(p).find(([n]) => p.steps[n].status !== 'SUCCEEDED' && p.steps[n].status !== 'SKIPPED');
  if (!next || p.waitingStep !== undefined) return false;
  return 'STEP_CONFIRMATION';
}

/** Applies what simulatedProgress announced (progress writes: no version, no event, no updatedAt). */
export function applySimulatedProgress(p: ModelProject, what: Exclude<ReturnType<typeof simulatedProgress>, false>): void {
  switch (what) {
    case 'verification':
      p.subtasks.STRUCTURE_MIGRATION = 'SUCCEEDED';
      p.subtasks.FULL_MIGRATION = 'SUCCEEDED';
      p.subtasks.INCREMENTAL_SYNC = 'RUNNING';
      p.subtasks.FULL_VERIFICATION = 'RUNNING';
      break;
    case 'verified':
      p.subtasks.FULL_VERIFICATION = 'SUCCEEDED';
      p.subtasks.INCREMENTAL_SYNC = 'RUNNING';
      break;
    case 'SWITCHOVER_ENTRY':
    case 'SWITCHOVER_START':
      p.awaiting = what;
      p.hasToken = true;
      break;
    case 'STEP_CONFIRMATION': {
      // The automatic steps before the next manual one succeed; the manual one waits.
      for (const [n, manual] of stepsOf(p)) {
        const s = p.steps[n];
        if (s.status === 'SUCCEEDED' || s.status === 'SKIPPED') continue;
        if (!manual) {
          p.steps[n] = { status: 'SUCCEEDED', waiting: false };
          continue;
        }
        p.steps[n] = { status: 'RUNNING', waiting: true };
        p.subtasks.FORWARD_SWITCHOVER = 'RUNNING';
        p.waitingStep = n;
        p.awaiting = 'STEP_CONFIRMATION';
        p.hasToken = true;
        break;
      }
      break;
    }
  }
  p.currentStage = stageOf(p);
}

/** SIMULATED end of a run by its execution: the run completes, or fails (actor system). */
export function simulatedRunEnd(m: Model, p: ModelProject, how: 'complete' | 'fail'): boolean {
  if (p.deleted || p.status !== 'RUNNING') return false;
  if (how === 'complete') {
    commit(m, p, 'complete', 'COMPLETED', 'system', { cause: 'all-subtasks-finished' });
    p.completedAt = m.now;
    p.currentStage = null;
  } else {
    commit(m, p, 'fail', 'FAILED', 'system', { cause: 'subtask-failed' });
    p.failedAt = m.now;
  }
  clearRunWait(p);
  m.executions.delete(p.key);
  return true;
}

// ---- what the API must show ----

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The fields of GET /projects/{id} the suite compares, as the model predicts them. */
export function expectedView(m: Model, p: ModelProject): Record<string, unknown> {
  return {
    name: p.name,
    status: p.status,
    version: p.version,
    alertLevel: p.alertLevel,
    updatedAt: iso(p.updatedAt),
    run: p.run,
    startedAt: iso(p.startedAt),
    pausedAt: iso(p.pausedAt),
    pauseExpiresAt: iso(p.pauseExpiresAt),
    expiredAt: iso(p.expiredAt),
    pauseWarnedAt: iso(p.pauseWarnedAt),
    failedAt: iso(p.failedAt),
    releasedAt: iso(p.releasedAt),
    completedAt: iso(p.completedAt),
    currentStage: p.currentStage,
    switchoverEnteredAt: iso(p.switchoverEnteredAt),
    switchoverStartedAt: iso(p.switchoverStartedAt),
    waitingStep: p.waitingStep,
    awaiting: p.awaiting,
    resumable: resumable(m, p),
    allowedActions: expectedAllowedActions(m, p),
    subtasks: subtasksOf(p).map((s) => `${s}:${p.subtasks[s]}`),
    steps: stepsOf(p).map(([n]) => `${n}:${p.steps[n].status}${p.steps[n].waiting ? ':waiting' : ''}`),
    sources: expectedSources(m, p),
  };
}

/**
 * Each source's status, pause time, deadline and whether a resume would run it (README: the view of a
 * multi-source project shows `sources: [{sourceId, status, pausedAt, pauseExpiresAt, expiredAt,
 * resumable}]`; a single-source project's view has none). `sourceId` is the source's index here.
 */
function expectedSources(m: Model, p: ModelProject): Record<string, unknown>[] | undefined {
  if (!multi(p)) return undefined;
  const projectResumable = (p.status === 'PAUSED' || p.status === 'FAILED') && projectPauseOpen(m, p);
  const live = p.status === 'RUNNING' || p.status === 'PAUSED' || p.status === 'FAILED';
  return (p.sources as ModelSource[]).map((s, i) => {
    if (s.expiredAt !== undefined) return { sourceId: i, status: 'EXPIRED', pausedAt: iso(s.pausedAt), pauseExpiresAt: iso(s.pauseExpiresAt), expiredAt: iso(s.expiredAt), resumable: false };
    if (s.pausedAt !== undefined && live) return { sourceId: i, status: 'PAUSED', pausedAt: iso(s.pausedAt), pauseExpiresAt: iso(s.pauseExpiresAt), resumable: sourceOpen(m, s) };
    if (p.status === 'PAUSED') return { sourceId: i, status: 'PAUSED', pausedAt: iso(p.pausedAt), pauseExpiresAt: iso(p.pauseExpiresAt), resumable: projectResumable };
    return { sourceId: i, status: p.status, resumable: p.status === 'FAILED' && projectResumable };
  });
}
