import type { ProjectRecord } from './project';

/**
 * The one-time timers of a pause: the warning shortly before the deadline and the expiry at it. Names
 * are predictable (project + the pause's start), so a later pause never shares a timer with an earlier
 * one, and creating or deleting a timer twice is harmless. A source of a multi-source project paused on
 * its own has its own expiry timer, keyed by the source's index: `expire-<projectId>.s<i>-<pausedMs>`
 * (EventBridge Scheduler names stop at 64 characters, so the index rather than the source id).
 */
export type PauseTimerKind = 'warn' | 'expire';

export interface PauseTimer {
  name: string;
  kind: PauseTimerKind;
  /** When it fires (ISO-8601 UTC). */
  at: string;
  input: PauseTimerInput;
}

/** What a timer hands to the pause-timer function when it fires. */
export interface PauseTimerInput {
  kind: PauseTimerKind;
  projectId: string;
  pausedAt: string;
  /** A source's own pause: which source (its pausedAt is `pausedAt`). */
  sourceId?: string;
}

type TimerSubject = Pick<ProjectRecord, 'id' | 'pausedAt' | 'pauseExpiresAt'> & Partial<Pick<ProjectRecord, 'sources'>>;

const sourceKey = (projectId: string, index: number) => `${projectId}.s${index}`;

export function pauseTimers(project: TimerSubject, warningLeadMs: number): PauseTimer[] {
  const out: PauseTimer[] = [];
  if (project.pausedAt && project.pauseExpiresAt) {
    const pausedMs = Date.parse(project.pausedAt);
    const deadlineMs = Date.parse(project.pauseExpiresAt);
    const timer = (kind: PauseTimerKind, atMs: number): PauseTimer => ({
      name: `${kind}-${project.id}-${pausedMs}`,
      kind,
      at: new Date(atMs).toISOString(),
      input: { kind, projectId: project.id, pausedAt: project.pausedAt as string },
    });
    const warnMs = deadlineMs - warningLeadMs;
    out.push(...(warnMs > pausedMs ? [timer('warn', warnMs)] : []), timer('expire', deadlineMs));
  }
  (project.sources ?? []).forEach((s, i) => {
    if (!s.pausedAt || !s.pauseExpiresAt || s.expiredAt) return;
    out.push({
      name: `expire-${sourceKey(project.id, i)}-${Date.parse(s.pausedAt)}`,
      kind: 'expire',
      at: new Date(Date.parse(s.pauseExpiresAt)).toISOString(),
      input: { kind: 'expire', projectId: project.id, pausedAt: s.pausedAt, sourceId: s.sourceId },
    });
  });
  return out;
}

/** A timer as the scheduler lists it: its name, and the pause it belongs to (read back from the name). */
export interface PauseTimerRef {
  name: string;
  kind: PauseTimerKind;
  projectId: string;
  /** The pause's start, in epoch milliseconds (as in the name). */
  pausedMs: number;
  /** A source's own pause: the source's index in the project's `sources`. */
  sourceIndex?: number;
}

/** Reads `<kind>-<projectId>[.s<i>]-<pausedMs>` back; undefined for a name that is not a pause timer's. */
export function parsePauseTimerName(name: string): PauseTimerRef | undefined {
  const m = /^(warn|expire)-(.+?)(?:\.s(\d))?-(\d+)$/.exec(name);
  if (!m) return undefined;
  return { name, kind: m[1] as PauseTimerKind, projectId: m[2] as string, pausedMs: Number(m[4]), ...(m[3] !== undefined ? { sourceIndex: Number(m[3]) } : {}) };
}

/** The names of the timers of the project's pause and of its sources' own pauses (those given in `sources`). */
export function pauseTimerNames(project: Pick<ProjectRecord, 'id' | 'pausedAt'> & Partial<Pick<ProjectRecord, 'sources'>>): string[] {
  const out: string[] = [];
  if (project.pausedAt) {
    const pausedMs = Date.parse(project.pausedAt);
    out.push(...(['warn', 'expire'] as const).map((kind) => `${kind}-${project.id}-${pausedMs}`));
  }
  (project.sources ?? []).forEach((s, i) => {
    if (s.pausedAt) out.push(`expire-${sourceKey(project.id, i)}-${Date.parse(s.pausedAt)}`);
  });
  return out;
}
