import { describe, expect, it } from 'vitest';
import type { InMemoryOrchestrator } from '../../shared/adapters/memory/orchestrator';
import { currentLeg, legExecutionName } from '../../shared/domain/orchestration';
import type { ProjectRecord } from '../../shared/domain/project';
import { createDataSource } from '../../shared/usecases/data-sources';
import { applyOperation } from '../../shared/usecases/lifecycle';
import { pickNext, pollWork, reconcileRuns, startWork, type RunState } from '../../shared/usecases/orchestration';
import { continueAsNewExecution, counted, DEFAULT_CONTINUE_AT_EVENTS, EVENTS_PER_TASK } from '../../shared/usecases/run/history';
import { createProject } from '../../shared/usecases/projects';
import { memoryDeps } from '../support/memory-deps';

const ctx = { actor: 'arn:aws:iam::123456789012:user/alice', requestId: 'req-1' };
const mt = { structureMigration: false, fullMigration: true, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false };

/** A full migration polled by the use cases as the state machine would, the history limit forced to `limit`. */
async function prepare(limit: number) {
  const deps = memoryDeps();
  const orchestrator = deps.orchestrator as InMemoryOrchestrator;
  const src = await createDataSource(deps, { name: 'src', engine: 'mysql', host: 'h', port: 3306, username: 'u' });
  const dst = await createDataSource(deps, { name: 'dst', engine: 'tidb', host: 'h', port: 4000, username: 'u' });
  const p = await createProject(deps, { name: 'long-load', sourceId: src.id, destinationId: dst.id, migrationType: mt }, ctx);
  await applyOperation(deps, { operation: 'start', projectId: p.id, ctx });
  const input = { projectId: p.id, run: 1, history: { leg: 0, events: 0, limit } };
  const next = counted(input, 'next', await pickNext(deps, input));
  const first = counted(next, 'start', await startWork(deps, { ...next, work: next.work }));
  const project = async () => (await deps.projects.get(p.id)) as ProjectRecord;
  return { deps, orchestrator, id: p.id, first, project };
}

describe('a run continues as a new execution before its history limit', () => {
  it('counts each task and asks to continue once another poll would pass the limit', () => {
    // Prepare
    const waiting: RunState = { projectId: 'p', run: 1, work: { action: 'RUN', subtask: 'FULL_MIGRATION', outcome: 'WAITING' } };

    // Act
    const below = counted({ ...waiting, history: { leg: 0, events: 40, limit: 60 } }, 'poll', waiting);
    const at = counted({ ...waiting, history: { leg: 0, events: 43, limit: 60 } }, 'poll', waiting);
    const byDefault = counted({ ...waiting, history: { leg: 2, events: DEFAULT_CONTINUE_AT_EVENTS - 10 } }, 'poll', waiting);

    // Assess
    expect(below).toMatchObject({ work: { outcome: 'WAITING' }, history: { leg: 0, events: 40 + EVENTS_PER_TASK.poll } });
    expect(at).toMatchObject({ work: { outcome: 'CONTINUE' }, history: { events: 43 + EVENTS_PER_TASK.poll } });
    expect(byDefault).toMatchObject({ work: { outcome: 'CONTINUE' }, history: { leg: 2 } });
  });

  it('hands over to the next leg (recorded on the project, started with the work item), fences the old leg, and a retried hand-over starts nothing twice', async () => {
    // Prepare: the first execution polls until it is told to continue
    const { deps, orchestrator, id, first, project } = await prepare(40);
    let state = first;
    for (let i = 0; i < 10 && state.work.outcome === 'WAITING'; i++) {
      deps.clock.advance(30_000);
      state = counted(state, 'poll', await pollWork(deps, { ...state, work: state.work }));
    }
    expect(state.work.outcome).toBe('CONTINUE');

    // Act
    const handedOver = await continueAsNewExecution(deps, { ...state, work: state.work });
    const retried = await continueAsNewExecution(deps, { ...state, work: state.work });
    deps.clock.advance(30_000);
    const oldLegPoll = await pollWork(deps, { ...state, work: { ...state.work, outcome: 'WAITING' } });
    const newLeg = { projectId: id, run: 1, work: { ...state.work, outcome: 'WAITING' as const }, history: { leg: 1, events: 0, limit: 40 } };
    const newLegPoll = await pollWork(deps, newLeg);

    // Assess
    expect(handedOver.work.outcome).toBe('CONTINUED');
    expect(retried.work.outcome).toBe('CONTINUED');
    const p = await project();
    expect(currentLeg(p)).toBe(1);
    expect(p.execution).toEqual({ run: 1, leg: 1, arn: legExecutionName(id, 1, 1), carried: { action: 'RUN', subtask: 'FULL_MIGRATION', outcome: 'WAITING' } });
    expect(orchestrator.started).toEqual([legExecutionName(id, 1, 0), legExecutionName(id, 1, 1)]);
    expect(oldLegPoll.work.outcome).toBe('FENCED');
    expect(['WAITING', 'DONE']).toContain(newLegPoll.work.outcome);
    expect(p.status).toBe('RUNNING');
  });

  it('the reconciler looks up the current leg: a continued run whose new execution runs is not restarted', async () => {
    // Prepare
    const { deps, orchestrator, first, id } = await prepare(30);
    let state = first;
    while (state.work.outcome === 'WAITING') state = counted(state, 'poll', await pollWork(deps, { ...state, work: state.work }));
    await continueAsNewExecution(deps, { ...state, work: state.work });
    orchestrator.finish(id, 1); // the first leg ended (Continued as new execution)
    deps.clock.advance(3_600_000);

    // Act
    const report = await reconcileRuns(deps, { graceMs: 0 });

    // Assess
    expect(report.restarted).toEqual([]);
    expect(report.checked).toBe(1);
  });
});
