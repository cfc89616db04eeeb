import { isoAt } from '../domain/clock';
import { DomainError } from '../domain/errors';
import { isFinished, jobIdFor, jobRef, jobSpec, needsExecution, planNext, stageOf, stepPath, subtaskPath } from '../domain/orchestration';
import { applyPaths, readPath, type AttributePath, type PathValue } from '../domain/paths';
import type { AwaitedGate, ProjectRecord } from '../domain/project';
import type { Subtask, SubtaskType, SwitchoverStepName } from '../domain/subtasks';
import { RunWriteRefused, type JobRef, type JobStatus } from '../ports';
import type { Deps } from './deps';
import { finishRelease, writeTransition } from './lifecycle';
import { keepContinuousJobRunning, keepContinuousJobsRunning } from './run-control';

/**
 * The work of a run's execution, one use case per Lambda task of the state machine. The execution
 * carries only {projectId, run, work}; every decision is re-derived from the project item, and every
 * write is fenced on the run (ProjectStore.updateRun, or a transition with `run`), so an execution
 * that was paused, stopped or superseded can never change the project again: it learns so (FENCED)
 * and ends.
 */

/** What the state machine routes on. */
export type WorkAction = 'BEGIN' | 'RUN' | 'AWAIT' | 'IDLE' | 'COMPLETE' | 'FENCED';
/** Outcome of starting or polling a work item: WAITING = poll again after the Wait state. */
export type WorkOutcome = 'WAITING' | 'DONE' | 'FAILED' | 'FENCED';

export interface Work {
  action: WorkAction;
  subtask?: SubtaskType;
  step?: SwitchoverStepName;
  gate?: AwaitedGate;
  outcome?: WorkOutcome;
}

export interface RunState {
  projectId: string;
  run: number;
  work: Work;
}

export interface StepInput {
  projectId: string;
  run: number;
  work?: Work;
}

const SYSTEM = (requestId: string, cause: string) => ({ actor: 'system', requestId, cause });

const fencedState = (input: StepInput): RunState => ({ projectId: input.projectId, run: input.run, work: { action: 'FENCED', outcome: 'FENCED' } });

/** Whether the project still belongs to this run's execution. */
const ownedBy = (p: ProjectRecord | undefined, run: number): p is ProjectRecord => p !== undefined && p.run === run && p.status === 'RUNNING';

class Fenced extends Error {
  constructor(readonly current: ProjectRecord | undefined) {
    super('fenced');
  }
}

/**
 * One fenced run write. Subtask status changes also move `currentStage`. Throws Fenced when the run no
 * longer owns the project; returns undefined when only an expectation failed (the item moved on).
 */
async function runWrite(
  deps: Deps,
  p: ProjectRecord,
  run: number,
  set: PathValue[],
  opts: { expect?: PathValue[]; remove?: AttributePath[] } = {},
): Promise<ProjectRecord | undefined> {
  const projected = applyPaths(p, set, opts.remove ?? []);
  const stage = stageOf(projected.subtasks);
  const withStage = stage !== (p.currentStage ?? null) ? [...set, { path: ['currentStage'], value: stage }] : set;
  try {
    return await deps.projects.updateRun({ projectId: p.id, run, set: withStage, ...(opts.remove ? { remove: opts.remove } : {}), ...(opts.expect ? { expect: opts.expect } : {}) });
  } catch (e) {
    if (!(e instanceof RunWriteRefused)) throw e;
    if (!ownedBy(e.current, run)) throw new Fenced(e.current);
    return undefined;
  }
}

async function load(deps: Deps, input: StepInput): Promise<ProjectRecord> {
  const p = await deps.projects.get(input.projectId);
  if (!ownedBy(p, input.run)) throw new Fenced(p);
  return p;
}

const subtaskOf = (p: ProjectRecord, type: SubtaskType): Subtask => {
  const s = p.subtasks.find((x) => x.type === type);
  if (!s) throw new Error(`project ${p.id} has no ${type} subtask`);
  return s;
};

async function fenceAware(input: StepInput, body: () => Promise<RunState>): Promise<RunState> {
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

/** "Pick next work item": what the run does next, from the item. */
export async function pickNext(deps: Deps, input: StepInput): Promise<RunState> {
  return fenceAware(input, async () => {
    for (let guard = 0; guard < 20; guard++) {
      const p = await load(deps, input);
      const plan = planNext(p);
      const state = (work: Work): RunState => ({ projectId: p.id, run: input.run, work });
      if (p.awaiting !== undefined && plan.action !== 'AWAIT') {
        // The gate it waited at is open: the project no longer shows a wait.
        await runWrite(deps, p, input.run, [], { remove: [['awaiting'], ['taskToken']] });
        continue;
      }
      switch (plan.action) {
        case 'FINISH_SWITCHOVER': {
          const i = subtaskPath(p, 'FORWARD_SWITCHOVER', 'status');
          await runWrite(deps, p, input.run, [
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
          if ((p.currentStage ?? null) !== stageOf(p.subtasks)) await runWrite(deps, p, input.run, [{ path: ['currentStage'], value: stageOf(p.subtasks) }]);
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
      input.run,
      [
        { path: subtaskPath(p, type, 'status'), value: 'RUNNING' },
        { path: subtaskPath(p, type, 'jobId'), value: jobId },
        ...(seen.startedAt ? [] : [{ path: subtaskPath(p, type, 'startedAt'), value: now }]),
      ],
      { expect: [{ path: subtaskPath(p, type, 'status'), value: seen.status }], remove: seen.lastError ? [subtaskPath(p, type, 'lastError')] : [] },
    );
    if (!claimed) return done(input); // the subtask moved on (skipped): re-plan
    const job = jobSpec(claimed, type, input.run);
    const existing = await deps.engine.pollJob(job);
    let status: JobStatus;
    if (!existing) status = await deps.engine.startJob(job);
    else if (existing.state === 'PAUSED' || existing.state === 'FAILED' || existing.state === 'STOPPED') status = await deps.engine.resumeJob(job, seen.checkpoint);
    else if (existing.state === 'RUNNING') status = await deps.engine.startJob(job); // claims it for this run: a late pause of an older run is refused
    else status = existing;
    try {
      return await recordJob(deps, claimed, input, type, status);
    } catch (e) {
      if (e instanceof Fenced) await compensateJob(deps, e.current, input.run, job);
      throw e;
    }
  });
}

/**
 * A job this execution started or resumed after the run lost the project (a pause or release raced
 * the start): the pause or release could not see it, so it is paused or stopped here. A newer run owns
 * the job already: left alone.
 */
async function compensateJob(deps: Deps, current: ProjectRecord | undefined, run: number, job: JobRef): Promise<void> {
  if (current && current.run !== run) return;
  if (!current || current.status === 'RELEASING' || current.status === 'RELEASED') await deps.engine.stopJob(job);
  else await deps.engine.pauseJob(job);
}

/** "Poll work item": records the job's progress, result or failure. */
export async function pollWork(deps: Deps, input: StepInput & { work: Work }): Promise<RunState> {
  return fenceAware(input, async () => {
    const p = await load(deps, input);
    if (input.work.step) return pollStep(deps, p, input, input.work.step);
    const type = input.work.subtask as SubtaskType;
    const s = subtaskOf(p, type);
    if (s.status !== 'RUNNING') return done(input); // skipped meanwhile: re-plan
    const job = jobSpec(p, type, input.run);
    let status = await deps.engine.pollJob(job);
    if (!status) status = await deps.engine.startJob(job);
    else if (status.state === 'PAUSED' || status.state === 'STOPPED') status = await deps.engine.resumeJob(job, s.checkpoint);
    return recordJob(deps, p, input, type, status);
  });
}

const done = (input: StepInput): RunState => ({ projectId: input.projectId, run: input.run, work: { ...(input.work ?? { action: 'RUN' }), outcome: 'DONE' } });
const waiting = (input: StepInput): RunState => ({ projectId: input.projectId, run: input.run, work: { ...(input.work ?? { action: 'RUN' }), outcome: 'WAITING' } });
const failed = (input: StepInput): RunState => ({ projectId: input.projectId, run: input.run, work: { ...(input.work ?? { action: 'RUN' }), outcome: 'FAILED' } });

async function recordJob(deps: Deps, p: ProjectRecord, input: StepInput, type: SubtaskType, status: JobStatus): Promise<RunState> {
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
      const written = await runWrite(deps, p, input.run, [...progress, ...background.set], { expect: stillRunning });
      if (!written) return done(input);
      // A continuous subtask is under way once its job runs: it goes on in the background.
      return s.continuous ? done(input) : waiting(input);
    }
    case 'SUCCEEDED': {
      await runWrite(deps, p, input.run, [...progress, { path: at('status'), value: 'SUCCEEDED' }, { path: at('finishedAt'), value: isoAt(deps.clock.nowMs()) }], {
        expect: stillRunning,
      });
      return done(input);
    }
    case 'FAILED': {
      const error = { code: status.error?.code ?? 'JOB_FAILED', message: status.error?.message ?? 'The job failed.', at: isoAt(deps.clock.nowMs()) };
      await failRun(deps, p, input, type, error, 'orchestration', progress);
      return failed(input);
    }
    default: // PAUSED or STOPPED by someone else: poll again (the next poll resumes it)
      return waiting(input);
  }
}

/**
 * Continuous subtasks running in the background while `current` runs: their progress, recorded with
 * each poll, and a failure of theirs fails the run.
 */
type Background = { set: PathValue[]; failed?: undefined } | { set: PathValue[]; failed: SubtaskType; error: { code: string; message: string; at: string } };

async function backgroundProgress(deps: Deps, p: ProjectRecord, current: SubtaskType): Promise<Background> {
  const set: PathValue[] = [];
  for (const s of p.subtasks) {
    if (!s.continuous || s.status !== 'RUNNING' || s.type === current) continue;
    const status = await keepContinuousJobRunning(deps, p, s, await deps.engine.pollJob(jobRef(p, s.type, p.run)));
    if (!status) continue;
    const progress = [
      { path: subtaskPath(p, s.type, 'progress'), value: status.progress },
      { path: subtaskPath(p, s.type, 'checkpoint'), value: status.checkpoint },
    ];
    if (status.state === 'FAILED') {
      const error = { code: status.error?.code ?? 'JOB_FAILED', message: status.error?.message ?? 'The job failed.', at: isoAt(deps.clock.nowMs()) };
      return { set: progress, failed: s.type, error };
    }
    set.push(...progress);
  }
  return { set };
}

/** Records a failed subtask and moves the project to FAILED (both fenced on the run). */
async function failRun(
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
    await runWrite(deps, p, input.run, [
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

// ---- the forward switchover's automatic steps ----

async function startStep(deps: Deps, p: ProjectRecord, input: StepInput, step: SwitchoverStepName): Promise<RunState> {
  const seen = p.subtasks.flatMap((s) => s.steps ?? []).find((st) => st.name === step);
  if (!seen || isFinished(seen.status)) return done(input);
  const now = isoAt(deps.clock.nowMs());
  const claimed = await runWrite(
    deps,
    p,
    input.run,
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

async function pollStep(deps: Deps, p: ProjectRecord, input: StepInput, step: SwitchoverStepName): Promise<RunState> {
  const seen = p.subtasks.flatMap((s) => s.steps ?? []).find((st) => st.name === step);
  if (!seen || seen.status !== 'RUNNING') return done(input);
  return runStep(deps, p, input, step);
}

async function runStep(deps: Deps, p: ProjectRecord, input: StepInput, step: SwitchoverStepName): Promise<RunState> {
  const now = isoAt(deps.clock.nowMs());
  const succeed = async (extra: PathValue[] = []) => {
    await runWrite(deps, p, input.run, [...extra, { path: stepPath(p, step, 'status'), value: 'SUCCEEDED' }, { path: stepPath(p, step, 'finishedAt'), value: now }], {
      expect: [{ path: stepPath(p, step, 'status'), value: 'RUNNING' }],
    });
    return done(input);
  };
  const failStep = async (code: string, message: string) => {
    await runWrite(deps, p, input.run, [{ path: stepPath(p, step, 'status'), value: 'FAILED' }]);
    await failRun(deps, p, input, 'FORWARD_SWITCHOVER', { code, message: `${step}: ${message}`, at: now });
    return failed(input);
  };
  const syncJob = jobRef(p, 'INCREMENTAL_SYNC', input.run);
  const syncProgress = (status: JobStatus): PathValue[] => [
    { path: subtaskPath(p, 'INCREMENTAL_SYNC', 'progress'), value: status.progress },
    { path: subtaskPath(p, 'INCREMENTAL_SYNC', 'checkpoint'), value: status.checkpoint },
  ];
  switch (step) {
    case 'SWITCHOVER_PRECHECK': {
      const sync = await deps.engine.pollJob(syncJob);
      if (sync?.state !== 'RUNNING') return failStep('PRECHECK_FAILED', `forward incremental sync is ${sync?.state ?? 'not started'}, not RUNNING`);
      return succeed(syncProgress(sync));
    }
    case 'CONFIRM_WRITE_STOP_TIMESTAMP': {
      // Waits (poll after poll) until the forward sync has applied everything written before the stop.
      const sync = await deps.engine.pollJob(syncJob);
      if (!sync || sync.state === 'FAILED') return failStep('SYNC_FAILED', sync?.error?.message ?? 'forward incremental sync is gone');
      if (!sync.caughtUp) {
        await runWrite(deps, p, input.run, syncProgress(sync));
        return waiting(input);
      }
      return succeed(syncProgress(sync));
    }
    case 'STOP_FORWARD_SYNC': {
      const sync = await deps.engine.stopJob(syncJob);
      return succeed([
        ...(sync ? syncProgress(sync) : []),
        { path: subtaskPath(p, 'INCREMENTAL_SYNC', 'status'), value: 'SUCCEEDED' },
        { path: subtaskPath(p, 'INCREMENTAL_SYNC', 'finishedAt'), value: now },
      ]);
    }
    default: // START_FORWARD_SWITCHOVER, START_DESTINATION_STORE: control-plane bookkeeping in this simulation
      return succeed();
  }
}

// ---- waiting for an operator ----

const gateOpen = (p: ProjectRecord, work: Work): boolean => {
  if (work.gate === 'SWITCHOVER_ENTRY') return p.switchoverEnteredAt !== undefined;
  if (work.gate === 'SWITCHOVER_START') return p.switchoverStartedAt !== undefined;
  const step = p.subtasks.flatMap((s) => s.steps ?? []).find((st) => st.name === work.step);
  return step !== undefined && isFinished(step.status);
};

/**
 * "Await operator" (a waitForTaskToken task): stores the token with what it waits for, in one write
 * that also returns the gate; when the gate is already open (the operator was first), or the run lost
 * the project, the task is completed at once and the next pick decides.
 */
export async function awaitOperator(deps: Deps, input: StepInput & { work: Work; taskToken: string }): Promise<void> {
  const { work, taskToken } = input;
  const p = await deps.projects.get(input.projectId);
  if (!ownedBy(p, input.run)) {
    await deps.orchestrator.completeTask(taskToken, { fenced: true });
    return;
  }
  const set: PathValue[] = [
    { path: ['taskToken'], value: taskToken },
    { path: ['awaiting'], value: work.gate },
  ];
  const expect: PathValue[] = [];
  if (work.gate === 'STEP_CONFIRMATION' && work.step) {
    const seen = p.subtasks.flatMap((s) => s.steps ?? []).find((st) => st.name === work.step);
    set.push(
      { path: ['waitingStep'], value: work.step },
      { path: subtaskPath(p, 'FORWARD_SWITCHOVER', 'status'), value: 'RUNNING' },
      { path: stepPath(p, work.step, 'status'), value: 'RUNNING' },
      { path: stepPath(p, work.step, 'waitingForConfirmation'), value: true },
      ...(seen?.startedAt ? [] : [{ path: stepPath(p, work.step, 'startedAt'), value: isoAt(deps.clock.nowMs()) }]),
    );
    expect.push({ path: stepPath(p, work.step, 'status'), value: seen?.status });
  }
  let after: ProjectRecord | undefined;
  try {
    after = await runWrite(deps, p, input.run, set, { expect });
  } catch (e) {
    if (!(e instanceof Fenced)) throw e;
    await deps.orchestrator.completeTask(taskToken, { fenced: true });
    return;
  }
  if (!after || gateOpen(after, work)) await deps.orchestrator.completeTask(taskToken, { gate: work.gate ?? null });
}

// ---- the end of a run ----

/** "Mark project completed": RUNNING → COMPLETED, fenced on the run. */
export async function completeRun(deps: Deps, input: StepInput, requestId = 'orchestration'): Promise<RunState> {
  try {
    await writeTransition(deps, 'complete', { operation: 'complete', projectId: input.projectId, run: input.run, ctx: SYSTEM(requestId, 'all-subtasks-finished') });
    return { projectId: input.projectId, run: input.run, work: { action: 'COMPLETE', outcome: 'DONE' } };
  } catch (e) {
    if (e instanceof DomainError && e.status < 500) return fencedState(input);
    throw e;
  }
}

/** "Record run failure" (every Catch): the work item's subtask FAILED with the error, the project FAILED. */
export async function recordFailure(deps: Deps, input: StepInput & { error?: { Error?: string; Cause?: string } }, requestId = 'orchestration'): Promise<RunState> {
  return fenceAware(input, async () => {
    const p = await load(deps, input);
    const error = {
      code: input.error?.Error ?? 'ORCHESTRATION_ERROR',
      message: (input.error?.Cause ?? 'The run failed.').slice(0, 1000),
      at: isoAt(deps.clock.nowMs()),
    };
    const type = input.work?.subtask;
    await failRun(deps, p, input, type && p.subtasks.some((s) => s.type === type) ? type : undefined, error, requestId);
    return failed(input);
  });
}

// ---- the reconciler ----

export interface ReconcileReport {
  checked: number;
  restarted: { projectId: string; run: number }[];
  /** RELEASING projects whose release was finished here (its stop or second write had failed). */
  released: string[];
  errors: { projectId: string; error: string }[];
}


/**
 * Finds RUNNING projects that need an execution but whose run has none (it failed outside our Catch,
 * was stopped by hand, or its start was lost) and restarts them: a `restart-run` transition fenced on
 * the run they were at (so two reconcilers cannot both restart), then a new execution that continues
 * from the pending subtasks. Running it again changes nothing.
 */
export async function reconcileRuns(deps: Deps, options: { graceMs?: number; requestId?: string } = {}): Promise<ReconcileReport> {
  const graceMs = options.graceMs ?? 60_000;
  const report: ReconcileReport = { checked: 0, restarted: [], released: [], errors: [] };
  let nextToken: string | undefined;
  do {
    const page = await deps.projects.list({ status: 'RUNNING', limit: 100, ...(nextToken ? { nextToken } : {}) });
    for (const p of page.items) {
      report.checked++;
      // A background sync the engine reports PAUSED or STOPPED under this RUNNING project is resumed (fenced on its run).
      await keepContinuousJobsRunning(deps, p).catch((e) => report.errors.push({ projectId: p.id, error: (e as Error)?.message ?? String(e) }));
      if (p.taskToken && p.awaiting) {
        // The operator opened the gate but completing the waiting task failed: complete it now.
        const plan = planNext(p);
        const stillWaits = plan.action === 'AWAIT' && plan.gate === p.awaiting && (plan.step ?? undefined) === (p.waitingStep ?? undefined);
        if (!stillWaits) {
          try {
            await deps.orchestrator.completeTask(p.taskToken, { gate: p.awaiting });
          } catch (e) {
            report.errors.push({ projectId: p.id, error: (e as Error)?.message ?? String(e) });
          }
        }
      }
      if (!needsExecution(p)) continue;
      if (deps.clock.nowMs() - Date.parse(p.updatedAt) < graceMs) continue;
      try {
        if (await deps.orchestrator.isRunActive(p)) continue;
        const { after } = await writeTransition(deps, 'restart-run', {
          operation: 'restart-run',
          projectId: p.id,
          run: p.run ?? 0,
          expectedVersion: p.version,
          detail: { previousRun: p.run ?? 0 },
          ctx: SYSTEM(options.requestId ?? 'reconciler', 'execution-gone'),
        }, p);
        if (!after) continue;
        await deps.orchestrator.startRun(after);
        report.restarted.push({ projectId: p.id, run: after.run ?? 0 });
      } catch (e) {
        if (e instanceof DomainError && e.status < 500) continue; // the project moved on: nothing to restart
        report.errors.push({ projectId: p.id, error: (e as Error)?.message ?? String(e) });
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  await finishReleases(deps, graceMs, options.requestId ?? 'reconciler', report);
  return report;
}

/** Every project of a status, page by page. */
async function forEachIn(deps: Deps, status: 'RELEASING', body: (p: ProjectRecord) => Promise<void>): Promise<void> {
  let nextToken: string | undefined;
  do {
    const page = await deps.projects.list({ status, limit: 100, ...(nextToken ? { nextToken } : {}) });
    for (const p of page.items) await body(p);
    nextToken = page.nextToken;
  } while (nextToken);
}

/** A release whose stop or second write failed stays RELEASING: stop everything again and finish it. */
async function finishReleases(deps: Deps, graceMs: number, requestId: string, report: ReconcileReport): Promise<void> {
  await forEachIn(deps, 'RELEASING', async (p) => {
    if (deps.clock.nowMs() - Date.parse(p.updatedAt) < graceMs) return; // its own request may still be finishing it
    try {
      const done = await finishRelease(deps, p, { operation: 'release', projectId: p.id, ctx: SYSTEM(requestId, 'release-unfinished') });
      if (done !== undefined) report.released.push(p.id);
      else report.errors.push({ projectId: p.id, error: 'release could not be finished' });
    } catch (e) {
      if (!(e instanceof DomainError && e.status < 500)) report.errors.push({ projectId: p.id, error: (e as Error)?.message ?? String(e) });
    }
  });
}
