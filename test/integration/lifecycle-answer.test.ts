import { beforeAll, describe, expect, it } from 'vitest';
import { SimulatedMigrationEngine } from '../../shared/adapters/engine/simulated-engine';
import { getDeps } from '../../shared/runtime';
import { pickNext, pollWork, startWork } from '../../shared/usecases/orchestration';
import { call, createDataSources, createProject, ManualClock, useLocalTable } from '../support/harness';

/**
 * A lifecycle answer shows the project as GET does (functions/project-lifecycle: answerOperation): the
 * measurements of its progress item while a subtask runs, and what the operation's effects recorded
 * (a pause's job checkpoint) — not the project item's own older measurement.
 */
const FULL_ONLY = { structureMigration: false, fullMigration: true, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false };

describe('lifecycle answers as GET (DynamoDB Local, through the handlers)', () => {
  const clock = new ManualClock();
  let ds: { sourceId: string; destinationId: string };

  beforeAll(async () => {
    await useLocalTable({ clock, engine: new SimulatedMigrationEngine({ now: () => clock.nowMs() }) });
    ds = await createDataSources('answer');
  });

  /** A started project whose full load ran two minutes and was polled: its measurement is on the progress item alone. */
  async function loading() {
    const p = await createProject(ds, { migrationType: FULL_ONLY });
    await call('POST', `/projects/${p.id}/start`);
    const deps = getDeps();
    const next = await pickNext(deps, { projectId: p.id, run: 1 });
    const started = await startWork(deps, { ...next, work: next.work });
    clock.advance(120_000);
    await pollWork(deps, { ...started, work: started.work });
    const measured = (await deps.projects.getProgress(p.id))?.measurements.FULL_MIGRATION;
    return { id: p.id, measured };
  }
  type SubtaskBody = { type: string; status: string; progress?: { percent: number }; checkpoint?: string };
  const full = (body: { subtasks: SubtaskBody[] }) => body.subtasks.find((s) => s.type === 'FULL_MIGRATION') as SubtaskBody;

  it('POST alert-config while the load runs: the subtask shows the progress item\'s measurement, as GET does', async () => {
    // Prepare
    const { id, measured } = await loading();

    // Act
    const answer = await call('PUT', `/projects/${id}/alert-config`, { body: { level: 'HIGH' } });
    const read = await call('GET', `/projects/${id}`);

    // Assess
    expect(answer.status).toBe(200);
    expect(measured?.progress?.percent).toBeGreaterThan(0);
    expect(full(answer.body)).toMatchObject({ status: 'RUNNING', progress: measured?.progress, checkpoint: measured?.checkpoint });
    expect(answer.body.subtasks).toEqual(read.body.subtasks);
    expect(answer.headers.etag).toBe(read.headers.etag);
  });

  it('POST pause: the answer\'s subtasks are GET\'s, with the checkpoint the paused job recorded', async () => {
    // Prepare
    const { id, measured } = await loading();
    clock.advance(60_000);

    // Act
    const answer = await call('POST', `/projects/${id}/pause`);
    const read = await call('GET', `/projects/${id}`);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.subtasks).toEqual(read.body.subtasks);
    expect(full(answer.body).status).toBe('PAUSED');
    expect(full(answer.body).progress?.percent).toBeGreaterThan(measured?.progress?.percent ?? 100);
    expect(answer.body).toEqual(read.body);
  });
});
