import { IdPath, ListQuery } from '../../shared/api/schemas';
import { httpHandler, json } from '../../shared/http/middleware';
import { getDeps } from '../../shared/runtime';
import { batchJobView, getBatch } from '../../shared/usecases/batch-jobs';

/** A batch: its counters and status, and one page of its per-project results. */
export const handler = httpHandler({ path: IdPath, query: ListQuery }, async ({ path, query }) => {
  const { batch, results, nextToken } = await getBatch(getDeps(), path.id, query.limit, query.nextToken);
  return json(200, { ...batchJobView(batch), results, ...(nextToken ? { nextToken } : {}) });
});
