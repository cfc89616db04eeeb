// This function runs or observes engine jobs: it is built with the engines that move real data (AWS DMS).
import '../../shared/deployed-engines';
import { IdPath, operationBody } from '../../shared/api/schemas';
import { routeOfEvent } from '../../shared/api/routes';
import { httpHandler } from '../../shared/http/middleware';
import { lifecycleResponse } from '../../shared/http/project-response';
import { getDeps } from '../../shared/runtime';
import { answerOperation } from '../../shared/usecases/lifecycle';

/** start | pause | resume | release | alert-config | switchover …: the operation record the route belongs to. */
const operationOf = (event: { httpMethod: string; resource: string }) => {
  const operation = routeOfEvent(event)?.operation;
  if (!operation) throw new Error(`No lifecycle operation for ${event.httpMethod} ${event.resource}`);
  return operation;
};

export const handler = httpHandler(
  (event) => ({ path: IdPath, body: operationBody(operationOf(event)), ifMatch: true as const }),
  async ({ path, body, expectedVersion, ctx }, event) => {
    const deps = getDeps();
    const project = await answerOperation(deps, {
      operation: operationOf(event),
      projectId: path.id,
      expectedVersion,
      ...(body && 'level' in body ? { parameters: { level: body.level } } : {}),
      ...(body && 'step' in body ? { parameters: { step: body.step } } : {}),
      ...(body && 'sources' in body && body.sources ? { sources: body.sources } : {}),
      ctx,
    });
    if (!project) throw new Error('lifecycle operation deleted the project');
    const sources = body && 'sources' in body ? body.sources : undefined;
    return lifecycleResponse(project, deps.clock.nowMs(), operationOf(event), sources);
  },
);
