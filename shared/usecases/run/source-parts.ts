import { isoAt } from '../../domain/clock';
import { isFinished, jobSpec, partPath, subtaskPath } from '../../domain/orchestration';
import type { PathValue } from '../../domain/paths';
import type { ProjectRecord } from '../../domain/project';
import { sourceActive } from '../../domain/sources';
import type { SourcePart, SubtaskType } from '../../domain/subtasks';
import type { JobRef, JobStatus } from '../../ports';
import type { Deps } from '../deps';
import { compensateJob, done, failed, Fenced, failRun, load, runWrite, subtaskOf, waiting, type RunState, type StepInput } from './run-state';

/**
 * The run's side of a per-source subtask (full migration or incremental sync of a multi-source
 * project): one engine job per source part. Each poll drives the parts of the sources that are not
 * paused on their own (starting, resuming or polling their jobs) and records every part's status,
 * progress and checkpoint in one fenced write. A part whose job fails fails the run, naming its source;
 * the subtask succeeds once every part has; a continuous one is under way once every active part runs.
 * Parts of a source paused on its own stay as they are (their jobs are paused: the per-source pause did it).
 */

const isActive = (p: ProjectRecord, sourceId: string) => {
  const s = (p.sources ?? []).find((x) => x.sourceId === sourceId);
  return !s || sourceActive(s);
};

/** Start, resume or poll the job of one active part; `effect`: it was started, resumed or claimed, not only polled. */
export async function driveJob(deps: Deps, p: ProjectRecord, run: number, type: SubtaskType, part: SourcePart): Promise<{ status: JobStatus; effect: boolean }> {
  const job = jobSpec(p, type, run, part.sourceId);
  const existing = await deps.engine.pollJob(job);
  const effect = (status: Promise<JobStatus>) => status.then((s) => ({ status: s, effect: true }));
  if (!existing) return effect(deps.engine.startJob(job));
  if (existing.state === 'PAUSED' || existing.state === 'STOPPED') return effect(deps.engine.resumeJob(job, part.checkpoint));
  if (existing.state === 'FAILED' && part.status !== 'RUNNING') return effect(deps.engine.resumeJob(job, part.checkpoint)); // a resume retries a failed part
  if (existing.state === 'RUNNING' && part.status !== 'RUNNING') return effect(deps.engine.startJob(job)); // claims it for this run
  return { status: existing, effect: false };
}

/** One step of the run on a per-source subtask: drives every active part and records them. */
export async function stepSourceParts(deps: Deps, p: ProjectRecord, input: StepInput, type: SubtaskType): Promise<RunState> {
  const s = subtaskOf(p, type);
  const parts = s.sources ?? [];
  const now = isoAt(deps.clock.nowMs());
  const set: PathValue[] = [];
  let failure: { sourceId: string; error: { code: string; message: string; at: string } } | undefined;
  const after: SourcePart[] = [];
  const expect: PathValue[] = [{ path: subtaskPath(p, type, 'status'), value: 'RUNNING' }];
  const effects: { job: JobRef; sourceId: string }[] = [];
  try {
    return await recordParts();
  } catch (e) {
    if (effects.length && e instanceof Fenced) for (const x of effects) await compensateJob(deps, e.current, x.job, x.sourceId);
    throw e;
  }

  async function recordParts(): Promise<RunState> {
    for (const [i, part] of parts.entries()) {
      if (isFinished(part.status) || !isActive(p, part.sourceId)) {
        after.push(part);
        continue;
      }
      const { status, effect } = await driveJob(deps, p, input.run, type, part);
      const at = (field: string) => partPath(p, type, i, field);
      const job = jobSpec(p, type, input.run, part.sourceId);
      const jobId = job.jobId;
      // The write only lands if no part changed meanwhile (a source paused or resumed on its own).
      expect.push({ path: at('status'), value: part.status });
      if (effect) effects.push({ job, sourceId: part.sourceId });
      set.push({ path: at('jobId'), value: jobId }, { path: at('progress'), value: status.progress }, { path: at('checkpoint'), value: status.checkpoint });
      if (!part.startedAt) set.push({ path: at('startedAt'), value: now });
      let next: SourcePart['status'] = 'RUNNING';
      if (status.state === 'SUCCEEDED') {
        next = 'SUCCEEDED';
        set.push({ path: at('finishedAt'), value: now });
      } else if (status.state === 'FAILED') {
        next = 'FAILED';
        const error = { code: status.error?.code ?? 'JOB_FAILED', message: `source ${part.sourceId}: ${status.error?.message ?? 'the job failed.'}`, at: now };
        set.push({ path: at('lastError'), value: error }, { path: at('finishedAt'), value: now });
        failure ??= { sourceId: part.sourceId, error };
      }
      set.push({ path: at('status'), value: next });
      after.push({ ...part, status: next });
    }
    const percents = after.map((x) => (x.status === 'SUCCEEDED' ? 100 : (x.progress?.percent ?? 0)));
    set.push({ path: subtaskPath(p, type, 'progress'), value: { percent: Math.floor(percents.reduce((a, b) => a + b, 0) / Math.max(1, percents.length)), sources: after.length } });
    if (failure) {
      await failRun(deps, p, input, type, failure.error, 'orchestration', set);
      return failed(input);
    }
    const allDone = after.every((x) => x.status === 'SUCCEEDED');
    if (allDone) set.push({ path: subtaskPath(p, type, 'status'), value: 'SUCCEEDED' }, { path: subtaskPath(p, type, 'finishedAt'), value: now });
    if (effects.length) {
      // Jobs this step started or resumed: a pause (of the project or of their source) that committed
      // meanwhile could not see them. The project is read again; what it no longer runs is paused again.
      const current = await load(deps, input);
      const moved = effects.filter((x) => !isActive(current, x.sourceId));
      for (const x of moved) await compensateJob(deps, current, x.job, x.sourceId);
      if (moved.length) return done(input); // plan again from what the project says now
    }
    // A poll that changes no part's state writes the progress item alone; a state change lands only if
    // no part changed meanwhile.
    const written = await runWrite(deps, p, input, set, { expect });
    if (!written || allDone) return done(input);
    // A continuous subtask goes on in the background once every active part runs.
    const activeStarted = after.every((x) => !isActive(p, x.sourceId) || x.status === 'RUNNING' || isFinished(x.status));
    return s.continuous && activeStarted ? done(input) : waiting(input);
  }
}
