import { CreateDataSourceBody } from '../../shared/api/schemas';
import { httpHandler, json } from '../../shared/http/middleware';
import { getDeps } from '../../shared/runtime';
import { createDataSource, toDataSourceView } from '../../shared/usecases/data-sources';

export const handler = httpHandler({ body: CreateDataSourceBody }, async ({ body }) =>
  json(201, toDataSourceView(await createDataSource(getDeps(), body))),
);
