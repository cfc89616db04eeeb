import { IdPath } from '../../shared/api/schemas';
import { httpHandler, json } from '../../shared/http/middleware';
import { getDeps } from '../../shared/runtime';
import { listProjectEvents } from '../../shared/usecases/projects';

export const handler = httpHandler({ path: IdPath }, async ({ path }) => json(200, { items: await listProjectEvents(getDeps(), path.id) }));
