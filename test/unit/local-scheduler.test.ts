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

  it('prune drops the timers of pauses that are over (a resume committed, its cancellation lost) and keeps live ones', async () => {
    // Prepare
    const dir = mkdtempSync(path.join(tmpdir(), 'local-scheduler-'));
    dirs.push(dir);
    const file = path.join(dir, 'schedules.json');
    const s = scheduler(file);
    s.start();
    await s.schedulePauseExpiry(paused('live'));
    await s.schedulePauseExpiry(paused('resumed'));

    // Act
    const dropped = await s.prune(async (input) => input.projectId === 'live');

    // Assess
    expect(dropped.every((n) => n.includes('resumed'))).toBe(true);
    expect(dropped).toHaveLength(2);
    const onDisk = (JSON.parse(readFileSync(file, 'utf8')) as { name: string }[]).map((t) => t.name);
    expect(onDisk.every((n) => n.includes('live'))).toBe(true);
    expect(onDisk).toHaveLength(2);
  });
});
