import { ListProjectsQuery } from '../../shared/api/schemas';
import { httpHandler, json } from '../../shared/http/middleware';
import { getDeps } from '../../shared/runtime';
import { toProjectView } from '../../shared/usecases/project-view';
import { listProjects } from '../../shared/usecases/projects';

export const handler = httpHandler({ query: ListProjectsQuery }, async ({ query }) => {
  const deps = getDeps();
  const page = await listProjects(deps, query);
  const now = deps.clock.nowMs();
  return json(200, { items: page.items.map((p) => toProjectView(p, now)), ...(page.nextToken ? { nextToken: page.nextToken } : {}) });
});
