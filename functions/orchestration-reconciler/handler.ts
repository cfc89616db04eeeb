import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger } from '../../shared/observability/telemetry';
import { getDeps } from '../../shared/runtime';
import { reconcileRuns, type ReconcileReport } from '../../shared/usecases/orchestration';

/** Scheduled (every 5 minutes) and run once at `npm start` boot: restarts RUNNING projects whose execution is gone. */
export const handler = middy<unknown, ReconcileReport>().handler(async (event, context: Context) => {
  // The schedule sends its own event; a caller may pass {graceSeconds} (npm start does at boot: 0).
  const grace = (event as { graceSeconds?: unknown } | null)?.graceSeconds;
  const report = await reconcileRuns(getDeps(), {
    requestId: context?.awsRequestId ?? 'reconciler',
    ...(typeof grace === 'number' && grace >= 0 ? { graceMs: grace * 1000 } : {}),
  });
  const summary = { checked: report.checked, restarted: report.restarted, released: report.released, timersEnsured: report.timersEnsured, errors: report.errors };
  if (report.errors.length) logger.warn('reconciled runs', summary);
  else logger.info('reconciled runs', summary);
  return report;
});
