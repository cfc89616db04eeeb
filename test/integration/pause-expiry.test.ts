import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as pauseTimer } from '../../functions/pause-timer/handler';
import { InMemoryExpiryScheduler } from '../../shared/adapters/memory/scheduler';
import type { PauseTimerInput } from '../../shared/domain/pause-timers';
import { overrideDeps } from '../../shared/runtime';
import { call, createDataSources, createProject, ManualClock, useLocalTable } from '../support/harness';

const HOUR = 3600_000;
const fire = (input: PauseTimerInput) => pauseTimer(input, { awsRequestId: 'timer-req' } as Context);

describe('pause expiry on DynamoDB Local', () => {
  const clock = new ManualClock();
  const scheduler = new InMemoryExpiryScheduler(30 * 60_000);
  const orchestrator = { startRun: vi.fn(async () => {}), stopRun: vi.fn(async () => {}), isRunActive: vi.fn(async () => false), completeTask: vi.fn(async () => {}) };
  let ds: { sourceId: string; destinationId: string };

  beforeAll(async () => {
    await useLocalTable({ clock, expiry: scheduler, orchestrator });
    ds = await createDataSources('expiry');
  });

  async function pausedProject() {
    const p = await createProject(ds);
    await call('POST', `/projects/${p.id}/start`);
    const paused = await call('POST', `/projects/${p.id}/pause`);
    return paused.body as { id: string; pausedAt: string; pauseExpiresAt: string; version: number };
  }

  it('pause schedules the warning 30 min before and the expiry at the deadline; both fire and are audited as "system"', async () => {
    // Prepare
    const p = await pausedProject();
    const mine = () => [...scheduler.timers.values()].filter((t) => t.input.projectId === p.id);
    expect(mine().map((t) => [t.kind, t.at])).toEqual([
      ['warn', new Date(Date.parse(p.pauseExpiresAt) - 30 * 60_000).toISOString()],
      ['expire', p.pauseExpiresAt],
    ]);

    // Act
    clock.advance(12 * HOUR - 30 * 60_000);
    const warned = await Promise.all(scheduler.takeDue(clock.ms).filter((t) => t.input.projectId === p.id).map((t) => fire(t.input)));
    clock.advance(30 * 60_000);
    const expired = await Promise.all(scheduler.takeDue(clock.ms).filter((t) => t.input.projectId === p.id).map((t) => fire(t.input)));

    // Assess
    expect(warned).toEqual([{ outcome: 'applied', version: p.version + 1 }]);
    expect(expired).toEqual([{ outcome: 'applied', version: p.version + 2 }]);
    const read = await call('GET', `/projects/${p.id}`);
    expect(read.body).toMatchObject({ status: 'PAUSED', resumable: false, expiredAt: new Date(clock.ms).toISOString() });
    const events = (await call('GET', `/projects/${p.id}/events`)).body.items.slice(-2);
    expect(events).toMatchObject([
      { operation: 'warn-pause-expiring', actor: 'system', cause: 'pause-expiring-soon', from: 'PAUSED', to: 'PAUSED' },
      { operation: 'expire-pause', actor: 'system', cause: 'pause-expired', from: 'PAUSED', to: 'PAUSED' },
    ]);
    expect(orchestrator.stopRun).toHaveBeenCalledWith(expect.objectContaining({ id: p.id, expiredAt: expect.any(String) }), 'pause-expired');
    const resume = await call('POST', `/projects/${p.id}/resume`);
    expect(resume.status).toBe(409);
    expect(resume.body.code).toBe('PAUSE_EXPIRED');
    expect((await call('POST', `/projects/${p.id}/release`)).body.status).toBe('RELEASED');
    expect((await call('DELETE', `/projects/${p.id}?confirmName=${encodeURIComponent((read.body as { name: string }).name)}`)).status).toBe(204);
  });

  it('resume at deadline − 1 ms succeeds; at deadline + 1 ms it is 409 PAUSE_EXPIRED', async () => {
    // Prepare
    const early = await pausedProject();
    const late = await pausedProject();

    // Act
    clock.ms = Date.parse(early.pauseExpiresAt) - 1;
    const ok = await call('POST', `/projects/${early.id}/resume`);
    clock.ms = Date.parse(late.pauseExpiresAt) + 1;
    const refused = await call('POST', `/projects/${late.id}/resume`);

    // Assess
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('RUNNING');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'PAUSE_EXPIRED', currentStatus: 'PAUSED' });
    expect([...scheduler.timers.values()].some((t) => t.input.projectId === early.id)).toBe(false);
  });

  it('an expiry firing early, twice, or late is a no-op', async () => {
    // Prepare
    const p = await pausedProject();
    const input: PauseTimerInput = { kind: 'expire', projectId: p.id, pausedAt: p.pausedAt };

    // Act
    const early = await fire(input);
    clock.ms = Date.parse(p.pauseExpiresAt);
    const first = await fire(input);
    const second = await fire(input);
    clock.advance(3 * HOUR);
    const late = await fire(input);

    // Assess
    expect(early).toEqual({ outcome: 'ignored', code: 'NOT_EXPIRABLE' });
    expect(first.outcome).toBe('applied');
    expect(second).toEqual({ outcome: 'ignored', code: 'NOT_EXPIRABLE' });
    expect(late).toEqual({ outcome: 'ignored', code: 'NOT_EXPIRABLE' });
    const events = (await call('GET', `/projects/${p.id}/events`)).body.items;
    expect(events.filter((e: { operation: string }) => e.operation === 'expire-pause')).toHaveLength(1);
  });

  it('a warning firing twice (a redelivered schedule) warns once: one event, one version, so one PAUSE_EXPIRING_SOON alert', async () => {
    // Prepare (found by the model-based reliability suite: the second firing was applied again)
    const p = await pausedProject();
    const input: PauseTimerInput = { kind: 'warn', projectId: p.id, pausedAt: p.pausedAt };
    clock.ms = Date.parse(p.pauseExpiresAt) - 30 * 60_000;

    // Act
    const first = await fire(input);
    const second = await fire(input);

    // Assess
    expect(first).toEqual({ outcome: 'applied', version: p.version + 1 });
    expect(second).toEqual({ outcome: 'ignored', code: 'ALREADY_WARNED' });
    const read = await call('GET', `/projects/${p.id}`);
    expect(read.body).toMatchObject({ version: p.version + 1, pauseWarnedAt: new Date(clock.ms).toISOString(), resumable: true });
    const events = (await call('GET', `/projects/${p.id}/events`)).body.items;
    expect(events.filter((e: { operation: string }) => e.operation === 'warn-pause-expiring')).toHaveLength(1);
  });

  it('pause → resume → pause: a new pair of timers, and the old expiry cannot expire the new pause', async () => {
    // Prepare
    const p = await pausedProject();
    const firstPause = p.pausedAt;
    clock.advance(HOUR);
    await call('POST', `/projects/${p.id}/resume`);
    clock.advance(HOUR);
    const second = (await call('POST', `/projects/${p.id}/pause`)).body;

    // Act: the first pause's expiry fires at its own deadline (as if its deletion had been missed)
    clock.ms = Date.parse(firstPause) + 12 * HOUR;
    const stale = await fire({ kind: 'expire', projectId: p.id, pausedAt: firstPause });

    // Assess
    expect(stale).toEqual({ outcome: 'ignored', code: 'PAUSE_SUPERSEDED' });
    const timers = [...scheduler.timers.values()].filter((t) => t.input.projectId === p.id);
    expect(timers.map((t) => t.input.pausedAt)).toEqual([second.pausedAt, second.pausedAt]);
    const read = await call('GET', `/projects/${p.id}`);
    expect(read.body).toMatchObject({ status: 'PAUSED', resumable: true });
    expect(read.body.expiredAt).toBeUndefined();
  });

  it('a malformed timer event is refused, not applied', async () => {
    await expect(fire({ kind: 'expire', projectId: 'x', pausedAt: 'yesterday' } as PauseTimerInput)).rejects.toThrow();
  });
});

describe('resume racing the expiry at the deadline (real clock)', () => {
  it('20 concurrent resumes around the deadline and an expiry at it: never RUNNING at or past the deadline', async () => {
    // Prepare: a 1.5 s pause deadline on the real clock
    const orchestrator = { startRun: vi.fn(async () => {}), stopRun: vi.fn(async () => {}), isRunActive: vi.fn(async () => false), completeTask: vi.fn(async () => {}) };
    await useLocalTable({ orchestrator, expiry: new InMemoryExpiryScheduler(500) });
    overrideDeps({ config: { pauseDeadlineMs: 1500, pauseWarningLeadMs: 500 } });
    const ds = await createDataSources('race');
    const outcomes: string[] = [];
    for (let round = 0; round < 5; round++) {
      const p = await createProject(ds);
      await call('POST', `/projects/${p.id}/start`);
      const paused = (await call('POST', `/projects/${p.id}/pause`)).body as { pausedAt: string; pauseExpiresAt: string };
      const deadline = Date.parse(paused.pauseExpiresAt);

      // Act: resumes spread over [deadline − 20 ms, deadline + 20 ms], the expiry exactly at the deadline
      await new Promise((r) => setTimeout(r, Math.max(0, deadline - 20 - Date.now())));
      const resumes = Array.from({ length: 20 }, (_, i) =>
        new Promise((r) => setTimeout(r, i * 2)).then(() => call('POST', `/projects/${p.id}/resume`)),
      );
      const expiry = new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now()))).then(() =>
        fire({ kind: 'expire', projectId: p.id, pausedAt: paused.pausedAt }),
      );
      const [results, expired] = await Promise.all([Promise.all(resumes), expiry]);

      // Assess
      const read = (await call('GET', `/projects/${p.id}`)).body;
      const events = (await call('GET', `/projects/${p.id}/events`)).body.items as { operation: string; at: string }[];
      const resumed = events.filter((e) => e.operation === 'resume');
      const winners = results.filter((r) => r.status === 200);
      expect(winners.length).toBeLessThanOrEqual(1);
      if (read.status === 'RUNNING') {
        expect(resumed).toHaveLength(1);
        expect(Date.parse((resumed[0] as { at: string }).at)).toBeLessThan(deadline);
        expect(expired.outcome).toBe('ignored');
        outcomes.push('resumed');
      } else {
        expect(read).toMatchObject({ status: 'PAUSED', resumable: false });
        expect(resumed).toHaveLength(0);
        expect(results.every((r) => r.status === 409)).toBe(true);
        outcomes.push(expired.outcome === 'applied' ? 'expired' : 'refused');
      }
    }
    expect(outcomes).toHaveLength(5);
  });
});
