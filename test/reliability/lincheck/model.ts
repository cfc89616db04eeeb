import type { SequentialSpec } from './checker';

/**
 * The sequential specification of ONE project's lifecycle, for the linearizability check: a pure
 * model, written out from the README's Lifecycle and API sections independently of the code under
 * test (it does not import the transitions table). Given a state and an operation it returns the
 * state after it and the response the API must give.
 */

export type Status = 'NOT_STARTED' | 'RUNNING' | 'PAUSED' | 'FAILED' | 'COMPLETED' | 'RELEASING' | 'RELEASED';
export type Level = 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH';
/** The user operations the suite issues, plus the second half of a release (RELEASING → RELEASED). */
export type WriteOp = 'start' | 'pause' | 'resume' | 'release' | 'complete-release' | 'modify-alert-config';

export interface ProjectState {
  status: Status;
  version: number;
  alertLevel: Level;
  /** Set by pause (clock + deadline), cleared by resume. */
  pauseExpiresAtMs: number | null;
}

export type Input =
  | { kind: 'get' }
  | {
      kind: 'write';
      op: WriteOp;
      /** A single call (HTTP answer) or one item of a batch (item result). */
      via: 'single' | 'batch';
      /** If-Match (single) or expectedVersions[id] (batch). */
      ifMatch?: number;
      level?: Level;
      /** The clock the handler used (frozen during a round). */
      nowMs: number;
    };

/** What a client observed, normalised: fields absent from the response are left out. */
export interface Output {
  ok: boolean;
  /** HTTP status of a single call; absent for a batch item (the batch answers 200 as a whole). */
  http?: number;
  code?: string;
  /** status (ok) or currentStatus (refused). */
  status?: Status;
  /** version (ok) or currentVersion (refused). */
  version?: number;
  alertLevel?: Level;
}

export interface Expected {
  ok: boolean;
  http: number;
  code?: string;
  status?: Status;
  version?: number;
  alertLevel?: Level;
}

const RULES: Record<WriteOp, { from: readonly Status[]; to: Status | 'SAME' }> = {
  start: { from: ['NOT_STARTED'], to: 'RUNNING' },
  pause: { from: ['RUNNING'], to: 'PAUSED' },
  resume: { from: ['PAUSED', 'FAILED'], to: 'RUNNING' },
  release: { from: ['PAUSED', 'FAILED', 'COMPLETED'], to: 'RELEASING' },
  'complete-release': { from: ['RELEASING'], to: 'RELEASED' },
  'modify-alert-config': { from: ['NOT_STARTED', 'RUNNING', 'PAUSED', 'FAILED'], to: 'SAME' },
};

export interface ModelOptions {
  /** Pause deadline (README: 12 h by default). */
  pauseDeadlineMs?: number;
  /**
   * A deliberately WRONG model, for the self-tests that show the check can fail on real histories:
   * 'pause-from-paused' lets pause succeed from PAUSED too; 'no-version-bump' forgets that modify-alert-config bumps the version.
   */
  mutation?: 'pause-from-paused' | 'no-version-bump';
}

/** The pure sequential model: the next state and the response the API must give. */
export function apply(state: ProjectState, input: Input, options: ModelOptions = {}): { next: ProjectState; expected: Expected } {
  if (input.kind === 'get') {
    return { next: state, expected: { ok: true, http: 200, status: state.status, version: state.version, alertLevel: state.alertLevel } };
  }
  const rule = RULES[input.op];
  const from = options.mutation === 'pause-from-paused' && input.op === 'pause' ? [...rule.from, 'PAUSED' as const] : rule.from;
  // A refusal names the state that refused it (the batch item also the version it read).
  // The order of the checks is the API's: the version named by If-Match first, then the state, then the guard.
  if (input.ifMatch !== undefined && input.ifMatch !== state.version) {
    return { next: state, expected: { ok: false, http: 412, code: 'VERSION_MISMATCH', status: state.status, version: state.version } };
  }
  if (!from.includes(state.status)) {
    return { next: state, expected: { ok: false, http: 409, code: 'INVALID_STATE', status: state.status, version: state.version } };
  }
  if (input.op === 'resume' && state.pauseExpiresAtMs !== null && input.nowMs >= state.pauseExpiresAtMs) {
    return { next: state, expected: { ok: false, http: 409, code: 'PAUSE_EXPIRED', status: state.status, version: state.version } };
  }
  const bump = options.mutation === 'no-version-bump' && input.op === 'modify-alert-config' ? 0 : 1;
  const next: ProjectState = {
    status: rule.to === 'SAME' ? state.status : rule.to,
    version: state.version + bump,
    alertLevel: input.op === 'modify-alert-config' && input.level ? input.level : state.alertLevel,
    pauseExpiresAtMs:
      input.op === 'pause' ? input.nowMs + (options.pauseDeadlineMs ?? 12 * 3600_000) : input.op === 'resume' ? null : state.pauseExpiresAtMs,
  };
  return { next, expected: { ok: true, http: 200, status: next.status, version: next.version, alertLevel: next.alertLevel } };
}

/** The observed output agrees with the expected one on every field the response carried. */
export function matches(expected: Expected, observed: Output): boolean {
  if (observed.ok !== expected.ok) return false;
  if (observed.http !== undefined && observed.http !== expected.http) return false;
  if (!observed.ok && observed.code !== expected.code) return false;
  if (observed.status !== undefined && observed.status !== expected.status) return false;
  if (observed.version !== undefined && observed.version !== expected.version) return false;
  if (observed.alertLevel !== undefined && observed.alertLevel !== expected.alertLevel) return false;
  return true;
}

/**
 * A write that keeps losing races to concurrent changes gives up with 409 CONCURRENT_MODIFICATION
 * without changing anything (writeTransition, shared/usecases/lifecycle.ts): allowed anywhere, no effect.
 * The suite counts these answers and reports them.
 */
export const NO_EFFECT_CODES = new Set(['CONCURRENT_MODIFICATION']);

export function projectSpec(init: ProjectState, options: ModelOptions = {}): SequentialSpec<ProjectState, Input, Output> {
  return {
    init,
    step(state, input, output) {
      if (!output.ok && output.code !== undefined && NO_EFFECT_CODES.has(output.code) && input.kind === 'write') return state;
      const { next, expected } = apply(state, input, options);
      return matches(expected, output) ? next : undefined;
    },
    key: (s) => `${s.status}|${s.version}|${s.alertLevel}|${s.pauseExpiresAtMs ?? '-'}`,
  };
}
