import { ListQuery } from '../../shared/api/schemas';
import { httpHandler, json } from '../../shared/http/middleware';
import { getDeps } from '../../shared/runtime';
import { batchJobView, listBatches } from '../../shared/usecases/batch-jobs';

/** Batches run as resources, newest first. */
export const handler = httpHandler({ query: ListQuery }, async ({ query }) => {
  const page = await listBatches(getDeps(), query.limit, query.nextToken);
  return json(200, { items: page.items.map(batchJobView), ...(page.nextToken ? { nextToken: page.nextToken } : {}) });
});
