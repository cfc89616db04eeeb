import { IdPath, ListQuery } from '../../shared/api/schemas';
import { httpHandler, json } from '../../shared/http/middleware';
import { getDeps } from '../../shared/runtime';
import { listProjectEvents } from '../../shared/usecases/projects';

export const handler = httpHandler({ path: IdPath, query: ListQuery }, async ({ path, query }) =>
  json(200, await listProjectEvents(getDeps(), path.id, query.limit, query.nextToken)),
);
