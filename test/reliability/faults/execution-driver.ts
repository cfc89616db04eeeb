import { isTransientError } from '../../../shared/domain/errors';
import type { Deps } from '../../../shared/usecases/deps';
import { awaitOperator, completeRun, pickNext, pollWork, recordFailure, startWork, type RunState, type Work } from '../../../shared/usecases/orchestration';
import type { SimulatedExecution, SimulatedOrchestrator } from './faulty-adapters';

/**
 * A SIMULATED Step Functions execution: plays the synthesized state machine's task order for one
 * execution of the SimulatedOrchestrator — Pick next work item → Start work item / Await operator /
 * Mark project completed, Poll work item after each Wait — with the same use cases the
 * orchestration-step Lambda calls, the same Retry (transient errors, 5 retries) and the same Catch
 * (Record run failure, then the execution fails). It stops at a Wait state (the job is still
 * running: poll later), at a waitForTaskToken task whose token is not completed yet, or at the end.
 */
const RETRIES = 5;

type Outcome = { ok: true; value: RunState } | { ok: false };

export class ExecutionDriver {
  /** Task invocations made (for the figures). */
  steps = 0;

  constructor(
    private readonly deps: () => Deps,
    private readonly orchestrator: SimulatedOrchestrator,
  ) {}

  /** Moves one execution as far as it goes without time passing; returns what it stopped at. */
  async drive(exec: SimulatedExecution, maxTasks = 40): Promise<'ENDED' | 'WAITING' | 'AWAITING'> {
    const input = { projectId: exec.projectId, run: exec.run };
    for (let i = 0; i < maxTasks; i++) {
      if (exec.status !== 'RUNNING') return 'ENDED';
      const pos = exec.position;
      if (pos.state === 'AWAIT') {
        if (!this.orchestrator.completedTokens.delete(pos.token)) return 'AWAITING';
        exec.position = { state: 'PICK' };
        continue;
      }
      if (pos.state === 'POLL') {
        const r = await this.task(exec, pos.work as unknown as Work, () => pollWork(this.deps(), { ...input, work: pos.work as unknown as Work }));
        if (!r.ok) return 'ENDED';
        const stop = this.afterWork(exec, r.value);
        if (stop) return stop;
        continue;
      }
      const picked = await this.task(exec, undefined, () => pickNext(this.deps(), input));
      if (!picked.ok) return 'ENDED';
      const work = picked.value.work;
      switch (work.action) {
        case 'RUN': {
          const r = await this.task(exec, work, () => startWork(this.deps(), { ...input, work }));
          if (!r.ok) return 'ENDED';
          const stop = this.afterWork(exec, r.value);
          if (stop) return stop;
          break;
        }
        case 'AWAIT': {
          const token = this.orchestrator.newToken(exec.name);
          exec.position = { state: 'AWAIT', token };
          const r = await this.task(exec, work, async () => {
            await awaitOperator(this.deps(), { ...input, work, taskToken: token });
            return picked.value;
          });
          if (!r.ok) return 'ENDED';
          break;
        }
        case 'COMPLETE': {
          const r = await this.task(exec, work, () => completeRun(this.deps(), input, 'orchestration'));
          if (r.ok) exec.status = 'SUCCEEDED';
          return 'ENDED';
        }
        default: // IDLE (continuous sync running) or FENCED: the execution succeeds
          exec.status = 'SUCCEEDED';
          return 'ENDED';
      }
    }
    return 'WAITING';
  }

  private afterWork(exec: SimulatedExecution, state: RunState): 'ENDED' | 'WAITING' | undefined {
    switch (state.work.outcome) {
      case 'WAITING':
        exec.position = { state: 'POLL', work: state.work as unknown as Record<string, unknown> };
        return 'WAITING';
      case 'DONE':
        exec.position = { state: 'PICK' };
        return undefined;
      case 'FAILED':
        exec.status = 'FAILED';
        return 'ENDED';
      default:
        exec.status = 'SUCCEEDED';
        return 'ENDED';
    }
  }

  /** One Task state: Retry on transient errors, then Catch → Record run failure → the execution fails. */
  private async task(exec: SimulatedExecution, work: Work | undefined, fn: () => Promise<RunState>): Promise<Outcome> {
    let error: Error | undefined;
    for (let attempt = 0; attempt <= RETRIES; attempt++) {
      if (exec.status !== 'RUNNING') return { ok: false }; // stopped meanwhile (StopExecution)
      this.steps++;
      try {
        return { ok: true, value: await fn() };
      } catch (e) {
        error = e as Error;
        if (!isTransientError(e)) break;
      }
    }
    let superseded = false;
    for (let attempt = 0; attempt <= RETRIES; attempt++) {
      if (exec.status !== 'RUNNING') return { ok: false };
      this.steps++;
      try {
        const recorded = await recordFailure(this.deps(), {
          projectId: exec.projectId,
          run: exec.run,
          ...(work ? { work } : {}),
          error: { Error: error?.name ?? 'Error', Cause: error?.message ?? '' },
        });
        superseded = recorded.work.outcome === 'FENCED';
        break;
      } catch (e) {
        if (!isTransientError(e)) break;
      }
    }
    // "Failure recorded?": a superseded run ends as such (Succeed), any other failure fails the execution.
    if (exec.status === 'RUNNING') exec.status = superseded ? 'SUCCEEDED' : 'FAILED';
    return { ok: false };
  }
}
