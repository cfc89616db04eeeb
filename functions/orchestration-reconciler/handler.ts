// This function runs or observes engine jobs: it is built with the engines that move real data (AWS DMS).
import '../../shared/deployed-engines';
// It makes or drops write-stop positions: it is built with the position reader (the PostgreSQL driver).
import '../../shared/deployed-position-reader';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { SHARD_COUNT } from '../../shared/domain/shards';
import { BATCHES_STALLED_METRIC } from '../../shared/observability/names';
import { logger, metrics, MetricUnit } from '../../shared/observability/telemetry';
import { getDeps } from '../../shared/runtime';
import { reconcilePauses, type PauseReconcileReport, type ReconcileReport } from '../../shared/usecases/reconcile';
import { reconcileRuns, reconcileShard, type ShardReport } from '../../shared/usecases/reconcile-shards';
import { claimsDeadAtBoot, reconcileBatches, type BatchReconcileReport } from '../../shared/usecases/reconcile-batches';

/** Pauses younger than this get their jobs checked on every scheduled run (3 chances at 5-minute intervals). */
const RECENT_PAUSE_MS = 15 * 60_000;

type Event = { worker?: unknown; shard?: unknown; graceSeconds?: unknown; allPauses?: unknown; batchQueueRestarted?: unknown } | null;
/** Every mode answers with the run report (empty for the pause worker) and, where it swept them, the pauses and batches. */
type Result = (ReconcileReport & { pauses?: PauseReconcileReport; batches?: BatchReconcileReport }) | ShardReport;

/**
 * Every 5 minutes, one invocation per worker, independent of each other (RECONCILER_WORKERS, one schedule
 * target each):
 *  - `{worker: 'runs', shard}`: that shard's run worker (reconcileShard) — restarts RUNNING projects whose
 *    execution is gone, completes tasks of opened gates, finishes releases left RELEASING — within its
 *    budget and the invocation's time, continuing the shard's pass from its checkpoint;
 *  - `{worker: 'pauses'}`: the pause-timer sweep (reconcilePauses), no longer behind the runs, then the
 *    batch sweep (reconcileBatches: stalled large batches re-driven).
 * Without a worker (`npm start` at boot, with {graceSeconds: 0, allPauses: true, batchQueueRestarted: true},
 * and tests): all of it in this process, the shards concurrently, every shard's pass to its end. At boot
 * the in-memory batch queue is new: every batch not completed is re-driven, its earlier claims dead.
 */
export const handler = middy<unknown, Result>().handler(async (event, context: Context) => {
  const e = (event ?? null) as Event;
  const grace = typeof e?.graceSeconds === 'number' && e.graceSeconds >= 0 ? { graceMs: e.graceSeconds * 1000 } : {};
  const allPauses = e?.allPauses === true;
  const requestId = context?.awsRequestId ?? 'reconciler';
  const deps = getDeps();
  const pauseSweep = () => reconcilePauses(deps, allPauses ? {} : { jobsPausedSinceMs: deps.clock.nowMs() - RECENT_PAUSE_MS });
  const batchSweep = async () => {
    const report = await reconcileBatches(deps, { ...grace, ...(e?.batchQueueRestarted === true ? { claimsDeadBefore: claimsDeadAtBoot(deps) } : {}) });
    // The gauge an alarm watches (infra/constructs/monitoring.ts): batches a re-drive does not move.
    metrics.singleMetric().addMetric(BATCHES_STALLED_METRIC, MetricUnit.Count, report.stalled.length);
    return report;
  };

  if (e?.worker === 'runs') {
    const shard = e.shard;
    if (typeof shard !== 'number' || !Number.isInteger(shard) || shard < 0 || shard >= SHARD_COUNT) throw new Error(`reconciler: shard must be 0..${SHARD_COUNT - 1}, got ${String(shard)}`);
    const timeLeftMs = typeof context?.getRemainingTimeInMillis === 'function' ? () => context.getRemainingTimeInMillis() : undefined;
    const report = await reconcileShard(deps, { shard, requestId, ...grace, ...(timeLeftMs ? { timeLeftMs } : {}) });
    const { restarted, released, errors, ...rest } = report;
    (errors.length ? logger.warn : logger.info).call(logger, 'reconciled shard', { ...rest, restarted, released, errors });
    return report;
  }
  if (e?.worker === 'pauses') {
    const pauses = await pauseSweep();
    (pauses.errors.length ? logger.warn : logger.info).call(logger, 'reconciled pauses', { ...pauses });
    const batches = await batchSweep();
    (batches.errors.length ? logger.warn : logger.info).call(logger, 'reconciled batches', { ...batches });
    return { checked: 0, restarted: [], released: [], errors: [], pauses, batches };
  }
  const [report, pauses, batches] = await Promise.all([reconcileRuns(deps, { requestId, ...grace }), pauseSweep(), batchSweep()]);
  const summary = {
    checked: report.checked,
    restarted: report.restarted,
    released: report.released,
    timersCreated: pauses.timersCreated,
    timersDeleted: pauses.timersDeleted,
    pausesRepaired: pauses.jobsPaused,
    batchesRedriven: batches.redriven,
    errors: [...report.errors, ...pauses.errors, ...batches.errors],
  };
  (summary.errors.length ? logger.warn : logger.info).call(logger, 'reconciled runs', summary);
  const { shards: _shards, ...runs } = report;
  return { ...runs, pauses, batches };
});
