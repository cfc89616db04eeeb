// This function runs or observes engine jobs: it is built with the engines that move real data (AWS DMS).
import '../../shared/deployed-engines';
import type { Context } from 'aws-lambda';
import { CloneProjectBody, CreateProjectBody, IdPath } from '../../shared/api/schemas';
import { httpHandler } from '../../shared/http/middleware';
import { projectResponse } from '../../shared/http/project-response';
import { getDeps } from '../../shared/runtime';
import { cloneProject } from '../../shared/usecases/clone-project';
import { createProject } from '../../shared/usecases/projects';

const create = httpHandler({ body: CreateProjectBody }, async ({ body, ctx }) => {
  const deps = getDeps();
  return projectResponse(201, await createProject(deps, body, ctx), deps.clock.nowMs());
});

const clone = httpHandler({ path: IdPath, body: CloneProjectBody }, async ({ path, body, ctx }) => {
  const deps = getDeps();
  return projectResponse(201, await cloneProject(deps, path.id, body, ctx), deps.clock.nowMs());
});

/** Both routes that create a project: POST /projects, and POST /projects/{id}/clone (a project like an existing one). */
export const handler = (event: Parameters<typeof create>[0], context: Context) => (event.resource === '/projects/{id}/clone' ? clone(event, context) : create(event, context));
