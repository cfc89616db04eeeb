import { CreateProjectBody } from '../../shared/api/schemas';
import { httpHandler } from '../../shared/http/middleware';
import { projectResponse } from '../../shared/http/project-response';
import { getDeps } from '../../shared/runtime';
import { createProject } from '../../shared/usecases/projects';

export const handler = httpHandler({ body: CreateProjectBody }, async ({ body, ctx }) => {
  const deps = getDeps();
  return projectResponse(201, await createProject(deps, body, ctx), deps.clock.nowMs());
});
