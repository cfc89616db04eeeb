import { jobRef, jobsOf, partPath, subtaskPath } from '../domain/orchestration';
import { activeSourceIds } from '../domain/sources';
import type { PathValue } from '../domain/paths';
import type { AwaitedGate, ProjectRecord } from '../domain/project';
import type { Subtask, SubtaskType } from '../domain/subtasks';
import { RunWriteRefused, type JobStatus } from '../ports';
import type { Deps } from './deps';

/**
 * Side effects of lifecycle operations on the run: stopping its execution, pausing or stopping the
 * engine jobs, completing the task an execution waits on. Each runs after its transition committed.
 */

function log(level: 'INFO' | 'WARN', message: string, fields: Record<string, unknown>): void {
  const line = JSON.stringify({ level, message, ...fields });
  if (level === 'WARN') console.error(line);
  else console.log(line);
}

/**
 * Pause: the execution is stopped, then every job of a subtask the pause caught running (the pause
 * write marked them PAUSED, continuous ones included) is paused in the engine and its checkpoint
 * recorded — fenced on this run and the PAUSED status, so a resume that came first is never undone.
 * The engine calls name the paused run: a job a newer run claimed meanwhile (a resume, then its
 * execution, came before this late effect) is left running by the engine.
 */
export async function pauseRun(deps: Deps, paused: ProjectRecord, caughtRunning: readonly SubtaskType[]): Promise<void> {
  await deps.orchestrator.stopRun(paused, 'paused');
  for (const type of caughtRunning) await pauseSubtaskJobs(deps, paused, type, ['PAUSED']);
}

/**
 * Pauses the jobs of a subtask the pause write marked PAUSED (every part of a per-source subtask the
 * write marked PAUSED; `onlySources`: those sources' parts alone) and records each checkpoint, fenced
 * on the project's status being one of `statuses` and the subtask (or part) still PAUSED.
 */
export async function pauseSubtaskJobs(deps: Deps, p: ProjectRecord, type: SubtaskType, statuses: ProjectRecord['status'][], onlySources?: readonly string[]): Promise<void> {
  const sub = p.subtasks.find((s) => s.type === type);
  for (const j of jobsOf(p, type, p.run)) {
    if (j.part !== undefined && (sub?.sources?.[j.part]?.status !== 'PAUSED' || (onlySources && !onlySources.includes(j.sourceId as string)))) continue;
    const status = await deps.engine.pauseJob(j.ref);
    if (!status || p.run === undefined) continue;
    const at = (field: string) => (j.part !== undefined ? partPath(p, type, j.part, field) : subtaskPath(p, type, field));
    const set: PathValue[] = [
      { path: at('progress'), value: status.progress },
      { path: at('checkpoint'), value: status.checkpoint },
      { path: at('jobId'), value: j.ref.jobId },
    ];
    try {
      await deps.projects.updateRun({ projectId: p.id, run: p.run, statuses, set, expect: [{ path: at('status'), value: 'PAUSED' }] });
    } catch (e) {
      if (!(e instanceof RunWriteRefused)) throw e;
      log('INFO', 'checkpoint not recorded: the project moved on', { projectId: p.id, subtask: type, sourceId: j.sourceId });
    }
  }
}

/** Release (and an expired pause): the execution is stopped and every job of the project is stopped for good (as the project's run). */
export async function stopRunAndJobs(deps: Deps, project: ProjectRecord, reason: string): Promise<void> {
  await deps.orchestrator.stopRun(project, reason);
  for (const s of project.subtasks ?? []) {
    // A continuous subtask that never started may still own a change stream (a replication slot is made
    // before the full load's first chunk, so nothing written during the copy is lost): stopped too.
    if (s.status === 'SKIPPED' || (s.status === 'PENDING' && !s.continuous)) continue;
    for (const j of jobsOf(project, s.type, project.run)) await deps.engine.stopJob(j.ref);
  }
}

/**
 * A continuous job (a sync in the background) the engine reports PAUSED or STOPPED while the project
 * says it runs (its subtask RUNNING in a RUNNING project): nothing else would ever resume it, and the
 * switchover precheck would fail on it. It is resumed from its checkpoint as the project's run, which
 * the engine refuses if a newer run owns the job or this run's own pause holds it. Returns the status
 * after (the one given when nothing was to be done).
 */
export async function keepContinuousJobRunning(deps: Deps, p: ProjectRecord, s: Subtask, status: JobStatus | undefined, sourceId?: string): Promise<JobStatus | undefined> {
  if (!s.continuous || s.status !== 'RUNNING' || p.status !== 'RUNNING' || p.run === undefined) return status;
  if (status?.state !== 'PAUSED' && status?.state !== 'STOPPED') return status;
  const part = sourceId !== undefined ? s.sources?.find((x) => x.sourceId === sourceId) : undefined;
  // A source paused on its own keeps its jobs paused.
  if (part && (part.status !== 'RUNNING' || !activeSourceIds(p).includes(part.sourceId))) return status;
  log('WARN', 'continuous job not running under a RUNNING subtask: resumed', { projectId: p.id, run: p.run, subtask: s.type, sourceId, jobState: status.state });
  return deps.engine.resumeJob(jobRef(p, s.type, p.run, sourceId), part ? part.checkpoint : s.checkpoint);
}

/** The reconciler's check of a RUNNING project: every continuous job its subtasks say runs does run. Returns the ones resumed. */
export async function keepContinuousJobsRunning(deps: Deps, p: ProjectRecord): Promise<SubtaskType[]> {
  const resumed: SubtaskType[] = [];
  for (const s of p.subtasks ?? []) {
    if (!s.continuous || s.status !== 'RUNNING') continue;
    for (const j of jobsOf(p, s.type, p.run)) {
      const before = await deps.engine.pollJob(j.ref);
      const after = await keepContinuousJobRunning(deps, p, s, before, j.sourceId);
      if (after !== before && after?.state === 'RUNNING' && !resumed.includes(s.type)) resumed.push(s.type);
    }
  }
  return resumed;
}

/**
 * An operator opened a gate the run may be waiting at (entered or started the switchover, confirmed a
 * step). The gate is data on the project, written first; then, if the execution waits at that gate,
 * its task is completed. The execution stores its token and reads the gate in one write, so between
 * the two one of them always sees the other; a duplicate completion is ignored by the orchestrator.
 */
export async function openGate(deps: Deps, projectId: string, gate: AwaitedGate): Promise<void> {
  const p = await deps.projects.get(projectId);
  if (!p?.taskToken || p.awaiting !== gate || p.status !== 'RUNNING') return;
  await deps.orchestrator.completeTask(p.taskToken, { gate });
}
