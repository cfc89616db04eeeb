import { isoAt } from '../../domain/clock';
import { isFinished, stepPath, subtaskPath } from '../../domain/orchestration';
import { type PathValue } from '../../domain/paths';
import type { ProjectRecord } from '../../domain/project';
import type { Deps } from '../deps';
import { Fenced, legOf, runWrite, ownedBy, type StepInput, type Work } from './run-state';

// ---- waiting for an operator ----

const gateOpen = (p: ProjectRecord, work: Work): boolean => {
  if (work.gate === 'SWITCHOVER_ENTRY') return p.switchoverEnteredAt !== undefined;
  if (work.gate === 'SWITCHOVER_START') return p.switchoverStartedAt !== undefined;
  const step = p.subtasks.flatMap((s) => s.steps ?? []).find((st) => st.name === work.step);
  return step !== undefined && isFinished(step.status);
};

/**
 * "Await operator" (a waitForTaskToken task): stores the token with what it waits for, in one write
 * that also returns the gate; when the gate is already open (the operator was first), or the run lost
 * the project, the task is completed at once and the next pick decides.
 */
export async function awaitOperator(deps: Deps, input: StepInput & { work: Work; taskToken: string }): Promise<void> {
  const { work, taskToken } = input;
  const p = await deps.projects.get(input.projectId);
  if (!ownedBy(p, input.run, legOf(input))) {
    await deps.orchestrator.completeTask(taskToken, { fenced: true });
    return;
  }
  const set: PathValue[] = [
    { path: ['taskToken'], value: taskToken },
    { path: ['awaiting'], value: work.gate },
  ];
  const expect: PathValue[] = [];
  if (work.gate === 'STEP_CONFIRMATION' && work.step) {
    const seen = p.subtasks.flatMap((s) => s.steps ?? []).find((st) => st.name === work.step);
    set.push(
      { path: ['waitingStep'], value: work.step },
      { path: subtaskPath(p, 'FORWARD_SWITCHOVER', 'status'), value: 'RUNNING' },
      { path: stepPath(p, work.step, 'status'), value: 'RUNNING' },
      { path: stepPath(p, work.step, 'waitingForConfirmation'), value: true },
      ...(seen?.startedAt ? [] : [{ path: stepPath(p, work.step, 'startedAt'), value: isoAt(deps.clock.nowMs()) }]),
    );
    expect.push({ path: stepPath(p, work.step, 'status'), value: seen?.status });
  }
  let after: ProjectRecord | undefined;
  try {
    after = await runWrite(deps, p, input, set, { expect });
  } catch (e) {
    if (!(e instanceof Fenced)) throw e;
    await deps.orchestrator.completeTask(taskToken, { fenced: true });
    return;
  }
  if (!after || gateOpen(after, work)) await deps.orchestrator.completeTask(taskToken, { gate: work.gate ?? null });
}

