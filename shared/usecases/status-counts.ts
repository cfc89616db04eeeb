import { PROJECT_STATUSES, type ProjectStatus } from '../domain/project';
import type { StatusChange } from '../ports';
import type { Deps } from './deps';

/**
 * Projects per status, for the "projects by status" dashboard (every status, zeros included): the
 * counters the table stream maintains (a bounded read: one item per status and shard), whatever the
 * number of projects. Counters never set (a new table, data from before counting) are recounted first.
 */
export async function countProjectsByStatus(deps: Pick<Deps, 'projects'>): Promise<Record<ProjectStatus, number>> {
  return (await deps.projects.readStatusCounts()) ?? (await recountProjectsByStatus(deps));
}

/**
 * The repair path: counts the status index shard by shard, page by page, and sets the counters to it.
 * Exact when no transition commits meanwhile (a change counted from the stream during the recount may be
 * counted twice or not at all): run it when the counters are missing, or when the fleet is quiet.
 */
export async function recountProjectsByStatus(deps: Pick<Deps, 'projects'>): Promise<Record<ProjectStatus, number>> {
  const perShard = Object.fromEntries(
    await Promise.all(PROJECT_STATUSES.map(async (s) => [s, await deps.projects.recountStatus(s)] as const)),
  ) as Record<ProjectStatus, number[]>;
  await deps.projects.writeStatusCounts(perShard);
  return Object.fromEntries(PROJECT_STATUSES.map((s) => [s, perShard[s].reduce((a, b) => a + b, 0)])) as Record<ProjectStatus, number>;
}

/**
 * Counts committed status changes (audit events from the table stream: create, transitions, delete)
 * into the counters. Each change counts once however often the stream delivers it, in any order (the
 * counter updates are additions): after replays and redeliveries the counters are exact.
 */
export async function countStatusChanges(deps: Pick<Deps, 'projects'>, changes: readonly StatusChange[]): Promise<number> {
  const counted = await Promise.all(changes.map((c) => (c.from === c.to ? false : deps.projects.countStatusChange(c))));
  return counted.filter(Boolean).length;
}
