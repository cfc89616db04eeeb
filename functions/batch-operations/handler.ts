// This function runs or observes engine jobs: it is built with the engines that move real data (AWS DMS).
import '../../shared/deployed-engines';
import { BatchOperationBody } from '../../shared/api/schemas';
import { httpHandler, json } from '../../shared/http/middleware';
import { metrics, MetricUnit } from '../../shared/observability/telemetry';
import { getDeps } from '../../shared/runtime';
import { batchJobView, submitBatch } from '../../shared/usecases/batch-jobs';

/**
 * Preview (dryRun) or execute one operation on many projects: a small batch within the request (200, one
 * result per project); a large one is accepted (202, Location of the batch resource) and runs on the queue.
 */
export const handler = httpHandler({ body: BatchOperationBody }, async ({ body, ctx }) => {
  const submitted = await submitBatch(getDeps(), body, ctx);
  if (submitted.kind === 'accepted') {
    metrics.addMetric('BatchAccepted', MetricUnit.Count, 1);
    return json(202, batchJobView(submitted.batch), { location: `/batch-operations/${submitted.batch.batchId}` });
  }
  const result = submitted.result;
  // Batch sizes by operation (the request's operation/result dimensions come from the shared telemetry).
  metrics.addMetric('BatchSize', MetricUnit.Count, 'requested' in result ? result.requested : result.eligible.length + result.ineligible.length);
  return json(200, result);
});
