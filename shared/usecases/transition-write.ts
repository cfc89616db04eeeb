import { isoAt } from '../domain/clock';
import { DomainError, notFound } from '../domain/errors';
import { applyPaths } from '../domain/paths';
import type { AlertLevel, ProjectPrecheck, ProjectRecord, ProjectStatus, RequestContext } from '../domain/project';
import type { SwitchoverStepName } from '../domain/subtasks';
import { GUARDS, resultingStatus, ruleFor, type Operation, type TransitionRule } from '../domain/transitions';
import { TransitionConflict, type TransitionWrite } from '../ports';
import { readProject, wholeRecord } from './project-read';
import type { Deps } from './deps';
import { SPECS } from './operation-writes';

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
  parameters?: { level?: AlertLevel; step?: SwitchoverStepName; precheck?: ProjectPrecheck };
  /** Per-source operations: the sources they act on (pause-sources, resume-sources, expire-source-pause). */
  sources?: readonly string[];
  /** expire-source-pause: the source's pause the timer was made for (its pausedAt). */
  sourcePause?: string;
  /** Orchestration writes (complete, fail, compensation): only while the project is still at this run. */
  run?: number;
  /** Compensation of a resume: the pause it undoes, and the sources' own pauses (restored as they were). */
  restore?: Partial<Pick<ProjectRecord, 'pausedAt' | 'pauseExpiresAt' | 'pauseWarnedAt' | 'sources'>>;
  /** Extra audit detail (e.g. the failed subtask and its error). */
  detail?: Record<string, unknown>;
  ctx: RequestContext & { batchId?: string; cause?: string };
  /**
   * The project as a consistent read just saw it (a batch reads many at once): spares the read that
   * learns the version. The write's condition still decides; a stale copy only costs a retry.
   */
  current?: ProjectRecord;
}

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
  // The whole record (measurements included): a pause records the last ones of what it pauses.
  let current = known ?? (await readProject(deps, req.projectId));
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
      // Allowed, but the item changed under the write (a concurrent change, or a subtask the execution
      // moved on), or only lost a race: go again from what the write saw, made whole (its progress item:
      // a pause records the last measurements of what it pauses).
      current = await wholeRecord(deps, e.current);
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
  if (req.sources?.length) detail.sources = [...req.sources];
  return Object.keys(detail).length ? { detail } : {};
}

function applyWrite(current: ProjectRecord, w: TransitionWrite, to: ProjectStatus): ProjectRecord {
  const next: ProjectRecord = { ...current, ...w.set, status: to, version: w.expectedVersion + 1, updatedAt: isoAt(w.nowMs) };
  for (const k of w.remove) delete next[k];
  for (const [k, v] of Object.entries(w.set)) if (v === undefined) delete (next as unknown as Record<string, unknown>)[k];
  return applyPaths(next, w.setPaths ?? [], w.removePaths ?? []);
}
