/**
 * Iteration counts. BENCH_QUICK=1 divides them by 10 (a smoke run while editing the scripts); the
 * committed results always come from the full counts.
 */
export const QUICK = process.env.BENCH_QUICK === '1';

export function iterations(full: number): number {
  return QUICK ? Math.max(10, Math.round(full / 10)) : full;
}

export function seconds(full: number): number {
  return QUICK ? Math.max(2, Math.round(full / 4)) : full;
}
