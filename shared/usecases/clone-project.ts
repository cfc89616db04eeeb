import { validationFailed } from '../domain/errors';
import type { ProjectRecord, RequestContext } from '../domain/project';
import { sourceIdsOf } from '../domain/sources';
import type { Deps } from './deps';
import { createProject, getProject, type CreateProjectInput } from './projects';

/** A new name, and any field of the create body to change (the others are the original's). */
export type CloneProjectInput = Pick<CreateProjectInput, 'name'> & Partial<Omit<CreateProjectInput, 'name'>>;

/**
 * Creates a NOT_STARTED project like an existing one (any status, RELEASED included): the same data
 * sources, migration type, tables, alert level, labels and description unless the body overrides them.
 * It is a create in every other respect (name reservation, engine choice, precheck, idempotency); its
 * first audit event names the original (`detail.clonedFrom`).
 */
export async function cloneProject(deps: Deps, originalId: string, input: CloneProjectInput, ctx: RequestContext): Promise<ProjectRecord> {
  const original = await getProject(deps, originalId);
  const merged: CreateProjectInput = {
    name: input.name,
    // Every source of the original unless the body names others (sourceIds, or the sourceId shorthand).
    sourceIds: input.sourceIds ?? (input.sourceId !== undefined ? [input.sourceId] : sourceIdsOf(original)),
    destinationId: input.destinationId ?? original.destinationId,
    migrationType: input.migrationType ?? original.migrationType,
    alertLevel: input.alertLevel ?? original.alertLevel,
    labels: input.labels ?? original.labels,
  };
  const description = input.description ?? original.description;
  if (description !== undefined) merged.description = description;
  const tables = input.tables ?? original.tables ?? undefined;
  if (tables) merged.tables = tables;
  if (merged.sourceIds?.includes(merged.destinationId)) {
    const field = input.destinationId !== undefined ? 'destinationId' : input.sourceIds !== undefined ? 'sourceIds' : 'sourceId';
    throw validationFailed('The clone would have the same source and destination.', [
      { path: ['body', field], code: 'custom', message: 'source and destination must differ' },
    ]);
  }
  return createProject(deps, merged, ctx, { clonedFrom: original.id });
}
