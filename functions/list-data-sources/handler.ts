import { ListQuery } from '../../shared/api/schemas';
import { httpHandler, json } from '../../shared/http/middleware';
import { getDeps } from '../../shared/runtime';
import { listDataSources, toDataSourceView } from '../../shared/usecases/data-sources';

export const handler = httpHandler({ query: ListQuery }, async ({ query }) => {
  const page = await listDataSources(getDeps(), query.limit, query.nextToken);
  return json(200, { items: page.items.map(toDataSourceView), ...(page.nextToken ? { nextToken: page.nextToken } : {}) });
});
