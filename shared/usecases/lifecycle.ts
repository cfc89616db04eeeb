import { isoAt } from '../domain/clock';
import { DomainError, notFound } from '../domain/errors';
import type { AlertLevel, ProjectRecord, ProjectStatus, RequestContext } from '../domain/project';
import { GUARDS, resultingStatus, ruleFor, type Operation, type TransitionRule, type UserOperation } from '../domain/transitions';
import { TransitionConflict, type TransitionWrite } from '../ports';
import type { Deps } from './deps';

/** A request to apply one operation of the transitions table to one project. */
export interface LifecycleRequest {
  operation: UserOperation;
  projectId: string;
  /** Version from If-Match (or a batch preview): the write is then conditional on it. */
  expectedVersion?: number;
  /** Delete: the project's exact name, typed by the caller. Batch delete passes none. */
  confirmName?: string;
  /** Single delete: a missing confirmName is refused like a wrong one. */
  requireConfirmation?: boolean;
  /** Pause timers: act only on the pause that started at this instant (a later pause is another one). */
  samePause?: string;
  parameters?: { level?: AlertLevel };
  ctx: RequestContext & { batchId?: string; cause?: string };
  /**
   * The project as a consistent read just saw it (a batch reads many at once): spares the read that
   * learns the version. The write's condition still decides; a stale copy only costs a retry.
   */
  current?: ProjectRecord;
}

/**
 * What an operation writes besides the status (per operation; the states come from the table),
 * and which bookkeeping it does for a given source state.
 */
interface OperationSpec {
  set?: (req: LifecycleRequest, deps: Deps, nowMs: number) => Partial<ProjectRecord>;
  remove?: readonly (keyof ProjectRecord)[];
  /** Source states whose write differs (e.g. delete frees the name only before start). */
  bookkeeping?: (status: ProjectStatus, p: ProjectRecord) => Pick<TransitionWrite, 'freeName' | 'releaseDataSources'>;
}

const releaseBookkeeping = (p: ProjectRecord) => ({ freeName: p.name, releaseDataSources: [p.sourceId, p.destinationId] });

const SPECS: Record<Operation, OperationSpec> = {
  start: { set: (_r, _d, now) => ({ startedAt: isoAt(now) }) },
  pause: {
    set: (_r, deps, now) => ({ pausedAt: isoAt(now), pauseExpiresAt: isoAt(now + deps.config.pauseDeadlineMs) }),
  },
  resume: { remove: ['pausedAt', 'pauseExpiresAt', 'pauseWarnedAt'] },
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
  req: Pick<LifecycleRequest, 'projectId' | 'expectedVersion' | 'confirmName' | 'samePause'> & { operation: string },
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
      return new DomainError(409, GUARDS[guard].failureCode, GUARDS[guard].title, `Refused by the pause deadline (${current.pauseExpiresAt ?? 'none'}, expired: ${current.expiredAt ?? 'no'}).`, {
        currentStatus: current.status,
        pauseExpiresAt: current.pauseExpiresAt,
      });
    }
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
    const write: TransitionWrite = {
      projectId: req.projectId,
      from,
      to,
      expectedVersion,
      guards: rule.guards ?? [],
      ...(req.confirmName !== undefined || req.samePause !== undefined
        ? { equals: { ...(req.confirmName !== undefined ? { name: req.confirmName } : {}), ...(req.samePause !== undefined ? { pausedAt: req.samePause } : {}) } }
        : {}),
      set: spec.set?.(req, deps, nowMs) ?? {},
      remove: spec.remove ?? [],
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
        ...(req.parameters?.level && ruleName === 'modify-alert-config' ? { detail: { level: req.parameters.level } } : {}),
      },
      ...bookkeeping,
    };
    try {
      await deps.projects.transition(write);
      return { before: current, after: to === null ? null : applyWrite(current, write, to) };
    } catch (e) {
      if (!(e instanceof TransitionConflict)) throw e;
      const explained = explainConflict(rule, { ...req, operation: req.operation }, e.current, nowMs);
      if (explained) throw explained;
      current = e.current; // only lost a race that leaves the operation allowed: go again from what the write saw
    }
  }
  throw new DomainError(409, 'CONCURRENT_MODIFICATION', 'Concurrent modification', 'The project kept changing while this request was applied; retry.');
}

function applyWrite(current: ProjectRecord, w: TransitionWrite, to: ProjectStatus): ProjectRecord {
  const next: ProjectRecord = { ...current, ...w.set, status: to, version: w.expectedVersion + 1, updatedAt: isoAt(w.nowMs) };
  for (const k of w.remove) delete next[k];
  return next;
}

/**
 * Applies a user-facing operation with its side effects (through the Orchestrator and ExpiryScheduler
 * ports). Returns the project after the operation, or null once deleted.
 */
export async function applyOperation(deps: Deps, req: LifecycleRequest): Promise<ProjectRecord | null> {
  if (req.operation === 'delete' && req.requireConfirmation && !req.confirmName) {
    throw new DomainError(400, 'CONFIRMATION_MISMATCH', 'Confirmation does not match', 'Deleting a project needs confirmName: the project name, typed exactly.');
  }
  const rule = ruleFor(req.operation);
  const { before, after } = await writeTransition(deps, req.operation, req, req.current);
  switch (req.operation) {
    case 'start':
      await deps.orchestrator.startRun(after as ProjectRecord);
      return after;
    case 'pause':
      await deps.orchestrator.stopRun(after as ProjectRecord, 'paused');
      await afterCommit('schedule pause expiry', req, () => deps.expiry.schedulePauseExpiry(after as ProjectRecord));
      return after;
    case 'resume':
      await afterCommit('cancel pause expiry', req, () => deps.expiry.cancelPauseExpiry(before));
      await deps.orchestrator.startRun(after as ProjectRecord);
      return after;
    case 'release': {
      const releasing = after as ProjectRecord;
      await deps.orchestrator.stopRun(releasing, 'released');
      await afterCommit('cancel pause expiry', req, () => deps.expiry.cancelPauseExpiry(before));
      if (rule.via === undefined) return releasing;
      const done = await writeTransition(deps, 'complete-release', { ...req, expectedVersion: releasing.version, confirmName: undefined }, releasing);
      return done.after;
    }
    default:
      return after;
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
