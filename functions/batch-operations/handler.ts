import { BatchOperationBody } from '../../shared/api/schemas';
import { httpHandler, json } from '../../shared/http/middleware';
import { getDeps } from '../../shared/runtime';
import { runBatch } from '../../shared/usecases/batch';

/** Preview (dryRun) or execute one operation on many projects: 200 with one result per project. */
export const handler = httpHandler({ body: BatchOperationBody }, async ({ body, ctx }) => json(200, await runBatch(getDeps(), body, ctx)));
