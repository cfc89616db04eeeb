import { describe, expect, it, vi } from 'vitest';
import { DomainError } from '../../shared/domain/errors';
import type { ProjectRecord } from '../../shared/domain/project';
import { createDataSource } from '../../shared/usecases/data-sources';
import { answerOperation, applyOperation, finishRelease } from '../../shared/usecases/lifecycle';
import { createProject } from '../../shared/usecases/projects';
import { memoryDeps } from '../support/memory-deps';

const ctx = { actor: 'arn:aws:iam::123456789012:user/alice', requestId: 'req-1' };
const mt = { structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: false, reverseIncrementalSync: false };

async function prepare() {
  const orchestrator = { startRun: vi.fn(async () => {}), stopRun: vi.fn(async () => {}), isRunActive: vi.fn(async () => false), completeTask: vi.fn(async () => {}) };
  const expiry = { schedulePauseExpiry: vi.fn(async () => {}), cancelPauseExpiry: vi.fn(async () => {}), listPauseTimers: vi.fn(async () => []) };
  const deps = memoryDeps({ orchestrator, expiry });
  const src = await createDataSource(deps, { name: 'src', engine: 'mysql', host: 'h', port: 3306, username: 'u' });
  const dst = await createDataSource(deps, { name: 'dst', engine: 'tidb', host: 'h', port: 4000, username: 'u' });
  const project = await createProject(deps, { name: 'orders', sourceId: src.id, destinationId: dst.id, migrationType: mt }, ctx);
  return { deps, orchestrator, expiry, project, src, dst };
}

const op = (operation: Parameters<typeof applyOperation>[1]['operation'], projectId: string, extra = {}) => ({ operation, projectId, ctx, ...extra });

describe('lifecycle use cases (in-memory stores)', () => {
  it('start runs the orchestration; pause stops it and schedules the expiry at pausedAt + deadline', async () => {
    // Prepare
    const { deps, orchestrator, expiry, project } = await prepare();

    // Act
    const started = (await applyOperation(deps, op('start', project.id))) as ProjectRecord;
    deps.clock.advance(1000);
    const paused = (await applyOperation(deps, op('pause', project.id))) as ProjectRecord;

    // Assess
    expect(orchestrator.startRun).toHaveBeenCalledWith(expect.objectContaining({ id: project.id, status: 'RUNNING', version: 2 }));
    expect(started.startedAt).toBe(new Date(deps.clock.ms - 1000).toISOString());
    expect(orchestrator.stopRun).toHaveBeenCalledWith(expect.objectContaining({ status: 'PAUSED' }), 'paused');
    expect(expiry.schedulePauseExpiry).toHaveBeenCalledWith(expect.objectContaining({ pauseExpiresAt: new Date(deps.clock.ms + 12 * 3600_000).toISOString() }));
    expect(paused).toEqual(await deps.projects.get(project.id));
  });

  it('an operation that committed answers with the record it left when the answer\'s re-read fails (failed before the fix: the error, so a 5xx for a committed pause)', async () => {
    // Prepare: a running project; the store's whole-record read fails once the project is PAUSED
    const { deps, project } = await prepare();
    await applyOperation(deps, op('start', project.id));
    const read = deps.projects.getWithProgress.bind(deps.projects);
    deps.projects.getWithProgress = async (id) => {
      if ((await deps.projects.get(id))?.status === 'PAUSED') throw new Error('read timed out');
      return read(id);
    };
    vi.spyOn(console, 'log').mockImplementation(() => undefined);

    // Act
    const answer = await answerOperation(deps, op('pause', project.id));

    // Assess
    expect(answer).toMatchObject({ id: project.id, status: 'PAUSED' });
    expect((await deps.projects.get(project.id))?.status).toBe('PAUSED');
    vi.restoreAllMocks();
  });

  it('release passes through RELEASING, stops everything, frees the name and the data sources', async () => {
    // Prepare
    const { deps, orchestrator, expiry, project, src } = await prepare();
    await applyOperation(deps, op('start', project.id));
    await applyOperation(deps, op('pause', project.id));
    const statusWhenStopped: string[] = [];
    orchestrator.stopRun.mockImplementation(async () => {
      statusWhenStopped.push((await deps.projects.get(project.id))?.status ?? 'gone');
    });

    // Act
    const released = (await applyOperation(deps, op('release', project.id))) as ProjectRecord;

    // Assess
    expect(statusWhenStopped).toEqual(['RELEASING']);
    expect(expiry.cancelPauseExpiry).toHaveBeenCalledTimes(1);
    expect(released.status).toBe('RELEASED');
    expect(deps.table.names.has('orders')).toBe(false);
    expect((await deps.dataSources.get(src.id))?.refCount).toBe(0);
    expect((await deps.projects.listEvents(project.id)).map((e) => e.to)).toEqual(['NOT_STARTED', 'RUNNING', 'PAUSED', 'RELEASING', 'RELEASED']);
  });

  it('release frees what the engine keeps for the project once its jobs are stopped; a release that failed there stays RELEASING and its retry frees it', async () => {
    // Prepare
    const { deps, project, src, dst } = await prepare();
    await applyOperation(deps, op('start', project.id));
    await applyOperation(deps, op('pause', project.id));
    const calls: string[] = [];
    const stopJob = deps.engine.stopJob.bind(deps.engine);
    deps.engine.stopJob = async (ref) => (calls.push(`stop ${ref.subtask}`), stopJob(ref));
    let failOnce = true;
    deps.engine.releaseProject = async (spec) => {
      calls.push(`release ${spec.projectId} ${spec.destinationId} ${spec.sourceIds.join(',')}`);
      if (failOnce) {
        failOnce = false;
        throw new Error('destination unreachable');
      }
    };

    // Act
    const first = (await applyOperation(deps, op('release', project.id))) as ProjectRecord;
    const retried = await finishRelease(deps, (await deps.projects.get(project.id)) as ProjectRecord, { operation: 'release', projectId: project.id, ctx });

    // Assess
    expect(first.status).toBe('RELEASING');
    expect(retried?.status).toBe('RELEASED');
    const release = `release ${project.id} ${dst.id} ${src.id}`;
    expect(calls.filter((c) => c.startsWith('release'))).toEqual([release, release]);
    expect(calls.indexOf(release)).toBeGreaterThan(calls.lastIndexOf('stop INCREMENTAL_SYNC', calls.indexOf(release)));
  });

  it('refusals carry the current state: INVALID_STATE with allowedFrom, VERSION_MISMATCH with currentVersion', async () => {
    // Prepare
    const { deps, project } = await prepare();

    // Act
    const invalid = await applyOperation(deps, op('pause', project.id)).catch((e: unknown) => e);
    const stale = await applyOperation(deps, op('start', project.id, { expectedVersion: 7 })).catch((e: unknown) => e);

    // Assess
    expect(invalid).toBeInstanceOf(DomainError);
    expect(invalid).toMatchObject({ status: 409, code: 'INVALID_STATE', extra: { currentStatus: 'NOT_STARTED', allowedFrom: ['RUNNING'] } });
    expect(stale).toMatchObject({ status: 412, code: 'VERSION_MISMATCH', extra: { currentVersion: 1 } });
    expect(await deps.projects.get(project.id)).toMatchObject({ status: 'NOT_STARTED', version: 1 });
  });

  it('a write that lost a race to a change that keeps it allowed is tried again from what the write saw', async () => {
    // Prepare: the alert level is changed by someone else between our read and our write
    const { deps, project } = await prepare();
    const realGet = deps.projects.getWithProgress.bind(deps.projects); // the read that learns the version (readProject)
    let raced = false;
    deps.projects.getWithProgress = async (id) => {
      const seen = await realGet(id);
      if (!raced) {
        raced = true;
        await applyOperation(deps, op('modify-alert-config', id, { parameters: { level: 'LOW' } }));
      }
      return seen;
    };

    // Act
    const started = (await applyOperation(deps, op('start', project.id))) as ProjectRecord;

    // Assess
    expect(started).toMatchObject({ status: 'RUNNING', version: 3, alertLevel: 'LOW' });
  });

  it('modify-alert-config without a level is a 400 and changes nothing', async () => {
    const { deps, project } = await prepare();
    await expect(applyOperation(deps, op('modify-alert-config', project.id))).rejects.toMatchObject({ status: 400 });
    expect((await deps.projects.get(project.id))?.version).toBe(1);
  });
});
