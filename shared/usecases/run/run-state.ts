import { DomainError } from '../../domain/errors';
import { currentLeg, stageOf, subtaskPath } from '../../domain/orchestration';
import { applyPaths, type AttributePath, type PathValue } from '../../domain/paths';
import type { AwaitedGate, ProjectRecord } from '../../domain/project';
import type { Subtask, SubtaskType, SwitchoverStepName } from '../../domain/subtasks';
import { measurementsOf, splitMeasurements, withProgress } from '../../domain/progress';
import { sourceActive } from '../../domain/sources';
import { ProgressWriteRefused, RunWriteRefused, type JobRef } from '../../ports';
import type { Deps } from '../deps';
import { writeTransition } from '../lifecycle';

/**
 * What every task of a run's execution shares: the state the state machine carries ({projectId, run,
 * work}), the fence (a run that no longer owns the project learns so and ends), fenced run writes, the
 * outcomes a task answers with, and failing the run.
 */

/** What the state machine routes on. */
export type WorkAction = 'BEGIN' | 'RUN' | 'AWAIT' | 'IDLE' | 'COMPLETE' | 'FENCED';
/**
 * Outcome of starting or polling a work item: WAITING = poll again after the Wait state; CONTINUE = the
 * history is near its limit: continue as a new execution (which polls again); CONTINUED = handed over.
 */
export type WorkOutcome = 'WAITING' | 'DONE' | 'FAILED' | 'FENCED' | 'CONTINUE' | 'CONTINUED';

export interface Work {
  action: WorkAction;
  subtask?: SubtaskType;
  step?: SwitchoverStepName;
  gate?: AwaitedGate;
  outcome?: WorkOutcome;
}

/**
 * The execution's history, as the state carries it: which leg of the run this execution is (0: its
 * first), an estimate of the events its history holds, and the estimate at which it continues as a new
 * execution (absent: DEFAULT_CONTINUE_AT_EVENTS, shared/usecases/run/history.ts).
 */
export interface HistoryCount {
  leg: number;
  events: number;
  limit?: number;
}

export interface RunState {
  projectId: string;
  run: number;
  work: Work;
  history?: HistoryCount;
}

export interface StepInput {
  projectId: string;
  run: number;
  work?: Work;
  history?: HistoryCount;
}

/** The leg of the execution a step runs in. */
export const legOf = (input: StepInput): number => input.history?.leg ?? 0;

export const SYSTEM = (requestId: string, cause: string) => ({ actor: 'system', requestId, cause });

export const fencedState = (input: StepInput): RunState => ({ projectId: input.projectId, run: input.run, work: { action: 'FENCED', outcome: 'FENCED' } });

/** Whether the project still belongs to this run's execution (of leg `leg`, when given). */
export const ownedBy = (p: ProjectRecord | undefined, run: number, leg?: number): p is ProjectRecord =>
  p !== undefined && p.run === run && p.status === 'RUNNING' && (leg === undefined || currentLeg(p) === leg);

export class Fenced extends Error {
  constructor(readonly current: ProjectRecord | undefined) {
    super('fenced');
  }
}

/**
 * One fenced run write. Subtask status changes also move `currentStage`. The measurements of subtasks and
 * parts still RUNNING after it (progress, checkpoint) and `polledAt` go to the progress item
 * (shared/domain/progress.ts), fenced on its run and leg; the rest — a state change — to the project item,
 * fenced on the run, its leg and RUNNING: a poll that changes no state writes the progress item alone.
 * Throws Fenced when the run no longer owns the project; returns undefined when only an expectation of a
 * state change failed (the item moved on). Returns the whole record after it (measurements merged).
 */
export async function runWrite(
  deps: Deps,
  p: ProjectRecord,
  input: StepInput,
  set: PathValue[],
  opts: { expect?: PathValue[]; remove?: AttributePath[] } = {},
): Promise<ProjectRecord | undefined> {
  const projected = applyPaths(p, set, opts.remove ?? []);
  const stage = stageOf(projected.subtasks);
  const withStage = stage !== (p.currentStage ?? null) ? [...set, { path: ['currentStage'], value: stage }] : set;
  const { run } = input;
  const leg = legOf(input);
  const split = splitMeasurements(projected, withStage, run);
  try {
    if (Object.keys(split.measurements).length > 0 || split.polledAt !== undefined) {
      await deps.projects.writeProgress({ projectId: p.id, run, leg, ...(split.polledAt !== undefined ? { polledAt: split.polledAt } : {}), measurements: split.measurements });
    }
    if (split.rest.length === 0 && !opts.remove?.length) return projected;
    const after = await deps.projects.updateRun({ projectId: p.id, run, leg, set: split.rest, ...(opts.remove ? { remove: opts.remove } : {}), ...(opts.expect ? { expect: opts.expect } : {}) });
    // The project item after the write, with the measurements this record showed and this write made.
    return withProgress(after, measurementsOf(projected));
  } catch (e) {
    if (e instanceof ProgressWriteRefused) throw new Fenced(await deps.projects.get(p.id)); // a newer run or leg writes the progress
    if (!(e instanceof RunWriteRefused)) throw e;
    if (!ownedBy(e.current, run, leg)) throw new Fenced(e.current);
    return undefined;
  }
}

/** The project as one record (its item and its progress item), while this run's execution owns it. */
export async function load(deps: Deps, input: StepInput): Promise<ProjectRecord> {
  const { project: p, progress } = await deps.projects.getWithProgress(input.projectId); // one read of the partition
  if (!ownedBy(p, input.run, legOf(input))) throw new Fenced(p);
  return withProgress(p, progress);
}

export const subtaskOf = (p: ProjectRecord, type: SubtaskType): Subtask => {
  const s = p.subtasks.find((x) => x.type === type);
  if (!s) throw new Error(`project ${p.id} has no ${type} subtask`);
  return s;
};

export async function fenceAware(input: StepInput, body: () => Promise<RunState>): Promise<RunState> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof Fenced) {
      console.log(JSON.stringify({ level: 'INFO', message: 'execution fenced: the run no longer owns the project', projectId: input.projectId, run: input.run, currentRun: e.current?.run, currentStatus: e.current?.status }));
      return fencedState(input);
    }
    throw e;
  }
}

export const done = (input: StepInput): RunState => ({ projectId: input.projectId, run: input.run, work: { ...(input.work ?? { action: 'RUN' }), outcome: 'DONE' } });
export const waiting = (input: StepInput): RunState => ({ projectId: input.projectId, run: input.run, work: { ...(input.work ?? { action: 'RUN' }), outcome: 'WAITING' } });
export const failed = (input: StepInput): RunState => ({ projectId: input.projectId, run: input.run, work: { ...(input.work ?? { action: 'RUN' }), outcome: 'FAILED' } });

/** Records a failed subtask and moves the project to FAILED (both fenced on the run). */
export async function failRun(
  deps: Deps,
  p: ProjectRecord,
  input: StepInput,
  type: SubtaskType | undefined,
  error: { code: string; message: string; at: string },
  requestId = 'orchestration',
  progress: PathValue[] = [],
): Promise<void> {
  if (type) {
    const at = (field: string) => subtaskPath(p, type, field);
    await runWrite(deps, p, input, [
      ...progress, // the checkpoint the failed job reached: a resume retries from there
      { path: at('status'), value: 'FAILED' },
      { path: at('lastError'), value: error },
      { path: at('finishedAt'), value: error.at },
    ]);
  }
  try {
    await writeTransition(deps, 'fail', {
      operation: 'fail',
      projectId: p.id,
      run: input.run,
      detail: { ...(type ? { subtask: type } : {}), error: { code: error.code, message: error.message } },
      ctx: SYSTEM(requestId, 'subtask-failed'),
    });
  } catch (e) {
    if (e instanceof DomainError && e.status < 500) throw new Fenced(await deps.projects.get(p.id));
    throw e;
  }
}

/**
 * Fails the run that owns `p` from outside its execution (the reconciler, an engine notice), as the
 * run's own poll would: failRun fenced on the run and its current leg. A run waiting for an operator
 * has its task completed as fenced, so its execution ends now rather than at the wait's timeout (best
 * effort: the project is FAILED already). False when the run lost the project meanwhile (its own poll
 * failed it first, a pause, a release, a newer run).
 */
export async function failRunFromOutside(
  deps: Deps,
  p: ProjectRecord & { run: number },
  type: SubtaskType,
  failure: { set: PathValue[]; error: { code: string; message: string; at: string } },
  requestId: string,
): Promise<boolean> {
  const input: StepInput = { projectId: p.id, run: p.run, history: { leg: currentLeg(p), events: 0 } };
  try {
    await failRun(deps, p, input, type, failure.error, requestId, failure.set);
  } catch (e) {
    if (e instanceof Fenced) return false;
    throw e;
  }
  if (p.taskToken) {
    try {
      await deps.orchestrator.completeTask(p.taskToken, { fenced: true });
    } catch (e) {
      console.log(JSON.stringify({ level: 'WARN', message: 'could not end the operator wait of the failed run (it ends at its timeout)', projectId: p.id, run: p.run, error: (e as Error)?.message ?? String(e) }));
    }
  }
  return true;
}

/**
 * A job a step started or resumed (or is about to leave running) after its run lost the project or
 * the job's source: a pause or release that committed while the engine call was under way could not
 * see the job (its pauseJob found none), so the job is brought to what the project says now:
 * - the project is gone, releasing or released: the job is stopped;
 * - the project is not RUNNING (paused, failed): the job is paused, naming the project's current run
 *   (a later resume starts a newer run, which the hold does not stop);
 * - the project is RUNNING and the job's source is paused on its own: the job is paused the same way;
 * - otherwise (a newer run or leg owns the project and will claim the job) it is left alone.
 */
export async function compensateJob(deps: Deps, current: ProjectRecord | undefined, job: JobRef, sourceId?: string): Promise<void> {
  if (!current || current.status === 'RELEASING' || current.status === 'RELEASED') {
    await deps.engine.stopJob(job);
    return;
  }
  const sourcePaused = sourceId !== undefined && (current.sources ?? []).some((s) => s.sourceId === sourceId && !sourceActive(s));
  if (current.status === 'RUNNING' && !sourcePaused) return;
  await deps.engine.pauseJob({ ...job, run: Math.max(current.run ?? 0, job.run ?? 0) });
}
