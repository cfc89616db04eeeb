/**
 * The side effects an operation has on the ports after its write commits, named once. Each names the
 * ports it uses: a deployed function gets a port's configuration and grants because one of its
 * operations has an effect on that port (infra/constructs/wiring.ts), and the runtime refuses to start a
 * function whose operations need a port it was not given (shared/runtime.ts). The behaviour of each
 * effect is in shared/usecases/effects.ts.
 */

/** Ports that a deployment configures per function (the table is every function's). */
export const SIDE_EFFECT_PORTS = ['orchestrator', 'engine', 'expiry'] as const;
export type SideEffectPort = (typeof SIDE_EFFECT_PORTS)[number];

export const EFFECTS = {
  /** Starts the execution of the run the write began; when it cannot start, the write is compensated (503). */
  'start-run': { ports: ['orchestrator'], problems: ['ORCHESTRATION_UNAVAILABLE'], summary: 'start the execution of the new run (undone, 503, when it cannot start)' },
  /** Stops the execution and pauses the jobs the pause caught running, recording their checkpoints. */
  'pause-run': { ports: ['orchestrator', 'engine'], problems: [], summary: 'stop the execution and pause its running jobs (checkpoints recorded)' },
  /** Stops the execution and every job for good (an expired pause). */
  'stop-run-and-jobs': { ports: ['orchestrator', 'engine'], problems: [], summary: 'stop the execution and every job for good' },
  /** Second half of a release: execution and jobs stopped, then RELEASED (else the reconciler finishes it). */
  'finish-release': { ports: ['orchestrator', 'engine'], problems: [], summary: 'stop the execution and every job, then RELEASED' },
  'stop-verification-job': { ports: ['engine'], problems: [], summary: 'stop the verification job' },
  /** Completes the task the execution waits on at the gate the operation opened. */
  'open-gate': { ports: ['orchestrator'], problems: [], summary: 'complete the task the execution waits on' },
  'schedule-pause-expiry': { ports: ['expiry'], problems: [], summary: 'schedule the pause expiry and its warning' },
  'cancel-pause-expiry': { ports: ['expiry'], problems: [], summary: 'delete the timers of the pause' },
} as const satisfies Record<string, { ports: readonly SideEffectPort[]; problems: readonly string[]; summary: string }>;

export type EffectName = keyof typeof EFFECTS;

/** The ports a list of effects uses. */
export function portsOfEffects(effects: readonly EffectName[]): SideEffectPort[] {
  return [...new Set(effects.flatMap((e) => EFFECTS[e].ports))];
}
