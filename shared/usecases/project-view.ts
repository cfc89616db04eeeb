import type { ProjectRecord, ProjectView } from '../domain/project';
import { allowedActions, isAllowed, ruleFor } from '../domain/transitions';

/** The API view of a project: derived fields come from the transitions table and the clock, never from storage. */
export function toProjectView(p: ProjectRecord, nowMs: number): ProjectView {
  return {
    ...p,
    description: p.description,
    tables: p.tables ?? null,
    labels: p.labels ?? [],
    subtasks: p.subtasks ?? [],
    resumable: isAllowed(ruleFor('resume'), p, nowMs),
    allowedActions: allowedActions(p, nowMs),
  };
}
