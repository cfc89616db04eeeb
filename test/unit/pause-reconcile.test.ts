import { describe, expect, it } from 'vitest';
import { InMemoryExpiryScheduler } from '../../shared/adapters/memory/scheduler';
import type { ProjectRecord } from '../../shared/domain/project';
import { createDataSource } from '../../shared/usecases/data-sources';
import { applyOperation } from '../../shared/usecases/lifecycle';
import { reconcilePauses } from '../../shared/usecases/reconcile';
import { createProject } from '../../shared/usecases/projects';
import type { ProjectStore } from '../../shared/ports';
import { memoryDeps } from '../support/memory-deps';

const ctx = { actor: 'arn:aws:iam::123456789012:user/alice', requestId: 'req-1' };
const mt = { structureMigration: true, fullMigration: true, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false };
const WARN_LEAD_MS = 30 * 60_000;

async function prepare(projectStore?: (inner: ProjectStore) => ProjectStore) {
  const scheduler = new InMemoryExpiryScheduler(WARN_LEAD_MS);
  const base = memoryDeps({ expiry: scheduler });
  const deps = projectStore ? { ...base, projects: projectStore(base.projects) } : base;
  const src = await createDataSource(deps, { name: 'src', engine: 'mysql', host: 'h', port: 3306, username: 'u' });
  const dst = await createDataSource(deps, { name: 'dst', engine: 'tidb', host: 'h', port: 4000, username: 'u' });
  const paused = async (name: string) => {
    const p = await createProject(deps, { name, sourceId: src.id, destinationId: dst.id, migrationType: mt }, ctx);
    await applyOperation(deps, { operation: 'start', projectId: p.id, ctx });
    return (await applyOperation(deps, { operation: 'pause', projectId: p.id, ctx })) as ProjectRecord;
  };
  return { deps, scheduler, paused };
}

const names = (s: InMemoryExpiryScheduler) => [...s.timers.keys()].sort();

describe('reconcilePauses: the pause timers swept against the PAUSED projects', () => {
  it('creates the timers a PAUSED project lost and deletes those of a pause that is over; a second sweep changes nothing', async () => {
    // Prepare: one pause whose timers were never created, one resumed whose cancellation was lost
    const { deps, scheduler, paused } = await prepare();
    const lost = await paused('lost-timers');
    await scheduler.cancelPauseExpiry(lost);
    const resumed = await paused('resumed');
    const stale = names(scheduler);
    scheduler.cancelPauseExpiry = async () => {}; // the resume's cancellation fails silently (after its commit)
    await applyOperation(deps, { operation: 'resume', projectId: resumed.id, ctx });
    scheduler.cancelPauseExpiry = InMemoryExpiryScheduler.prototype.cancelPauseExpiry.bind(scheduler);

    // Act
    const first = await reconcilePauses(deps);
    const second = await reconcilePauses(deps);

    // Assess
    expect(first.timersCreated).toEqual([lost.id]);
    expect(first.timersDeleted.sort()).toEqual(stale);
    expect(names(scheduler)).toEqual([`expire-${lost.id}-${Date.parse(lost.pausedAt ?? '')}`, `warn-${lost.id}-${Date.parse(lost.pausedAt ?? '')}`].sort());
    expect(first.errors).toEqual([]);
    expect(second).toMatchObject({ timersCreated: [], timersDeleted: [], errors: [] });
  });

  it('keeps the timers of a pause the status listing does not show yet (a consistent read decides)', async () => {
    // Prepare: the PAUSED listing lags behind (as a global secondary index may) and misses the project
    const { deps, scheduler, paused } = await prepare((inner) => {
      const lagging = Object.create(inner) as ProjectStore;
      lagging.list = async (q) => (q.status === 'PAUSED' ? { items: [] } : inner.list(q));
      return lagging;
    });
    await paused('fresh-pause');
    const before = names(scheduler);

    // Act
    const report = await reconcilePauses(deps);

    // Assess
    expect(report.timersDeleted).toEqual([]);
    expect(names(scheduler)).toEqual(before);
    expect(before).toHaveLength(2);
  });

  it('creates no timer for a pause past its deadline or already expired', async () => {
    // Prepare
    const { deps, scheduler, paused } = await prepare();
    const p = await paused('overdue');
    await scheduler.cancelPauseExpiry(p);
    deps.clock.advance(deps.config.pauseDeadlineMs + 1);

    // Act
    const report = await reconcilePauses(deps);

    // Assess
    expect(report.timersCreated).toEqual([]);
    expect(names(scheduler)).toEqual([]);
  });
});

describe("reconcilePauses: a source's own pause (a RUNNING multi-source project) whose expiry timer was lost", () => {
  async function prepareSourcePause() {
    const scheduler = new InMemoryExpiryScheduler(WARN_LEAD_MS);
    const deps = memoryDeps({ expiry: scheduler });
    const ds = async (name: string) => (await createDataSource(deps, { name, engine: 'mysql', host: 'h', port: 3306, username: 'u' })).id;
    const [a, b, dst] = [await ds('a'), await ds('b'), await ds('dst')];
    const created = await createProject(deps, { name: 'two-sources', sourceIds: [a, b], sourceId: a, destinationId: dst, migrationType: mt }, ctx);
    await applyOperation(deps, { operation: 'start', projectId: created.id, ctx });
    const p = (await applyOperation(deps, { operation: 'pause', projectId: created.id, sources: [b], ctx })) as ProjectRecord;
    const timer = `expire-${p.id}.s1-${Date.parse(p.sources?.[1]?.pausedAt ?? '')}`;
    return { deps, scheduler, p, a, b, timer };
  }

  it('creates that source\'s timer again while its deadline is ahead (the project stays RUNNING); a second sweep changes nothing', async () => {
    // Prepare: source b paused on its own, its timer lost (the schedule call failed after the commit)
    const { deps, scheduler, p, b, timer } = await prepareSourcePause();
    expect(p.status).toBe('RUNNING');
    expect(names(scheduler)).toEqual([timer]);
    scheduler.timers.delete(timer);

    // Act
    const first = await reconcilePauses(deps);
    const second = await reconcilePauses(deps);

    // Assess
    expect(first.sourceTimersCreated).toEqual([`${p.id}/${b}`]);
    expect(names(scheduler)).toEqual([timer]);
    expect(scheduler.timers.get(timer)?.at).toBe(p.sources?.[1]?.pauseExpiresAt);
    expect(first.sourcesExpired).toEqual([]);
    expect(first.errors).toEqual([]);
    expect(second).toMatchObject({ sourceTimersCreated: [], sourcesExpired: [], timersDeleted: [], errors: [] });
    expect((await deps.projects.get(p.id))?.status).toBe('RUNNING');
  });

  it('fails the source past its deadline (the project FAILED, SOURCE_PAUSE_EXPIRED on its parts) and creates no timer', async () => {
    // Prepare
    const { deps, scheduler, p, b, timer } = await prepareSourcePause();
    scheduler.timers.delete(timer);
    deps.clock.advance(deps.config.pauseDeadlineMs + 1);

    // Act
    const first = await reconcilePauses(deps);
    const second = await reconcilePauses(deps);

    // Assess
    const after = (await deps.projects.get(p.id)) as ProjectRecord;
    expect(first.sourcesExpired).toEqual([`${p.id}/${b}`]);
    expect(first.sourceTimersCreated).toEqual([]);
    expect(after.status).toBe('FAILED');
    expect(after.sources?.[1]?.expiredAt).toBeDefined();
    expect(after.sources?.[0]?.expiredAt).toBeUndefined();
    expect(after.subtasks.flatMap((s) => (s.sources ?? []).filter((part) => part.sourceId === b).map((part) => part.lastError?.code))).toContain('SOURCE_PAUSE_EXPIRED');
    expect(names(scheduler)).toEqual([]);
    expect(second).toMatchObject({ sourceTimersCreated: [], sourcesExpired: [], errors: [] });
    expect((await deps.projects.get(p.id))?.version).toBe(after.version);
  });

  it('leaves alone a source whose timer exists, and one resumed since (the index no longer lists it)', async () => {
    // Prepare: one project's source keeps its timer; the other project's source was resumed
    const { deps, scheduler, p, b, timer } = await prepareSourcePause();
    const before = names(scheduler);
    const resumed = (await applyOperation(deps, { operation: 'resume', projectId: p.id, sources: [b], ctx })) as ProjectRecord;
    const kept = await prepareSourcePause();

    // Act
    const report = await reconcilePauses(deps);
    const other = await reconcilePauses(kept.deps);

    // Assess
    expect(before).toEqual([timer]);
    expect(resumed.sources?.[1]?.pausedAt).toBeUndefined();
    expect(report).toMatchObject({ sourceTimersCreated: [], sourcesExpired: [], errors: [] });
    expect(names(scheduler)).toEqual([]);
    expect(other).toMatchObject({ sourceTimersCreated: [], sourcesExpired: [], timersDeleted: [], errors: [] });
    expect(names(kept.scheduler)).toEqual([kept.timer]);
  });
});
