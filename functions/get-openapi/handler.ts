import { buildOpenApiDocument } from '../../shared/api/openapi';
import { httpHandler, json } from '../../shared/http/middleware';

/** GET /openapi.json: the document generated from the route table and the zod schemas (built once per process). */
let document: unknown;

export const handler = httpHandler({}, async () => {
  document ??= buildOpenApiDocument();
  return json(200, document, { 'cache-control': 'public, max-age=300' });
});
