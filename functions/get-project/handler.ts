import { IdPath } from '../../shared/api/schemas';
import { httpHandler } from '../../shared/http/middleware';
import { projectResponse } from '../../shared/http/project-response';
import { getDeps } from '../../shared/runtime';
import { getProject } from '../../shared/usecases/projects';

export const handler = httpHandler({ path: IdPath }, async ({ path }) => {
  const deps = getDeps();
  return projectResponse(200, await getProject(deps, path.id), deps.clock.nowMs());
});
