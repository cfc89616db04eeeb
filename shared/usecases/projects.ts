import { isoAt } from '../domain/clock';
import { DomainError, notFound, validationFailed } from '../domain/errors';
import type { AlertLevel, AuditEvent, MigrationType, ProjectRecord, ProjectStatus, RequestContext, TableRef } from '../domain/project';
import { stageOf } from '../domain/orchestration';
import { buildSubtasks } from '../domain/subtasks';
import { CreateConflict, type Page } from '../ports';
import type { Deps } from './deps';

export interface CreateProjectInput {
  name: string;
  description?: string;
  sourceId: string;
  destinationId: string;
  migrationType: MigrationType;
  tables?: TableRef[];
  alertLevel?: AlertLevel;
  labels?: string[];
}

export async function createProject(deps: Deps, input: CreateProjectInput, ctx: RequestContext): Promise<ProjectRecord> {
  const nowMs = deps.clock.nowMs();
  const at = isoAt(nowMs);
  const subtasks = buildSubtasks(input.migrationType);
  const project: ProjectRecord = {
    id: deps.newId(),
    name: input.name,
    ...(input.description !== undefined ? { description: input.description } : {}),
    sourceId: input.sourceId,
    destinationId: input.destinationId,
    migrationType: input.migrationType,
    tables: input.tables ?? null,
    labels: [...new Set(input.labels ?? [])],
    alertLevel: input.alertLevel ?? 'NONE',
    status: 'NOT_STARTED',
    version: 1,
    createdAt: at,
    updatedAt: at,
    subtasks,
    currentStage: stageOf(subtasks),
  };
  const event: AuditEvent = {
    at,
    operation: 'create',
    from: null,
    to: 'NOT_STARTED',
    actor: ctx.actor,
    requestId: ctx.requestId,
    version: 1,
  };
  try {
    await deps.projects.create(project, event);
  } catch (e) {
    if (!(e instanceof CreateConflict)) throw e;
    if (e.reason === 'NAME_TAKEN') {
      throw new DomainError(409, 'NAME_TAKEN', 'Project name taken', `A project named '${input.name}' exists and is not released.`, {
        name: input.name,
      });
    }
    if (e.reason === 'UNKNOWN_DATA_SOURCE') {
      const field = e.dataSourceId === input.sourceId ? 'sourceId' : 'destinationId';
      throw validationFailed(`Unknown data source '${e.dataSourceId}'.`, [
        { path: [field], code: 'unknown_data_source', message: `No data source with id '${e.dataSourceId}'.` },
      ]);
    }
    throw e;
  }
  return project;
}

export async function getProject(deps: Deps, id: string): Promise<ProjectRecord> {
  const project = await deps.projects.get(id);
  if (!project) throw notFound('PROJECT_NOT_FOUND', id);
  return project;
}

export async function listProjects(
  deps: Deps,
  query: { status?: ProjectStatus; label?: string; limit: number; nextToken?: string },
): Promise<Page<ProjectRecord>> {
  return deps.projects.list(query);
}

/**
 * One page of the audit trail, oldest first. It stays readable after a delete: it is what tells who
 * deleted the project and when. A project with no events at all never existed (404).
 */
export async function listProjectEvents(deps: Deps, id: string, limit: number, nextToken?: string): Promise<Page<AuditEvent>> {
  const page = await deps.projects.listEventsPage(id, limit, nextToken);
  if (page.items.length === 0 && nextToken === undefined) throw notFound('PROJECT_NOT_FOUND', id);
  return page;
}
