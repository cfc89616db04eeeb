
/**
 * The work of a run's execution, one use case per Lambda task of the state machine. The execution
 * carries only {projectId, run, work}; every decision is re-derived from the project item, and every
 * write is fenced on the run (ProjectStore.updateRun, or a transition with `run`), so an execution
 * that was paused, stopped or superseded can never change the project again: it learns so (FENCED)
 * and ends.
 */

export { type Work, type WorkAction, type WorkOutcome, type RunState, type StepInput } from './run/run-state';
export { pickNext, startWork, pollWork } from './run/work-items';
export { awaitOperator } from './run/operator-gates';
export { completeRun, recordFailure } from './run/run-end';
export { type ReconcileReport } from './reconcile';
export { reconcileRuns, reconcileShard } from './reconcile-shards';
