import { BatchOperationBody } from '../../shared/api/schemas';
import { httpHandler, json } from '../../shared/http/middleware';
import { metrics, MetricUnit } from '../../shared/observability/telemetry';
import { getDeps } from '../../shared/runtime';
import { runBatch } from '../../shared/usecases/batch';

/** Preview (dryRun) or execute one operation on many projects: 200 with one result per project. */
export const handler = httpHandler({ body: BatchOperationBody }, async ({ body, ctx }) => {
  const result = await runBatch(getDeps(), body, ctx);
  // Batch sizes by operation (the request's operation/result dimensions come from the shared telemetry).
  metrics.addMetric('BatchSize', MetricUnit.Count, 'requested' in result ? result.requested : result.eligible.length + result.ineligible.length);
  return json(200, result);
});
