import { describe, expect, it } from 'vitest';
import { call } from '../support/harness';
import { NO_COMPONENTS, post, subtask, useRunFixture, waitForProject, type ProjectBody } from '../support/orchestration';

/**
 * Multi-source projects on DynamoDB Local, through the real handlers and the synthesized state machine
 * with the simulated engine: one job per source for full migration and incremental sync, per-source
 * pause and resume (TiDB DM's `pause-task -s`), the per-source status and the dmctl-shaped outcome.
 */
const { fixture, engine } = useRunFixture('multi', 400);

async function secondSource(name: string): Promise<string> {
  const r = await call('POST', '/data-sources', { body: { name: `${name}-${Date.now()}`, engine: 'mysql', host: 'db2.internal', port: 3306, username: 'migrator' } });
  expect(r.status).toBe(201);
  return r.body.id as string;
}

const part = (p: ProjectBody, type: string, sourceId: string) => (subtask(p, type).sources as ProjectBody[]).find((x) => x.sourceId === sourceId) as ProjectBody;
const source = (p: ProjectBody, sourceId: string) => (p.sources as ProjectBody[]).find((x) => x.sourceId === sourceId) as ProjectBody;
const job = (projectId: string, type: string, sourceId: string) => engine().store.get(`${projectId}.${type}.${sourceId}`);

describe('a project with two sources', () => {
  it('refuses an unknown source (naming its place in the body) and a repeated one', async () => {
    // Prepare
    const { sourceId, destinationId } = fixture.ds;
    const body = (sourceIds: string[]) => ({ name: `m-${Date.now()}-${Math.random()}`.replace('.', ''), sourceIds, destinationId, migrationType: { ...NO_COMPONENTS, fullMigration: true } });

    // Act
    const unknown = await call('POST', '/projects', { body: body([sourceId, 'no-such-source']) });
    const repeated = await call('POST', '/projects', { body: body([sourceId, sourceId]) });
    const tooMany = await call('POST', '/projects', { body: body(Array.from({ length: 9 }, (_, i) => `s${i}`)) });

    // Assess
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain('"sourceIds",1');
    expect(repeated.status).toBe(400);
    expect(JSON.stringify(repeated.body)).toContain('listed twice');
    expect(tooMany.status).toBe(400);
  });

  it('refuses reverse sync with several sources at create and at clone (400, its body path and issue code, what to do instead); one source keeps it', async () => {
    // Prepare
    const { sourceId, destinationId } = fixture.ds;
    const s2 = await secondSource('multi-reverse');
    const REVERSE = { ...NO_COMPONENTS, incrementalSync: true, reverseIncrementalSync: true };
    const name = `m-reverse-${Date.now()}`;
    const body = (sourceIds: string[], migrationType: Record<string, boolean>) => ({ name, sourceIds, destinationId, migrationType });

    // Act
    const refused = await call('POST', '/projects', { body: body([sourceId, s2], REVERSE) });
    const forward = await call('POST', '/projects', { body: body([sourceId, s2], { ...REVERSE, reverseIncrementalSync: false }) }); // the name was not taken by the refusal
    const clonedWithReverse = await post(`/projects/${forward.body.id}/clone`, { name: `${name}-c1`, migrationType: REVERSE });
    const clonedToOne = await post(`/projects/${forward.body.id}/clone`, { name: `${name}-c2`, sourceId, migrationType: REVERSE });

    // Assess
    expect(refused.status).toBe(400);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ code: 'VALIDATION_FAILED', detail: expect.stringContaining('reverseIncrementalSync: false') });
    expect(refused.body.issues).toEqual([
      { path: ['body', 'migrationType', 'reverseIncrementalSync'], code: 'reverse_sync_several_sources', message: expect.stringContaining('cannot be routed back to one of several sources') },
    ]);
    expect(forward.status).toBe(201);
    expect(clonedWithReverse.status).toBe(400);
    expect(clonedWithReverse.body.issues?.[0]).toMatchObject({ path: ['body', 'migrationType', 'reverseIncrementalSync'], code: 'reverse_sync_several_sources' });
    expect(clonedToOne.status).toBe(201);
    expect(clonedToOne.body).toMatchObject({ sourceId, migrationType: REVERSE });
    expect(clonedToOne.body.sourceIds).toBeUndefined();
  });

  it('runs one job per source, pauses one source while the other keeps running, resumes it; a whole pause and resume cover both', async () => {
    // Prepare
    const s1 = fixture.ds.sourceId;
    const s2 = await secondSource('multi-src2');
    const created = await call('POST', '/projects', {
      body: { name: `multi-${Date.now()}`, sourceIds: [s1, s2], destinationId: fixture.ds.destinationId, migrationType: { ...NO_COMPONENTS, fullMigration: true, incrementalSync: true } },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({ sourceId: s1, sourceIds: [s1, s2], sources: [{ sourceId: s1, status: 'NOT_STARTED' }, { sourceId: s2, status: 'NOT_STARTED' }] });
    expect((await post(`/projects/${id}/start`)).status).toBe(200);
    const syncing = await waitForProject(id, (p) => subtask(p, 'INCREMENTAL_SYNC').status === 'RUNNING' && part(p, 'INCREMENTAL_SYNC', s2).status === 'RUNNING' && part(p, 'INCREMENTAL_SYNC', s1).status === 'RUNNING', 'both syncs running');

    // Act: pause s2 alone
    const paused = await post(`/projects/${id}/pause`, { sources: [s2] });

    // Assess
    expect(part(syncing, 'FULL_MIGRATION', s1).status).toBe('SUCCEEDED');
    expect(part(syncing, 'FULL_MIGRATION', s2).status).toBe('SUCCEEDED');
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe('RUNNING');
    expect(source(paused.body, s2)).toMatchObject({ status: 'PAUSED', pausedAt: expect.any(String), pauseExpiresAt: expect.any(String), resumable: true });
    expect(source(paused.body, s1)).toMatchObject({ status: 'RUNNING' });
    expect(paused.body.outcome).toEqual({ op: 'pause-sources', result: true, msg: '', sources: [{ source: s2, result: true, msg: '' }] });
    expect(paused.body.allowedActions).toEqual(expect.arrayContaining(['pause', 'pause-sources', 'resume-sources']));
    expect(part(paused.body, 'INCREMENTAL_SYNC', s2).status).toBe('PAUSED');
    expect((await job(id, 'INCREMENTAL_SYNC', s2))?.state).toBe('PAUSED');
    expect((await job(id, 'INCREMENTAL_SYNC', s1))?.state).toBe('RUNNING');

    // Act: pausing s2 again is refused; resume s2
    const again = await post(`/projects/${id}/pause`, { sources: [s2] });
    const resumed = await post(`/projects/${id}/resume`, { sources: [s2] });

    // Assess
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('SOURCE_NOT_RUNNING');
    expect(resumed.status).toBe(200);
    expect(source(resumed.body, s2)).toMatchObject({ status: 'RUNNING' });
    expect(resumed.body.outcome).toMatchObject({ op: 'resume-sources', result: true });
    expect((await job(id, 'INCREMENTAL_SYNC', s2))?.state).toBe('RUNNING');

    // Act: a per-source pause of s1, then a whole pause and a whole resume
    await post(`/projects/${id}/pause`, { sources: [s1] });
    const wholePause = await post(`/projects/${id}/pause`);
    const wholeResume = await post(`/projects/${id}/resume`);

    // Assess
    expect(wholePause.body.status).toBe('PAUSED');
    expect(wholePause.body.outcome).toMatchObject({ op: 'pause', result: true, sources: [{ source: s1, result: true }, { source: s2, result: true }] });
    expect((await job(id, 'INCREMENTAL_SYNC', s2))?.state).toBe('PAUSED');
    expect(wholeResume.status).toBe(200);
    expect(wholeResume.body.sources.map((s: ProjectBody) => s.status)).toEqual(['RUNNING', 'RUNNING']);
    const both = await waitForProject(id, (p) => part(p, 'INCREMENTAL_SYNC', s1).status === 'RUNNING' && part(p, 'INCREMENTAL_SYNC', s2).status === 'RUNNING', 'both syncs running again');
    expect(both.status).toBe('RUNNING');
    expect((await job(id, 'INCREMENTAL_SYNC', s1))?.state).toBe('RUNNING');
  });

  it('pausing the last running source is a whole pause; a single-source project refuses per-source calls', async () => {
    // Prepare
    const s2 = await secondSource('multi-src3');
    const created = await call('POST', '/projects', {
      body: { name: `multi-last-${Date.now()}`, sourceIds: [fixture.ds.sourceId, s2], destinationId: fixture.ds.destinationId, migrationType: { ...NO_COMPONENTS, incrementalSync: true } },
    });
    const id = created.body.id as string;
    await post(`/projects/${id}/start`);
    const single = await call('POST', '/projects', { body: { name: `single-${Date.now()}`, sourceId: fixture.ds.sourceId, destinationId: fixture.ds.destinationId, migrationType: { ...NO_COMPONENTS, incrementalSync: true } } });
    await post(`/projects/${single.body.id}/start`);

    // Act
    const both = await post(`/projects/${id}/pause`, { sources: [fixture.ds.sourceId, s2] });
    const refused = await post(`/projects/${single.body.id}/pause`, { sources: [fixture.ds.sourceId] });

    // Assess
    expect(both.body.status).toBe('PAUSED');
    expect(both.body.outcome).toMatchObject({ op: 'pause-sources', result: true });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('NOT_MULTI_SOURCE');
    expect(single.body.outcome).toBeUndefined();
    expect(single.body.sources).toBeUndefined(); // a single-source view stays exactly as it was
    expect(single.body.sourceIds).toBeUndefined();
  });
});

describe('batch by source', () => {
  it('selects every project reading a source and pauses that source alone in each, then resumes it; the preview names the ineligible', async () => {
    // Prepare: two two-source projects sharing s2, one single-source project on s2, one project without s2
    const s1 = fixture.ds.sourceId;
    const s2 = await secondSource('batch-src');
    const s3 = await secondSource('batch-other');
    const make = async (name: string, sourceIds: string[]) => {
      const r = await call('POST', '/projects', { body: { name: `${name}-${Date.now()}`, sourceIds, destinationId: fixture.ds.destinationId, migrationType: { ...NO_COMPONENTS, incrementalSync: true } } });
      expect(r.status).toBe(201);
      expect((await post(`/projects/${r.body.id}/start`)).status).toBe(200);
      return r.body.id as string;
    };
    const a = await make('bs-a', [s1, s2]);
    const b = await make('bs-b', [s2, s3]);
    const single = await make('bs-single', [s2]);
    const other = await make('bs-other', [s1, s3]);
    for (const id of [a, b]) await waitForProject(id, (p) => (subtask(p, 'INCREMENTAL_SYNC').sources as ProjectBody[]).every((x) => x.status === 'RUNNING'), 'syncs running');

    // Act
    const preview = await post('/batch-operations', { operation: 'pause', selector: { sourceId: s2, status: 'RUNNING' }, parameters: { sources: [s2] }, dryRun: true });
    const paused = await post('/batch-operations', { operation: 'pause', projectIds: [a, b, single, other], parameters: { sources: [s2] } });
    const jobsWhilePaused = { a2: (await job(a, 'INCREMENTAL_SYNC', s2))?.state, a1: (await job(a, 'INCREMENTAL_SYNC', s1))?.state, b3: (await job(b, 'INCREMENTAL_SYNC', s3))?.state };
    const resumed = await post('/batch-operations', { operation: 'resume', selector: { sourceId: s2 }, parameters: { sources: [s2] } });

    // Assess
    const previewIds = preview.body.eligible.map((e: ProjectBody) => e.projectId);
    expect(previewIds).toEqual(expect.arrayContaining([a, b, single]));
    expect(previewIds).not.toContain(other);
    const byId = new Map(paused.body.results.map((r: ProjectBody) => [r.projectId, r]));
    expect(byId.get(a)).toMatchObject({ ok: true, status: 'RUNNING', outcome: { op: 'pause-sources', result: true, sources: [{ source: s2, result: true }] } });
    expect(byId.get(b)).toMatchObject({ ok: true, status: 'RUNNING', outcome: { op: 'pause-sources', result: true, sources: [{ source: s2, result: true }] } });
    expect(byId.get(single)).toMatchObject({ ok: true, status: 'PAUSED' });
    expect(byId.get(other)).toMatchObject({ ok: false, code: 'SOURCE_NOT_IN_PROJECT' });
    expect(jobsWhilePaused).toEqual({ a2: 'PAUSED', a1: 'RUNNING', b3: 'RUNNING' });
    const resumedIds = resumed.body.results.filter((r: ProjectBody) => r.ok).map((r: ProjectBody) => r.projectId);
    expect(resumedIds).toEqual(expect.arrayContaining([a, b, single]));
    expect((await job(b, 'INCREMENTAL_SYNC', s2))?.state).toBe('RUNNING');
  });
});
