import * as z from 'zod';
import { SUBTASK_TYPES, SWITCHOVER_STEPS } from '../domain/subtasks';
import { Id } from './schemas';

/** The payload the state machine sends to the orchestration-step function (one action per Lambda task). */
export const ORCHESTRATION_ACTIONS = ['next', 'start', 'poll', 'await', 'complete', 'fail', 'continue'] as const;
export type OrchestrationAction = (typeof ORCHESTRATION_ACTIONS)[number];

const Work = z.object({
  action: z.enum(['BEGIN', 'RUN', 'AWAIT', 'IDLE', 'COMPLETE', 'FENCED']),
  subtask: z.enum(SUBTASK_TYPES).optional(),
  step: z.enum(SWITCHOVER_STEPS.map((s) => s.name) as [(typeof SWITCHOVER_STEPS)[number]['name'], ...(typeof SWITCHOVER_STEPS)[number]['name'][]]).optional(),
  gate: z.enum(['SWITCHOVER_ENTRY', 'SWITCHOVER_START', 'STEP_CONFIRMATION']).optional(),
  outcome: z.enum(['WAITING', 'DONE', 'FAILED', 'FENCED', 'CONTINUE', 'CONTINUED']).optional(),
});

export const OrchestrationStepEvent = z.object({
  action: z.enum(ORCHESTRATION_ACTIONS),
  projectId: Id,
  run: z.number().int().positive(),
  work: Work.optional(),
  taskToken: z.string().min(1).max(10_000).optional(),
  /** The execution's history count: its leg of the run, the events estimated so far, the estimate it continues at. */
  history: z.object({ leg: z.number().int().nonnegative(), events: z.number().int().nonnegative(), limit: z.number().int().positive().optional() }).optional(),
  /** The Catch result: Error and Cause of the failure. */
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).passthrough().optional(),
});
export type OrchestrationStepEvent = z.infer<typeof OrchestrationStepEvent>;
