import { currentLeg, legExecutionName } from '../../domain/orchestration';
import type { ProjectRecord } from '../../domain/project';
import type { Deps } from '../deps';
import { fenceAware, Fenced, legOf, runWrite, type HistoryCount, type RunState, type StepInput, type Work } from './run-state';

/**
 * Step Functions ends an execution whose history reaches 25,000 events, outside any Catch. A poll cycle
 * (Wait, the poll task, the Choice) adds about 9 events: one subtask polled for ~23 hours (a 10 TB full
 * load) would reach it. So each task adds its estimate to the count the state carries, and once a poll
 * finds the count at the limit the run continues as a NEW execution of the same run (same run number,
 * fenced: the project records the new execution in a fenced run write, and every write of the old one
 * is refused after that), carrying the work item it stood at.
 */
export const HISTORY_EVENT_LIMIT = 25_000;

/**
 * Continue well before the hard limit: task retries, operator re-arms and the hand-over itself add events
 * the estimate does not count (a retried task adds ~4 a retry; 5,000 events of margin).
 */
export const DEFAULT_CONTINUE_AT_EVENTS = 20_000;

/** History events a task adds with the states that follow it until the next task (entered/exited, scheduled, started, succeeded). */
export const EVENTS_PER_TASK: Record<'next' | 'start' | 'poll' | 'await' | 'complete' | 'fail' | 'continue', number> = {
  next: 7, // task (5) + "What next?" (2)
  start: 7, // task (5) + "Work item done?" (2)
  poll: 9, // "Wait for job progress" (2) + task (5) + "Work item done?" (2)
  await: 7, // callback task (6) + re-arm or pick
  complete: 7,
  fail: 7,
  continue: 7,
};

/** The count a step's result carries on: its own events added, the leg and limit unchanged. */
export function counted(input: StepInput, action: keyof typeof EVENTS_PER_TASK, state: RunState): RunState {
  const before: HistoryCount = input.history ?? { leg: 0, events: 0 };
  const history: HistoryCount = { ...before, events: before.events + EVENTS_PER_TASK[action] };
  const limit = before.limit ?? DEFAULT_CONTINUE_AT_EVENTS;
  // Another poll cycle would pass the limit: continue as a new execution instead of waiting here.
  const full = history.events + EVENTS_PER_TASK.poll > limit;
  if (state.work.outcome === 'WAITING' && full) return { ...state, work: { ...state.work, outcome: 'CONTINUE' }, history };
  return { ...state, history };
}

/**
 * "Continue as new execution": records the next leg on the project (a fenced run write: it holds only
 * while this execution's leg owns the run, and from then on every write of this execution is refused),
 * then starts it with the work item to poll. A retry after the write (the start failed, or the answer
 * was lost) finds the next leg recorded and starts it again (a duplicate start is harmless). A project
 * this execution no longer owns: FENCED.
 */
export async function continueAsNewExecution(deps: Deps, input: StepInput & { work: Work }): Promise<RunState> {
  return fenceAware(input, async () => {
    const leg = legOf(input);
    const nextLeg = leg + 1;
    let p = await deps.projects.get(input.projectId);
    if (!p || p.run !== input.run || p.status !== 'RUNNING') throw new Fenced(p);
    if (currentLeg(p) === leg) {
      const name = legExecutionName(p.id, input.run, nextLeg);
      const carried = { action: input.work.action, ...(input.work.subtask ? { subtask: input.work.subtask } : {}), ...(input.work.step ? { step: input.work.step } : {}), outcome: 'WAITING' };
      const execution = { run: input.run, leg: nextLeg, arn: deps.orchestrator.executionId?.(name) ?? name, carried };
      const after = await runWrite(deps, p, input, [{ path: ['execution'], value: execution }]);
      if (!after) throw new Fenced(await deps.projects.get(input.projectId));
      p = after;
    } else if (currentLeg(p) !== nextLeg) {
      throw new Fenced(p);
    }
    await deps.orchestrator.startRun(p as ProjectRecord);
    return { projectId: input.projectId, run: input.run, work: { ...input.work, outcome: 'CONTINUED' }, ...(input.history ? { history: input.history } : {}) };
  });
}
