import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The reliability suites run in two sizes: a small seeded sample inside `npm test`, and the heavy
 * run (`npm run test:reliability`, RELIABILITY=heavy). Same code, same seed; only the counts differ.
 */
export const HEAVY = process.env.RELIABILITY === 'heavy';

/** Fixed seed so a failure in CI replays exactly; override with RELIABILITY_SEED to explore. */
export const SEED = process.env.RELIABILITY_SEED ? Number(process.env.RELIABILITY_SEED) : 20261122;

/** `heavy` under npm run test:reliability, `sample` under npm test. */
export function size(heavy: number, sample: number): number {
  return HEAVY ? heavy : sample;
}

/** What a suite tried: printed, and collected by test/reliability/summary.ts for the README. */
export interface SuiteFigures {
  suite: string;
  /** Generated inputs / scenarios checked. */
  cases: number;
  /** Property runs, rounds or executions (the suite says what a run is in `notes`). */
  runs: number;
  /** Faults injected (0 for suites that inject none). */
  faults: number;
  /** Defects found in this run (any > 0 fails the suite anyway). */
  failures: number;
  notes?: string;
}

export const FIGURES_DIR = join(process.cwd(), '.reliability');

/** Prints the suite's figures and writes them to .reliability/<suite>.json (git-ignored). */
export function report(figures: SuiteFigures): void {
  const line = `[reliability] ${figures.suite}: ${figures.cases} cases, ${figures.runs} runs, ${figures.faults} faults, ${figures.failures} failures${figures.notes ? ` (${figures.notes})` : ''}`;
  console.log(line);
  mkdirSync(FIGURES_DIR, { recursive: true });
  writeFileSync(
    join(FIGURES_DIR, `${figures.suite}.json`),
    JSON.stringify({ ...figures, profile: HEAVY ? 'heavy' : 'sample', seed: SEED, at: new Date().toISOString() }, null, 2),
  );
}
