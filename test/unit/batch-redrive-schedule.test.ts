import { describe, expect, it } from 'vitest';
import { BATCH_REDRIVE_GRACE_MS, BATCH_REDRIVE_MAX_INTERVAL_MS, isBatchStalled, nextRedriveAt, redrivesWithoutProgress } from '../../shared/domain/batch-jobs';

/** When the reconciler re-drives a batch that does not move (shared/domain/batch-jobs.ts nextRedriveAt). */
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const MIN = 60_000;
const running = { expanded: true, requested: 10, done: 4, status: 'RUNNING' as const, updatedAt: at(0) };

describe('batch re-drive schedule', () => {
  it('the first re-drive is due the grace after the last progress', () => {
    // Act
    const due = nextRedriveAt(running);

    // Assess
    expect(due).toBe(T0 + BATCH_REDRIVE_GRACE_MS);
    expect(redrivesWithoutProgress(running)).toBe(0);
  });

  it('each re-drive without progress doubles the wait, up to the longest interval; the fifth makes it stalled', () => {
    // Prepare: re-driven n times, the last at 10 h
    const after = (n: number) => ({ ...running, redrives: n, redrivenAt: at(600 * MIN) });

    // Act
    const waits = [1, 2, 3, 4, 5, 6].map((n) => (nextRedriveAt(after(n)) as number) - (T0 + 600 * MIN));

    // Assess
    expect(waits).toEqual([30 * MIN, 60 * MIN, 120 * MIN, BATCH_REDRIVE_MAX_INTERVAL_MS, BATCH_REDRIVE_MAX_INTERVAL_MS, BATCH_REDRIVE_MAX_INTERVAL_MS]);
    expect([4, 5].map((n) => isBatchStalled(after(n)))).toEqual([false, true]);
  });

  it('progress after a re-drive starts the count again; a complete batch is never due', () => {
    // Prepare
    const progressed = { ...running, redrives: 7, redrivenAt: at(100 * MIN), updatedAt: at(101 * MIN) };
    const complete = { ...running, done: 10, redrives: 7, redrivenAt: at(100 * MIN) };

    // Act + Assess
    expect(redrivesWithoutProgress(progressed)).toBe(0);
    expect(nextRedriveAt(progressed)).toBe(T0 + 101 * MIN + BATCH_REDRIVE_GRACE_MS);
    expect(isBatchStalled(progressed)).toBe(false);
    expect(nextRedriveAt(complete)).toBeUndefined();
    expect(isBatchStalled(complete)).toBe(false);
  });
});
