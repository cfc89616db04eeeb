import { describe, expect, it } from 'vitest';
import { InMemoryOrchestrator } from '../../shared/adapters/memory/orchestrator';
import { ALL_SHARDS, shardOf } from '../../shared/domain/shards';
import type { ProjectRecord } from '../../shared/domain/project';
import { createDataSource } from '../../shared/usecases/data-sources';
import { applyOperation } from '../../shared/usecases/lifecycle';
import { createProject } from '../../shared/usecases/projects';
import { reconcileRuns, reconcileShard, runWorkerName } from '../../shared/usecases/reconcile-shards';
import { memoryDeps } from '../support/memory-deps';

const ctx = { actor: 'arn:aws:iam::123456789012:user/alice', requestId: 'req-1' };
const mt = { structureMigration: true, fullMigration: true, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false };

/** `count` RUNNING projects; the executions of those `lost` picks are gone (as if stopped by hand). */
async function prepare(count: number, lost: (i: number) => boolean = () => false) {
  const orchestrator = new InMemoryOrchestrator();
  const deps = memoryDeps({ orchestrator });
  const src = await createDataSource(deps, { name: 'src', engine: 'mysql', host: 'h', port: 3306, username: 'u' });
  const dst = await createDataSource(deps, { name: 'dst', engine: 'tidb', host: 'h', port: 4000, username: 'u' });
  const projects: ProjectRecord[] = [];
  for (let i = 0; i < count; i++) {
    deps.clock.advance(1_000);
    const p = await createProject(deps, { name: `p-${i}`, sourceId: src.id, destinationId: dst.id, migrationType: mt }, ctx);
    const started = (await applyOperation(deps, { operation: 'start', projectId: p.id, ctx })) as ProjectRecord;
    if (lost(i)) orchestrator.finish(p.id, started.run ?? 1);
    projects.push(started);
  }
  deps.clock.advance(3_600_000); // past the reconciler's grace
  // Every look-up of an execution, by project: a RUNNING project the worker visits is looked up once.
  const lookedUp: string[] = [];
  const isRunActive = orchestrator.isRunActive.bind(orchestrator);
  orchestrator.isRunActive = async (p) => {
    lookedUp.push(p.id);
    return isRunActive(p);
  };
  const busiest = ALL_SHARDS.map((s) => ({ s, n: projects.filter((p) => shardOf(p.id) === s).length })).sort((a, b) => b.n - a.n)[0]?.s ?? 0;
  const inShard = (shard: number) => projects.filter((p) => shardOf(p.id) === shard).map((p) => p.id);
  return { deps, orchestrator, projects, lookedUp, busiest, inShard };
}

const count = (ids: string[]) => ids.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map<string, number>());

describe('reconciler shard workers: fan-out, resume, bounds', () => {
  it('a pass stopped by its project budget is continued by the next invocation: every RUNNING project of the shard visited exactly once', async () => {
    // Prepare
    const { deps, lookedUp, busiest, inShard } = await prepare(160);
    const expected = inShard(busiest);
    expect(expected.length).toBeGreaterThan(7);

    // Act: invocations of at most 4 projects each, until the pass is done
    const reports = [];
    for (let i = 0; i < 100; i++) {
      const r = await reconcileShard(deps, { shard: busiest, graceMs: 0, budget: { projects: 4, pageSize: 3 } });
      reports.push(r);
      if (r.stoppedBy === 'pass-done') break;
    }

    // Assess
    expect(reports.length).toBe(Math.ceil(expected.length / 4) + (expected.length % 4 === 0 ? 1 : 0));
    expect(reports.slice(0, -1).every((r) => r.stoppedBy === 'projects' && r.visited === 4)).toBe(true);
    expect(reports.slice(1).every((r) => r.resumedFrom !== undefined && !r.began)).toBe(true);
    expect(reports[0]?.began).toBe(true);
    expect(new Set(reports.map((r) => r.passStartedAt)).size).toBe(1);
    expect([...count(lookedUp).entries()].sort()).toEqual(expected.map((id) => [id, 1]).sort());
    const checkpoint = await deps.projects.getCheckpoint(runWorkerName(busiest));
    expect(checkpoint).toMatchObject({ done: true, visited: expected.length, invocations: reports.length });
  });

  it('the budget of calls to Step Functions and the engines stops an invocation between pages; the next one continues', async () => {
    // Prepare
    const { deps, lookedUp, busiest, inShard } = await prepare(120);
    const expected = inShard(busiest);

    // Act
    const reports = [];
    for (let i = 0; i < 100; i++) {
      const r = await reconcileShard(deps, { shard: busiest, graceMs: 0, budget: { calls: 2, pageSize: 2 } });
      reports.push(r);
      if (r.stoppedBy === 'pass-done') break;
    }

    // Assess: a page of 2 costs 2 look-ups, so each invocation reads one page
    expect(reports.slice(0, -1).every((r) => r.stoppedBy === 'calls' && r.calls === 2 && r.visited === 2)).toBe(true);
    expect([...count(lookedUp).entries()].sort()).toEqual(expected.map((id) => [id, 1]).sort());
  });

  it('a new pass begins after a finished one (from the newest), and the shard workers of a whole pass restart each lost run once', async () => {
    // Prepare: every third run's execution is gone
    const { deps, orchestrator, projects } = await prepare(60, (i) => i % 3 === 0);
    const lost = projects.filter((_, i) => i % 3 === 0).map((p) => p.id);

    // Act
    const first = await reconcileRuns(deps, { graceMs: 0 });
    const second = await reconcileRuns(deps, { graceMs: 0 });

    // Assess
    expect(first.restarted.map((r) => r.projectId).sort()).toEqual([...lost].sort());
    expect(first.restarted.every((r) => r.run === 2)).toBe(true);
    expect(first.checked).toBe(projects.length);
    expect(first.shards.map((r) => r.shard).sort((a, b) => a - b)).toEqual([...ALL_SHARDS]);
    expect(second.restarted).toEqual([]);
    expect(second.checked).toBe(projects.length);
    expect(orchestrator.started.filter((n) => n.endsWith('-2')).sort()).toEqual(lost.map((id) => `${id}-2`).sort());
  });

  it('an invocation killed midway (the Lambda timeout) loses at most its current page: the next continues from the last saved cursor', async () => {
    // Prepare: the invocation dies after repairing its second page, before saving where it stands
    const { deps, lookedUp, busiest, inShard } = await prepare(160);
    const newestFirst = inShard(busiest).reverse();
    expect(newestFirst.length).toBeGreaterThan(8);
    const save = deps.projects.saveCheckpoint.bind(deps.projects);
    let saves = 0;
    deps.projects.saveCheckpoint = async (c) => {
      if (++saves === 3) throw new Error('Task timed out after 240.00 seconds');
      return save(c);
    };

    // Act
    const killed = await reconcileShard(deps, { shard: busiest, graceMs: 0, budget: { pageSize: 4 } }).catch((e: Error) => e);
    deps.projects.saveCheckpoint = save;
    const next = await reconcileShard(deps, { shard: busiest, graceMs: 0, budget: { pageSize: 4 } });

    // Assess: the first page is not visited again, the second once more, the rest once
    expect(killed).toBeInstanceOf(Error);
    expect(next).toMatchObject({ began: false, stoppedBy: 'pass-done', visited: newestFirst.length - 4 });
    const visits = count(lookedUp);
    expect(newestFirst.map((id) => visits.get(id))).toEqual(newestFirst.map((_, i) => (i >= 4 && i < 8 ? 2 : 1)));
  });

  it('two invocations of one worker at once: the checkpoint lets one continue, the other stops', async () => {
    // Prepare
    const { deps, busiest } = await prepare(40);
    const first = await reconcileShard(deps, { shard: busiest, graceMs: 0, budget: { projects: 1, pageSize: 1 } });
    const stale = await deps.projects.getCheckpoint(runWorkerName(busiest));

    // Act: another invocation saves first; this one's save of the same version is refused
    await reconcileShard(deps, { shard: busiest, graceMs: 0, budget: { projects: 1, pageSize: 1 } });
    const refused = await deps.projects.saveCheckpoint({ ...(stale as NonNullable<typeof stale>), version: (stale?.version ?? 0) + 1 });

    // Assess
    expect(first.stoppedBy).toBe('projects');
    expect(refused).toBe(false);
  });
});
