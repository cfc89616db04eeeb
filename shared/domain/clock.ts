/** The clock is a port so tests can stand exactly at a deadline. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

export function isoAt(ms: number): string {
  return new Date(ms).toISOString();
}
