import { DomainError } from '../domain/errors';
import type { PauseTimerInput } from '../domain/pause-timers';
import type { Deps } from './deps';
import { ruleFor } from '../domain/transitions';
import { runEffects } from './effects';
import { writeTransition } from './transition-write';

export type TimerOutcome = { outcome: 'applied'; version: number } | { outcome: 'ignored'; code: string };

/**
 * A pause timer fired. Each is one conditional write (still PAUSED, the same pause, and for the expiry
 * the deadline reached and not yet marked), so a duplicate, late or stale firing changes nothing.
 */
export async function firePauseTimer(deps: Deps, input: PauseTimerInput, requestId: string): Promise<TimerOutcome> {
  if (input.sourceId !== undefined) return fireSourcePauseTimer(deps, { ...input, sourceId: input.sourceId }, requestId);
  const operation = input.kind === 'expire' ? 'expire-pause' : 'warn-pause-expiring';
  try {
    const { before, after } = await writeTransition(deps, operation, {
      operation: 'pause',
      projectId: input.projectId,
      samePause: input.pausedAt,
      ctx: { actor: 'system', requestId, cause: input.kind === 'expire' ? 'pause-expired' : 'pause-expiring-soon' },
    });
    // The record's effects (expiry: the run and every job stopped for good; they can never be resumed).
    if (after) await runEffects(deps, ruleFor(operation).effects ?? [], { req: { operation, projectId: input.projectId, ctx: { actor: 'system', requestId } }, before, after });
    return { outcome: 'applied', version: after?.version ?? 0 };
  } catch (e) {
    if (e instanceof DomainError && e.status < 500) return { outcome: 'ignored', code: e.code };
    throw e;
  }
}

/**
 * A source's own pause reached its deadline: the source is marked expired and the project FAILED for
 * good (expire-source-pause; the write checks it is still that pause and the deadline passed), then the
 * run and every job are stopped (the change streams released).
 */
async function fireSourcePauseTimer(deps: Deps, input: PauseTimerInput & { sourceId: string }, requestId: string): Promise<TimerOutcome> {
  const operation = 'expire-source-pause';
  const ctx = { actor: 'system', requestId, cause: 'source-pause-expired' };
  try {
    const req = { operation, projectId: input.projectId, sources: [input.sourceId], sourcePause: input.pausedAt, ctx } as const;
    const { before, after } = await writeTransition(deps, operation, req);
    if (after) await runEffects(deps, ruleFor(operation).effects ?? [], { req, before, after });
    return { outcome: 'applied', version: after?.version ?? 0 };
  } catch (e) {
    if (e instanceof DomainError && e.status < 500) return { outcome: 'ignored', code: e.code };
    throw e;
  }
}
