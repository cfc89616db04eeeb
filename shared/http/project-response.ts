import type { ProjectRecord } from '../domain/project';
import { toProjectView } from '../usecases/project-view';
import { etag, json } from './middleware';

/** A project as the API returns it, with its version as the ETag. */
export function projectResponse(statusCode: number, project: ProjectRecord, nowMs: number) {
  return json(statusCode, toProjectView(project, nowMs), { etag: etag(project.version) });
}
