import document from '../../shared/api/openapi.json';
import { httpHandler, json } from '../../shared/http/middleware';

/**
 * GET /openapi.json: the checked-in document (`npm run openapi` generates it from the route table and the
 * zod schemas; a unit test fails when it is stale). Serving the file instead of generating it per process
 * keeps the response schemas and the JSON Schema generator out of this function's cold start.
 */
export const handler = httpHandler({}, async () => json(200, document, { 'cache-control': 'public, max-age=300' }));
