import { capabilitiesOfEffects, portsOf, type Capability, type SideEffectPort } from './domain/effects';
import { BATCH_OPERATIONS, ruleFor, type Operation } from './domain/transitions';
import { ROUTES } from './api/routes';

/**
 * What each deployed function needs besides the table, derived from the operation records: an API
 * function needs what the effects of its routes' operations need; a system function what the
 * operations and use cases it runs need. The infrastructure gives each function exactly these
 * (infra/constructs/control-plane.ts), the runtime refuses to start one whose ports are missing
 * (shared/runtime.ts), and a test checks both against the synthesized template.
 */

/** Functions that serve no route: the operations they apply and what their own use cases do on the ports. */
export const SYSTEM_FUNCTIONS: Record<string, { operations: readonly Operation[]; uses: readonly Capability[]; summary: string }> = {
  'orchestration-step': {
    operations: ['complete', 'fail'],
    // Runs jobs; completes its own task when the operator answered first; continues a run as a new execution before its history limit.
    // Makes the reverse sync's write-stop position at STOP_FORWARD_SYNC (and drops it when a compensation stops the jobs).
    uses: ['jobs', 'positions', 'runs:signal', 'runs:start'],
    summary: "The state machine's tasks: pick, start and poll work items, await operators, complete or fail the run.",
  },
  'orchestration-reconciler': {
    operations: ['restart-run', 'complete-release'],
    // Restarts runs whose execution is gone, finishes releases, sweeps pause timers, pauses jobs left running,
    // re-drives stalled large batches (a message on the batch queue).
    // Finishes releases, so drops the write-stop positions a release left (a function without 'positions' leaves the release to it).
    uses: ['runs:start', 'runs:stop', 'runs:signal', 'jobs', 'positions', 'timers', 'timers:sweep', 'batches:enqueue'],
    summary: 'Every 5 minutes: repairs runs, releases and pauses that a failure left behind.',
  },
  'batch-worker': {
    // Applies a large batch's operation to its projects, as the batch route does for a small one.
    operations: BATCH_OPERATIONS,
    // Expands a selector batch page by page onto the queue it consumes.
    uses: ['batches:enqueue'],
    summary: 'The batch queue: expands large batches and applies their operation to each project, exactly once.',
  },
  'pause-timer': { operations: ['expire-pause', 'warn-pause-expiring'], uses: [], summary: 'Fired by the pause timers.' },
  'engine-notices': {
    operations: ['fail'],
    // Observes the failed job's run (the engine's answer decides, not the notice): it only looks at jobs, never acts
    // on one; ends an operator wait of the run it failed.
    uses: ['jobs:poll', 'runs:signal'],
    summary: "The engine's own notices on the bus (AWS DMS task state changes): a failed job fails its run now, not at the next poll.",
  },
  'publish-domain-events': { operations: [], uses: [], summary: 'The table stream to the bus; raises alerts.' },
  'project-status-metrics': { operations: [], uses: [], summary: 'Project counts by status as metrics.' },
};

/** What API functions do on the ports outside operation records (their use cases). */
export const API_FUNCTION_USES: Record<string, readonly Capability[]> = {
  // Chooses the project's engine from the engines this deployment serves, and runs its precheck there.
  'create-project': ['jobs'],
  // Connects to the data source through the engine that would run its jobs.
  'test-data-source-connection': ['jobs'],
  // A batch above the threshold is accepted and its first expansion step enqueued.
  'batch-operations': ['batches:enqueue'],
};

/** The operations a function applies: its routes' (API) or its own (system). */
export function operationsOf(fn: string): Operation[] {
  const system = SYSTEM_FUNCTIONS[fn];
  if (system) return [...system.operations];
  return [...new Set(ROUTES.filter((r) => r.fn === fn).flatMap((r) => r.operations))];
}

/** Everything a function does through the side-effect ports. */
export function capabilitiesOf(fn: string): Capability[] {
  const fromOperations = capabilitiesOfEffects(operationsOf(fn).flatMap((op) => ruleFor(op).effects ?? []));
  return [...new Set([...fromOperations, ...(SYSTEM_FUNCTIONS[fn]?.uses ?? []), ...(API_FUNCTION_USES[fn] ?? [])])];
}

/** Whether a function runs or observes engine jobs: its handler imports the deployed engines (shared/deployed-engines.ts). */
export function reachesEngineJobs(fn: string): boolean {
  return capabilitiesOf(fn).some((c) => c === 'jobs' || c === 'jobs:poll' || c === 'positions');
}

/** The side-effect ports a function needs configured. */
export function portsNeededBy(fn: string): SideEffectPort[] {
  return portsOf(capabilitiesOf(fn));
}

/** Every function folder that is deployed. */
export function knownFunction(fn: string): boolean {
  return SYSTEM_FUNCTIONS[fn] !== undefined || ROUTES.some((r) => r.fn === fn);
}
