import { isoAt } from '../../domain/clock';
import { isFinished, jobIdFor, jobsOf, jobSpec, partPath, planNext, stageOf, subtaskPath, type SubtaskJob } from '../../domain/orchestration';
import { readPath, type PathValue } from '../../domain/paths';
import type { ProjectRecord } from '../../domain/project';
import type { SubtaskType } from '../../domain/subtasks';
import { type JobRef, type JobStatus } from '../../ports';
import type { Deps } from '../deps';
import { keepContinuousJobRunning } from '../run-control';
import { compensateJob, done, failed, failRun, fenceAware, Fenced, load, runWrite, subtaskOf, waiting, type RunState, type StepInput, type Work } from './run-state';
import { pollStep, startStep } from './switchover-steps';
import { stepSourceParts } from './source-parts';

/** "Pick next work item": what the run does next, from the item. */
export async function pickNext(deps: Deps, input: StepInput): Promise<RunState> {
  return fenceAware(input, async () => {
    for (let guard = 0; guard < 20; guard++) {
      const p = await load(deps, input);
      const plan = planNext(p);
      const state = (work: Work): RunState => ({ projectId: p.id, run: input.run, work });
      if (p.awaiting !== undefined && plan.action !== 'AWAIT') {
        // The gate it waited at is open: the project no longer shows a wait.
        await runWrite(deps, p, input, [], { remove: [['awaiting'], ['taskToken']] });
        continue;
      }
      switch (plan.action) {
        case 'FINISH_SWITCHOVER': {
          const i = subtaskPath(p, 'FORWARD_SWITCHOVER', 'status');
          await runWrite(deps, p, input, [
            { path: i, value: 'SUCCEEDED' },
            { path: subtaskPath(p, 'FORWARD_SWITCHOVER', 'finishedAt'), value: isoAt(deps.clock.nowMs()) },
          ], { expect: [{ path: i, value: readPath(p, i) }] });
          continue;
        }
        case 'RUN':
          return state({ action: 'RUN', subtask: plan.subtask, ...(plan.step ? { step: plan.step } : {}) });
        case 'AWAIT':
          return state({ action: 'AWAIT', subtask: plan.subtask, gate: plan.gate, ...(plan.step ? { step: plan.step } : {}) });
        case 'IDLE':
          if ((p.currentStage ?? null) !== stageOf(p.subtasks)) await runWrite(deps, p, input, [{ path: ['currentStage'], value: stageOf(p.subtasks) }]);
          return state({ action: 'IDLE' });
        case 'COMPLETE':
          return state({ action: 'COMPLETE' });
      }
    }
    throw new Error('pickNext: the project kept changing');
  });
}

/** "Start work item": claims the subtask (or switchover step) for this run and starts or resumes its job. */
export async function startWork(deps: Deps, input: StepInput & { work: Work }): Promise<RunState> {
  return fenceAware(input, async () => {
    const p = await load(deps, input);
    if (input.work.step) return startStep(deps, p, input, input.work.step);
    const type = input.work.subtask as SubtaskType;
    const seen = subtaskOf(p, type);
    if (isFinished(seen.status)) return done(input);
    const jobId = seen.jobId ?? jobIdFor(p.id, type);
    const now = isoAt(deps.clock.nowMs());
    const claimed = await runWrite(
      deps,
      p,
      input,
      [
        { path: subtaskPath(p, type, 'status'), value: 'RUNNING' },
        { path: subtaskPath(p, type, 'jobId'), value: jobId },
        ...(seen.startedAt ? [] : [{ path: subtaskPath(p, type, 'startedAt'), value: now }]),
      ],
      { expect: [{ path: subtaskPath(p, type, 'status'), value: seen.status }], remove: seen.lastError ? [subtaskPath(p, type, 'lastError')] : [] },
    );
    if (!claimed) return done(input); // the subtask moved on (skipped): re-plan
    if (seen.sources?.length) return stepSourceParts(deps, claimed, input, type);
    const job = jobSpec(claimed, type, input.run);
    const existing = await deps.engine.pollJob(job);
    let status: JobStatus;
    if (!existing) status = await deps.engine.startJob(job);
    else if (existing.state === 'PAUSED' || existing.state === 'FAILED' || existing.state === 'STOPPED') status = await deps.engine.resumeJob(job, seen.checkpoint);
    else if (existing.state === 'RUNNING') status = await deps.engine.startJob(job); // claims it for this run: a late pause of an older run is refused
    else status = existing;
    return recordEffect(deps, claimed, input, type, job, status, status !== existing);
  });
}

/**
 * Records a job this step polled, or started, resumed or claimed (`effect`). After an effect the run
 * must still own the project: a pause or release that committed while the engine call was under way
 * could not see the job (its pauseJob found none, or found it before the resume), and a poll that
 * changes no state writes only the progress item, which does not look at the project's status. So the
 * project is read again first; a run that lost it pauses or stops the job again before it ends.
 */
async function recordEffect(deps: Deps, p: ProjectRecord, input: StepInput, type: SubtaskType, job: JobRef, status: JobStatus, effect: boolean): Promise<RunState> {
  try {
    if (effect) await load(deps, input);
    return await recordJob(deps, p, input, type, status);
  } catch (e) {
    if (effect && e instanceof Fenced) await compensateJob(deps, e.current, job);
    throw e;
  }
}

/** "Poll work item": records the job's progress, result or failure. */
export async function pollWork(deps: Deps, input: StepInput & { work: Work }): Promise<RunState> {
  return fenceAware(input, async () => {
    const p = await load(deps, input);
    if (input.work.step) return pollStep(deps, p, input, input.work.step);
    const type = input.work.subtask as SubtaskType;
    const s = subtaskOf(p, type);
    if (s.status !== 'RUNNING') return done(input); // skipped meanwhile: re-plan
    if (s.sources?.length) return stepSourceParts(deps, p, input, type);
    const job = jobSpec(p, type, input.run);
    const polled = await deps.engine.pollJob(job);
    let status = polled;
    if (!status) status = await deps.engine.startJob(job);
    else if (status.state === 'PAUSED' || status.state === 'STOPPED') status = await deps.engine.resumeJob(job, s.checkpoint);
    return recordEffect(deps, p, input, type, job, status, status !== polled);
  });
}

export async function recordJob(deps: Deps, p: ProjectRecord, input: StepInput, type: SubtaskType, status: JobStatus): Promise<RunState> {
  const s = subtaskOf(p, type);
  const at = (field: string) => subtaskPath(p, type, field);
  const stillRunning = [{ path: at('status'), value: 'RUNNING' }];
  const progress: PathValue[] = [
    { path: at('progress'), value: status.progress },
    { path: at('checkpoint'), value: status.checkpoint },
  ];
  switch (status.state) {
    case 'RUNNING': {
      const background: Background = s.continuous ? { set: [] } : await backgroundProgress(deps, p, type);
      if (background.failed) {
        await failRun(deps, p, input, background.failed, background.error, 'orchestration', background.set);
        return failed(input);
      }
      // polledAt: the reconciler's proof of life for this execution (it looks nothing up while polls are recent).
      const polled = { path: ['polledAt'], value: isoAt(deps.clock.nowMs()) };
      const written = await runWrite(deps, p, input, [...progress, ...background.set, polled], { expect: stillRunning });
      if (!written) return done(input);
      // A continuous subtask is under way once its job runs: it goes on in the background.
      return s.continuous ? done(input) : waiting(input);
    }
    case 'SUCCEEDED': {
      await runWrite(deps, p, input, [...progress, { path: at('status'), value: 'SUCCEEDED' }, { path: at('finishedAt'), value: isoAt(deps.clock.nowMs()) }], {
        expect: stillRunning,
      });
      return done(input);
    }
    case 'FAILED': {
      const { set, error } = jobFailure(p, type, {}, status, isoAt(deps.clock.nowMs()));
      await failRun(deps, p, input, type, error, 'orchestration', set);
      return failed(input);
    }
    default: // PAUSED or STOPPED by someone else: poll again (the next poll resumes it)
      return waiting(input);
  }
}

/**
 * Continuous subtasks running in the background while `current` runs (none given: every one): their
 * progress, recorded with each poll, and a failure of theirs fails the run.
 */
type Background = { set: PathValue[]; failed?: undefined } | { set: PathValue[]; failed: SubtaskType; error: { code: string; message: string; at: string } };

export async function backgroundProgress(deps: Deps, p: ProjectRecord, current?: SubtaskType): Promise<Background> {
  const set: PathValue[] = [];
  for (const s of p.subtasks) {
    if (!s.continuous || s.status !== 'RUNNING' || s.type === current) continue;
    for (const j of jobsOf(p, s.type, p.run)) {
      const part = j.part !== undefined ? s.sources?.[j.part] : undefined;
      if (part && part.status !== 'RUNNING') continue; // a part paused with its source (or not started yet)
      const status = await keepContinuousJobRunning(deps, p, s, await deps.engine.pollJob(j.ref), j.sourceId);
      if (!status) continue;
      if (status.state === 'FAILED') return { failed: s.type, ...jobFailure(p, s.type, j, status, isoAt(deps.clock.nowMs())) };
      set.push(...jobProgress(p, s.type, j, status));
    }
  }
  return { set };
}

/** Where a job of a subtask records its measurements: the subtask, or its source's part. */
const jobPath = (p: ProjectRecord, type: SubtaskType, j: Pick<SubtaskJob, 'part'>) => (field: string) =>
  j.part !== undefined ? partPath(p, type, j.part, field) : subtaskPath(p, type, field);

const jobProgress = (p: ProjectRecord, type: SubtaskType, j: Pick<SubtaskJob, 'part'>, status: JobStatus): PathValue[] => [
  { path: jobPath(p, type, j)('progress'), value: status.progress },
  { path: jobPath(p, type, j)('checkpoint'), value: status.checkpoint },
];

/**
 * What a FAILED job of a subtask means for the run (failRun): the error (its source named, for a
 * part) and what is written with it: the checkpoint the job reached (a resume retries from there),
 * and a part's own status and error. One definition for every path that finds a job failed: the
 * run's poll, its background progress, and an engine's failure notice (engine-notices.ts).
 */
export function jobFailure(p: ProjectRecord, type: SubtaskType, j: Pick<SubtaskJob, 'part' | 'sourceId'>, status: JobStatus, at: string): { set: PathValue[]; error: { code: string; message: string; at: string } } {
  const message = `${j.sourceId !== undefined ? `source ${j.sourceId}: ` : ''}${status.error?.message ?? 'The job failed.'}`;
  const error = { code: status.error?.code ?? 'JOB_FAILED', message, at };
  const set = jobProgress(p, type, j, status);
  if (j.part !== undefined) set.push({ path: jobPath(p, type, j)('status'), value: 'FAILED' }, { path: jobPath(p, type, j)('lastError'), value: error });
  return { set, error };
}
