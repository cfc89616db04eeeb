import { isoAt } from '../domain/clock';
import { DomainError } from '../domain/errors';
import { ALL_SHARDS } from '../domain/shards';
import type { ProjectStatus } from '../domain/project';
import { withProgress } from '../domain/progress';
import type { SweepCheckpoint } from '../ports';
import { mapWithConcurrency } from './concurrency';
import type { Deps } from './deps';
import { finishUnfinishedRelease, repairRun, type ReconcileReport } from './reconcile';

/**
 * The reconciler's run pass, fanned out: one worker per shard (shared/domain/shards.ts), each an
 * independent invocation (deployed: one scheduled target per worker, infra/constructs/orchestrator.ts;
 * `npm start`: the same events in-process). A worker walks the RUNNING projects of its shard newest
 * first, then the RELEASING ones, and keeps where it stands in a checkpoint item of its own: an
 * invocation stopped by its budget, or killed by the Lambda timeout, is continued by the next one from
 * the saved cursor (at most one page is visited again after a kill), never restarted from the newest.
 * Each invocation is bounded: at most `projects` projects and about `calls` calls to Step Functions and
 * the engines (checked between pages; a page's repairs add at most pageSize × MAX_CALLS_PER_REPAIR).
 */

export interface ShardBudget {
  /** Projects one invocation visits at most. */
  projects: number;
  /** Calls to the orchestrator and the engines one invocation makes at most (checked between pages). */
  calls: number;
  /** Projects read a page (and repaired concurrently: their look-ups go out together). */
  pageSize: number;
  /** Repairs in flight at once. */
  concurrency: number;
  /** Stop when fewer milliseconds than this are left of the invocation (its checkpoint is saved by then). */
  reserveMs: number;
}

/**
 * 10^5 RUNNING projects over 16 shards are ~6,250 a shard: one invocation of 10,000 finishes a shard's pass
 * (see bench/RESULTS-scale.md for its time against the 5-minute interval); a larger shard takes more invocations.
 */
export const DEFAULT_SHARD_BUDGET: ShardBudget = { projects: 10_000, calls: 20_000, pageSize: 100, concurrency: 16, reserveMs: 20_000 };

export type StopReason = 'pass-done' | 'projects' | 'calls' | 'time' | 'superseded';

export interface ShardReport extends ReconcileReport {
  worker: string;
  shard: number;
  passStartedAt: string;
  /** This invocation began the pass (false: it continued one). */
  began: boolean;
  /** The cursor this invocation resumed from (absent: it began the pass). */
  resumedFrom?: string;
  /** Projects this invocation visited (RUNNING and RELEASING). */
  visited: number;
  /** Calls to the orchestrator and the engines. */
  calls: number;
  stoppedBy: StopReason;
}

export const runWorkerName = (shard: number) => `reconcile-runs-${shard}`;

/** Counts the calls made through the orchestrator and engine ports (the invocation's AWS-call budget). */
function counting(deps: Deps): { deps: Deps; calls: () => number } {
  let calls = 0;
  const wrap = <T extends object>(port: T): T =>
    new Proxy(port, {
      get(target, key, receiver) {
        const v = Reflect.get(target, key, receiver) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          calls++;
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  return { deps: { ...deps, orchestrator: wrap(deps.orchestrator), engine: wrap(deps.engine) }, calls: () => calls };
}

/**
 * One invocation of a shard's run worker: continues the shard's pass from its checkpoint (or begins
 * one), visits RUNNING then RELEASING projects page by page within the budget, saving the cursor after
 * every page. Two invocations of one worker at once: the checkpoint's version lets one continue.
 */
export async function reconcileShard(
  deps: Deps,
  options: { shard: number; budget?: Partial<ShardBudget>; graceMs?: number; requestId?: string; timeLeftMs?: () => number },
): Promise<ShardReport> {
  const budget = { ...DEFAULT_SHARD_BUDGET, ...options.budget };
  const repairOptions = { graceMs: options.graceMs ?? 60_000, requestId: options.requestId ?? 'reconciler' };
  const worker = runWorkerName(options.shard);
  const now = () => isoAt(deps.clock.nowMs());
  const stored = await deps.projects.getCheckpoint(worker);
  const resuming = stored !== undefined && !stored.done;
  let checkpoint: SweepCheckpoint = resuming
    ? { ...stored, invocations: stored.invocations + 1, updatedAt: now(), version: stored.version + 1 }
    : { worker, passStartedAt: now(), done: false, visited: 0, invocations: 1, updatedAt: now(), version: (stored?.version ?? 0) + 1 };
  const report: ShardReport = {
    worker,
    shard: options.shard,
    passStartedAt: checkpoint.passStartedAt,
    began: !resuming,
    ...(resuming && stored.cursor !== undefined ? { resumedFrom: stored.cursor } : {}),
    checked: 0,
    restarted: [],
    released: [],
    errors: [],
    visited: 0,
    calls: 0,
    stoppedBy: 'pass-done',
  };
  if (!(await deps.projects.saveCheckpoint(checkpoint))) return { ...report, stoppedBy: 'superseded' };
  const counted = counting(deps);
  const stopReason = (): StopReason | undefined => {
    if (report.visited >= budget.projects) return 'projects';
    if (counted.calls() >= budget.calls) return 'calls';
    if (options.timeLeftMs && options.timeLeftMs() < budget.reserveMs) return 'time';
    return undefined;
  };
  // The cursor walks RUNNING first, then RELEASING: `phase` says which status it stands in.
  const phases: { status: ProjectStatus; repair: typeof repairRun }[] = [
    { status: 'RUNNING', repair: repairRun },
    { status: 'RELEASING', repair: finishUnfinishedRelease },
  ];
  for (;;) {
    const stop = stopReason();
    if (stop) {
      report.stoppedBy = stop;
      break;
    }
    const { status, cursor } = positionOf(checkpoint.cursor);
    const phase = phases.findIndex((p) => p.status === status);
    const page = await listPage(deps, status, options.shard, Math.min(budget.pageSize, budget.projects - report.visited), cursor);
    const repair = phases[phase]?.repair ?? repairRun;
    // The index holds what list views need: the repairs read whole records with their run's measurements
    // (last poll, checkpoints: the progress items), BatchGetItem, 100 a request.
    const ids = page.items.map((p) => p.id);
    const [whole, progress] = await Promise.all([deps.projects.getMany(ids), deps.projects.getProgressMany(ids)]);
    const records = page.items.flatMap((p) => whole.get(p.id) ?? []).filter((p) => p.status === status).map((p) => withProgress(p, progress.get(p.id)));
    await mapWithConcurrency(records, budget.concurrency, (p) => repair(counted.deps, p, report, repairOptions));
    report.visited += page.items.length;
    const next = page.nextToken !== undefined ? cursorAt(status, page.nextToken) : phases[phase + 1] ? cursorAt(phases[phase + 1]!.status, undefined) : undefined;
    const { cursor: _dropped, ...rest } = checkpoint;
    checkpoint = {
      ...rest,
      ...(next !== undefined ? { cursor: next } : {}),
      done: next === undefined,
      visited: checkpoint.visited + page.items.length,
      updatedAt: now(),
      version: checkpoint.version + 1,
    };
    if (!(await deps.projects.saveCheckpoint(checkpoint))) {
      report.stoppedBy = 'superseded';
      break;
    }
    if (checkpoint.done) break;
  }
  report.calls = counted.calls();
  return report;
}

/**
 * One page of the shard's projects of a status from a saved position. A position the store no longer
 * accepts (a token of another key: it was rotated) begins that status again rather than failing every invocation.
 */
async function listPage(deps: Deps, status: ProjectStatus, shard: number, limit: number, nextToken: string | undefined) {
  try {
    return await deps.projects.listByStatusShard(status, shard, { limit, ...(nextToken !== undefined ? { nextToken } : {}) });
  } catch (e) {
    if (nextToken === undefined || !(e instanceof DomainError && e.status === 400)) throw e;
    return deps.projects.listByStatusShard(status, shard, { limit });
  }
}

/** A checkpoint cursor: the status the worker stands in and the position inside it ("RUNNING" alone: its start). */
function cursorAt(status: ProjectStatus, position: string | undefined): string {
  return position === undefined ? status : `${status}|${position}`;
}

function positionOf(cursor: string | undefined): { status: ProjectStatus; cursor?: string } {
  if (cursor === undefined) return { status: 'RUNNING' };
  const bar = cursor.indexOf('|');
  if (bar < 0) return { status: cursor as ProjectStatus };
  return { status: cursor.slice(0, bar) as ProjectStatus, cursor: cursor.slice(bar + 1) };
}

/**
 * A whole run pass in this process: every shard's worker (or those of `shards`: the shards of the
 * projects one wants repaired, as their own scheduled workers would), concurrently, each invoked until
 * its pass is done (boot, tests). A shard whose pass was left midway by an earlier invocation finishes
 * it and then makes one full pass of its own, so every RUNNING project of the shard is visited.
 */
export async function reconcileRuns(
  deps: Deps,
  options: { graceMs?: number; requestId?: string; budget?: Partial<ShardBudget>; shards?: readonly number[] } = {},
): Promise<ReconcileReport & { shards: ShardReport[] }> {
  const { shards: only, ...shardOptions } = options;
  const shards = await Promise.all(
    (only ?? ALL_SHARDS).map(async (shard) => {
      const reports: ShardReport[] = [];
      let begunHere = false;
      for (let i = 0; i < 10_000; i++) {
        const r = await reconcileShard(deps, { ...shardOptions, shard });
        reports.push(r);
        begunHere ||= r.began;
        if (r.stoppedBy === 'superseded' || (r.stoppedBy === 'pass-done' && begunHere)) break;
      }
      return reports;
    }),
  );
  const all = shards.flat();
  return {
    checked: all.reduce((n, r) => n + r.checked, 0),
    alive: all.reduce((n, r) => n + (r.alive ?? 0), 0),
    restarted: all.flatMap((r) => r.restarted),
    released: all.flatMap((r) => r.released),
    failed: all.flatMap((r) => r.failed ?? []),
    errors: all.flatMap((r) => r.errors),
    shards: all,
  };
}

/** What one reconciler invocation does: one shard's run worker, the pause sweep, or (no worker named) everything in-process. */
export type ReconcilerWorkerEvent = { worker: 'runs'; shard: number } | { worker: 'pauses' };

/** The independent workers of one reconciler pass: one per shard for the runs, one for the pause timers. */
export const RECONCILER_WORKERS: readonly ReconcilerWorkerEvent[] = [...ALL_SHARDS.map((shard) => ({ worker: 'runs' as const, shard })), { worker: 'pauses' }];
