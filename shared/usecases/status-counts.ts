import { PROJECT_STATUSES, type ProjectStatus } from '../domain/project';
import type { Deps } from './deps';

/** Projects per status, for the "projects by status" dashboard (every status, zeros included). */
export async function countProjectsByStatus(deps: Pick<Deps, 'projects'>): Promise<Record<ProjectStatus, number>> {
  const counts = await Promise.all(PROJECT_STATUSES.map(async (s) => [s, await deps.projects.countByStatus(s)] as const));
  return Object.fromEntries(counts) as Record<ProjectStatus, number>;
}
