import { msSince } from './stats';

/** Milliseconds one call takes. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return msSince(t);
}

/**
 * Runs the sides one after another in each round, rotating which goes first (round i starts with side
 * i mod k), then `after` untimed; returns each side's times.
 */
export async function interleave(n: number, sides: readonly ((i: number) => Promise<unknown>)[], after?: (i: number) => Promise<unknown>): Promise<number[][]> {
  const times = sides.map(() => [] as number[]);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < sides.length; j++) {
      const k = (i + j) % sides.length;
      (times[k] as number[]).push(await timed(() => (sides[k] as (i: number) => Promise<unknown>)(i)));
    }
    if (after) await after(i);
  }
  return times;
}
