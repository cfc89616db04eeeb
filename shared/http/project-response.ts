import type { ProjectRecord } from '../domain/project';
import { lifecycleView, toProjectView } from '../usecases/project-view';
import { etag, json } from './middleware';

/** A project as the API returns it, with its version as the ETag. */
export function projectResponse(statusCode: number, project: ProjectRecord, nowMs: number) {
  return json(statusCode, toProjectView(project, nowMs), { etag: etag(project.version) });
}

/** A lifecycle operation's answer: the project, plus on a multi-source project the outcome per source (`outcome`). */
export function lifecycleResponse(project: ProjectRecord, nowMs: number, operation: string, sources?: readonly string[]) {
  const op = sources?.length ? (operation === 'pause' ? 'pause-sources' : operation === 'resume' ? 'resume-sources' : operation) : operation;
  return json(200, lifecycleView(project, nowMs, op, sources?.length ? sources : undefined), { etag: etag(project.version) });
}
