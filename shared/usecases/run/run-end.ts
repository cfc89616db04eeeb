import { isoAt } from '../../domain/clock';
import { DomainError } from '../../domain/errors';
import type { Deps } from '../deps';
import { writeTransition } from '../lifecycle';
import { failed, failRun, fenceAware, load, SYSTEM, fencedState, type RunState, type StepInput } from './run-state';

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

