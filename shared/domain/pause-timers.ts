import type { ProjectRecord } from './project';

/**
 * The two one-time timers of a pause: the warning shortly before the deadline and the expiry at it.
 * Names are predictable (project + the pause's start), so a later pause never shares a timer with an
 * earlier one, and creating or deleting a timer twice is harmless.
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
}

export function pauseTimers(project: Pick<ProjectRecord, 'id' | 'pausedAt' | 'pauseExpiresAt'>, warningLeadMs: number): PauseTimer[] {
  if (!project.pausedAt || !project.pauseExpiresAt) return [];
  const pausedMs = Date.parse(project.pausedAt);
  const deadlineMs = Date.parse(project.pauseExpiresAt);
  const timer = (kind: PauseTimerKind, atMs: number): PauseTimer => ({
    name: `${kind}-${project.id}-${pausedMs}`,
    kind,
    at: new Date(atMs).toISOString(),
    input: { kind, projectId: project.id, pausedAt: project.pausedAt as string },
  });
  const warnMs = deadlineMs - warningLeadMs;
  return [...(warnMs > pausedMs ? [timer('warn', warnMs)] : []), timer('expire', deadlineMs)];
}

/** A timer as the scheduler lists it: its name, and the pause it belongs to (read back from the name). */
export interface PauseTimerRef {
  name: string;
  kind: PauseTimerKind;
  projectId: string;
  /** The pause's start, in epoch milliseconds (as in the name). */
  pausedMs: number;
}

/** Reads `<kind>-<projectId>-<pausedMs>` back; undefined for a name that is not a pause timer's. */
export function parsePauseTimerName(name: string): PauseTimerRef | undefined {
  const m = /^(warn|expire)-(.+)-(\d+)$/.exec(name);
  if (!m) return undefined;
  return { name, kind: m[1] as PauseTimerKind, projectId: m[2] as string, pausedMs: Number(m[3]) };
}

export function pauseTimerNames(project: Pick<ProjectRecord, 'id' | 'pausedAt'>): string[] {
  if (!project.pausedAt) return [];
  const pausedMs = Date.parse(project.pausedAt);
  return (['warn', 'expire'] as const).map((kind) => `${kind}-${project.id}-${pausedMs}`);
}
