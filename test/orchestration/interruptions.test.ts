import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler as orchestrationStep } from '../../functions/orchestration-step/handler';
import { call, createProject } from '../support/harness';
import { getProject, NO_COMPONENTS, post, running, statuses, subtask, useRunFixture, waitForProject, type ProjectBody } from '../support/orchestration';

/**
 * Runs interrupted (pause, failure, stale executions, StartExecution failures) on DynamoDB Local: the state machine `cdk synth` produces, executed by aws-local-stepfunctions,
 * every task calling the orchestration-step handler module, the simulated engine 400× faster than real time
 * (a full migration of 10 simulated minutes takes 1.5 s).
 */
const ctx = { awsRequestId: 'test' } as Context;
const none = NO_COMPONENTS;
const { fixture, engine, jobOf, events, execution, started } = useRunFixture('runs', 400);

describe('pause and resume', () => {
  it('pause during full migration aborts the execution and pauses the job; resume continues from the checkpoint', async () => {
    // Prepare
    const id = await started({ structureMigration: true, fullMigration: true });
    await waitForProject(id, running('FULL_MIGRATION', 20), 'full migration at 20 %');

    // Act
    const paused = await post(`/projects/${id}/pause`);
    const pausedJob = await jobOf(id, 'FULL_MIGRATION');
    const resumed = await post(`/projects/${id}/resume`);
    const done = await waitForProject(id, (p) => p.status === 'COMPLETED', 'COMPLETED');

    // Assess
    expect(paused.status).toBe(200);
    expect(execution(id, 1)?.status).toBe('ABORTED');
    expect(pausedJob?.state).toBe('PAUSED');
    const view = await call('GET', `/projects/${id}/events`);
    expect(view.status).toBe(200);
    expect(subtask(paused.body, 'FULL_MIGRATION').status).toBe('PAUSED');
    expect(resumed.body).toMatchObject({ status: 'RUNNING', run: 2 });
    expect(execution(id, 2)).toBeDefined();
    expect(statuses(done)).toEqual({ STRUCTURE_MIGRATION: 'SUCCEEDED', FULL_MIGRATION: 'SUCCEEDED' });
    const job = await jobOf(id, 'FULL_MIGRATION');
    // One job, two segments: the second starts where the pause left it, not from zero.
    expect(job?.segments).toHaveLength(2);
    expect(job?.segments[1]?.fromPercent).toBeGreaterThanOrEqual(20);
    expect((await jobOf(id, 'STRUCTURE_MIGRATION'))?.segments).toHaveLength(1);
  });

  it('pause during incremental sync pauses the continuous job too; resume restarts it and goes on', async () => {
    // Prepare
    const id = await started({ fullMigration: true, incrementalSync: true, fullVerification: true });
    await waitForProject(id, (p) => subtask(p, 'INCREMENTAL_SYNC').status === 'RUNNING' && running('FULL_VERIFICATION')(p), 'sync in background, verifying');

    // Act
    const paused = await post(`/projects/${id}/pause`);
    const jobsWhenPaused = [(await jobOf(id, 'INCREMENTAL_SYNC'))?.state, (await jobOf(id, 'FULL_VERIFICATION'))?.state];
    await post(`/projects/${id}/resume`);
    const after = await waitForProject(id, (p) => p.awaiting === 'SWITCHOVER_ENTRY', 'verification done, waiting for the switchover');

    // Assess
    expect(statuses(paused.body)).toMatchObject({ FULL_MIGRATION: 'SUCCEEDED', INCREMENTAL_SYNC: 'PAUSED', FULL_VERIFICATION: 'PAUSED' });
    expect(jobsWhenPaused).toEqual(['PAUSED', 'PAUSED']);
    expect(subtask(paused.body, 'INCREMENTAL_SYNC').checkpoint).toMatch(/^simulated:\d+$/);
    expect(statuses(after)).toMatchObject({ INCREMENTAL_SYNC: 'RUNNING', FULL_VERIFICATION: 'SUCCEEDED', FORWARD_SWITCHOVER: 'PENDING' });
    expect(after).toMatchObject({ currentStage: 'FORWARD_SWITCHOVER', allowedActions: expect.arrayContaining(['enter-forward-switchover']) });
    expect(after.taskToken).toBeUndefined(); // never shown
    expect((await jobOf(id, 'INCREMENTAL_SYNC'))?.state).toBe('RUNNING');
    await post(`/projects/${id}/pause`);
  });
});

describe('failure', () => {
  it('an engine failure marks the subtask and the project FAILED; resume retries it from its checkpoint to COMPLETED', async () => {
    // Prepare
    const p = await createProject(fixture.ds, { migrationType: { ...none, structureMigration: true, fullMigration: true } });
    await engine().injectFailure({ projectId: p.id, subtask: 'FULL_MIGRATION', atPercent: 40, message: 'disk full on the destination' });

    // Act
    await post(`/projects/${p.id}/start`);
    const failed = await waitForProject(p.id, (x) => x.status === 'FAILED', 'FAILED');
    const resumed = await post(`/projects/${p.id}/resume`);
    const done = await waitForProject(p.id, (x) => x.status === 'COMPLETED', 'COMPLETED');

    // Assess
    expect(subtask(failed, 'FULL_MIGRATION')).toMatchObject({ status: 'FAILED', lastError: { code: 'SIMULATED_FAILURE', message: 'disk full on the destination' } });
    expect(failed.allowedActions).toEqual(expect.arrayContaining(['resume', 'release']));
    expect(resumed.status).toBe(200);
    expect(subtask(done, 'FULL_MIGRATION').status).toBe('SUCCEEDED');
    expect(subtask(done, 'FULL_MIGRATION').lastError).toBeUndefined();
    expect((await jobOf(p.id, 'FULL_MIGRATION'))?.segments.map((s) => s.fromPercent)).toEqual([0, 40]);
    const trail = await events(p.id);
    expect(trail.map((e) => e.operation)).toEqual(['create', 'start', 'fail', 'resume', 'complete']);
    expect(trail[2]).toMatchObject({ actor: 'system', from: 'RUNNING', to: 'FAILED', detail: { subtask: 'FULL_MIGRATION', run: 1 } });
    await execution(p.id, 1)?.done;
    expect(execution(p.id, 1)?.history.at(-1)).toBe('Subtask failed');
  });

  it('a task that keeps failing is caught: "Record run failure" marks the project FAILED', async () => {
    // Prepare: the engine refuses every call for this project (a permanent error, not transient)
    const id = (await createProject(fixture.ds, { migrationType: { ...none, structureMigration: true } })).id;
    const realStart = engine().startJob.bind(engine());
    engine().startJob = async (spec) => {
      if (spec.projectId === id) throw Object.assign(new Error('engine rejected the job spec'), { name: 'EngineRejected' });
      return realStart(spec);
    };

    try {
      // Act
      await post(`/projects/${id}/start`);
      const failed = await waitForProject(id, (x) => x.status === 'FAILED', 'FAILED');

      // Assess
      expect(subtask(failed, 'STRUCTURE_MIGRATION')).toMatchObject({ status: 'FAILED', lastError: { code: 'EngineRejected' } });
      await execution(id, 1)?.done;
      expect(execution(id, 1)?.history.slice(-3)).toEqual(['Record run failure', 'Failure recorded?', 'Run failed']);
    } finally {
      engine().startJob = realStart;
    }
  });
});

describe('fencing', () => {
  it('a stale execution after pause (and after resume) cannot change the project', async () => {
    // Prepare: a run-1 execution caught mid-job by a pause
    const id = await started({ structureMigration: true, fullMigration: true });
    await waitForProject(id, running('FULL_MIGRATION', 10), 'full migration running');
    await post(`/projects/${id}/pause`);
    const frozen = await getProject(id);
    const stale = { projectId: id, run: 1, work: { action: 'RUN' as const, subtask: 'FULL_MIGRATION' as const } };

    // Act: what run 1's in-flight tasks would still do
    const outcomes = [
      await orchestrationStep({ action: 'poll', ...stale }, ctx),
      await orchestrationStep({ action: 'start', ...stale }, ctx),
      await orchestrationStep({ action: 'next', projectId: id, run: 1 }, ctx),
      await orchestrationStep({ action: 'complete', projectId: id, run: 1 }, ctx),
      await orchestrationStep({ action: 'fail', ...stale, error: { Error: 'Boom', Cause: 'stale' } }, ctx),
    ];
    const afterStale = await getProject(id);
    await post(`/projects/${id}/resume`);
    const afterResume = await orchestrationStep({ action: 'complete', projectId: id, run: 1 }, ctx);
    const staleDuringRun2 = await getProject(id);

    // Assess
    for (const o of [...outcomes, afterResume]) expect(o).toMatchObject({ work: { outcome: 'FENCED' } });
    expect(afterStale).toEqual(frozen);
    expect((await jobOf(id, 'FULL_MIGRATION'))?.state).not.toBe('SUCCEEDED');
    expect(staleDuringRun2).toMatchObject({ status: 'RUNNING', run: 2 });
    expect((await events(id)).map((e) => e.operation)).toEqual(['create', 'start', 'pause', 'resume']);
    await post(`/projects/${id}/pause`);
  });
});

describe('superseded runs', () => {
  it('a task of a run the project left fails: the execution ends "superseded", logged as one short line, not FAILED', async () => {
    // Prepare: the execution keeps running past a pause (its stop is lost), and its next task then fails
    const id = (await createProject(fixture.ds, { migrationType: { ...none, structureMigration: true } })).id;
    const realStart = engine().startJob.bind(engine());
    const realStop = fixture.run.sfn.stopRun.bind(fixture.run.sfn);
    fixture.run.sfn.stopRun = async () => undefined;
    engine().startJob = async (spec) => {
      if (spec.projectId !== id) return realStart(spec);
      await post(`/projects/${id}/pause`);
      throw Object.assign(new Error(`engine gone\n${'    at frame (engine.ts:1:1)\n'.repeat(200)}`), { name: 'EngineGone' });
    };
    const logFrom = fixture.run.log.length;

    try {
      // Act
      await post(`/projects/${id}/start`);
      await waitForProject(id, (p) => p.status === 'PAUSED', 'PAUSED');
      await execution(id, 1)?.done;

      // Assess
      const lines = fixture.run.log.slice(logFrom).filter((l) => l.includes(`${id}-1`));
      expect(execution(id, 1)?.status).toBe('SUCCEEDED');
      expect(execution(id, 1)?.history.slice(-3)).toEqual(['Record run failure', 'Failure recorded?', 'Run superseded or stopped']);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('superseded');
      expect(lines[0]).not.toContain('FAILED');
      expect(lines[0]?.length).toBeLessThan(200);
      expect((await getProject(id)).status).toBe('PAUSED');
    } finally {
      engine().startJob = realStart;
      fixture.run.sfn.stopRun = realStop;
    }
  });

  it('a failed execution is logged as one line naming where it failed, without the whole history or stack', async () => {
    // Prepare
    const id = (await createProject(fixture.ds, { migrationType: { ...none, structureMigration: true } })).id;
    const realStart = engine().startJob.bind(engine());
    engine().startJob = async (spec) => {
      if (spec.projectId === id) throw Object.assign(new Error(`rejected\n${'    at frame (engine.ts:1:1)\n'.repeat(200)}`), { name: 'EngineRejected' });
      return realStart(spec);
    };
    const logFrom = fixture.run.log.length;

    try {
      // Act
      await post(`/projects/${id}/start`);
      await waitForProject(id, (x) => x.status === 'FAILED', 'FAILED');
      await execution(id, 1)?.done;

      // Assess
      const lines = fixture.run.log.slice(logFrom).filter((l) => l.includes(`${id}-1`));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/FAILED at "Run failed"/);
      expect(lines[0]?.length).toBeLessThan(400);
    } finally {
      engine().startJob = realStart;
    }
  });
});

describe('StartExecution failure', () => {
  it('start: the start is undone (NOT_STARTED again, audited), 503; a retry starts it', async () => {
    // Prepare
    const p = await createProject(fixture.ds, { migrationType: { ...none, structureMigration: true } });
    fixture.run.sfn.failNextStarts = 1;

    // Act
    const refused = await post(`/projects/${p.id}/start`);
    const after = await getProject(p.id);
    const retried = await post(`/projects/${p.id}/start`);

    // Assess
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'ORCHESTRATION_UNAVAILABLE' });
    expect(after).toMatchObject({ status: 'NOT_STARTED', allowedActions: expect.arrayContaining(['start']) });
    expect(execution(p.id, 1)).toBeUndefined();
    expect(retried.body).toMatchObject({ status: 'RUNNING', run: 2 });
    expect(await fixture.run.sfn.isRunActive(retried.body)).toBe(true);
    expect((await events(p.id)).map((e) => [e.operation, e.to])).toEqual([
      ['create', 'NOT_STARTED'],
      ['start', 'RUNNING'],
      ['revert-start', 'NOT_STARTED'],
      ['start', 'RUNNING'],
    ]);
  });

  it('resume: the project is back in its pause (same deadline, resumable), never RUNNING without an execution', async () => {
    // Prepare
    const id = await started({ fullMigration: true });
    await waitForProject(id, running('FULL_MIGRATION'), 'running');
    const paused = await post(`/projects/${id}/pause`);
    fixture.run.sfn.failNextStarts = 1;

    // Act
    const refused = await post(`/projects/${id}/resume`);
    const after = await getProject(id);
    const retried = await post(`/projects/${id}/resume`);

    // Assess
    expect(refused.status).toBe(503);
    expect(after).toMatchObject({ status: 'PAUSED', pauseExpiresAt: paused.body.pauseExpiresAt, allowedActions: expect.arrayContaining(['resume']) });
    expect(await fixture.run.sfn.isRunActive(after as never)).toBe(false);
    expect(retried.body).toMatchObject({ status: 'RUNNING', run: 3 });
    expect(await fixture.run.sfn.isRunActive(retried.body)).toBe(true);
    await post(`/projects/${id}/pause`);
  });
});

