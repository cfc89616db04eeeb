import { isoAt } from '../../domain/clock';
import { isFinished, jobRef, jobsOf, jobSpec, partPath, stepPath, subtaskPath, type SubtaskJob } from '../../domain/orchestration';
import { type PathValue } from '../../domain/paths';
import type { ProjectRecord } from '../../domain/project';
import type { SwitchoverStepName } from '../../domain/subtasks';
import type { JobStatus } from '../../ports';
import type { Deps } from '../deps';
import { done, failed, failRun, runWrite, waiting, type RunState, type StepInput } from './run-state';

// ---- the forward switchover's automatic steps ----

export async function startStep(deps: Deps, p: ProjectRecord, input: StepInput, step: SwitchoverStepName): Promise<RunState> {
  const seen = p.subtasks.flatMap((s) => s.steps ?? []).find((st) => st.name === step);
  if (!seen || isFinished(seen.status)) return done(input);
  const now = isoAt(deps.clock.nowMs());
  const claimed = await runWrite(
    deps,
    p,
    input,
    [
      { path: subtaskPath(p, 'FORWARD_SWITCHOVER', 'status'), value: 'RUNNING' },
      { path: stepPath(p, step, 'status'), value: 'RUNNING' },
      ...(seen.startedAt ? [] : [{ path: stepPath(p, step, 'startedAt'), value: now }]),
    ],
    { expect: [{ path: stepPath(p, step, 'status'), value: seen.status }] },
  );
  if (!claimed) return done(input);
  return runStep(deps, claimed, input, step);
}

export async function pollStep(deps: Deps, p: ProjectRecord, input: StepInput, step: SwitchoverStepName): Promise<RunState> {
  const seen = p.subtasks.flatMap((s) => s.steps ?? []).find((st) => st.name === step);
  if (!seen || seen.status !== 'RUNNING') return done(input);
  return runStep(deps, p, input, step);
}

export async function runStep(deps: Deps, p: ProjectRecord, input: StepInput, step: SwitchoverStepName): Promise<RunState> {
  const now = isoAt(deps.clock.nowMs());
  const succeed = async (extra: PathValue[] = []) => {
    await runWrite(deps, p, input, [...extra, { path: stepPath(p, step, 'status'), value: 'SUCCEEDED' }, { path: stepPath(p, step, 'finishedAt'), value: now }], {
      expect: [{ path: stepPath(p, step, 'status'), value: 'RUNNING' }],
    });
    return done(input);
  };
  const failStep = async (code: string, message: string) => {
    await runWrite(deps, p, input, [{ path: stepPath(p, step, 'status'), value: 'FAILED' }]);
    await failRun(deps, p, input, 'FORWARD_SWITCHOVER', { code, message: `${step}: ${message}`, at: now });
    return failed(input);
  };
  const work = STEP_WORK[step] ?? engineStepWork;
  return work({ deps, p, input, step, now, succeed, failStep, syncs: p.subtasks.some((x) => x.type === 'INCREMENTAL_SYNC') ? jobsOf(p, 'INCREMENTAL_SYNC', input.run) : [{ ref: jobRef(p, 'INCREMENTAL_SYNC', input.run) }] });
}

/** What a step's work gets: the project as read, how to succeed or fail the step, the forward sync's job. */
interface StepContext {
  deps: Deps;
  p: ProjectRecord;
  input: StepInput;
  step: SwitchoverStepName;
  now: string;
  succeed: (extra?: PathValue[]) => Promise<RunState>;
  failStep: (code: string, message: string) => Promise<RunState>;
  /** The forward sync's jobs: one, or one per source of a multi-source project. */
  syncs: SubtaskJob[];
}
type StepWork = (c: StepContext) => Promise<RunState>;

const syncProgress = (p: ProjectRecord, j: SubtaskJob, status: JobStatus): PathValue[] => {
  const at = (field: string) => (j.part !== undefined ? partPath(p, 'INCREMENTAL_SYNC', j.part, field) : subtaskPath(p, 'INCREMENTAL_SYNC', field));
  return [
    { path: at('progress'), value: status.progress },
    { path: at('checkpoint'), value: status.checkpoint },
  ];
};

const named = (j: SubtaskJob) => (j.sourceId !== undefined ? `forward incremental sync of source ${j.sourceId}` : 'forward incremental sync');

/**
 * The automatic switchover steps, as data: what each does (the manual ones wait for their confirmation
 * instead, see the confirm-switchover-step record). A step without a row is the engine's own work.
 * With several sources, a step acts on every source's forward sync (one paused on its own fails the precheck).
 */
const STEP_WORK: Partial<Record<SwitchoverStepName, StepWork>> = {
  /** The forward sync must be running (every source's). */
  SWITCHOVER_PRECHECK: async ({ deps, p, syncs, succeed, failStep }) => {
    const progress: PathValue[] = [];
    for (const j of syncs) {
      const status = await deps.engine.pollJob(j.ref);
      if (status?.state !== 'RUNNING') return failStep('PRECHECK_FAILED', `${named(j)} is ${status?.state ?? 'not started'}, not RUNNING`);
      progress.push(...syncProgress(p, j, status));
    }
    return succeed(progress);
  },
  /** Waits (poll after poll) until the forward sync has applied everything written before the stop (every source's). */
  CONFIRM_WRITE_STOP_TIMESTAMP: async ({ deps, p, input, syncs, succeed, failStep }) => {
    const progress: PathValue[] = [];
    let caughtUp = true;
    for (const j of syncs) {
      const status = await deps.engine.pollJob(j.ref);
      if (!status || status.state === 'FAILED') return failStep('SYNC_FAILED', status?.error?.message ?? `${named(j)} is gone`);
      caughtUp &&= status.caughtUp === true;
      progress.push(...syncProgress(p, j, status));
    }
    if (!caughtUp) {
      await runWrite(deps, p, input, progress);
      return waiting(input);
    }
    return succeed(progress);
  },
  /**
   * Stops the forward sync for good (the engine drops its change stream; every source's). Then the
   * engine's own part of the step, polled until done (e.g. AWS DMS: until the forward task has really
   * stopped applying; there it also captures where the reverse sync starts, which is recorded on the
   * REVERSE_INCREMENTAL_SYNC subtask and passed on its job spec). The operator's writes on the
   * destination come after this step, so a position captured here misses none of them.
   */
  STOP_FORWARD_SYNC: async ({ deps, p, input, now, syncs, succeed }) => {
    const set: PathValue[] = [];
    for (const j of syncs) {
      const status = await deps.engine.stopJob(j.ref);
      if (status) set.push(...syncProgress(p, j, status));
      if (j.part !== undefined) set.push({ path: partPath(p, 'INCREMENTAL_SYNC', j.part, 'status'), value: 'SUCCEEDED' }, { path: partPath(p, 'INCREMENTAL_SYNC', j.part, 'finishedAt'), value: now });
    }
    const work = await deps.engine.switchoverStep?.(jobSpec(p, 'FORWARD_SWITCHOVER', input.run), 'STOP_FORWARD_SYNC');
    if (work && !work.done) return waiting(input);
    const position = work?.detail?.reverseStartPosition;
    const reverse: PathValue[] =
      typeof position === 'string' && position && p.subtasks.some((x) => x.type === 'REVERSE_INCREMENTAL_SYNC') ? [{ path: subtaskPath(p, 'REVERSE_INCREMENTAL_SYNC', 'startPosition'), value: position }] : [];
    return succeed([
      ...set,
      ...reverse,
      { path: subtaskPath(p, 'INCREMENTAL_SYNC', 'status'), value: 'SUCCEEDED' },
      { path: subtaskPath(p, 'INCREMENTAL_SYNC', 'finishedAt'), value: now },
    ]);
  },
};

/**
 * START_FORWARD_SWITCHOVER, START_DESTINATION_STORE: the engine's own work, if it has any (the PostgreSQL
 * engine creates the reverse sync's slot at START_DESTINATION_STORE, before the application writes to the
 * destination); a step the engine is not done with is polled again.
 */
const engineStepWork: StepWork = async ({ deps, p, input, step, succeed }) => {
  const work = await deps.engine.switchoverStep?.(jobSpec(p, 'FORWARD_SWITCHOVER', input.run), step);
  if (work && !work.done) return waiting(input);
  return succeed();
};
