import { describe, expect, it } from 'vitest';
import { SimulatedMigrationEngine } from '../../shared/adapters/engine/simulated-engine';

/** The SIMULATED engine on a hand-moved clock: 1 ms of clock = 1 simulated ms × timeScale. */
function prepare(timeScale = 10) {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const engine = new SimulatedMigrationEngine({ timeScale, now: () => now });
  return { engine, advance: (ms: number) => (now += ms) };
}

const spec = (subtask: 'FULL_MIGRATION' | 'INCREMENTAL_SYNC' | 'STRUCTURE_MIGRATION') => ({ jobId: `p1.${subtask}`, projectId: 'p1', subtask });

describe('simulated migration engine', () => {
  it('a job progresses with the clock times the time scale and succeeds at 100 %', async () => {
    // Prepare: a full migration is 600 simulated seconds = 60 s of clock at 10×
    const { engine, advance } = prepare();

    // Act
    const started = await engine.startJob(spec('FULL_MIGRATION'));
    advance(15_000);
    const quarter = await engine.pollJob({ jobId: 'p1.FULL_MIGRATION' });
    advance(45_000);
    const done = await engine.pollJob({ jobId: 'p1.FULL_MIGRATION' });

    // Assess
    expect(started).toMatchObject({ state: 'RUNNING', progress: { percent: 0 } });
    expect(quarter).toMatchObject({ state: 'RUNNING', progress: { percent: 25, rows: 3_000_000, rowsTotal: 12_000_000 }, checkpoint: 'simulated:150000' });
    expect(done).toMatchObject({ state: 'SUCCEEDED', progress: { percent: 100 } });
  });

  it('pause keeps the checkpoint and stops progress; resume continues from it; startJob on an existing job changes nothing', async () => {
    // Prepare
    const { engine, advance } = prepare();
    await engine.startJob(spec('FULL_MIGRATION'));
    advance(30_000);

    // Act
    const paused = await engine.pauseJob({ jobId: 'p1.FULL_MIGRATION' });
    advance(60_000);
    const stillPaused = await engine.pollJob({ jobId: 'p1.FULL_MIGRATION' });
    const again = await engine.startJob(spec('FULL_MIGRATION'));
    await engine.resumeJob({ jobId: 'p1.FULL_MIGRATION' }, paused?.checkpoint);
    advance(30_000);
    const done = await engine.pollJob({ jobId: 'p1.FULL_MIGRATION' });

    // Assess
    expect(paused).toMatchObject({ state: 'PAUSED', progress: { percent: 50 }, checkpoint: 'simulated:300000' });
    expect(stillPaused).toMatchObject({ state: 'PAUSED', progress: { percent: 50 } });
    expect(again.state).toBe('PAUSED');
    expect(done?.state).toBe('SUCCEEDED');
    expect((await engine.store.get('p1.FULL_MIGRATION'))?.segments.map((s) => s.fromPercent)).toEqual([0, 50]);
  });

  it('an injected failure fails the job once at its percent; a resume retries from there and succeeds', async () => {
    // Prepare
    const { engine, advance } = prepare();
    await engine.injectFailure({ projectId: 'p1', subtask: 'STRUCTURE_MIGRATION', atPercent: 40, message: 'lost connection' });
    await engine.startJob(spec('STRUCTURE_MIGRATION'));
    const other = await engine.startJob({ jobId: 'p2.STRUCTURE_MIGRATION', projectId: 'p2', subtask: 'STRUCTURE_MIGRATION' });

    // Act
    advance(5_000); // 50 simulated seconds of 60
    const failed = await engine.pollJob({ jobId: 'p1.STRUCTURE_MIGRATION' });
    const unaffected = await engine.pollJob({ jobId: 'p2.STRUCTURE_MIGRATION' });
    await engine.resumeJob({ jobId: 'p1.STRUCTURE_MIGRATION' }, failed?.checkpoint);
    advance(6_000);
    const retried = await engine.pollJob({ jobId: 'p1.STRUCTURE_MIGRATION' });

    // Assess
    expect(other.state).toBe('RUNNING');
    expect(failed).toMatchObject({ state: 'FAILED', progress: { percent: 40 }, error: { code: 'SIMULATED_FAILURE', message: 'lost connection' } });
    expect(unaffected?.state).toBe('RUNNING');
    expect(retried?.state).toBe('SUCCEEDED');
  });

  it('a continuous job runs until stopped: it catches up (lag 0) and a stop ends it as SUCCEEDED', async () => {
    // Prepare
    const { engine, advance } = prepare();
    await engine.startJob(spec('INCREMENTAL_SYNC'));

    // Act
    advance(6_000);
    const catchingUp = await engine.pollJob({ jobId: 'p1.INCREMENTAL_SYNC' });
    advance(600_000);
    const caughtUp = await engine.pollJob({ jobId: 'p1.INCREMENTAL_SYNC' });
    const stopped = await engine.stopJob({ jobId: 'p1.INCREMENTAL_SYNC' });

    // Assess
    expect(catchingUp).toMatchObject({ state: 'RUNNING', caughtUp: false, progress: { lagSeconds: 60 } });
    expect(caughtUp).toMatchObject({ state: 'RUNNING', caughtUp: true, progress: { lagSeconds: 0 } });
    expect(stopped?.state).toBe('SUCCEEDED');
    expect(await engine.pollJob({ jobId: 'unknown' })).toBeUndefined();
  });
});
