import { beforeAll, describe, expect, it } from 'vitest';
import { call, createDataSources, createProject, ManualClock, useLocalTable } from '../support/harness';

const HOUR = 3600_000;

describe('lifecycle on DynamoDB Local', () => {
  const clock = new ManualClock();
  let ds: { sourceId: string; destinationId: string };

  beforeAll(async () => {
    await useLocalTable({ clock });
    ds = await createDataSources('life');
  });

  it('50 concurrent pauses of one RUNNING project: exactly one 200, the rest 409 INVALID_STATE', async () => {
    // Prepare
    const p = await createProject(ds);
    await call('POST', `/projects/${p.id}/start`);

    // Act
    const results = await Promise.all(Array.from({ length: 50 }, () => call('POST', `/projects/${p.id}/pause`)));

    // Assess
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.code === 'INVALID_STATE' && r.body.currentStatus === 'PAUSED')).toBe(true);
    const events = await call('GET', `/projects/${p.id}/events`);
    expect(events.body.items.filter((e: { operation: string }) => e.operation === 'pause')).toHaveLength(1);
  });

  it('pause records pausedAt and pauseExpiresAt = pausedAt + 12 h; resume before the deadline works', async () => {
    // Prepare
    const p = await createProject(ds);
    await call('POST', `/projects/${p.id}/start`);

    // Act
    const paused = await call('POST', `/projects/${p.id}/pause`);
    clock.advance(12 * HOUR - 1);
    const resumed = await call('POST', `/projects/${p.id}/resume`);

    // Assess
    expect(paused.body.pausedAt).toBe(new Date(clock.ms - 12 * HOUR + 1).toISOString());
    expect(Date.parse(paused.body.pauseExpiresAt) - Date.parse(paused.body.pausedAt)).toBe(12 * HOUR);
    expect(paused.body).toMatchObject({ resumable: true, allowedActions: expect.arrayContaining(['resume', 'release']) });
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('RUNNING');
    expect(resumed.body.pauseExpiresAt).toBeUndefined();
  });

  it('resume at or after pauseExpiresAt → 409 PAUSE_EXPIRED, and reads say resumable: false', async () => {
    // Prepare
    const p = await createProject(ds);
    await call('POST', `/projects/${p.id}/start`);
    const paused = await call('POST', `/projects/${p.id}/pause`);

    // Act
    clock.advance(12 * HOUR);
    const atDeadline = await call('POST', `/projects/${p.id}/resume`);
    clock.advance(1);
    const after = await call('POST', `/projects/${p.id}/resume`);
    const read = await call('GET', `/projects/${p.id}`);

    // Assess
    for (const r of [atDeadline, after]) {
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ code: 'PAUSE_EXPIRED', pauseExpiresAt: paused.body.pauseExpiresAt });
    }
    expect(read.body).toMatchObject({ status: 'PAUSED', resumable: false, version: paused.body.version });
    expect(read.body.allowedActions).toEqual(['release', 'modify-alert-config']);
    const released = await call('POST', `/projects/${p.id}/release`);
    expect(released.body.status).toBe('RELEASED');
  });

  it('20 concurrent creates with one name: exactly one 201, the rest 409 NAME_TAKEN', async () => {
    // Prepare
    const body = { name: 'same-name', ...ds, migrationType: { structureMigration: true, fullMigration: true, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false } };

    // Act
    const results = await Promise.all(Array.from({ length: 20 }, () => call('POST', '/projects', { body })));

    // Assess
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(19);
    expect(refused.every((r) => r.status === 409 && r.body.code === 'NAME_TAKEN')).toBe(true);
    const listed = await call('GET', '/projects?limit=100');
    expect(listed.body.items.filter((p: { name: string }) => p.name === 'same-name')).toHaveLength(1);
  });

  it('release frees the name (as stop-task does); a live project keeps it', async () => {
    // Prepare
    const p = await createProject(ds, { name: 'reusable' });
    await call('POST', `/projects/${p.id}/start`);
    await call('POST', `/projects/${p.id}/pause`);
    const whileLive = await call('POST', '/projects', { body: { name: 'reusable', ...ds, migrationType: { structureMigration: true, fullMigration: false, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false } } });

    // Act
    await call('POST', `/projects/${p.id}/release`);
    const again = await call('POST', '/projects', { body: { name: 'reusable', ...ds, migrationType: { structureMigration: true, fullMigration: false, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false } } });

    // Assess
    expect(whileLive.status).toBe(409);
    expect(whileLive.body.code).toBe('NAME_TAKEN');
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(p.id);
  });

  it('deleting a NOT_STARTED project frees its name; deleting a RELEASED one leaves the new owner alone', async () => {
    // Prepare
    const first = await createProject(ds, { name: 'cycle' });
    await call('DELETE', `/projects/${first.id}?confirmName=cycle`);
    const second = await createProject(ds, { name: 'cycle' });
    await call('POST', `/projects/${second.id}/start`);
    await call('POST', `/projects/${second.id}/pause`);
    await call('POST', `/projects/${second.id}/release`);
    const third = await createProject(ds, { name: 'cycle' });

    // Act
    const deleted = await call('DELETE', `/projects/${second.id}?confirmName=cycle`);
    const fourth = await call('POST', '/projects', { body: { name: 'cycle', ...ds, migrationType: { structureMigration: true, fullMigration: false, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false } } });

    // Assess
    expect(deleted.status).toBe(204);
    expect(third.id).toBeDefined();
    expect(fourth.status).toBe(409);
    expect(fourth.body.code).toBe('NAME_TAKEN');
  });

  it('If-Match: the current ETag is accepted, a stale one is 412 VERSION_MISMATCH, a malformed one 400', async () => {
    // Prepare
    const p = await createProject(ds);
    const read = await call('GET', `/projects/${p.id}`);
    expect(read.headers.etag).toBe(`"${read.body.version}"`);

    // Act
    const ok = await call('POST', `/projects/${p.id}/start`, { headers: { 'If-Match': read.headers.etag as string } });
    const stale = await call('POST', `/projects/${p.id}/pause`, { headers: { 'If-Match': read.headers.etag as string } });
    const malformed = await call('POST', `/projects/${p.id}/pause`, { headers: { 'If-Match': 'yesterday' } });

    // Assess
    expect(ok.status).toBe(200);
    expect(ok.headers.etag).toBe(`"${read.body.version + 1}"`);
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ code: 'VERSION_MISMATCH', currentVersion: read.body.version + 1 });
    expect(malformed.status).toBe(400);
    const after = await call('GET', `/projects/${p.id}`);
    expect(after.body).toMatchObject({ status: 'RUNNING', version: read.body.version + 1 });
  });

  it('delete needs the exact name: missing or wrong → 400 CONFIRMATION_MISMATCH and nothing changes', async () => {
    // Prepare
    const p = await createProject(ds);

    // Act
    const missing = await call('DELETE', `/projects/${p.id}`);
    const wrong = await call('DELETE', `/projects/${p.id}?confirmName=${encodeURIComponent(p.name.toUpperCase())}`);
    const right = await call('DELETE', `/projects/${p.id}?confirmName=${encodeURIComponent(p.name)}`);

    // Assess
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe('CONFIRMATION_MISMATCH');
    expect(wrong.status).toBe(400);
    expect(wrong.body.code).toBe('CONFIRMATION_MISMATCH');
    expect(right.status).toBe(204);
    expect((await call('GET', `/projects/${p.id}`)).status).toBe(404);
  });

  it('the audit trail lists every step with from, to, actor and request id — and survives the delete', async () => {
    // Prepare
    const p = await createProject(ds);
    const actor = { 'X-Actor': 'arn:aws:iam::123456789012:role/operator' };

    // Act
    for (const op of ['start', 'pause', 'resume', 'pause', 'release']) {
      const r = await call('POST', `/projects/${p.id}/${op}`, { headers: actor });
      expect(r.status).toBe(200);
    }
    await call('DELETE', `/projects/${p.id}?confirmName=${encodeURIComponent(p.name)}`, { headers: actor });
    const events = await call('GET', `/projects/${p.id}/events`);

    // Assess
    expect(events.status).toBe(200);
    expect(events.body.items.map((e: { operation: string; from: string | null; to: string | null }) => [e.operation, e.from, e.to])).toEqual([
      ['create', null, 'NOT_STARTED'],
      ['start', 'NOT_STARTED', 'RUNNING'],
      ['pause', 'RUNNING', 'PAUSED'],
      ['resume', 'PAUSED', 'RUNNING'],
      ['pause', 'RUNNING', 'PAUSED'],
      ['release', 'PAUSED', 'RELEASING'],
      ['complete-release', 'RELEASING', 'RELEASED'],
      ['delete', 'RELEASED', null],
    ]);
    expect(events.body.items.slice(1).every((e: { actor: string; requestId: string }) => e.actor === actor['X-Actor'] && e.requestId.length > 0)).toBe(true);
    expect(events.body.items.map((e: { version: number }) => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('unknown project → 404 PROJECT_NOT_FOUND on read, events and every operation', async () => {
    // Act
    const results = await Promise.all([
      call('GET', '/projects/does-not-exist'),
      call('GET', '/projects/does-not-exist/events'),
      call('POST', '/projects/does-not-exist/start'),
      call('PUT', '/projects/does-not-exist/alert-config', { body: { level: 'LOW' } }),
      call('DELETE', '/projects/does-not-exist?confirmName=x'),
    ]);

    // Assess
    for (const r of results) {
      expect(r.status).toBe(404);
      expect(r.body).toMatchObject({ code: 'PROJECT_NOT_FOUND', status: 404, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
    }
  });
});
