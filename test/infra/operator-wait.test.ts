import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStepFunctions } from '../../infra/local/local-stepfunctions';
import { type AslState, type LocalStateMachine, loadStateMachine, synthesizeStateMachine } from '../../infra/local/state-machine';
import { SimulatedMigrationEngine } from '../../shared/adapters/engine/simulated-engine';
import { getDeps } from '../../shared/runtime';
import { createDataSources, createProject, useLocalTable } from '../support/harness';
import { NO_COMPONENTS, post, waitForProject } from '../support/orchestration';

/**
 * A task whose end is decided outside the state machine (a callback: waitForTaskToken, or .sync) must
 * have a bound, or the execution stays open as long as Step Functions lets it (a year). "Await operator"
 * times out and re-arms: back to "Pick next work item", which awaits again with a fresh token.
 */

/** Standard executions: at most 25,000 history events, and one year. */
const HISTORY_LIMIT = 25_000;
const YEAR_SECONDS = 365 * 24 * 3600;
/** History events of one re-arm: the timed-out task, the Pass, the pick (a Lambda task) and the choice. */
const EVENTS_PER_REARM = 15;

const isCallback = (st: AslState) => st.Type === 'Task' && /\.(waitForTaskToken|sync(:2)?)$/.test(st.Resource ?? '');

/** States reachable from `from` (Next, Default, Choices, Catch). */
function reachable(states: Record<string, AslState>, from: string): Set<string> {
  const seen = new Set<string>();
  const todo = [from];
  while (todo.length > 0) {
    const name = todo.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const st = states[name] as unknown as { Next?: string; Default?: string; Choices?: { Next: string }[]; Catch?: { Next: string }[] };
    for (const next of [st.Next, st.Default, ...(st.Choices ?? []).map((c) => c.Next), ...(st.Catch ?? []).map((c) => c.Next)]) if (next) todo.push(next);
  }
  return seen;
}

let synthesized: LocalStateMachine;
beforeAll(async () => {
  synthesized = await synthesizeStateMachine('dev');
}, 300_000);

describe('callback tasks of the synthesized state machine', () => {
  it('the checked-in copy is the synthesized definition (npm run asl)', () => {
    expect(loadStateMachine()).toEqual(synthesized);
  });

  it('every callback task has a timeout of hours, and a year of re-arms stays within the history limit', () => {
    // Act
    const callbacks = Object.entries(synthesized.definition.States).filter(([, st]) => isCallback(st));

    // Assess
    expect(callbacks.map(([name]) => name)).toEqual(['Await operator']);
    for (const [name, st] of callbacks) {
      const timeout = st.TimeoutSeconds as number;
      expect(timeout, name).toBeGreaterThanOrEqual(3600);
      expect(timeout, name).toBeLessThanOrEqual(24 * 3600);
      expect((YEAR_SECONDS / timeout) * EVENTS_PER_REARM, name).toBeLessThan(HISTORY_LIMIT);
      expect(st.HeartbeatSeconds, `${name}: a person answers, nothing beats`).toBeUndefined();
    }
  });

  it('a timed-out callback task re-arms (its States.Timeout catch, before the catch-all, leads back to it) instead of failing the run', () => {
    const states = synthesized.definition.States;
    for (const [name, st] of Object.entries(states).filter(([, s]) => isCallback(s))) {
      // Prepare
      const catches = st.Catch as { ErrorEquals: string[]; Next: string; ResultPath?: string | null }[];

      // Act
      const onTimeout = catches.findIndex((c) => c.ErrorEquals.includes('States.Timeout') || c.ErrorEquals.includes('States.ALL'));
      const handler = catches[onTimeout];

      // Assess
      expect(handler?.ErrorEquals, name).toEqual(['States.Timeout']);
      expect(handler?.ResultPath, name).toBeNull();
      expect(reachable(states, handler?.Next ?? '').has(name), `${handler?.Next} leads back to ${name}`).toBe(true);
      expect(reachable(states, handler?.Next ?? '').has('Pick next work item')).toBe(true);
      expect(catches.at(-1)).toEqual({ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record run failure' });
    }
  });
});

describe('on aws-local-stepfunctions, with the operator wait shortened to 1 s', () => {
  let sfn: LocalStepFunctions;
  let ds: { sourceId: string; destinationId: string };

  beforeAll(async () => {
    // Prepare: the checked-in definition, only the timeout of "Await operator" overridden.
    const machine = loadStateMachine();
    const definition = structuredClone(machine.definition);
    (definition.States['Await operator'] as AslState).TimeoutSeconds = 1;
    const engine = new SimulatedMigrationEngine({ timeScale: 400 });
    sfn = new LocalStepFunctions({ stateMachine: { ...machine, definition }, timeScale: 400, log: () => undefined });
    await useLocalTable({ orchestrator: sfn, engine });
    ds = await createDataSources('operator-wait');
  });

  afterAll(() => sfn?.abortAll());

  it('an unanswered wait re-arms with a fresh token (the run neither fails nor ends), and the operator answering later moves the run on', async () => {
    // Prepare
    const p = await createProject(ds, { migrationType: { ...NO_COMPONENTS, incrementalSync: true } });
    expect((await post(`/projects/${p.id}/start`)).status).toBe(200);
    await waitForProject(p.id, (x) => x.awaiting === 'SWITCHOVER_ENTRY', 'waiting for the switchover entry');
    const execution = sfn.executions.get(`${p.id}-1`);
    const rearms = () => execution?.history.filter((s) => s === 'Operator wait re-armed').length ?? 0;
    const tokenOf = async () => (await getDeps().projects.get(p.id))?.taskToken;
    const firstToken = await tokenOf();

    // Act: the operator does not answer for two timeouts, then enters the switchover.
    for (let i = 0; rearms() < 2 && i < 600; i++) await new Promise((r) => setTimeout(r, 50));
    const waited = [...(execution?.history ?? [])];
    const laterToken = await tokenOf();
    const entered = await post(`/projects/${p.id}/forward-switchover`);
    const moved = await waitForProject(p.id, (x) => x.allowedActions.includes('start-forward-switchover'), 'switchover startable');

    // Assess
    expect(rearms()).toBeGreaterThanOrEqual(2);
    const first = waited.indexOf('Operator wait re-armed');
    expect(waited.slice(first - 1, first + 4)).toEqual(['Await operator', 'Operator wait re-armed', 'Pick next work item', 'What next?', 'Await operator']);
    expect(waited).not.toContain('Record run failure');
    expect(firstToken).toEqual(expect.any(String));
    expect(laterToken).toEqual(expect.any(String));
    expect(laterToken).not.toBe(firstToken);
    expect(execution?.status).toBe('RUNNING');
    expect(entered.status).toBe(200);
    expect(moved.status).toBe('RUNNING');
    expect(execution?.history).not.toContain('Record run failure');
    await post(`/projects/${p.id}/pause`);
  });
});
