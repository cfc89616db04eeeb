import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ProjectRecord } from '../../shared/domain/project';
import { ProgressWriteRefused } from '../../shared/ports';
import { keys } from '../../shared/table';
import { createDataSource } from '../../shared/usecases/data-sources';
import { runBatch } from '../../shared/usecases/batch';
import { answerOperation, applyOperation } from '../../shared/usecases/lifecycle';
import { pickNext, pollWork, startWork, type RunState } from '../../shared/usecases/orchestration';
import { lifecycleView, toProjectView } from '../../shared/usecases/project-view';
import { createProject, getProject } from '../../shared/usecases/projects';
import { memoryDeps } from '../support/memory-deps';
import { STORE_VARIANTS, type Stores } from '../support/store-variants';

/**
 * Run measurements live in the project's progress item (shared/domain/progress.ts): a poll that changes
 * no state leaves the project item — the one with index keys — as it was, the project reads whole
 * (GET project), an outdated run's or leg's progress write is refused, and a pause keeps the last
 * measurement on the project item. The same on the in-memory store and on DynamoDB (Local).
 */
const ctx = { actor: 'arn:aws:iam::123456789012:user/alice', requestId: 'req-1' };
const fullOnly = { structureMigration: false, fullMigration: true, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false };


/** A running full migration whose job was started; the clock at its start. */
async function running(stores: Stores) {
  const deps = memoryDeps(await stores());
  const src = await createDataSource(deps, { name: 'src', engine: 'mysql', host: 'h', port: 3306, username: 'u' });
  const dst = await createDataSource(deps, { name: 'dst', engine: 'tidb', host: 'h', port: 4000, username: 'u' });
  const p = await createProject(deps, { name: `load-${randomUUID().slice(0, 8)}`, sourceId: src.id, destinationId: dst.id, migrationType: fullOnly }, ctx);
  await applyOperation(deps, { operation: 'start', projectId: p.id, ctx });
  const input = { projectId: p.id, run: 1 };
  const next = await pickNext(deps, input);
  const started: RunState = await startWork(deps, { ...next, work: next.work });
  return { deps, id: p.id, started };
}

const full = (p: ProjectRecord) => p.subtasks.find((s) => s.type === 'FULL_MIGRATION');

describe.each(STORE_VARIANTS)('run measurements in the progress item (%s)', (_name, stores) => {
  it('a poll that changes no state writes the progress item alone; GET project shows the measurement', async () => {
    // Prepare
    const { deps, id, started } = await running(stores);
    const itemBefore = await deps.projects.get(id);

    // Act: two polls, a minute of copying apart
    deps.clock.advance(60_000);
    const first = await pollWork(deps, { ...started, work: started.work });
    deps.clock.advance(60_000);
    const second = await pollWork(deps, { ...first, work: first.work });

    // Assess
    expect(second.work.outcome).toBe('WAITING');
    expect(await deps.projects.get(id)).toEqual(itemBefore); // the indexed item: not written by a poll
    const progress = await deps.projects.getProgress(id);
    expect(progress).toMatchObject({ projectId: id, run: 1, leg: 0, polled: { run: 1, leg: 0, at: new Date(deps.clock.nowMs()).toISOString() } });
    const measured = progress?.measurements.FULL_MIGRATION;
    expect(measured?.run).toBe(1);
    expect(measured?.progress?.percent).toBeGreaterThan(0);
    const view = await getProject(deps, id);
    expect(full(view)?.progress).toEqual(measured?.progress);
    expect(full(view)?.checkpoint).toEqual(measured?.checkpoint);
    expect(full(itemBefore as ProjectRecord)?.progress).not.toEqual(measured?.progress);
  });

  it('refuses a progress write of an older run, or of an older leg of the run; the same or a newer one holds', async () => {
    // Prepare
    const { deps, id } = await running(stores);
    const write = (run: number, leg: number, percent: number) => deps.projects.writeProgress({ projectId: id, run, leg, measurements: { FULL_MIGRATION: { run, progress: { percent } } } });
    await write(2, 1, 10);

    // Act
    const olderRun = await write(1, 5, 11).catch((e: unknown) => e);
    const olderLeg = await write(2, 0, 12).catch((e: unknown) => e);
    await write(2, 1, 13);
    await write(3, 0, 14);

    // Assess
    expect(olderRun).toBeInstanceOf(ProgressWriteRefused);
    expect((olderRun as ProgressWriteRefused).current).toEqual({ run: 2, leg: 1 });
    expect(olderLeg).toBeInstanceOf(ProgressWriteRefused);
    expect(await deps.projects.getProgress(id)).toMatchObject({ run: 3, leg: 0, measurements: { FULL_MIGRATION: { run: 3, progress: { percent: 14 } } } });
  });

  it('a pause keeps the last measurement on the project item; the next run reads it, not the old run\'s progress item', async () => {
    // Prepare: polled a while, so the measurement exists only in the progress item
    const { deps, id, started } = await running(stores);
    deps.clock.advance(120_000);
    await pollWork(deps, { ...started, work: started.work });
    const measured = (await deps.projects.getProgress(id))?.measurements.FULL_MIGRATION;

    // Act
    await applyOperation(deps, { operation: 'pause', projectId: id, ctx });
    const paused = await deps.projects.get(id);
    await applyOperation(deps, { operation: 'resume', projectId: id, ctx });
    const resumed = await getProject(deps, id);

    // Assess
    expect(full(paused as ProjectRecord)).toMatchObject({ status: 'PAUSED' });
    expect(full(paused as ProjectRecord)?.progress?.percent).toBeGreaterThanOrEqual(measured?.progress?.percent ?? 0);
    expect(full(paused as ProjectRecord)?.checkpoint).toBeDefined();
    expect(resumed.run).toBe(2);
    expect(full(resumed)?.checkpoint).toBe(full(paused as ProjectRecord)?.checkpoint); // run 1's measurement does not count for run 2
  });

  it('a late poll of an execution the run left changes nothing anyone reads', async () => {
    // Prepare
    const { deps, id, started } = await running(stores);
    await applyOperation(deps, { operation: 'pause', projectId: id, ctx });
    await applyOperation(deps, { operation: 'resume', projectId: id, ctx });
    const before = await getProject(deps, id);

    // Act: run 1's execution polls once more
    deps.clock.advance(60_000);
    const late = await pollWork(deps, { ...started, work: started.work });

    // Assess
    expect(late.work.outcome).toBe('FENCED');
    expect(await getProject(deps, id)).toEqual(before);
  });

  it('a lifecycle answer shows the project as GET does: the measurements of the progress item, and what the operation\'s effects recorded', async () => {
    // Prepare: polled, so the latest measurement is on the progress item only
    const { deps, id, started } = await running(stores);
    deps.clock.advance(120_000);
    await pollWork(deps, { ...started, work: started.work });
    const measured = (await deps.projects.getProgress(id))?.measurements.FULL_MIGRATION;

    // Act: an operation that leaves the subtask RUNNING, then a pause (its effect records the paused job's checkpoint)
    const alerted = await answerOperation(deps, { operation: 'modify-alert-config', projectId: id, parameters: { level: 'HIGH' }, ctx });
    const alertedRead = await getProject(deps, id);
    deps.clock.advance(60_000);
    const paused = await answerOperation(deps, { operation: 'pause', projectId: id, ctx });
    const pausedRead = await getProject(deps, id);

    // Assess
    const now = deps.clock.nowMs();
    expect(full(alerted as ProjectRecord)?.progress).toEqual(measured?.progress);
    expect(lifecycleView(alerted as ProjectRecord, now, 'modify-alert-config')).toEqual(toProjectView(alertedRead, now));
    expect(full(paused as ProjectRecord)).toMatchObject({ status: 'PAUSED', checkpoint: full(pausedRead)?.checkpoint, progress: full(pausedRead)?.progress });
    expect(full(paused as ProjectRecord)?.progress?.percent).toBeGreaterThan(measured?.progress?.percent ?? 100); // the job ran on for a minute after the poll
    expect(lifecycleView(paused as ProjectRecord, now, 'pause')).toEqual(toProjectView(pausedRead, now));
  });

  it('a batch pause records the last measurement of the progress item, not the older one of the project item', async () => {
    // Prepare: polled a while; the engine cannot be reached when the pause asks it to pause the job
    const { deps, id, started } = await running(stores);
    deps.clock.advance(120_000);
    await pollWork(deps, { ...started, work: started.work });
    const measured = (await deps.projects.getProgress(id))?.measurements.FULL_MIGRATION;
    const engine = deps.engine;
    deps.engine = Object.assign(Object.create(engine) as typeof engine, { pauseJob: () => Promise.reject(new Error('engine unreachable')) });

    // Act
    const batch = await runBatch(deps, { operation: 'pause', projectIds: [id] }, ctx);

    // Assess
    expect(batch).toMatchObject({ succeeded: 1, failed: 0 });
    const item = (await deps.projects.get(id)) as ProjectRecord;
    expect(full(item)).toMatchObject({ status: 'PAUSED', progress: measured?.progress, checkpoint: measured?.checkpoint });
  });

  it('reads the whole record in one read of its partition: the project item and its progress item, not its audit trail', async () => {
    // Prepare: a project with a progress item and an audit trail (create, start, pause, resume)
    const { deps, id, started } = await running(stores);
    deps.clock.advance(60_000);
    await pollWork(deps, { ...started, work: started.work });
    await applyOperation(deps, { operation: 'pause', projectId: id, ctx });
    await applyOperation(deps, { operation: 'resume', projectId: id, ctx });

    // Act
    const both = await deps.projects.getWithProgress(id);
    const none = await deps.projects.getWithProgress('no-such-project');

    // Assess
    expect(both).toEqual({ project: await deps.projects.get(id), progress: await deps.projects.getProgress(id) });
    expect((await deps.projects.listEvents(id)).length).toBeGreaterThan(2);
    expect(none).toEqual({});
  });
});

it('the sort-key range of a whole record holds the project and progress items and no other item of the partition', () => {
  // Prepare
  const { from, to } = keys.projectRecordRange;
  const within = (sk: string) => sk >= from && sk <= to;

  // Act
  const others = [keys.projectEvent('p', 1), keys.projectEvent('p', 9_999_999_999), keys.projectAlert('p', '2026-01-01T00:00:00.000Z', 'a'), keys.statusCounted('p', 3)].map((k) => k.sk);

  // Assess
  expect(within(keys.project('p').sk)).toBe(true);
  expect(within(keys.projectProgress('p').sk)).toBe(true);
  expect(others.filter(within)).toEqual([]);
});
