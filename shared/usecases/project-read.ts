import { withProgress } from '../domain/progress';
import type { ProjectRecord } from '../domain/project';
import type { Deps } from './deps';

/**
 * A project as one record: its item and its progress item (the latest measurements of its running
 * subtasks, shared/domain/progress.ts), read together in one request (they share the project's
 * partition). Undefined when the project does not exist. Every project an answer shows, and every
 * record a transition is computed from, is read through here (or readProjects, or wholeRecord).
 */
export async function readProject(deps: Pick<Deps, 'projects'>, id: string): Promise<ProjectRecord | undefined> {
  const { project, progress } = await deps.projects.getWithProgress(id);
  return project && withProgress(project, progress);
}

/** Many whole records at once (consistent batch reads of the items and of their progress items). */
export async function readProjects(deps: Pick<Deps, 'projects'>, ids: readonly string[]): Promise<Map<string, ProjectRecord>> {
  const [items, progress] = await Promise.all([deps.projects.getMany(ids), deps.projects.getProgressMany(ids)]);
  const whole = new Map<string, ProjectRecord>();
  for (const [id, p] of items) whole.set(id, withProgress(p, progress.get(id)));
  return whole;
}

/** A project item read on its own (the item a refused write returns): made whole with its progress item. */
export async function wholeRecord(deps: Pick<Deps, 'projects'>, item: ProjectRecord | undefined): Promise<ProjectRecord | undefined> {
  return item && withProgress(item, await deps.projects.getProgress(item.id));
}
