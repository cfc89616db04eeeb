import { DomainError } from '../domain/errors';
import type { ProjectRecord } from '../domain/project';
import { ruleFor, type UserOperation } from '../domain/transitions';
import { readProject } from './project-read';
import type { Deps } from './deps';
import { runEffects } from './effects';
import { writeTransition, type LifecycleRequest } from './transition-write';

export { explainConflict, writeTransition, type LifecycleRequest } from './transition-write';
export { finishRelease } from './effects';

/**
 * Applies a user-facing operation: its one conditional write (shared/usecases/transition-write.ts), then
 * the side effects its record lists (shared/usecases/effects.ts), in order. Returns the project after
 * the operation, or null once deleted.
 */
export async function applyOperation(deps: Deps, req: LifecycleRequest & { operation: UserOperation }): Promise<ProjectRecord | null> {
  if (req.operation === 'delete' && req.requireConfirmation && !req.confirmName) {
    throw new DomainError(400, 'CONFIRMATION_MISMATCH', 'Confirmation does not match', 'Deleting a project needs confirmName: the project name, typed exactly.');
  }
  if (req.operation === 'confirm-switchover-step' && !req.parameters?.step) {
    throw new DomainError(400, 'VALIDATION_FAILED', 'Request validation failed', 'parameters.step is required.');
  }
  if (req.sources?.length && (req.operation === 'pause' || req.operation === 'resume')) return applyOperation(deps, await perSourceRequest(deps, req));
  const rule = ruleFor(req.operation);
  const { before, after } = await writeTransition(deps, req.operation, req, req.current);
  if (after === null) return null;
  return runEffects(deps, rule.effects ?? [], { req, before, after });
}

/**
 * pause/resume with `sources` (a body's, or a batch's parameter): the per-source operation of the
 * table (pause-sources, resume-sources). A per-source pause that would leave no source of a RUNNING
 * project running is the whole pause (the project is PAUSED; "it stays RUNNING while one source runs").
 */
async function perSourceRequest(deps: Deps, req: LifecycleRequest & { operation: UserOperation }): Promise<LifecycleRequest & { operation: UserOperation }> {
  if (req.operation === 'resume') return { ...req, operation: 'resume-sources' };
  const current = req.current ?? (await readProject(deps, req.projectId));
  const wanted = req.sources ?? [];
  const known = current?.sources?.length ? current.sources : undefined;
  const leftRunning = known?.filter((s) => !s.pausedAt && !wanted.includes(s.sourceId)) ?? [];
  const allKnown = known !== undefined && wanted.every((id) => known.some((s) => s.sourceId === id && !s.pausedAt));
  if (current?.status === 'RUNNING' && allKnown && leftRunning.length === 0) return { ...req, sources: undefined, ...(current ? { current } : {}) };
  return { ...req, operation: 'pause-sources', ...(current ? { current } : {}) };
}

/**
 * A lifecycle operation as the API answers it: applied (applyOperation), then the project as GET shows
 * it — the whole record (item and progress item, readProject) — provided no later transition moved it
 * on (same version): so the answer holds what the operation's effects recorded after its write (a
 * pause's jobs' last checkpoints) and the latest measurements of the subtasks still running. Had
 * another transition come first, the answer stays the record this operation left. One place for every
 * operation's answer: the view built from it (project-view.ts) is then the one GET builds.
 */
export async function answerOperation(deps: Deps, req: LifecycleRequest & { operation: UserOperation }): Promise<ProjectRecord | null> {
  const after = await applyOperation(deps, req);
  if (after === null) return null;
  // The operation has committed: a failed re-read must not turn its answer into an error (a retry would
  // then find the project moved on). The answer is then the record the operation left.
  const read = await readProject(deps, after.id).catch((e: unknown) => {
    console.log(JSON.stringify({ level: 'WARN', message: 'answer: the project could not be read again after the operation; answering with the record it left', projectId: after.id, error: (e as Error)?.message ?? String(e) }));
    return undefined;
  });
  return read && read.version === after.version ? read : after;
}
