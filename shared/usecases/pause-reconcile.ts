import { isoAt } from '../domain/clock';
import { jobRef } from '../domain/orchestration';
import { pauseTimerNames, type PauseTimerRef } from '../domain/pause-timers';
import type { ProjectRecord } from '../domain/project';
import type { SubtaskType } from '../domain/subtasks';
import type { Deps } from './deps';
import { pauseRun } from './run-control';

export interface PauseReconcileReport {
  /** PAUSED projects looked at. */
  checked: number;
  /** PAUSED projects whose expiry timer was missing and was created (with its warning). */
  timersCreated: string[];
  /** Timers of pauses that are over (the project was resumed, released or deleted since), deleted. */
  timersDeleted: string[];
  /** Projects whose jobs the engine still reported RUNNING under a PAUSED project, paused again. */
  jobsPaused: { projectId: string; subtasks: SubtaskType[] }[];
  errors: { projectId: string; error: string }[];
}

const pauseKey = (projectId: string, pausedMs: number) => `${projectId}@${pausedMs}`;

/**
 * A pause commits first, then stops the run, pauses the jobs and creates its two timers; a resume or
 * release commits, then deletes them. A failure or a crash in between (a Lambda timing out, `npm start`
 * killed) leaves a PAUSED project without its timers — it would never expire —, a job still running, or
 * timers of a pause that is over. This sweep compares the timers that exist with the PAUSED projects:
 *  - the timers are listed FIRST, then the PAUSED projects: a pause that commits meanwhile has no timer
 *    in the list yet, so nothing of it can look stale;
 *  - a PAUSED project (not expired, deadline ahead) without its expiry timer gets its timers (creating
 *    one that exists is a no-op);
 *  - a listed timer whose pause is not among the PAUSED projects is deleted only after a consistent read
 *    of its project shows it no longer stands in that pause (the status index may lag behind);
 *  - jobs the engine still reports RUNNING under a PAUSED project are paused (checkpoints fenced on
 *    PAUSED, engine calls as the paused run). That asks the engine about every paused subtask, so only for
 *    pauses since `jobsPausedSinceMs` (the scheduled run: recent ones; at boot: all). A PAUSED subtask whose
 *    job runs is checked against a consistent read first: a resume since then owns its jobs.
 * Every step is idempotent; running it twice changes nothing the second time.
 */
export async function reconcilePauses(deps: Deps, options: { jobsPausedSinceMs?: number } = {}): Promise<PauseReconcileReport> {
  const report: PauseReconcileReport = { checked: 0, timersCreated: [], timersDeleted: [], jobsPaused: [], errors: [] };
  const timers = await deps.expiry.listPauseTimers();
  const existing = new Set(timers.map((t) => t.name));
  const live = new Set<string>();
  const now = deps.clock.nowMs();
  let nextToken: string | undefined;
  do {
    const page = await deps.projects.list({ status: 'PAUSED', limit: 100, ...(nextToken ? { nextToken } : {}) });
    for (const p of page.items) {
      report.checked++;
      if (!p.pausedAt) continue;
      live.add(pauseKey(p.id, Date.parse(p.pausedAt)));
      try {
        const expireTimer = pauseTimerNames(p).find((n) => n.startsWith('expire-')) as string;
        const deadlineAhead = p.pauseExpiresAt !== undefined && now < Date.parse(p.pauseExpiresAt);
        if (!p.expiredAt && deadlineAhead && !existing.has(expireTimer)) {
          await deps.expiry.schedulePauseExpiry(p);
          report.timersCreated.push(p.id);
        }
        if (options.jobsPausedSinceMs === undefined || Date.parse(p.pausedAt) >= options.jobsPausedSinceMs) await pauseJobsStillRunning(deps, p, report);
      } catch (e) {
        report.errors.push({ projectId: p.id, error: (e as Error)?.message ?? String(e) });
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  await deleteTimersOfEndedPauses(deps, timers, existing, live, report);
  return report;
}

async function pauseJobsStillRunning(deps: Deps, listed: ProjectRecord, report: PauseReconcileReport): Promise<void> {
  const stillRunning: SubtaskType[] = [];
  for (const s of listed.subtasks ?? []) {
    if (s.status !== 'PAUSED') continue;
    const job = await deps.engine.pollJob(jobRef(listed, s.type, listed.run));
    if (job?.state === 'RUNNING') stillRunning.push(s.type);
  }
  if (!stillRunning.length) return;
  // The status index may lag behind: a project resumed since runs its jobs under a newer run. Only the
  // pause a consistent read still shows is enforced, as its run (the engine refuses it on a job a newer run claimed).
  const p = await deps.projects.get(listed.id);
  if (p?.status !== 'PAUSED' || p.pausedAt !== listed.pausedAt || p.run !== listed.run) return;
  await pauseRun(deps, p, stillRunning);
  report.jobsPaused.push({ projectId: p.id, subtasks: stillRunning });
}

async function deleteTimersOfEndedPauses(deps: Deps, timers: PauseTimerRef[], existing: Set<string>, live: Set<string>, report: PauseReconcileReport): Promise<void> {
  const suspects = new Map<string, PauseTimerRef>();
  for (const t of timers) if (!live.has(pauseKey(t.projectId, t.pausedMs))) suspects.set(pauseKey(t.projectId, t.pausedMs), t);
  for (const t of suspects.values()) {
    try {
      const p = await deps.projects.get(t.projectId);
      if (p?.status === 'PAUSED' && p.pausedAt !== undefined && Date.parse(p.pausedAt) === t.pausedMs) continue; // a live pause after all
      const pause = { id: t.projectId, pausedAt: isoAt(t.pausedMs) };
      await deps.expiry.cancelPauseExpiry(pause);
      report.timersDeleted.push(...pauseTimerNames(pause).filter((n) => existing.has(n)));
    } catch (e) {
      report.errors.push({ projectId: t.projectId, error: (e as Error)?.message ?? String(e) });
    }
  }
}
