import { describe, expect, it } from 'vitest';
import { InMemorySimulatedJobStore, SimulatedJobRaced, SimulatedMigrationEngine } from '../../shared/adapters/engine/simulated-engine';
import { jobIdFor } from '../../shared/domain/orchestration';
import type { ProjectRecord } from '../../shared/domain/project';
import type { SubtaskType } from '../../shared/domain/subtasks';
import type { JobRef, JobSpec, MigrationEngine } from '../../shared/ports';
import { createDataSource } from '../../shared/usecases/data-sources';
import { applyOperation } from '../../shared/usecases/lifecycle';
import { pickNext, pollWork, reconcileRuns, startWork, type Work } from '../../shared/usecases/orchestration';
import { reconcilePauses } from '../../shared/usecases/reconcile';
import { createProject } from '../../shared/usecases/projects';
import { engineFenceContract } from '../support/engine-fence-contract';
import { memoryDeps } from '../support/memory-deps';

/**
 * Issue 20: an engine side effect is tied to the run that asked for it. A pause whose after-commit
 * pauseJob lands after a resume and the next run's claim of the job must leave the job running (the
 * engine refuses the outdated run), and a continuous job found PAUSED under a RUNNING subtask of the
 * current run is brought back to RUNNING by the background poll and by the run reconciler.
 */

const ctx = { actor: 'arn:aws:iam::123456789012:user/alice', requestId: 'req-1' };
const mt = { structureMigration: false, fullMigration: true, incrementalSync: true, fullVerification: true, reverseIncrementalSync: false };

/** A gate in front of the engine's pauseJob: calls wait until opened; `reached` resolves at the first call. */
function delayedPauses(inner: MigrationEngine) {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  let reach!: () => void;
  const reached = new Promise<void>((r) => (reach = r));
  const calls: JobRef[] = [];
  const engine: MigrationEngine = {
    startJob: (s) => inner.startJob(s),
    pollJob: (j) => inner.pollJob(j),
    observeJob: (j) => inner.observeJob(j),
    resumeJob: (j, cp) => inner.resumeJob(j, cp),
    stopJob: (j) => inner.stopJob(j),
    pauseJob: async (j) => {
      calls.push(j);
      reach();
      await opened;
      return inner.pauseJob(j);
    },
  };
  return { engine, open, reached, calls };
}

async function prepare() {
  const deps = memoryDeps();
  const simulated = deps.engine as SimulatedMigrationEngine;
  const src = await createDataSource(deps, { name: 'src', engine: 'mysql', host: 'h', port: 3306, username: 'u' });
  const dst = await createDataSource(deps, { name: 'dst', engine: 'tidb', host: 'h', port: 4000, username: 'u' });
  const p = await createProject(deps, { name: 'fence', sourceId: src.id, destinationId: dst.id, migrationType: mt }, ctx);
  /** Plays the execution of `run` until it waits (a job to poll, an operator) or ends. */
  const drive = async (run: number) => {
    for (let i = 0; i < 20; i++) {
      const next = await pickNext(deps, { projectId: p.id, run });
      if (next.work.action !== 'RUN') return next.work;
      const out = await startWork(deps, { projectId: p.id, run, work: next.work });
      if (out.work.outcome !== 'DONE') return out.work;
    }
    throw new Error('the run did not settle');
  };
  const project = async () => (await deps.projects.get(p.id)) as ProjectRecord;
  const job = (type: SubtaskType) => simulated.pollJob({ jobId: jobIdFor(p.id, type) });
  const status = async (type: SubtaskType) => (await project()).subtasks.find((s) => s.type === type)?.status;
  /** Run 1 under way: full migration done, the incremental sync in the background, the verification running. */
  const startedToVerification = async () => {
    await applyOperation(deps, { operation: 'start', projectId: p.id, ctx });
    const waiting = (await drive(1)) as Work;
    deps.clock.advance(600_000);
    expect((await pollWork(deps, { projectId: p.id, run: 1, work: waiting })).work.outcome).toBe('DONE');
    expect(await drive(1)).toMatchObject({ action: 'RUN', subtask: 'FULL_VERIFICATION', outcome: 'WAITING' });
    expect(await status('INCREMENTAL_SYNC')).toBe('RUNNING');
  };
  return { deps, simulated, id: p.id, drive, project, job, status, startedToVerification };
}

describe('engine side effects fenced by run', () => {
  it('a pause whose pauseJob lands after a resume and the next run reclaimed the sync leaves the sync RUNNING (failed before the fix: PAUSED)', async () => {
    // Prepare: run 1 at the verification, the sync in the background; the pause's engine calls held back
    const { deps, id, drive, project, job, status, startedToVerification } = await prepare();
    await startedToVerification();
    const gate = delayedPauses(deps.engine);
    deps.engine = gate.engine;

    // Act: pause (its pauseJob waits), resume, run 2 reclaims the sync and the verification, then the late pauseJob lands
    const pausing = applyOperation(deps, { operation: 'pause', projectId: id, ctx });
    await gate.reached;
    const resumed = await applyOperation(deps, { operation: 'resume', projectId: id, ctx });
    const run2 = await drive(2);
    gate.open();
    await pausing;

    // Assess: the project and the engine agree: run 2 RUNNING, the sync and the verification jobs RUNNING
    expect(resumed).toMatchObject({ status: 'RUNNING', run: 2 });
    expect(run2).toMatchObject({ subtask: 'FULL_VERIFICATION', outcome: 'WAITING' });
    expect(gate.calls.map((c) => [c.subtask, c.run])).toEqual([
      ['INCREMENTAL_SYNC', 1],
      ['FULL_VERIFICATION', 1],
    ]);
    expect(await project()).toMatchObject({ status: 'RUNNING', run: 2 });
    expect(await status('INCREMENTAL_SYNC')).toBe('RUNNING');
    expect((await job('INCREMENTAL_SYNC'))?.state).toBe('RUNNING');
    expect((await job('FULL_VERIFICATION'))?.state).toBe('RUNNING');
  });

  it('a pause whose pauseJob lands after the resume but before the next run claims the sync is undone by that claim', async () => {
    // Prepare
    const { deps, id, drive, job, status, startedToVerification } = await prepare();
    await startedToVerification();
    const gate = delayedPauses(deps.engine);
    deps.engine = gate.engine;

    // Act: the late pause lands between the resume and run 2's first steps (the job was still run 1's)
    const pausing = applyOperation(deps, { operation: 'pause', projectId: id, ctx });
    await gate.reached;
    await applyOperation(deps, { operation: 'resume', projectId: id, ctx });
    gate.open();
    await pausing;
    const pausedMeanwhile = (await job('INCREMENTAL_SYNC'))?.state;
    await drive(2);

    // Assess
    expect(pausedMeanwhile).toBe('PAUSED');
    expect(await status('INCREMENTAL_SYNC')).toBe('RUNNING');
    expect((await job('INCREMENTAL_SYNC'))?.state).toBe('RUNNING');
  });

  it('a pause that commits while the run is starting the sync (its pauseJob found no job yet) leaves the sync paused, not running (failed before the fix: RUNNING)', async () => {
    // Prepare: run 1 at the end of its full migration; the engine's startJob held back at a gate
    const { deps, id, drive, project, job } = await prepare();
    await applyOperation(deps, { operation: 'start', projectId: id, ctx });
    const waiting = (await drive(1)) as Work;
    deps.clock.advance(600_000);
    expect((await pollWork(deps, { projectId: id, run: 1, work: waiting })).work.outcome).toBe('DONE');
    const next = await pickNext(deps, { projectId: id, run: 1 });
    expect(next.work).toMatchObject({ action: 'RUN', subtask: 'INCREMENTAL_SYNC' });
    const inner = deps.engine;
    let open!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    let reach!: () => void;
    const reached = new Promise<void>((r) => (reach = r));
    deps.engine = { ...inner, pollJob: (j) => inner.pollJob(j), pauseJob: (j) => inner.pauseJob(j), resumeJob: (j, c) => inner.resumeJob(j, c), stopJob: (j) => inner.stopJob(j), startJob: async (spec) => (reach(), await opened, inner.startJob(spec)) };

    // Act: the run claims the sync and calls startJob; the pause commits (its pauseJob finds no job); then startJob lands
    const starting = startWork(deps, { projectId: id, run: 1, work: next.work });
    await reached;
    const paused = await applyOperation(deps, { operation: 'pause', projectId: id, ctx });
    const beforeStart = await job('INCREMENTAL_SYNC');
    open();
    const out = await starting;

    // Assess: the step learned it lost the project and paused the job it had started
    expect(paused).toMatchObject({ status: 'PAUSED', run: 1 });
    expect(beforeStart).toBeUndefined();
    expect(out.work.action).toBe('FENCED');
    expect((await project()).subtasks.find((s) => s.type === 'INCREMENTAL_SYNC')?.status).toBe('PAUSED');
    expect((await job('INCREMENTAL_SYNC'))?.state).toBe('PAUSED');
  });

  it('the simulated engine leaves a job claimed by a newer run as it is when an older run pauses or stops it, and obeys the newer run', async () => {
    // Prepare: a job started by run 1, claimed (resumed) by run 3
    const { simulated } = await prepare();
    const ref = (run?: number) => ({ jobId: 'p9.INCREMENTAL_SYNC', projectId: 'p9', subtask: 'INCREMENTAL_SYNC' as const, ...(run !== undefined ? { run } : {}) });
    await simulated.startJob(ref(1));
    await simulated.pauseJob(ref(1));
    await simulated.resumeJob(ref(3));

    // Act
    const stalePause = await simulated.pauseJob(ref(2));
    const staleStop = await simulated.stopJob(ref(1));
    const staleResume = await simulated.resumeJob(ref(2));
    const stored = await simulated.store.get('p9.INCREMENTAL_SYNC');
    const currentPause = await simulated.pauseJob(ref(3));

    // Assess
    expect(stalePause?.state).toBe('RUNNING');
    expect(staleStop?.state).toBe('RUNNING');
    expect(staleResume.state).toBe('RUNNING');
    expect(stored).toMatchObject({ state: 'RUNNING', run: 3 });
    expect(stored?.segments).toHaveLength(2);
    expect(currentPause?.state).toBe('PAUSED');
  });

  it('a job paused or stopped by run n is resumed only by a newer run (a stale execution of run n cannot restart it)', async () => {
    // Prepare: started and paused by run 2
    const { simulated } = await prepare();
    const ref = (run: number) => ({ jobId: 'p8.FULL_MIGRATION', projectId: 'p8', subtask: 'FULL_MIGRATION' as const, run });
    await simulated.startJob(ref(2));
    await simulated.pauseJob(ref(2));

    // Act
    const sameRun = await simulated.resumeJob(ref(2));
    const nextRun = await simulated.resumeJob(ref(3));

    // Assess
    expect(sameRun.state).toBe('PAUSED');
    expect(nextRun.state).toBe('RUNNING');
    expect(await simulated.store.get('p8.FULL_MIGRATION')).toMatchObject({ run: 3, state: 'RUNNING' });
  });

  it('the in-memory job store refuses a put that would replace a newer run\'s job (the engine reads again)', async () => {
    // Prepare
    const store = new InMemorySimulatedJobStore();
    const job = { jobId: 'j', projectId: 'p', subtask: 'INCREMENTAL_SYNC' as const, state: 'RUNNING' as const, doneMs: 0, segments: [], run: 4 };
    await store.put(job);

    // Act
    const older = store.put({ ...job, state: 'PAUSED', run: 3 }).catch((e: unknown) => e);
    const runless = store.put({ ...job, state: 'PAUSED', run: undefined }).catch((e: unknown) => e);

    // Assess
    expect(await older).toBeInstanceOf(SimulatedJobRaced);
    expect(await runless).toBeInstanceOf(SimulatedJobRaced);
    expect((await store.get('j'))?.state).toBe('RUNNING');
  });

  it('a continuous job found PAUSED under a RUNNING subtask of the current run is resumed by the background poll', async () => {
    // Prepare: something outside the run (an outdated caller that names no run) paused the sync
    const { deps, simulated, id, job, startedToVerification } = await prepare();
    await startedToVerification();
    await simulated.pauseJob({ jobId: jobIdFor(id, 'INCREMENTAL_SYNC') });
    const pausedBefore = (await job('INCREMENTAL_SYNC'))?.state;

    // Act: run 1 polls its verification (and the sync in the background)
    deps.clock.advance(1_000);
    await pollWork(deps, { projectId: id, run: 1, work: { action: 'RUN', subtask: 'FULL_VERIFICATION' } });

    // Assess
    expect(pausedBefore).toBe('PAUSED');
    expect((await job('INCREMENTAL_SYNC'))?.state).toBe('RUNNING');
    expect((await simulated.store.get(jobIdFor(id, 'INCREMENTAL_SYNC')))?.run).toBe(1);
  });

  it('a continuous job found PAUSED under a RUNNING subtask is resumed by the run reconciler (the run waits for an operator)', async () => {
    // Prepare: run 1 finished the verification and waits at the switchover entry; the sync was paused behind its back
    const { deps, simulated, id, drive, job, startedToVerification } = await prepare();
    await startedToVerification();
    deps.clock.advance(300_000);
    await pollWork(deps, { projectId: id, run: 1, work: { action: 'RUN', subtask: 'FULL_VERIFICATION' } });
    expect(await drive(1)).toMatchObject({ action: 'AWAIT', gate: 'SWITCHOVER_ENTRY' });
    await simulated.pauseJob({ jobId: jobIdFor(id, 'INCREMENTAL_SYNC') });

    // Act
    const report = await reconcileRuns(deps, { graceMs: 3_600_000 });

    // Assess
    expect(report.errors).toEqual([]);
    expect((await job('INCREMENTAL_SYNC'))?.state).toBe('RUNNING');
  });

  it('the pause reconciler pauses the job a lost pauseJob left running, but not the jobs of a resume its stale PAUSED listing does not show', async () => {
    // Prepare: a pause whose pauseJob calls failed (after the commit: the pause stands), listed by a lagging index
    const { deps, id, drive, job, startedToVerification } = await prepare();
    await startedToVerification();
    const engine = deps.engine;
    deps.engine = {
      startJob: (s) => engine.startJob(s),
      pollJob: (j) => engine.pollJob(j),
      observeJob: (j) => engine.observeJob(j),
      resumeJob: (j, c) => engine.resumeJob(j, c),
      stopJob: (j) => engine.stopJob(j),
      pauseJob: async () => {
        throw new Error('engine unavailable');
      },
    };
    const paused = (await applyOperation(deps, { operation: 'pause', projectId: id, ctx })) as ProjectRecord;
    deps.engine = engine;
    const runningUnderPause = (await job('INCREMENTAL_SYNC'))?.state;
    const projects = deps.projects;
    deps.projects = Object.create(projects) as typeof projects;
    deps.projects.list = async (q) => (q.status === 'PAUSED' ? { items: [paused] } : projects.list(q));

    // Act: the sweep enforces the pause; later, after a resume whose run claimed the jobs, the same stale listing changes nothing
    const first = await reconcilePauses(deps);
    const pausedBySweep = [(await job('INCREMENTAL_SYNC'))?.state, (await job('FULL_VERIFICATION'))?.state];
    await applyOperation(deps, { operation: 'resume', projectId: id, ctx });
    await drive(2);
    const second = await reconcilePauses(deps);

    // Assess
    expect(runningUnderPause).toBe('RUNNING');
    expect(first.jobsPaused).toEqual([{ projectId: id, subtasks: ['INCREMENTAL_SYNC', 'FULL_VERIFICATION'] }]);
    expect(pausedBySweep).toEqual(['PAUSED', 'PAUSED']);
    expect(second.jobsPaused).toEqual([]);
    expect((await job('INCREMENTAL_SYNC'))?.state).toBe('RUNNING');
    expect((await job('FULL_VERIFICATION'))?.state).toBe('RUNNING');
  });
});

describe('simulated engine: the run fence of the engine port', () => {
  engineFenceContract(async () => {
    const engine = new SimulatedMigrationEngine({ store: new InMemorySimulatedJobStore(), now: () => Date.parse('2026-05-01T09:00:00Z') });
    const spec = (run: number): JobSpec => ({ jobId: 'p1.INCREMENTAL_SYNC', projectId: 'p1', subtask: 'INCREMENTAL_SYNC', engine: 'simulated', sourceIds: ['s'], destinationId: 'd', run, tables: null, migrationType: mt });
    return { engine, spec, settle: async () => {}, started: async () => void (await engine.startJob(spec(1))) };
  });
});
