import type { ProjectRecord, ProjectView } from '../domain/project';
import { isMultiSource, operationOutcome, sourceIdsOf, sourceViews } from '../domain/sources';
import { allowedActions, isAllowed, ruleFor } from '../domain/transitions';

/** The API view of a project: derived fields come from the transitions table and the clock, never from storage. */
export function toProjectView(p: ProjectRecord, nowMs: number): ProjectView {
  const { taskToken: _token, sources: _sources, sourceIds: _sourceIds, execution: _execution, polledAt: _polledAt, ...shown } = p; // the execution's task token and hand-over stay server-side
  return {
    ...shown,
    // A single-source project's view stays as it was (sourceId alone); several sources add the list and each one's status.
    ...(isMultiSource(p) ? { sourceIds: sourceIdsOf(p), sources: sourceViews(p, nowMs) } : {}),
    currentStage: p.currentStage ?? null,
    description: p.description,
    tables: p.tables ?? null,
    labels: p.labels ?? [],
    subtasks: p.subtasks ?? [],
    resumable: isAllowed(ruleFor('resume'), p, nowMs),
    allowedActions: allowedActions(p, nowMs),
  };
}

/**
 * The answer to a lifecycle operation: the project view, plus (multi-source projects) the outcome per
 * source under `outcome`, so a partial result is visible source by source.
 */
export function lifecycleView(p: ProjectRecord, nowMs: number, operation: string, targeted?: readonly string[]): ProjectView {
  const view = toProjectView(p, nowMs);
  if (!isMultiSource(p)) return view;
  return { ...view, outcome: operationOutcome(operation, view.sources ?? sourceViews(p, nowMs), targeted) };
}
