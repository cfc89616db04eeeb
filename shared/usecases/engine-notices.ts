import { isoAt } from '../domain/clock';
import { jobsOf } from '../domain/orchestration';
import type { ProjectRecord } from '../domain/project';
import type { SubtaskType } from '../domain/subtasks';
import type { Deps } from './deps';
import { readProject } from './project-read';
import { failRunFromOutside } from './run/run-state';
import { jobFailure } from './run/work-items';

/**
 * An engine's own notice about one of its jobs (deployed: a DMS task state change forwarded to the
 * control plane's bus, read by the engine-notices function). A failure makes the project learn it now
 * instead of at the run's next poll, with the same outcome as that poll: the run's current jobs are
 * observed (observeJob: the engine's answer, nothing acted on), and a FAILED one fails its subtask and the project (failRun: the subtask's error and
 * checkpoint, the `fail` transition with its audit event, hence the PROJECT_FAILED alert), fenced on the
 * run that owns the project now.
 *
 * The notice is only a hint; the engine's answer now decides. So a notice about a job of an older run
 * (resumed since: it runs), of a project that is no longer RUNNING (paused, failed, released), a
 * redelivered notice (the project is FAILED already), or one about a resource of no project changes
 * nothing. Other notices (started, stopped, load finished) are ignored: the run polls on its own, and
 * a poll from here would write progress that is the run's proof of life.
 */

export type NoticeOutcome =
  | { outcome: 'FAILED'; projectId: string; run: number; subtask: SubtaskType; error: { code: string; message: string } }
  | { outcome: 'IGNORED'; reason: 'NOT_AN_ENGINE_NOTICE' | 'NOT_A_FAILURE' | 'UNKNOWN_JOB' | 'PROJECT_NOT_RUNNING' | 'NO_FAILED_JOB' | 'FENCED'; projectId?: string };

function log(level: 'INFO' | 'WARN', message: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ level, message, ...fields }));
}

/** Reads an engine notice and, for a failure, fails the run whose job failed (see above). */
export async function applyEngineNotice(deps: Deps, event: unknown, requestId: string): Promise<NoticeOutcome> {
  const notice = await deps.engine.readNotice?.(event);
  if (!notice) {
    log('INFO', 'engine notice: not one of the engines of this deployment', { requestId });
    return { outcome: 'IGNORED', reason: 'NOT_AN_ENGINE_NOTICE' };
  }
  const fields = { requestId, engine: notice.engine, resource: notice.resource, detail: notice.detail };
  if (!notice.failed) return { outcome: 'IGNORED', reason: 'NOT_A_FAILURE' };
  if (!notice.projectId) {
    log('WARN', 'engine notice: a failure of a resource that belongs to no project (untagged or foreign)', fields);
    return { outcome: 'IGNORED', reason: 'UNKNOWN_JOB' };
  }
  return failRunOfFailedJob(deps, notice.projectId, requestId, fields);
}

/** Subtasks whose jobs the run's poll would see: running ones, except the forward sync once the switchover stops it (its stop is the run's). */
const polledByTheRun = (p: ProjectRecord, type: SubtaskType): boolean => {
  if (type === 'FORWARD_SWITCHOVER') return false; // its steps are the run's own work, not a job
  if (type !== 'INCREMENTAL_SYNC') return true;
  const stop = p.subtasks.flatMap((s) => s.steps ?? []).find((st) => st.name === 'STOP_FORWARD_SYNC');
  return stop === undefined || stop.status === 'PENDING';
};

async function failRunOfFailedJob(deps: Deps, projectId: string, requestId: string, fields: Record<string, unknown>): Promise<NoticeOutcome> {
  const p = await readProject(deps, projectId);
  if (!p || p.status !== 'RUNNING' || p.run === undefined) {
    log('INFO', 'engine notice: a failure of a project that is not running: nothing to do', { ...fields, projectId, status: p?.status ?? 'gone' });
    return { outcome: 'IGNORED', reason: 'PROJECT_NOT_RUNNING', projectId };
  }
  const run = p.run;
  for (const s of p.subtasks) {
    if (s.status !== 'RUNNING' || !polledByTheRun(p, s.type)) continue;
    for (const j of jobsOf(p, s.type, run)) {
      const part = j.part !== undefined ? s.sources?.[j.part] : undefined;
      if (part && part.status !== 'RUNNING') continue; // a part paused with its source (or not started yet)
      // Observed, not polled: the function may only look (a poll may act on the job, e.g. DMS's deferred start).
      const status = await deps.engine.observeJob(j.ref);
      if (status?.state !== 'FAILED') continue;
      const failure = jobFailure(p, s.type, j, status, isoAt(deps.clock.nowMs()));
      // Written as the run's current execution would write it: fenced on this run, its leg and RUNNING.
      if (!(await failRunFromOutside(deps, { ...p, run }, s.type, failure, requestId))) {
        log('INFO', 'engine notice: the run no longer owns the project (its own poll, a pause or a newer run was first)', { ...fields, projectId, run });
        return { outcome: 'IGNORED', reason: 'FENCED', projectId };
      }
      const { error } = failure;
      log('WARN', 'engine notice: a job failed; the project is FAILED without waiting for the next poll', { ...fields, projectId, run, subtask: s.type, error });
      return { outcome: 'FAILED', projectId, run, subtask: s.type, error: { code: error.code, message: error.message } };
    }
  }
  log('INFO', 'engine notice: a failure, but no job of the current run is FAILED now (stale, or resumed since)', { ...fields, projectId, run });
  return { outcome: 'IGNORED', reason: 'NO_FAILED_JOB', projectId };
}
