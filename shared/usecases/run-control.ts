import { jobRef, subtaskPath } from '../domain/orchestration';
import type { PathValue } from '../domain/paths';
import type { AwaitedGate, ProjectRecord } from '../domain/project';
import type { SubtaskType } from '../domain/subtasks';
import { RunWriteRefused } from '../ports';
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
 */
export async function pauseRun(deps: Deps, paused: ProjectRecord, caughtRunning: readonly SubtaskType[]): Promise<void> {
  await deps.orchestrator.stopRun(paused, 'paused');
  for (const type of caughtRunning) {
    const job = jobRef(paused, type);
    const jobId = job.jobId;
    const status = await deps.engine.pauseJob(job);
    if (!status || paused.run === undefined) continue;
    const set: PathValue[] = [
      { path: subtaskPath(paused, type, 'progress'), value: status.progress },
      { path: subtaskPath(paused, type, 'checkpoint'), value: status.checkpoint },
      { path: subtaskPath(paused, type, 'jobId'), value: jobId },
    ];
    try {
      await deps.projects.updateRun({ projectId: paused.id, run: paused.run, statuses: ['PAUSED'], set, expect: [{ path: subtaskPath(paused, type, 'status'), value: 'PAUSED' }] });
    } catch (e) {
      if (!(e instanceof RunWriteRefused)) throw e;
      log('INFO', 'checkpoint not recorded: the project moved on', { projectId: paused.id, subtask: type });
    }
  }
}

/** Release (and an expired pause): the execution is stopped and every job of the project is stopped for good. */
export async function stopRunAndJobs(deps: Deps, project: ProjectRecord, reason: string): Promise<void> {
  await deps.orchestrator.stopRun(project, reason);
  for (const s of project.subtasks ?? []) {
    if (s.status === 'PENDING' || s.status === 'SKIPPED') continue;
    await deps.engine.stopJob(jobRef(project, s.type));
  }
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
