import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger } from '../../shared/observability/telemetry';
import { getDeps } from '../../shared/runtime';
import { reconcileRuns, type ReconcileReport } from '../../shared/usecases/orchestration';
import { reconcilePauses, type PauseReconcileReport } from '../../shared/usecases/reconcile';

/** Pauses younger than this get their jobs checked on every scheduled run (3 chances at 5-minute intervals). */
const RECENT_PAUSE_MS = 15 * 60_000;

/**
 * Scheduled (every 5 minutes) and run once at `npm start` boot: restarts RUNNING projects whose execution
 * is gone and finishes releases left RELEASING (reconcileRuns); sweeps the pause timers against the
 * PAUSED projects — missing ones created, those of pauses that are over deleted — and pauses jobs still
 * running under a recent pause, at boot (allPauses) under every pause (reconcilePauses).
 */
export const handler = middy<unknown, ReconcileReport & { pauses: PauseReconcileReport }>().handler(async (event, context: Context) => {
  // The schedule sends its own event; a caller may pass {graceSeconds} and {allPauses} (npm start does at boot: 0, true).
  const grace = (event as { graceSeconds?: unknown } | null)?.graceSeconds;
  const allPauses = (event as { allPauses?: unknown } | null)?.allPauses === true;
  const deps = getDeps();
  const report = await reconcileRuns(deps, {
    requestId: context?.awsRequestId ?? 'reconciler',
    ...(typeof grace === 'number' && grace >= 0 ? { graceMs: grace * 1000 } : {}),
  });
  const pauses = await reconcilePauses(deps, allPauses ? {} : { jobsPausedSinceMs: deps.clock.nowMs() - RECENT_PAUSE_MS });
  const summary = {
    checked: report.checked,
    restarted: report.restarted,
    released: report.released,
    timersCreated: pauses.timersCreated,
    timersDeleted: pauses.timersDeleted,
    pausesRepaired: pauses.jobsPaused,
    errors: [...report.errors, ...pauses.errors],
  };
  if (summary.errors.length) logger.warn('reconciled runs', summary);
  else logger.info('reconciled runs', summary);
  return { ...report, pauses };
});
