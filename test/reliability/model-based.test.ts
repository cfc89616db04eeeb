import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { InMemoryExpiryScheduler } from '../../shared/adapters/memory/scheduler';
import { call, createDataSources, ManualClock, useLocalTable } from '../support/harness';
import {
  allCommands,
  compareAll,
  create,
  createMulti,
  CreateCmd,
  timerCommands,
  deadlineCommands,
  nameCommands,
  sourceCommands,
  sourceDeadlineCommands,
  RecordingOrchestrator,
  stats,
  type Cmd,
  type Real,
} from './model/commands';
import { newModel, type Model, type ModelFlaws } from './model/lifecycle-model';
import { HEAVY, report, SEED, size } from './support/profile';

/**
 * Model-based testing of the lifecycle API: fast-check generates sequences of commands (create, the
 * single lifecycle calls with right and stale If-Match, batch previews and executions, pause timers
 * firing early, late, twice or for an older pause, clock moves across the 12 h deadline, SIMULATED
 * engine progress and run ends) and runs each against the real handlers on DynamoDB Local and against
 * the pure model in ./model/lifecycle-model.ts. Every answer (status + problem code, timer outcome,
 * batch item) and, after every command, every project's view, audit trail, executions and pause
 * timers must equal the model's.
 */

const HOUR = 3600_000;
const DEADLINE_MS = 12 * HOUR;
const WARN_LEAD_MS = 30 * 60_000;
const START = Date.parse('2026-03-01T08:00:00.000Z');

const clock = new ManualClock(START);
const orchestrator = new RecordingOrchestrator();
const scheduler = new InMemoryExpiryScheduler(WARN_LEAD_MS);
let dataSources: { sourceId: string; destinationId: string; sourceIds: string[] };
let runCounter = 0;

/** A fresh model and a fresh slice of the shared table (own project names) for each run. */
function setup(flaws: ModelFlaws = {}) {
  return (): { model: Model; real: Real } => {
    runCounter++;
    orchestrator.reset();
    scheduler.timers.clear();
    clock.ms = START;
    return {
      model: newModel(START, DEADLINE_MS, WARN_LEAD_MS, flaws),
      real: { ids: [], prefix: `m${process.pid}-${runCounter}`, clock, orchestrator, scheduler, ...dataSources },
    };
  };
}

const MAX_COMMANDS = 20;

/** Self-tests: sequences of these commands against a deliberately wrong model; fast-check must find where the API differs. */
function checkFlawedModel(commands: fc.Arbitrary<Cmd>[], flaws: ModelFlaws, sourceCount = 1) {
  const property = fc.asyncProperty(fc.commands(commands, { maxCommands: 8, size: 'max' }), async (cmds) => {
    await fc.asyncModelRun(setup(flaws), [new CreateCmd(0, undefined, 'alice', sourceCount), ...cmds]);
  });
  return fc.check(property, { numRuns: 100, seed: SEED, endOnFailure: true });
}

describe('model-based: the lifecycle API behaves as the reference model says', () => {
  beforeAll(async () => {
    await useLocalTable({ clock, orchestrator, expiry: scheduler, config: { pauseDeadlineMs: DEADLINE_MS, pauseWarningLeadMs: WARN_LEAD_MS } });
    const more = async (i: number) => (await call('POST', '/data-sources', { body: { name: `model-src-${i}`, engine: 'mysql', host: 'db.internal', port: 3306, username: 'migrator' } })).body.id as string;
    dataSources = { ...(await createDataSources('model')), sourceIds: [await more(0), await more(1), await more(2)] };
  });

  it(`every answer and, after every command, every project's view, audit trail, executions and timers equal the model (${HEAVY ? 'heavy' : 'sample'})`, { timeout: size(60 * 60_000, 600_000) }, async () => {
    // Prepare
    const alphabets = [
      { name: 'all commands', commands: allCommands, numRuns: size(2000, Number(process.env.MODEL_RUNS ?? 30)) },
      { name: 'pause timers in focus', commands: timerCommands, numRuns: size(200, Number(process.env.MODEL_TIMER_RUNS ?? 15)) },
      { name: 'per-source pause and resume', commands: sourceCommands, numRuns: size(300, Number(process.env.MODEL_SOURCE_RUNS ?? 15)), first: createMulti },
    ];
    const startedAt = Date.now();
    let runs = 0;
    const commandsBefore = stats.commands;

    // Act
    let failure: unknown;
    try {
      for (const alphabet of alphabets) {
        await fc.assert(
          fc.asyncProperty(alphabet.first ?? create, fc.commands(alphabet.commands, { maxCommands: MAX_COMMANDS - 1, size: 'max' }), async (first, cmds) => {
            runs++;
            const run = setup()();
            await fc.asyncModelRun(() => run, [first, ...cmds]);
            await compareAll(run.model, run.real); // and once more, everything, at the end of the run
          }),
          { numRuns: alphabet.numRuns, seed: SEED },
        );
      }
    } catch (e) {
      failure = e;
    }

    // Assess
    report({
      suite: 'model-based',
      cases: stats.commands - commandsBefore,
      runs,
      faults: 0,
      failures: failure ? 1 : 0,
      notes: `run = one generated sequence of up to ${MAX_COMMANDS} commands on 1-4 fresh projects (${alphabets.map((a) => `${a.numRuns} ${a.name}`).join(', ')}); case = one command, checked against the model (its answer, then the views, audit trails, executions, timers); ${Math.round((Date.now() - startedAt) / 1000)} s`,
    });
    console.log([...stats.outcomes].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}: ${n}`).join('\n'));
    if (failure) throw failure;
    expect(runs).toBe(alphabets.reduce((n, a) => n + a.numRuns, 0));
  });
  // Limits (not timing assertions) are wide: a test still running after its limit keeps driving the shared
  // clock, orchestrator and scheduler, and the next test would then see its commands.

  it('self-test: a model that lets resume succeed after the pause deadline is caught (fast-check finds a counterexample)', async () => {
    // Prepare + Act
    const result = await checkFlawedModel(deadlineCommands, { resumeIgnoresDeadline: true });

    // Assess
    expect(result.failed).toBe(true);
    const counterexample = String(result.counterexample?.[0]);
    expect(counterexample).toMatch(/= pause\(/);
    expect(counterexample).toMatch(/clock \+(43200000|46800000) ms/);
    // Caught by the answer of a late resume, or already by the view (resumable, allowedActions) after the clock move.
    expect(String(result.errorInstance)).toMatch(/PAUSE_EXPIRED|resumable|allowedActions/);
  }, 600_000);

  it("self-test: a model that lets a source paused on its own resume after its deadline is caught", async () => {
    // Prepare + Act
    const result = await checkFlawedModel(sourceDeadlineCommands, { sourceResumeIgnoresDeadline: true }, 2);

    // Assess
    expect(result.failed).toBe(true);
    const counterexample = String(result.counterexample?.[0]);
    expect(counterexample).toMatch(/pause sources\(/);
    expect(counterexample).toMatch(/clock \+(43200000|46800000) ms/);
    // Caught by the answer of the late resume (SOURCE_PAUSE_EXPIRED), or already by the view after the clock move.
    expect(String(result.errorInstance)).toMatch(/SOURCE_PAUSE_EXPIRED|resumable|allowedActions|sources/);
  }, 600_000);

  it('self-test: a model in which release keeps the name reserved is caught', async () => {
    // Prepare + Act
    const result = await checkFlawedModel(nameCommands, { releaseKeepsName: true });

    // Assess
    expect(result.failed).toBe(true);
    const counterexample = String(result.counterexample?.[0]);
    expect(counterexample).toMatch(/release\(/);
    expect(String(result.errorInstance)).toMatch(/NAME_TAKEN/);
  }, 600_000);
});
