import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalScheduler } from '../../infra/local/local-scheduler';
import type { ProjectRecord } from '../../shared/domain/project';

const dirs: string[] = [];
const schedulers: LocalScheduler[] = [];

function scheduler(file: string) {
  const s = new LocalScheduler(file, async () => 'fired', 30 * 60_000, () => undefined);
  schedulers.push(s);
  return s;
}

const paused = (id: string) =>
  ({ id, status: 'PAUSED', pausedAt: '2099-01-01T00:00:00.000Z', pauseExpiresAt: '2099-01-01T12:00:00.000Z' }) as ProjectRecord;

describe('LocalScheduler (the embedded default\'s pause timers)', () => {
  afterEach(() => {
    for (const s of schedulers.splice(0)) s.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('has every timer on disk once schedule and cancel resolve, also when they run concurrently, and reloads them', async () => {
    // Prepare
    const dir = mkdtempSync(path.join(tmpdir(), 'local-scheduler-'));
    dirs.push(dir);
    const file = path.join(dir, 'schedules.json');
    const s = scheduler(file);
    s.start();

    // Act
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => s.schedulePauseExpiry(paused(id))));
    const afterSchedule = JSON.parse(readFileSync(file, 'utf8')) as { name: string }[];
    await Promise.all([s.cancelPauseExpiry(paused('a')), s.cancelPauseExpiry(paused('b'))]);
    const afterCancel = JSON.parse(readFileSync(file, 'utf8')) as { name: string }[];
    const reloaded = scheduler(file).start();

    // Assess
    expect(afterSchedule).toHaveLength(10);
    expect(afterCancel.map((t) => t.name).sort()).toEqual(s.list().map((t) => t.name).sort());
    expect(afterCancel).toHaveLength(6);
    expect(reloaded).toBe(6);
  });

  it('lists its timers as the pauses they belong to (what the reconciler sweeps)', async () => {
    // Prepare
    const dir = mkdtempSync(path.join(tmpdir(), 'local-scheduler-'));
    dirs.push(dir);
    const s = scheduler(path.join(dir, 'schedules.json'));
    s.start();
    await s.schedulePauseExpiry(paused('p-1'));
    await s.schedulePauseExpiry(paused('p-2'));
    await s.cancelPauseExpiry(paused('p-2'));

    // Act
    const listed = await s.listPauseTimers();

    // Assess
    const pausedMs = Date.parse('2099-01-01T00:00:00.000Z');
    expect(listed.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: `expire-p-1-${pausedMs}`, kind: 'expire', projectId: 'p-1', pausedMs },
      { name: `warn-p-1-${pausedMs}`, kind: 'warn', projectId: 'p-1', pausedMs },
    ]);
  });
});
