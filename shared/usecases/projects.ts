import { isoAt } from '../domain/clock';
import { DomainError, notFound, validationFailed } from '../domain/errors';
import type { AlertLevel, AuditEvent, EngineKind, MigrationType, ProjectRecord, ProjectStatus, RequestContext, TableRef } from '../domain/project';
import { stageOf } from '../domain/orchestration';
import { buildSubtasks } from '../domain/subtasks';
import { CreateConflict, type Page } from '../ports';
import type { Deps } from './deps';
import { readProject } from './project-read';
import { runPrecheck } from './effects';
import { chooseEngine } from '../domain/engines';
import type { DataSourceRecord } from '../domain/data-source';
import { initialSources, MAX_SOURCES, REVERSE_SYNC_SEVERAL_SOURCES_CODE, REVERSE_SYNC_SEVERAL_SOURCES_MESSAGE, reverseSyncWithSeveralSources, sourceIdsOf } from '../domain/sources';

export interface CreateProjectInput {
  name: string;
  description?: string;
  /** The shorthand of a single source (or the first of sourceIds). */
  sourceId?: string;
  /** Every source (1..MAX_SOURCES, distinct); sourceId alone means [sourceId]. */
  sourceIds?: string[];
  destinationId: string;
  migrationType: MigrationType;
  tables?: TableRef[];
  alertLevel?: AlertLevel;
  labels?: string[];
}

/**
 * Creates a NOT_STARTED project on the engine its data sources call for (several sources with reverse
 * sync are refused, see reverseSyncWithSeveralSources), and runs its precheck: at once
 * for the simulated engine (nothing to check: PASSED), in the engine for a real one (recorded on the
 * project; a failed precheck keeps it from starting until POST /projects/{id}/precheck passes).
 */
export async function createProject(deps: Deps, input: CreateProjectInput, ctx: RequestContext, origin?: { clonedFrom: string }): Promise<ProjectRecord> {
  const nowMs = deps.clock.nowMs();
  const at = isoAt(nowMs);
  const sourceIds = sourcesOfInput(input);
  if (reverseSyncWithSeveralSources(sourceIds, input.migrationType)) {
    throw validationFailed(REVERSE_SYNC_SEVERAL_SOURCES_MESSAGE, [
      { path: ['body', 'migrationType', 'reverseIncrementalSync'], code: REVERSE_SYNC_SEVERAL_SOURCES_CODE, message: REVERSE_SYNC_SEVERAL_SOURCES_MESSAGE },
    ]);
  }
  const subtasks = buildSubtasks(input.migrationType, sourceIds);
  const engine = await engineForProject(deps, input, sourceIds);
  const sources = initialSources(sourceIds);
  const checked = engine === 'simulated';
  const project: ProjectRecord = {
    id: deps.newId(),
    name: input.name,
    ...(input.description !== undefined ? { description: input.description } : {}),
    sourceId: sourceIds[0] as string,
    sourceIds,
    ...(sources ? { sources } : {}),
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
      throw validationFailed(`Unknown data source '${e.dataSourceId}'.`, [
        { path: bodyPathOf(input, e.dataSourceId ?? ''), code: 'unknown_data_source', message: `No data source with id '${e.dataSourceId}'.` },
      ]);
    }
    throw e;
  }
  if (checked) return project;
  return (await runPrecheck(deps, project, { operation: 'precheck', projectId: project.id, ctx })) ?? project;
}

/** The sources of a create request: sourceIds, else [sourceId] (the schema refuses neither, duplicates, or a disagreeing pair). */
function sourcesOfInput(input: Pick<CreateProjectInput, 'sourceId' | 'sourceIds'>): string[] {
  const ids = input.sourceIds ?? (input.sourceId !== undefined ? [input.sourceId] : []);
  if (ids.length === 0) throw validationFailed('A project needs a source.', [{ path: ['body', 'sourceIds'], code: 'too_small', message: 'give sourceIds (or sourceId)' }]);
  if (ids.length > MAX_SOURCES) throw validationFailed(`At most ${MAX_SOURCES} sources.`, [{ path: ['body', 'sourceIds'], code: 'too_big', message: `at most ${MAX_SOURCES} sources` }]);
  const dup = ids.findIndex((id, i) => ids.indexOf(id) !== i);
  if (dup >= 0) throw validationFailed(`Source '${ids[dup]}' is listed twice.`, [{ path: ['body', 'sourceIds', dup], code: 'duplicate_source', message: `source '${ids[dup]}' is listed twice` }]);
  return ids;
}

/** Where a data source id sits in the create body (for the problem's path). */
function bodyPathOf(input: Pick<CreateProjectInput, 'sourceId' | 'sourceIds' | 'destinationId'>, id: string): (string | number)[] {
  if (id === input.destinationId) return ['body', 'destinationId'];
  const i = input.sourceIds?.indexOf(id) ?? -1;
  return i >= 0 ? ['body', 'sourceIds', i] : ['body', 'sourceId'];
}

/** The engine of a new project, from its data sources (an unknown one is refused as the create write would); every source must call for the same engine. */
async function engineForProject(deps: Deps, input: Pick<CreateProjectInput, 'sourceId' | 'sourceIds' | 'destinationId'>, sourceIds: readonly string[]): Promise<EngineKind> {
  const { destinationId } = input;
  const [destination, ...sources] = await Promise.all([destinationId, ...sourceIds].map((id) => deps.dataSources.get(id)));
  const all: [string, DataSourceRecord | undefined][] = [[destinationId, destination], ...sourceIds.map((id, i) => [id, sources[i]] as [string, DataSourceRecord | undefined])];
  for (const [id, ds] of all) {
    if (!ds) throw validationFailed(`Unknown data source '${id}'.`, [{ path: bodyPathOf(input, id), code: 'unknown_data_source', message: `No data source with id '${id}'.` }]);
  }
  const kinds = deps.engine.kinds ?? ['simulated'];
  const engines = sources.map((source) => chooseEngine(source as DataSourceRecord, destination as DataSourceRecord, kinds));
  const engine = engines[0];
  if (!engine || engines.some((e) => e !== engine)) {
    const found = sources.map((s) => s?.engine).join(', ');
    throw new DomainError(400, 'ENGINE_NOT_AVAILABLE', 'No engine for these data sources', `No one engine of this deployment migrates ${found} to ${destination?.engine}.`);
  }
  return engine;
}

/** The whole project: its item with its run's latest measurements (the progress item, shared/domain/progress.ts). */
export async function getProject(deps: Deps, id: string): Promise<ProjectRecord> {
  const project = await readProject(deps, id);
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
