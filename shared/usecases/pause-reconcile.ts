import { jobIdFor } from '../domain/orchestration';
import type { SubtaskType } from '../domain/subtasks';
import type { Deps } from './deps';
import { pauseRun } from './run-control';

export interface PauseReconcileReport {
  checked: number;
  /** Projects whose pause side effects were applied again (timers ensured, jobs still running paused). */
  jobsPaused: { projectId: string; subtasks: SubtaskType[] }[];
  errors: { projectId: string; error: string }[];
}

/**
 * A pause commits first, then stops the run, pauses the jobs and creates the pause timers. A crash in
 * between (`npm start` killed, a Lambda timing out) leaves a PAUSED project without its timers — it
 * would never expire — or with a job still running. This re-applies those side effects to PAUSED
 * projects, idempotently: the timers are created unless they exist (their names are the pause's), and
 * only jobs the engine still reports RUNNING are paused, their checkpoints recorded fenced on PAUSED.
 * `pausedSinceMs` limits it to recent pauses (the scheduled reconciler); without it, every pause (boot).
 */
export async function reconcilePauses(deps: Deps, options: { pausedSinceMs?: number } = {}): Promise<PauseReconcileReport> {
  const report: PauseReconcileReport = { checked: 0, jobsPaused: [], errors: [] };
  let nextToken: string | undefined;
  do {
    const page = await deps.projects.list({ status: 'PAUSED', limit: 100, ...(nextToken ? { nextToken } : {}) });
    for (const p of page.items) {
      if (options.pausedSinceMs !== undefined && (!p.pausedAt || Date.parse(p.pausedAt) < options.pausedSinceMs)) continue;
      report.checked++;
      try {
        if (!p.expiredAt) await deps.expiry.schedulePauseExpiry(p);
        const stillRunning: SubtaskType[] = [];
        for (const s of p.subtasks ?? []) {
          if (s.status !== 'PAUSED') continue;
          const job = await deps.engine.pollJob(s.jobId ?? jobIdFor(p.id, s.type));
          if (job?.state === 'RUNNING') stillRunning.push(s.type);
        }
        if (stillRunning.length) {
          await pauseRun(deps, p, stillRunning);
          report.jobsPaused.push({ projectId: p.id, subtasks: stillRunning });
        }
      } catch (e) {
        report.errors.push({ projectId: p.id, error: (e as Error)?.message ?? String(e) });
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return report;
}
