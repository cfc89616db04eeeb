import { DomainError } from '../domain/errors';
import type { ProjectRecord } from '../domain/project';
import { ruleFor, type UserOperation } from '../domain/transitions';
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
  const rule = ruleFor(req.operation);
  const { before, after } = await writeTransition(deps, req.operation, req, req.current);
  if (after === null) return null;
  return runEffects(deps, rule.effects ?? [], { req, before, after });
}
