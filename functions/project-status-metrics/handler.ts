import middy from '@middy/core';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { metrics, MetricUnit } from '../../shared/observability/telemetry';
import { getDeps } from '../../shared/runtime';
import { countProjectsByStatus } from '../../shared/usecases/status-counts';

/** Scheduled every few minutes: one ProjectsByStatus gauge per status, for the ops dashboard. */
export const handler = middy()
  .use(logMetrics(metrics))
  .handler(async () => {
    const counts = await countProjectsByStatus(getDeps());
    for (const [status, count] of Object.entries(counts)) {
      const single = metrics.singleMetric();
      single.addDimension('status', status);
      single.addMetric('ProjectsByStatus', MetricUnit.Count, count);
    }
    return counts;
  });
