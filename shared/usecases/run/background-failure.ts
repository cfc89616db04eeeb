import { planNext } from '../../domain/orchestration';
import type { ProjectRecord } from '../../domain/project';
import type { SubtaskType } from '../../domain/subtasks';
import type { Deps } from '../deps';
import { failRunFromOutside } from './run-state';
import { backgroundProgress } from './work-items';

/**
 * A background sync (a continuous subtask started earlier) is polled by the run's execution with every
 * poll of the work item in front (backgroundProgress). While the run waits at an operator gate (the
 * switchover's entry, start or a manual step: a task token wait, re-armed every 12 hours) or has
 * nothing left but background sync (IDLE: the execution ended), no execution polls at all: a sync the
 * engine marks FAILED then would leave the project RUNNING and waiting until an operator acted.
 *
 * The reconciler's pass of a RUNNING project (every 5 minutes) calls this: when no execution polls, the
 * continuous jobs are polled here and a failure is applied through the same path as the run's poll —
 * backgroundProgress, then failRun: the subtask (or that source's part) FAILED with the engine's error,
 * the project FAILED (the `fail` transition, whose audit event raises the alert) — fenced on the run and
 * its current leg, so a newer run, a pause or a release since is never overwritten and two reconcilers
 * fail it once. A waiting task is then completed so its execution ends now (its next pick is fenced)
 * instead of at its re-arm. A job PAUSED or STOPPED under a running subtask is resumed, as
 * keepContinuousJobsRunning does. Returns the subtask that failed, if one did.
 */
export async function failUnpolledBackgroundSync(deps: Deps, p: ProjectRecord): Promise<SubtaskType | undefined> {
  if (p.status !== 'RUNNING' || p.run === undefined || !executionPollsNothing(p)) return undefined;
  const background = await backgroundProgress(deps, p);
  if (!background.failed) return undefined;
  if (!(await failRunFromOutside(deps, { ...p, run: p.run }, background.failed, background, 'reconciler'))) return undefined;
  console.error(JSON.stringify({ level: 'WARN', message: 'background sync failed while no execution polled it: project FAILED', projectId: p.id, run: p.run, subtask: background.failed, error: background.error }));
  return background.failed;
}

/** The run waits for an operator, or only background sync is left: its execution polls no job. */
export function executionPollsNothing(p: Pick<ProjectRecord, 'subtasks' | 'switchoverEnteredAt' | 'switchoverStartedAt'>): boolean {
  const action = planNext(p).action;
  return action === 'AWAIT' || action === 'IDLE';
}
