import type { ProjectRecord, ProjectView } from '../domain/project';
import { allowedActions, isAllowed, ruleFor } from '../domain/transitions';

/** The API view of a project: derived fields come from the transitions table and the clock, never from storage. */
export function toProjectView(p: ProjectRecord, nowMs: number): ProjectView {
  const { taskToken: _token, execution: _execution, polledAt: _polledAt, ...shown } = p; // the execution's task token and hand-over stay server-side
  return {
    ...shown,
    currentStage: p.currentStage ?? null,
    description: p.description,
    tables: p.tables ?? null,
    labels: p.labels ?? [],
    subtasks: p.subtasks ?? [],
    resumable: isAllowed(ruleFor('resume'), p, nowMs),
    allowedActions: allowedActions(p, nowMs),
  };
}
