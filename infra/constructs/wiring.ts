import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Capability } from '../../shared/domain/effects';
import { capabilitiesOf } from '../../shared/wiring';
import type { BatchQueue } from './batch-queue';
import type { Orchestration } from './orchestrator';
import type { PauseTimers, PauseTimersProps } from './pause-timers';

/** How the deployment runs engine jobs: the engine kinds it serves, and what a function that runs jobs needs. */
export interface EngineWiring {
  /** Kinds in MIGRATION_ENGINES (shared/runtime.ts builds them). */
  readonly kinds: readonly string[];
  /** Extra environment and grants of a function that runs jobs (e.g. the simulated engine's time scale, DMS grants). */
  grant(fn: NodejsFunction): void;
  /** What a function that only observes jobs needs (capability jobs:poll): the reads of a poll, nothing that acts on a job. */
  grantPoll(fn: NodejsFunction): void;
  /** What a function that makes or drops write-stop positions needs besides (DMS: the databases' network and secrets); absent: nothing. */
  grantPositions?(fn: NodejsFunction): void;
}

export interface WiringTargets {
  readonly orchestration: Orchestration;
  readonly pauseTimers: PauseTimers;
  readonly timerProps: PauseTimersProps;
  readonly engine: EngineWiring;
  readonly batchQueue: BatchQueue;
}

/**
 * Gives every function exactly what its operations need (shared/wiring.ts): each capability its
 * environment and its grants. Never by function name: a function gets the state machine because one of
 * its operations has a run effect.
 */
export function wireFunctions(functions: Record<string, NodejsFunction>, targets: WiringTargets): void {
  for (const [fn, fun] of Object.entries(functions)) {
    for (const capability of capabilitiesOf(fn)) grantCapability(fun, capability, targets);
  }
}

function grantCapability(fun: NodejsFunction, capability: Capability, t: WiringTargets): void {
  switch (capability) {
    case 'runs:start':
    case 'runs:stop':
    case 'runs:signal':
      return t.orchestration.grantRuns(fun, capability);
    case 'jobs':
    case 'jobs:poll':
      fun.addEnvironment('MIGRATION_ENGINES', t.engine.kinds.join(','));
      return capability === 'jobs' ? t.engine.grant(fun) : t.engine.grantPoll(fun);
    case 'positions':
      return t.engine.grantPositions?.(fun);
    case 'timers':
      return t.pauseTimers.grantManage(fun, t.timerProps);
    case 'timers:sweep':
      return t.pauseTimers.grantSweep(fun, t.timerProps);
    case 'batches:enqueue':
      return t.batchQueue.grantEnqueue(fun);
  }
}
