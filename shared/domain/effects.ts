/**
 * The side effects an operation has on the ports after its write commits, named once. Each names the
 * ports it uses: a deployed function gets a port's configuration and grants because one of its
 * operations has an effect on that port (infra/constructs/wiring.ts), and the runtime refuses to start a
 * function whose operations need a port it was not given (shared/runtime.ts). The behaviour of each
 * effect is in shared/usecases/effects.ts.
 */

/** Ports that a deployment configures per function (the table is every function's). */
export const SIDE_EFFECT_PORTS = ['orchestrator', 'engine', 'expiry', 'batchQueue'] as const;
export type SideEffectPort = (typeof SIDE_EFFECT_PORTS)[number];

/**
 * What an effect (or a system function's use case) does through a port, as finely as the grants differ:
 * the infrastructure grants each capability its own actions, the runtime builds the capability's port.
 */
export const CAPABILITIES = {
  /** Start an execution of the runs state machine. */
  'runs:start': { port: 'orchestrator' },
  /** Stop an execution, or ask whether one runs. */
  'runs:stop': { port: 'orchestrator' },
  /** Complete the task an execution waits on. */
  'runs:signal': { port: 'orchestrator' },
  /** Start, poll, pause, resume and stop engine jobs. */
  jobs: { port: 'engine' },
  /**
   * Only look at engine jobs: read the engine's notices and observe a job's status (observeJob), nothing
   * started, stopped, created or tagged. The runtime gives such a function an engine that refuses the rest.
   */
  'jobs:poll': { port: 'engine' },
  /**
   * Make and drop the engine's write-stop positions on the data sources' own databases (AWS DMS: the
   * logical replication slot of a reverse sync from PostgreSQL, at STOP_FORWARD_SYNC and at release):
   * the function connects to those databases with their secrets' credentials.
   */
  positions: { port: 'engine' },
  /** Create and delete pause timers. */
  timers: { port: 'expiry' },
  /** List every pause timer (the reconciler's sweep). */
  'timers:sweep': { port: 'expiry' },
  /** Put batch work on the batch queue (a large batch's expansion steps and its projects). */
  'batches:enqueue': { port: 'batchQueue' },
} as const satisfies Record<string, { port: SideEffectPort }>;
export type Capability = keyof typeof CAPABILITIES;

export const EFFECTS = {
  /** Starts the execution of the run the write began; when it cannot start, the write is compensated (503). */
  'start-run': { needs: ['runs:start'], problems: ['ORCHESTRATION_UNAVAILABLE'], summary: 'start the execution of the new run (undone, 503, when it cannot start)' },
  /** Stops the execution and pauses the jobs the pause caught running, recording their checkpoints. */
  'pause-run': { needs: ['runs:stop', 'jobs'], problems: [], summary: 'stop the execution and pause its running jobs (checkpoints recorded)' },
  /** Stops the execution and every job for good (an expired pause). */
  'stop-run-and-jobs': { needs: ['runs:stop', 'jobs'], problems: [], summary: 'stop the execution and every job for good' },
  /** Second half of a release: execution and jobs stopped, then RELEASED (else the reconciler finishes it). */
  'finish-release': { needs: ['runs:stop', 'jobs'], problems: [], summary: 'stop the execution and every job, then RELEASED' },
  'stop-verification-job': { needs: ['jobs'], problems: [], summary: 'stop the verification job' },
  /** Completes the task the execution waits on at the gate the operation opened. */
  'open-gate': { needs: ['runs:signal'], problems: [], summary: 'complete the task the execution waits on' },
  /** The engine's own work of the confirmed switchover step (PROCESS_DATABASE_OBJECTS: indexes, foreign keys, sequences); a failure fails the run. */
  'switchover-step-work': { needs: ['jobs'], problems: [], summary: "do the engine's work of the confirmed step (a failure fails the run)" },
  /** Runs the precheck in the project's engine and records its result (record-precheck). */
  'run-precheck': { needs: ['jobs'], problems: [], summary: 'run the precheck in the engine and record the result' },
  'schedule-pause-expiry': { needs: ['timers'], problems: [], summary: 'schedule the pause expiry and its warning' },
  'cancel-pause-expiry': { needs: ['timers'], problems: [], summary: 'delete the timers of the pause' },
  /** Pauses the jobs of the sources a per-source pause named (each part's checkpoint recorded). */
  'pause-source-jobs': { needs: ['jobs'], problems: [], summary: "pause the named sources' jobs (checkpoints recorded)" },
  /** Resumes the jobs of the sources a per-source resume named, from their checkpoints. */
  'resume-source-jobs': { needs: ['jobs'], problems: [], summary: "resume the named sources' jobs from their checkpoints" },
  'cancel-source-pause-expiry': { needs: ['timers'], problems: [], summary: "delete the timers of the named sources' pauses" },
} as const satisfies Record<string, { needs: readonly Capability[]; problems: readonly string[]; summary: string }>;

export type EffectName = keyof typeof EFFECTS;

/** The capabilities a list of effects needs. */
export function capabilitiesOfEffects(effects: readonly EffectName[]): Capability[] {
  return [...new Set(effects.flatMap((e) => EFFECTS[e].needs))];
}

/** The ports behind some capabilities. */
export function portsOf(capabilities: readonly Capability[]): SideEffectPort[] {
  return [...new Set(capabilities.map((c) => CAPABILITIES[c].port))];
}
