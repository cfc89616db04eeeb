import { describe, expect, it } from 'vitest';
import { legExecutionName } from '../../shared/domain/orchestration';
import { getDeps } from '../../shared/runtime';
import { statuses, useRunFixture, waitForProject } from '../support/orchestration';

/**
 * A run that outlives its execution's history: the synthesized state machine on aws-local-stepfunctions
 * with the history limit forced down to 60 estimated events (a start and about five polls), so a full
 * migration of 10 simulated minutes (about 20 polls at 30 s) needs several executions of the same run.
 */
// Time scale 100 (the 10 simulated minutes last 6 s, a poll every 300 ms): enough polls to pass the limit
// several times even on a loaded machine (at 400 a loaded CI machine polled too few times for a second leg).
const { fixture, events, started } = useRunFixture('history', 100, { historyEventLimit: 60 });

describe('execution history limit (forced low)', () => {
  it('continues the run as new executions of the same run until it completes: no FAILED, the old executions ended cleanly, the project records the current one', async () => {
    // Prepare / Act
    const id = await started({ fullMigration: true });
    const done = await waitForProject(id, (p) => p.status === 'COMPLETED', 'COMPLETED', 60_000);
    await fixture.run.sfn.settle();

    // Assess: one run, several legs, each but the last handed over, the last completed
    const legs = [...fixture.run.sfn.executions.values()].filter((e) => e.name === `${id}-1` || e.name.startsWith(`${id}-1-c`));
    expect(legs.length).toBeGreaterThanOrEqual(2);
    const ordered = legs.map((_, leg) => fixture.run.sfn.executions.get(legExecutionName(id, 1, leg)));
    expect(ordered.every((e) => e !== undefined)).toBe(true);
    expect(ordered.map((e) => e?.status)).toEqual(ordered.map(() => 'SUCCEEDED'));
    expect(ordered.slice(0, -1).map((e) => e?.history.at(-1))).toEqual(ordered.slice(0, -1).map(() => 'Continued as new execution'));
    expect(ordered.at(-1)?.history.at(-1)).toBe('Migration completed');
    // A continued leg begins at the poll of the work item it carries, not with a new pick and start.
    expect(ordered[1]?.history.slice(0, 3)).toEqual(['Continued execution?', 'Wait for job progress', 'Poll work item']);
    expect(done.run).toBe(1);
    expect(statuses(done)).toEqual({ FULL_MIGRATION: 'SUCCEEDED' });
    expect((await events(id)).map((e) => e.operation)).toEqual(['create', 'start', 'complete']);
    const record = await getDeps().projects.get(id);
    const last = legs.length - 1;
    expect(record?.execution).toMatchObject({ run: 1, leg: last, arn: fixture.run.sfn.executionId(legExecutionName(id, 1, last)) });
  });
});
