import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler as reconciler } from '../../functions/orchestration-reconciler/handler';
import { call, createProject } from '../support/harness';
import { eventConditionsOf } from '../../shared/domain/alerts';
import { getProject, NO_COMPONENTS, post, running, runSwitchover, statuses, subtask, useRunFixture, waitForProject, type ProjectBody } from '../support/orchestration';

/**
 * Whole runs (happy paths, switchover, skip, reconciler) on DynamoDB Local: the state machine `cdk synth` produces, executed by aws-local-stepfunctions,
 * every task calling the orchestration-step handler module, the simulated engine 400× faster than real time
 * (a full migration of 10 simulated minutes takes 1.5 s).
 */
const ctx = { awsRequestId: 'test' } as Context;
const none = NO_COMPONENTS;
const { fixture, engine, jobOf, events, execution, started } = useRunFixture('runs', 400);

describe.concurrent('happy path for each migration type', () => {
  it('structure + full: every subtask SUCCEEDED in order, then COMPLETED by the system', async () => {
    // Prepare / Act
    const id = await started({ structureMigration: true, fullMigration: true });
    const done = await waitForProject(id, (p) => p.status === 'COMPLETED', 'COMPLETED');

    // Assess
    expect(statuses(done)).toEqual({ STRUCTURE_MIGRATION: 'SUCCEEDED', FULL_MIGRATION: 'SUCCEEDED' });
    expect(subtask(done, 'FULL_MIGRATION').progress).toMatchObject({ percent: 100, rows: 12_000_000 });
    expect(subtask(done, 'STRUCTURE_MIGRATION').finishedAt <= subtask(done, 'FULL_MIGRATION').startedAt).toBe(true);
    expect(done).toMatchObject({ currentStage: null, allowedActions: ['release'], completedAt: expect.any(String) });
    expect((await events(id)).map((e) => [e.operation, e.actor])).toEqual([
      ['create', 'arn:aws:iam::123456789012:user/tester'],
      ['start', 'arn:aws:iam::123456789012:user/tester'],
      ['complete', 'system'],
    ]);
    await execution(id, 1)?.done;
    expect(execution(id, 1)?.status).toBe('SUCCEEDED');
    expect(execution(id, 1)?.history.at(-1)).toBe('Migration completed');
  });

  it.each<{ name: string; type: Record<string, boolean>; manual: string[] }>([
    { name: 'incremental sync only', type: { incrementalSync: true }, manual: ['CONFIRM_SOURCE_WRITES_STOPPED', 'PROCESS_DATABASE_OBJECTS'] },
    { name: 'full + incremental (no verification)', type: { fullMigration: true, incrementalSync: true }, manual: ['CONFIRM_SOURCE_WRITES_STOPPED', 'PROCESS_DATABASE_OBJECTS'] },
    {
      name: 'structure + full + incremental + verification',
      type: { structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: true },
      manual: ['CONFIRM_SOURCE_WRITES_STOPPED', 'PROCESS_DATABASE_OBJECTS'],
    },
  ])('$name: the forward switchover stops the sync, then COMPLETED', async ({ type, manual }) => {
    // Prepare
    const id = await started(type);

    // Act
    const confirmed = await runSwitchover(id);
    const done = await waitForProject(id, (p) => p.status === 'COMPLETED', 'COMPLETED');

    // Assess
    expect(confirmed).toEqual(manual);
    expect(Object.values(statuses(done)).every((s) => s === 'SUCCEEDED')).toBe(true);
    expect(subtask(done, 'FORWARD_SWITCHOVER').steps.every((s: ProjectBody) => s.status === 'SUCCEEDED')).toBe(true);
    expect((await jobOf(id, 'INCREMENTAL_SYNC'))?.state).toBe('SUCCEEDED'); // stopped at STOP_FORWARD_SYNC
  });

  it('all five components: reverse incremental sync keeps running after the switchover; pause and release stop it', async () => {
    // Prepare
    const id = await started({ structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: true, reverseIncrementalSync: true });

    // Act
    await runSwitchover(id);
    const reverse = await waitForProject(id, (p) => subtask(p, 'REVERSE_INCREMENTAL_SYNC').status === 'RUNNING' && p.currentStage === null, 'reverse sync running');
    await execution(id, 1)?.done;
    const paused = await post(`/projects/${id}/pause`);
    const released = await post(`/projects/${id}/release`);

    // Assess
    expect(reverse.status).toBe('RUNNING');
    expect(execution(id, 1)?.history.at(-1)).toBe('Continuous sync running');
    expect(subtask(paused.body, 'REVERSE_INCREMENTAL_SYNC').status).toBe('PAUSED');
    expect(released.body.status).toBe('RELEASED');
    expect((await jobOf(id, 'REVERSE_INCREMENTAL_SYNC'))?.state).toBe('SUCCEEDED'); // stopped for good
  });
});

describe('skip full verification', () => {
  it('while verifying: the job is stopped, the subtask SKIPPED, and the run moves on to the switchover', async () => {
    // Prepare
    const id = await started({ fullMigration: true, incrementalSync: true, fullVerification: true });
    await waitForProject(id, running('FULL_VERIFICATION'), 'verifying');
    const early = await post(`/projects/${id}/forward-switchover`);

    // Act
    const skipped = await post(`/projects/${id}/skip-full-verification`, undefined, { 'X-Actor': 'arn:aws:iam::123456789012:user/bob' });
    const moved = await waitForProject(id, (p) => p.awaiting === 'SWITCHOVER_ENTRY', 'waiting for the switchover');
    const again = await post(`/projects/${id}/skip-full-verification`);

    // Assess
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: 'NOT_AT_FORWARD_SWITCHOVER', currentStage: 'FULL_VERIFICATION' });
    expect(skipped.status).toBe(200);
    expect(subtask(skipped.body, 'FULL_VERIFICATION').status).toBe('SKIPPED');
    expect(skipped.body.currentStage).toBe('FORWARD_SWITCHOVER');
    expect((await jobOf(id, 'FULL_VERIFICATION'))?.state).toBe('STOPPED');
    expect(moved.allowedActions).toContain('enter-forward-switchover');
    expect(again.body).toMatchObject({ code: 'NOT_IN_FULL_VERIFICATION' });
    const skip = (await events(id)).find((e) => e.operation === 'skip-full-verification');
    expect(skip).toMatchObject({ actor: 'arn:aws:iam::123456789012:user/bob', from: 'RUNNING', to: 'RUNNING' });
    await post(`/projects/${id}/pause`);
  });

  it('while paused in verification: SKIPPED, and resume goes straight to the switchover', async () => {
    // Prepare
    const id = await started({ fullMigration: true, incrementalSync: true, fullVerification: true });
    await waitForProject(id, running('FULL_VERIFICATION'), 'verifying');
    await post(`/projects/${id}/pause`);

    // Act
    const skipped = await post(`/projects/${id}/skip-full-verification`);
    await post(`/projects/${id}/resume`);
    const moved = await waitForProject(id, (p) => p.awaiting === 'SWITCHOVER_ENTRY', 'waiting for the switchover');

    // Assess
    expect(skipped.body).toMatchObject({ status: 'PAUSED', currentStage: 'FORWARD_SWITCHOVER' });
    expect(statuses(moved)).toMatchObject({ INCREMENTAL_SYNC: 'RUNNING', FULL_VERIFICATION: 'SKIPPED' });
    await post(`/projects/${id}/pause`);
  });
});

describe('forward switchover', () => {
  it('every manual step is confirmed in order; a confirm of another step is 409 STEP_NOT_WAITING; confirmations are audited', async () => {
    // Prepare
    const id = await started({ incrementalSync: true, reverseIncrementalSync: true });
    await waitForProject(id, (p) => p.allowedActions.includes('enter-forward-switchover'), 'enterable');
    const startTooEarly = await post(`/projects/${id}/forward-switchover/start`);
    await post(`/projects/${id}/forward-switchover`);
    const enterTwice = await post(`/projects/${id}/forward-switchover`);
    await post(`/projects/${id}/forward-switchover/start`);
    const first = await waitForProject(id, (p) => p.waitingStep === 'CONFIRM_SOURCE_WRITES_STOPPED', 'first manual step waits');

    // Act
    const wrong = await post(`/projects/${id}/forward-switchover/confirm`, { step: 'PROCESS_DATABASE_OBJECTS' });
    const unknown = await post(`/projects/${id}/forward-switchover/confirm`, { step: 'MAKE_COFFEE' });
    const actor = 'arn:aws:iam::123456789012:user/carol';
    const right = await post(`/projects/${id}/forward-switchover/confirm`, { step: 'CONFIRM_SOURCE_WRITES_STOPPED' }, { 'X-Actor': actor });
    const twice = await post(`/projects/${id}/forward-switchover/confirm`, { step: 'CONFIRM_SOURCE_WRITES_STOPPED' });
    for (const step of ['PROCESS_DATABASE_OBJECTS', 'START_REVERSE_INCREMENTAL']) {
      await waitForProject(id, (p) => p.waitingStep === step, `${step} waits`);
      expect((await post(`/projects/${id}/forward-switchover/confirm`, { step }, { 'X-Actor': actor })).status).toBe(200);
    }
    const end = await waitForProject(id, (p) => subtask(p, 'REVERSE_INCREMENTAL_SYNC').status === 'RUNNING', 'reverse sync');

    // Assess
    expect(startTooEarly.body).toMatchObject({ code: 'SWITCHOVER_NOT_STARTABLE' });
    expect(enterTwice.body).toMatchObject({ code: 'SWITCHOVER_ALREADY_ENTERED' });
    const waitingStep = subtask(first, 'FORWARD_SWITCHOVER').steps.find((s: ProjectBody) => s.name === 'CONFIRM_SOURCE_WRITES_STOPPED');
    expect(waitingStep).toMatchObject({ status: 'RUNNING', waitingForConfirmation: true });
    expect(first.allowedActions).toContain('confirm-switchover-step');
    expect(wrong.status).toBe(409);
    expect(wrong.body).toMatchObject({ code: 'STEP_NOT_WAITING', waitingStep: 'CONFIRM_SOURCE_WRITES_STOPPED' });
    expect(unknown.status).toBe(400);
    expect(right.status).toBe(200);
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('STEP_NOT_WAITING');
    const steps = subtask(end, 'FORWARD_SWITCHOVER').steps as ProjectBody[];
    expect(steps.map((s) => s.status)).toEqual(steps.map(() => 'SUCCEEDED'));
    expect(steps.filter((s) => s.manual).map((s) => s.confirmedBy)).toEqual([actor, actor, actor]);
    const confirmations = (await events(id)).filter((e) => e.operation === 'confirm-switchover-step');
    expect(confirmations.map((e) => [e.actor, e.detail.step])).toEqual([
      [actor, 'CONFIRM_SOURCE_WRITES_STOPPED'],
      [actor, 'PROCESS_DATABASE_OBJECTS'],
      [actor, 'START_REVERSE_INCREMENTAL'],
    ]);
    await post(`/projects/${id}/pause`);
  });
});

describe('reconciler', () => {
  it('restarts a RUNNING project whose execution is gone, from its pending subtasks; a second pass changes nothing', async () => {
    // Prepare: the execution disappears while it waits for the switchover (as if stopped by hand)
    const id = await started({ incrementalSync: true });
    const waiting = await waitForProject(id, (p) => p.awaiting === 'SWITCHOVER_ENTRY', 'waiting at the gate');
    await fixture.run.sfn.stopRun(waiting as never, 'lost');

    // Act
    const first = await reconciler({ graceSeconds: 0 }, ctx);
    const second = await reconciler({ graceSeconds: 0 }, ctx);
    const restarted = await waitForProject(id, (p) => p.run === 2 && p.awaiting === 'SWITCHOVER_ENTRY', 'waiting again under run 2');

    // Assess
    expect(first.restarted).toContainEqual({ projectId: id, run: 2 });
    expect(second.restarted.map((r) => r.projectId)).not.toContain(id);
    expect(await fixture.run.sfn.isRunActive(restarted as never)).toBe(true);
    expect(statuses(restarted)).toMatchObject({ INCREMENTAL_SYNC: 'RUNNING' });
    expect((await jobOf(id, 'INCREMENTAL_SYNC'))?.segments).toHaveLength(1); // the sync was not started again
    const restart = (await events(id)).find((e) => e.operation === 'restart-run');
    expect(restart).toMatchObject({ actor: 'system', cause: 'execution-gone', detail: { previousRun: 1 } });
    await post(`/projects/${id}/pause`);
  });

  it('a background sync that fails while the run waits at the switchover gate fails the project at the next pass (subtask FAILED, PROJECT_FAILED alert), and the waiting execution ends', async () => {
    // Prepare: nothing polls the sync while the run waits for the operator; the engine then fails it
    const id = await started({ incrementalSync: true });
    const waiting = await waitForProject(id, (p) => p.awaiting === 'SWITCHOVER_ENTRY', 'waiting at the gate');
    await engine().injectFailure({ projectId: id, subtask: 'INCREMENTAL_SYNC', atPercent: 0, message: 'replication slot lost (injected)' });

    // Act
    const first = await reconciler({ graceSeconds: 0 }, ctx);
    const second = await reconciler({ graceSeconds: 0 }, ctx);
    const failed = await getProject(id);
    const execution1 = fixture.run.sfn.executions.get(`${id}-1`);
    await execution1?.done;

    // Assess
    expect((first as { failed?: unknown[] }).failed).toContainEqual({ projectId: id, subtask: 'INCREMENTAL_SYNC' });
    expect((second as { failed?: { projectId: string }[] }).failed?.map((f) => f.projectId) ?? []).not.toContain(id);
    expect(failed.status).toBe('FAILED');
    expect(subtask(failed, 'INCREMENTAL_SYNC')).toMatchObject({ status: 'FAILED', lastError: { code: 'SIMULATED_FAILURE', message: 'replication slot lost (injected)' } });
    expect(failed.allowedActions).toEqual(expect.arrayContaining(['resume', 'release']));
    const fail = (await events(id)).filter((e) => e.operation === 'fail');
    expect(fail).toHaveLength(1);
    expect(fail[0]).toMatchObject({ actor: 'system', from: 'RUNNING', to: 'FAILED', detail: { subtask: 'INCREMENTAL_SYNC' } });
    expect(eventConditionsOf(fail[0] as never)).toEqual(['PROJECT_FAILED']);
    expect(waiting.run).toBe(1);
    expect(execution1?.status).toBe('SUCCEEDED');
    expect(execution1?.history.at(-1)).toBe('Run superseded or stopped'); // ended now, not at its re-arm
  });

  it('a reverse sync that fails after the switchover (its execution has ended: only sync is left) fails the project at the next pass', async () => {
    // Prepare
    const id = await started({ structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: true, reverseIncrementalSync: true });
    await runSwitchover(id);
    await waitForProject(id, (p) => subtask(p, 'REVERSE_INCREMENTAL_SYNC').status === 'RUNNING' && p.currentStage === null, 'reverse sync running');
    await execution(id, 1)?.done;
    await engine().injectFailure({ projectId: id, subtask: 'REVERSE_INCREMENTAL_SYNC', atPercent: 0, message: 'source table dropped (injected)' });

    // Act
    const pass = await reconciler({ graceSeconds: 0 }, ctx);
    const failed = await getProject(id);

    // Assess
    expect(execution(id, 1)?.history.at(-1)).toBe('Continuous sync running');
    expect((pass as { failed?: unknown[] }).failed).toContainEqual({ projectId: id, subtask: 'REVERSE_INCREMENTAL_SYNC' });
    expect(failed.status).toBe('FAILED');
    expect(subtask(failed, 'REVERSE_INCREMENTAL_SYNC')).toMatchObject({ status: 'FAILED', lastError: { code: 'SIMULATED_FAILURE', message: 'source table dropped (injected)' } });
    expect((await events(id)).filter((e) => e.operation === 'fail').map((e) => [e.from, e.to, e.detail.subtask])).toEqual([['RUNNING', 'FAILED', 'REVERSE_INCREMENTAL_SYNC']]);
  });
});
