import { IdPath } from '../../shared/api/schemas';
import { httpHandler, json } from '../../shared/http/middleware';
import { getDeps } from '../../shared/runtime';
import { getDataSource, toDataSourceView } from '../../shared/usecases/data-sources';

export const handler = httpHandler({ path: IdPath }, async ({ path }) => json(200, toDataSourceView(await getDataSource(getDeps(), path.id))));
