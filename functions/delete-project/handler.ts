import { DeleteProjectQuery, IdPath } from '../../shared/api/schemas';
import { httpHandler, noContent } from '../../shared/http/middleware';
import { getDeps } from '../../shared/runtime';
import { applyOperation } from '../../shared/usecases/lifecycle';

export const handler = httpHandler({ path: IdPath, query: DeleteProjectQuery, ifMatch: true }, async ({ path, query, expectedVersion, ctx }) => {
  await applyOperation(getDeps(), {
    operation: 'delete',
    projectId: path.id,
    confirmName: query.confirmName,
    requireConfirmation: true,
    expectedVersion,
    ctx,
  });
  return noContent();
});
