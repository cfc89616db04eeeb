import { expect, it } from 'vitest';
import type { JobSpec, MigrationEngine } from '../../shared/ports';

/**
 * The run fence every MigrationEngine keeps (issue 20's class of defect): an engine call carries the run
 * that asked for it, and a run that paused the job (or an older one) can no longer set it running. A
 * held-back execution step of run n must not resume a job that run n's pause stopped, even when that
 * pause found the job already paused (its resume had not reached the engine yet).
 */
export interface FenceSubject {
  engine: MigrationEngine;
  /** A job spec of one continuous subtask, with `run`. */
  spec: (run: number) => JobSpec;
  /** Lets the engine's own state machine move (DMS task states); a no-op where calls take effect at once. */
  settle: () => Promise<void>;
  /** A job started by run 1 and running. */
  started: () => Promise<void>;
  dispose?: () => Promise<void>;
}

export function engineFenceContract(make: () => Promise<FenceSubject>): void {
  const stateOf = async (s: FenceSubject, run: number) => {
    await s.settle();
    return (await s.engine.pollJob(s.spec(run)))?.state;
  };
  const withSubject = (name: string, body: (s: FenceSubject) => Promise<void>) =>
    it(name, async () => {
      const s = await make();
      try {
        await s.started();
        await body(s);
      } finally {
        await s.dispose?.();
      }
    });

  withSubject('observing a job (observeJob, what a function that may only look calls) answers the state a poll answers, running and paused', async (s) => {
    // Prepare
    const observe = (run: number) => s.engine.observeJob(s.spec(run));
    await s.settle();
    const running = (await observe(1))?.state;
    await s.engine.pauseJob(s.spec(1));
    await s.settle();

    // Act
    const paused = (await observe(1))?.state;

    // Assess
    expect(running).toBe('RUNNING');
    expect(paused).toBe('PAUSED');
    expect(await stateOf(s, 1)).toBe('PAUSED');
  });

  withSubject('a resume from the run that paused the job (a stale execution of that run) leaves it paused', async (s) => {
    // Act
    await s.engine.pauseJob(s.spec(1));
    await s.settle();
    await s.engine.resumeJob(s.spec(1));

    // Assess
    expect(await stateOf(s, 1)).toBe('PAUSED');
  });

  withSubject('a pause that finds the job already paused still holds it against its own run; only a newer run resumes it', async (s) => {
    // Prepare: run 1 paused the job; run 2's resume never reached the engine
    await s.engine.pauseJob(s.spec(1));
    await s.settle();

    // Act: run 2's pause lands on the paused job, then a held-back call of run 2 resumes it
    await s.engine.pauseJob(s.spec(2));
    await s.settle();
    await s.engine.resumeJob(s.spec(2));
    const afterStaleResume = await stateOf(s, 2);
    await s.engine.resumeJob(s.spec(3));

    // Assess
    expect(afterStaleResume).toBe('PAUSED');
    expect(await stateOf(s, 3)).toBe('RUNNING');
  });

  withSubject('a resume from a run older than the one that paused the job changes nothing', async (s) => {
    // Prepare: run 2 resumed the job, then paused it
    await s.engine.pauseJob(s.spec(1));
    await s.settle();
    await s.engine.resumeJob(s.spec(2));
    await s.settle();
    await s.engine.pauseJob(s.spec(2));
    await s.settle();

    // Act
    await s.engine.resumeJob(s.spec(1));

    // Assess
    expect(await stateOf(s, 2)).toBe('PAUSED');
  });

  withSubject('a pause naming a newer run than the job\'s (a step compensating a start the pause could not see) pauses it; only a run newer than that resumes it', async (s) => {
    // Act: run 1 started the job; a pause under run 2 lands on it; a call of run 2 tries to resume it
    await s.engine.pauseJob(s.spec(2));
    await s.settle();
    const paused = await stateOf(s, 2);
    await s.engine.resumeJob(s.spec(2));
    const afterSameRun = await stateOf(s, 2);
    await s.engine.resumeJob(s.spec(3));

    // Assess
    expect(paused).toBe('PAUSED');
    expect(afterSameRun).toBe('PAUSED');
    expect(await stateOf(s, 3)).toBe('RUNNING');
  });
}
