import { EngineRouter } from '../../shared/adapters/engine/engine-router';
import { SimulatedMigrationEngine } from '../../shared/adapters/engine/simulated-engine';
import { SUBTASK_TYPES, type SubtaskType } from '../../shared/domain/subtasks';
import type { Deps } from '../../shared/usecases/deps';

/**
 * A LOCAL-ONLY route of the embedded default, to try the failure paths: it makes the SIMULATED engine
 * fail a project's subtask (its current one unless named), through the engine's own failure injection.
 * It is not in the route table (shared/api/routes.ts): never deployed, never in the OpenAPI document.
 * The job fails when its progress reaches `atPercent` (0, the default: at its next poll); the run then
 * records the subtask and the project FAILED, as for any engine failure, and `resume` retries it.
 */
export interface LocalRoute {
  method: 'POST';
  /** A path template like the API's (`{id}`); under /local/ so it can never be taken for an API route. */
  path: string;
  handle(pathParameters: Record<string, string>, body: unknown): Promise<{ status: number; body: unknown }>;
}

export const FAIL_SUBTASK_PATH = '/local/projects/{id}/fail-subtask';

const problem = (status: number, code: string, detail: string) => ({
  status,
  body: { type: `urn:migration-control-plane:problem:${code.toLowerCase().replace(/_/g, '-')}`, title: code.replace(/_/g, ' ').toLowerCase(), status, code, detail },
});

/** Subtasks the simulated engine runs as a job (the forward switchover is steps, not a job). */
const JOB_SUBTASKS: readonly SubtaskType[] = SUBTASK_TYPES.filter((t) => t !== 'FORWARD_SWITCHOVER');

/** The SIMULATED engine itself, or the one a router (the runtime's engines) holds. */
export function simulatedEngineOf(engine: unknown): SimulatedMigrationEngine | undefined {
  if (engine instanceof SimulatedMigrationEngine) return engine;
  return engine instanceof EngineRouter ? simulatedEngineOf(engine.configured('simulated')) : undefined;
}

/** `engine`: the SIMULATED engine, or the router holding it (as main.ts has it). */
export function failSubtaskRoute(deps: () => Deps, engine: unknown): LocalRoute {
  const simulated = simulatedEngineOf(engine);
  return {
    method: 'POST',
    path: FAIL_SUBTASK_PATH,
    async handle({ id = '' }, raw) {
      const body = (raw ?? {}) as { subtask?: unknown; atPercent?: unknown; message?: unknown };
      if (typeof raw !== 'object' || Array.isArray(raw)) return problem(400, 'VALIDATION_FAILED', 'The body is an object: {subtask?, atPercent?, message?}.');
      const unknown = Object.keys(body).filter((k) => !['subtask', 'atPercent', 'message'].includes(k));
      if (unknown.length) return problem(400, 'VALIDATION_FAILED', `Unknown field(s): ${unknown.join(', ')}.`);
      if (body.subtask !== undefined && !JOB_SUBTASKS.includes(body.subtask as SubtaskType)) {
        return problem(400, 'VALIDATION_FAILED', `subtask must be one of ${JOB_SUBTASKS.join(', ')}.`);
      }
      const atPercent = body.atPercent ?? 0;
      if (typeof atPercent !== 'number' || !(atPercent >= 0 && atPercent <= 100)) return problem(400, 'VALIDATION_FAILED', 'atPercent is a number from 0 to 100.');
      if (body.message !== undefined && (typeof body.message !== 'string' || body.message.length === 0 || body.message.length > 500)) {
        return problem(400, 'VALIDATION_FAILED', 'message is a string of 1 to 500 characters.');
      }
      if (!simulated) return problem(409, 'NOT_SIMULATED', 'This server has no SIMULATED engine.');
      const project = await deps().projects.get(id);
      if (!project) return problem(404, 'PROJECT_NOT_FOUND', `No project with id '${id}'.`);
      if (project.engine !== undefined && project.engine !== 'simulated') {
        return problem(
          409,
          'NOT_SIMULATED',
          `Project ${project.name} runs on the ${project.engine} engine: failures are injected into the SIMULATED engine only (README "Trying failures" gives a real cause for PostgreSQL).`,
        );
      }
      const subtask = (body.subtask as SubtaskType | undefined) ?? project.currentStage ?? undefined;
      if (!subtask || !project.subtasks.some((s) => s.type === subtask)) {
        return problem(409, 'NO_SUCH_SUBTASK', `Project ${project.name} has no ${subtask ?? 'current'} subtask to fail (status ${project.status}).`);
      }
      if (subtask === 'FORWARD_SWITCHOVER') return problem(409, 'NO_SUCH_SUBTASK', 'The forward switchover runs steps, not a job: name another subtask.');
      const message = typeof body.message === 'string' ? body.message : `simulated failure of ${subtask} (injected locally)`;
      await simulated.injectFailure({ projectId: project.id, subtask, atPercent, message });
      return { status: 202, body: { projectId: project.id, name: project.name, subtask, atPercent, message, status: project.status } };
    },
  };
}
