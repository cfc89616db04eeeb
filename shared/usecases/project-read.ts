import { withProgress } from '../domain/progress';
import type { ProjectRecord } from '../domain/project';
import type { Deps } from './deps';

/**
 * A project as one record: its item and its progress item (the latest measurements of its running
 * subtasks, shared/domain/progress.ts), read together. Undefined when the project does not exist.
 */
export async function readProject(deps: Pick<Deps, 'projects'>, id: string): Promise<ProjectRecord | undefined> {
  const [project, progress] = await Promise.all([deps.projects.get(id), deps.projects.getProgress(id)]);
  return project && withProgress(project, progress);
}
