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
