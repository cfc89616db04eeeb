import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { checkLinearizable, checkPartitioned, type Operation } from './lincheck/checker';
import { apply, projectSpec, type Input, type Level, type Output, type ProjectState, type WriteOp } from './lincheck/model';
import { SEED } from './support/profile';

/**
 * Self-tests of the linearizability checker and of the lifecycle model it checks against: known-good
 * histories accepted, known-bad ones rejected, and every history produced by running the model
 * sequentially (with any timings consistent with that order) accepted.
 */

type Op = Operation<Input, Output>;
const NOW = Date.parse('2026-01-01T00:00:00.000Z');
const RUNNING_V2: ProjectState = { status: 'RUNNING', version: 2, alertLevel: 'NONE', pauseExpiresAtMs: null };

let nextId = 0;
const op = (invoke: number, response: number, input: Input, output: Output): Op => ({ id: nextId++, invoke, response, input, output });
const write = (o: WriteOp, extra: Partial<Extract<Input, { kind: 'write' }>> = {}): Input => ({ kind: 'write', op: o, via: 'single', nowMs: NOW, ...extra });
const get: Input = { kind: 'get' };
const ok = (status: ProjectState['status'], version: number, alertLevel: Level = 'NONE'): Output => ({ ok: true, http: 200, status, version, alertLevel });
const invalid = (status: ProjectState['status']): Output => ({ ok: false, http: 409, code: 'INVALID_STATE', status });

describe('linearizability checker (Wing–Gong with memoization) on hand-written histories', () => {
  it('accepts two concurrent pauses of a RUNNING project where one wins and one is refused, with a read of either state', () => {
    // Prepare
    const history = [
      op(0, 10, write('pause'), invalid('PAUSED')),
      op(1, 9, write('pause'), ok('PAUSED', 3)),
      op(2, 12, get, ok('RUNNING', 2)),
      op(3, 14, get, ok('PAUSED', 3)),
    ];

    // Act
    const result = checkLinearizable(projectSpec(RUNNING_V2), history);

    // Assess: the witness order is the winner's pause before the refused one
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.order.map((o) => o.output.ok && o.input.kind === 'write')).toEqual([false, true, false, false]);
  });

  it('rejects two concurrent pauses that both answer 200 from the same version', () => {
    // Prepare
    const history = [op(0, 10, write('pause'), ok('PAUSED', 3)), op(1, 9, write('pause'), ok('PAUSED', 3))];

    // Act
    const result = checkLinearizable(projectSpec(RUNNING_V2), history);

    // Assess
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.longestPrefix).toHaveLength(1);
    expect(result.stuckAt).toHaveLength(1);
  });

  it('rejects a read that sees the old version after the write completed, accepts it when the read overlaps the write', () => {
    // Prepare
    const pause = op(0, 10, write('pause'), ok('PAUSED', 3));
    const staleAfter = op(20, 30, get, ok('RUNNING', 2));
    const staleOverlapping = op(5, 30, get, ok('RUNNING', 2));

    // Act / Assess
    expect(checkLinearizable(projectSpec(RUNNING_V2), [pause, staleAfter]).ok).toBe(false);
    expect(checkLinearizable(projectSpec(RUNNING_V2), [pause, staleOverlapping]).ok).toBe(true);
  });

  it('rejects an order that only works against real time (a refusal that completed before the write it needs began)', () => {
    // Prepare: resume from PAUSED v3 completes at 1; a pause that began at 2 says the project was PAUSED
    const paused: ProjectState = { status: 'PAUSED', version: 3, alertLevel: 'NONE', pauseExpiresAtMs: NOW + 1000 };
    const resume = op(0, 1, write('resume'), ok('RUNNING', 4));
    const pauseRefused = op(2, 3, write('pause'), invalid('PAUSED'));

    // Act / Assess: impossible in real time; possible once the two overlap
    expect(checkLinearizable(projectSpec(paused), [resume, pauseRefused]).ok).toBe(false);
    expect(checkLinearizable(projectSpec(paused), [resume, { ...pauseRefused, invoke: 0.5 }]).ok).toBe(true);
  });

  it('rejects a lost update: two sequential alert-config writes, then a read with the first level at the last version', () => {
    // Prepare
    const history = [
      op(0, 1, write('modify-alert-config', { level: 'LOW' }), ok('RUNNING', 3, 'LOW')),
      op(2, 3, write('modify-alert-config', { level: 'HIGH' }), ok('RUNNING', 4, 'HIGH')),
      op(4, 5, get, ok('RUNNING', 4, 'LOW')),
    ];

    // Act / Assess
    expect(checkLinearizable(projectSpec(RUNNING_V2), history).ok).toBe(false);
  });

  it('If-Match: a 412 must name a version other than the one sent; a matching version must not be refused', () => {
    // Prepare
    const mismatch = (currentVersion: number): Output => ({ ok: false, http: 412, code: 'VERSION_MISMATCH', status: 'RUNNING', version: currentVersion });

    // Act / Assess
    expect(checkLinearizable(projectSpec(RUNNING_V2), [op(0, 1, write('pause', { ifMatch: 1 }), mismatch(2))]).ok).toBe(true);
    expect(checkLinearizable(projectSpec(RUNNING_V2), [op(0, 1, write('pause', { ifMatch: 2 }), mismatch(2))]).ok).toBe(false);
    // two concurrent If-Match 2 writes: at most one can win
    const both = [op(0, 5, write('pause', { ifMatch: 2 }), ok('PAUSED', 3)), op(0, 5, write('modify-alert-config', { ifMatch: 2, level: 'LOW' }), ok('RUNNING', 3, 'LOW'))];
    expect(checkLinearizable(projectSpec(RUNNING_V2), both).ok).toBe(false);
  });

  it('a release is two writes (RELEASING, then RELEASED): a concurrent read may see RELEASING, a later one may not', () => {
    // Prepare
    const paused: ProjectState = { status: 'PAUSED', version: 3, alertLevel: 'NONE', pauseExpiresAtMs: NOW + 1000 };
    const release = [op(0, 10, write('release'), ok('RELEASING', 4)), op(0, 10, write('complete-release'), ok('RELEASED', 5))];

    // Act / Assess
    expect(checkLinearizable(projectSpec(paused), [...release, op(2, 8, get, ok('RELEASING', 4))]).ok).toBe(true);
    expect(checkLinearizable(projectSpec(paused), [...release, op(11, 12, get, ok('RELEASING', 4))]).ok).toBe(false);
  });

  it('stays fast on a non-linearizable history of 64 overlapping operations (62 reads, two winners of one pause)', () => {
    // Prepare: every pair overlaps, so without the memo and the read reduction the search is 64!
    const history = [
      ...Array.from({ length: 62 }, (_, i) => op(i, 1000 + i, get, ok('RUNNING', 2))),
      op(3, 900, write('pause'), ok('PAUSED', 3)),
      op(4, 901, write('pause'), ok('PAUSED', 3)),
    ];

    // Act
    const started = performance.now();
    const result = checkLinearizable(projectSpec(RUNNING_V2), history);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.explored).toBeLessThan(1000);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('P-compositionality: each project checked from its own state; one bad project fails the whole', () => {
    // Prepare
    const a = [op(0, 10, write('pause'), ok('PAUSED', 3))];
    const b = [op(0, 10, write('pause'), ok('PAUSED', 3)), op(1, 9, write('pause'), ok('PAUSED', 3))];
    const tagged = [...a.map((o) => ({ ...o, p: 'a' })), ...b.map((o) => ({ ...o, p: 'b' }))];

    // Act
    const result = checkPartitioned(() => projectSpec(RUNNING_V2), tagged, (o) => (o as (typeof tagged)[number]).p);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.parts.get('a')?.ok).toBe(true);
    expect(result.parts.get('b')?.ok).toBe(false);
  });
});

// ---- property: histories produced by running the model sequentially are always accepted ----

const STATUSES = ['NOT_STARTED', 'RUNNING', 'PAUSED', 'FAILED', 'COMPLETED'] as const;
const LEVELS = ['NONE', 'LOW', 'MEDIUM', 'HIGH'] as const;
const stateArb = fc.record({
  status: fc.constantFrom(...STATUSES),
  version: fc.integer({ min: 1, max: 9 }),
  alertLevel: fc.constantFrom(...LEVELS),
  pauseExpiresAtMs: fc.option(fc.integer({ min: NOW - 10, max: NOW + 10 }), { nil: null }),
});
const callArb = fc.record({
  kind: fc.constantFrom('get', 'write', 'write', 'write'),
  op: fc.constantFrom('start', 'pause', 'resume', 'release', 'modify-alert-config') as fc.Arbitrary<WriteOp>,
  ifMatchDelta: fc.option(fc.integer({ min: -1, max: 1 }), { nil: undefined }),
  level: fc.constantFrom(...LEVELS),
  /** How far the interval reaches before and after the operation's linearization point. */
  before: fc.integer({ min: 0, max: 40 }),
  after: fc.integer({ min: 0, max: 40 }),
});

/** Runs the model in order; each call takes effect at instant 10·k, inside its random interval. */
type GeneratedCall = typeof callArb extends fc.Arbitrary<infer T> ? T : never;

function sequentialHistory(init: ProjectState, calls: GeneratedCall[]): Op[] {
  const ops: Op[] = [];
  let state = init;
  let id = 0;
  calls.forEach((c, k) => {
    const at = 10 * (k + 1);
    const invoke = at - c.before;
    const response = at + c.after;
    const input: Input =
      c.kind === 'get'
        ? get
        : write(c.op, { ...(c.ifMatchDelta !== undefined ? { ifMatch: state.version + c.ifMatchDelta } : {}), ...(c.op === 'modify-alert-config' ? { level: c.level } : {}) });
    const { next, expected } = apply(state, input);
    ops.push({ id: id++, invoke, response, input, output: { ...expected } });
    // a successful release goes on to complete-release inside the same interval
    if (input.kind === 'write' && input.op === 'release' && expected.ok) {
      const done = apply(next, write('complete-release'));
      ops.push({ id: id++, invoke, response, input: write('complete-release'), output: { ...done.expected } });
      state = done.next;
    } else state = next;
  });
  return ops;
}

describe('linearizability checker: property over model-generated histories', () => {
  fcTest.prop([stateArb, fc.array(callArb, { minLength: 1, maxLength: 64 })], { seed: SEED, numRuns: 300 })(
    'a history the sequential model produced, with intervals around its linearization points, is accepted',
    (init, calls) => {
      const history = sequentialHistory(init, calls);
      const result = checkLinearizable(projectSpec(init), [...history].reverse());
      expect(result.ok).toBe(true);
    },
  );

  fcTest.prop([stateArb, fc.array(callArb, { minLength: 1, maxLength: 40 }), fc.nat()], { seed: SEED, numRuns: 300 })(
    'the same history with one read reporting a version no state ever had is rejected',
    (init, calls, pick) => {
      const history = sequentialHistory(init, [...calls, { kind: 'get', op: 'start', ifMatchDelta: undefined, level: 'NONE', before: 0, after: 0 }]);
      const reads = history.filter((o) => o.input.kind === 'get');
      const target = reads[pick % reads.length] as Op;
      const corrupted = history.map((o) => (o === target ? { ...o, output: { ...o.output, version: 1000 } } : o));
      expect(checkLinearizable(projectSpec(init), corrupted).ok).toBe(false);
    },
  );

  fcTest.prop([stateArb, fc.array(callArb, { minLength: 1, maxLength: 40 })], { seed: SEED, numRuns: 300 })(
    'the same history run with back-to-back intervals, plus a duplicated winning write, is rejected',
    (init, calls) => {
      // Prepare: disjoint intervals force the model's own order; a second copy of a successful write
      // (same version) right after it can never be legal (the version moved on).
      const history = sequentialHistory(
        init,
        calls.map((c) => ({ ...c, before: 0, after: 0 })),
      ).map((o, i) => ({ ...o, invoke: 10 * i, response: 10 * i + 1 }));
      const k = history.findIndex((o) => o.input.kind === 'write' && o.output.ok);
      fc.pre(k >= 0);
      const winner = history[k] as Op;
      const copy: Op = { ...winner, id: 10_000, invoke: winner.invoke + 2, response: winner.invoke + 3 };
      const shifted = history.map((o, i) => (i > k ? { ...o, invoke: o.invoke + 5, response: o.response + 5 } : o));
      expect(checkLinearizable(projectSpec(init), [...shifted, copy]).ok).toBe(false);
    },
  );
});
