import { IdPath } from '../../shared/api/schemas';
import { httpHandler, noContent } from '../../shared/http/middleware';
import { getDeps } from '../../shared/runtime';
import { deleteDataSource } from '../../shared/usecases/data-sources';

export const handler = httpHandler({ path: IdPath }, async ({ path }) => {
  await deleteDataSource(getDeps(), path.id);
  return noContent();
});
