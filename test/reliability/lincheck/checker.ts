/**
 * A small linearizability checker in the style of Wing & Gong (1993), with Lowe's memoization
 * ("Testing for linearizability", 2017): a depth-first search over the orders of a history that
 * respect real time, remembering every (set of linearized operations, model state) pair already
 * explored so that a dead end is never explored twice. Written for this suite; no dependency.
 *
 * A history is a list of completed operations, each with the instant it was invoked and the instant
 * its response arrived. Operation a precedes b in real time iff a.response < b.invoke; any other pair
 * overlaps, and the checker may order it either way. The history is linearizable iff some total order
 * that respects real-time precedence is accepted by the sequential specification, step after step.
 *
 * One reduction on top: an operation that can go next and leaves the state unchanged (a read, a
 * refused write) is linearized at once without branching, which keeps histories with many concurrent
 * reads and refusals cheap even when they are NOT linearizable (the search must then exhaust them).
 */

/** One completed call, as a client saw it. */
export interface Operation<I, O> {
  /** Unique within the history (shown in diagnostics). */
  id: number;
  /** When the call was made (any monotonic unit: performance.now() ms here). */
  invoke: number;
  /** When its response arrived; must be >= invoke. */
  response: number;
  input: I;
  output: O;
}

/**
 * The sequential specification, as a checker sees it: from a state and an operation with the output
 * observed, the state after it, or undefined when that output is impossible in that state.
 */
export interface SequentialSpec<S, I, O> {
  init: S;
  step(state: S, input: I, output: O): S | undefined;
  /** A string that is equal for equal states (for the memo). */
  key(state: S): string;
}

export type CheckResult<I, O> =
  | { ok: true; order: Operation<I, O>[]; explored: number }
  | {
      ok: false;
      explored: number;
      /** The longest prefix of some legal order the search reached before every extension failed. */
      longestPrefix: Operation<I, O>[];
      /** Operations that could come next after that prefix (real-time minimal) and were all refused. */
      stuckAt: Operation<I, O>[];
    };

/** Refuses histories whose search would not fit in one bitmask word list (a guard against misuse). */
export const MAX_OPERATIONS = 1024;

export function checkLinearizable<S, I, O>(spec: SequentialSpec<S, I, O>, history: readonly Operation<I, O>[]): CheckResult<I, O> {
  if (history.length > MAX_OPERATIONS) throw new Error(`history of ${history.length} operations is over ${MAX_OPERATIONS}`);
  for (const op of history) {
    if (!(op.response >= op.invoke)) throw new Error(`operation ${op.id}: response ${op.response} before invoke ${op.invoke}`);
  }
  // By invocation time: the candidates for "next" are always a prefix-ish window of this list.
  const ops = [...history].sort((a, b) => a.invoke - b.invoke || a.id - b.id);
  const n = ops.length;
  const seen = new Set<string>();
  const order: Operation<I, O>[] = [];
  let longestPrefix: Operation<I, O>[] = [];
  let stuckAt: Operation<I, O>[] = [];
  let explored = 0;

  const search = (done: bigint, state: S, remaining: number): boolean => {
    if (remaining === 0) return true;
    const memo = `${done.toString(36)}|${spec.key(state)}`;
    if (seen.has(memo)) return false;
    seen.add(memo);
    explored++;
    // An operation can go next iff no pending operation responded before it was invoked.
    let minResponse = Infinity;
    for (let i = 0; i < n; i++) if (!(done & (1n << BigInt(i)))) minResponse = Math.min(minResponse, (ops[i] as Operation<I, O>).response);
    const candidates: number[] = [];
    for (let i = 0; i < n; i++) {
      const op = ops[i] as Operation<I, O>;
      if (op.invoke > minResponse) break; // sorted by invoke: no later one qualifies either
      if (!(done & (1n << BigInt(i)))) candidates.push(i);
    }
    const steps: { i: number; next: S }[] = [];
    for (const i of candidates) {
      const op = ops[i] as Operation<I, O>;
      const next = spec.step(state, op.input, op.output);
      if (next === undefined) continue;
      // An operation that is possible now and leaves the state as it is (a read, a refused write) is
      // taken at once, with no alternative tried: any legal order that places it later stays legal
      // with it moved here (nothing pending precedes it, and the states in between are unchanged).
      if (spec.key(next) === spec.key(state)) {
        steps.length = 0;
        steps.push({ i, next });
        break;
      }
      steps.push({ i, next });
    }
    for (const { i, next } of steps) {
      order.push(ops[i] as Operation<I, O>);
      if (search(done | (1n << BigInt(i)), next, remaining - 1)) return true;
      order.pop();
    }
    if (order.length >= longestPrefix.length) {
      longestPrefix = [...order];
      stuckAt = candidates.map((i) => ops[i] as Operation<I, O>);
    }
    return false;
  };

  return search(0n, spec.init, n) ? { ok: true, order: [...order], explored } : { ok: false, explored, longestPrefix, stuckAt };
}

/**
 * P-compositionality (Herlihy & Wing): a history over independent objects is linearizable iff each
 * object's sub-history is. Splits by `partition` and checks each part from its own initial state.
 */
export function checkPartitioned<S, I, O>(
  specFor: (part: string) => SequentialSpec<S, I, O>,
  history: readonly Operation<I, O>[],
  partition: (op: Operation<I, O>) => string,
): { ok: boolean; parts: Map<string, CheckResult<I, O>>; explored: number } {
  const byPart = new Map<string, Operation<I, O>[]>();
  for (const op of history) {
    const key = partition(op);
    const list = byPart.get(key);
    if (list) list.push(op);
    else byPart.set(key, [op]);
  }
  const parts = new Map<string, CheckResult<I, O>>();
  let explored = 0;
  for (const [key, ops] of byPart) {
    const result = checkLinearizable(specFor(key), ops);
    explored += result.explored;
    parts.set(key, result);
  }
  return { ok: [...parts.values()].every((r) => r.ok), parts, explored };
}
