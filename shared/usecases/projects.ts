import { isoAt } from '../domain/clock';
import { DomainError, notFound, validationFailed } from '../domain/errors';
import type { AlertLevel, AuditEvent, EngineKind, MigrationType, ProjectRecord, ProjectStatus, RequestContext, TableRef } from '../domain/project';
import { stageOf } from '../domain/orchestration';
import { buildSubtasks } from '../domain/subtasks';
import { CreateConflict, type Page } from '../ports';
import type { Deps } from './deps';
import { runPrecheck } from './effects';
import { chooseEngine } from '../domain/engines';
import type { DataSourceRecord } from '../domain/data-source';

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

/**
 * Creates a NOT_STARTED project on the engine its data sources call for, and runs its precheck: at once
 * for the simulated engine (nothing to check: PASSED), in the engine for a real one (recorded on the
 * project; a failed precheck keeps it from starting until POST /projects/{id}/precheck passes).
 */
export async function createProject(deps: Deps, input: CreateProjectInput, ctx: RequestContext, origin?: { clonedFrom: string }): Promise<ProjectRecord> {
  const nowMs = deps.clock.nowMs();
  const at = isoAt(nowMs);
  const subtasks = buildSubtasks(input.migrationType);
  const engine = await engineForProject(deps, input);
  const checked = engine === 'simulated';
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
    engine,
    precheck: checked
      ? { status: 'PASSED', items: [{ name: 'engine', status: 'PASSED', message: 'SIMULATED engine: no data moves, nothing to check.' }], checkedAt: at }
      : { status: 'RUNNING', items: [], checkedAt: at },
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
    // A clone's first event names the project it was made from.
    ...(origin ? { detail: { clonedFrom: origin.clonedFrom } } : {}),
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
        { path: ['body', field], code: 'unknown_data_source', message: `No data source with id '${e.dataSourceId}'.` },
      ]);
    }
    throw e;
  }
  if (checked) return project;
  return (await runPrecheck(deps, project, { operation: 'precheck', projectId: project.id, ctx })) ?? project;
}

/** The engine of a new project, from its data sources (an unknown one is refused as the create write would). */
async function engineForProject(deps: Deps, input: Pick<CreateProjectInput, 'sourceId' | 'destinationId'>): Promise<EngineKind> {
  const [source, destination] = await Promise.all([deps.dataSources.get(input.sourceId), deps.dataSources.get(input.destinationId)]);
  for (const [field, id, ds] of [['sourceId', input.sourceId, source], ['destinationId', input.destinationId, destination]] as const) {
    if (!ds) throw validationFailed(`Unknown data source '${id}'.`, [{ path: ['body', field], code: 'unknown_data_source', message: `No data source with id '${id}'.` }]);
  }
  const engine = chooseEngine(source as DataSourceRecord, destination as DataSourceRecord, deps.engine.kinds ?? ['simulated']);
  if (!engine) {
    throw new DomainError(400, 'ENGINE_NOT_AVAILABLE', 'No engine for these data sources', `No engine of this deployment migrates ${source?.engine} to ${destination?.engine}.`);
  }
  return engine;
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
