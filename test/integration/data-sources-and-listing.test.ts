import { beforeAll, describe, expect, it } from 'vitest';
import { call, createDataSources, createProject, ManualClock, useLocalTable } from '../support/harness';

describe('data sources and listings on DynamoDB Local', () => {
  const clock = new ManualClock();
  beforeAll(async () => {
    await useLocalTable({ clock });
  });

  it('a data source is created, read, listed and never shows credentials', async () => {
    // Act
    const created = await call('POST', '/data-sources', {
      body: { name: 'billing', engine: 'postgresql', host: 'pg.internal', port: 5432, username: 'mig', database: 'billing', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:billing-AbCd' },
    });
    const read = await call('GET', `/data-sources/${created.body.id}`);
    const listed = await call('GET', '/data-sources?limit=100');

    // Assess
    expect(created.status).toBe(201);
    expect(read.body).toEqual(created.body);
    expect(read.body).toMatchObject({ engine: 'postgresql', secretArn: expect.stringContaining('secretsmanager'), inUse: false });
    expect(read.body).not.toHaveProperty('password');
    expect(listed.body.items.map((d: { id: string }) => d.id)).toContain(created.body.id);
  });

  it('a data source used by a live project cannot be deleted (409 DATA_SOURCE_IN_USE) until the project is released', async () => {
    // Prepare
    const ds = await createDataSources('inuse');
    const p = await createProject(ds);
    await call('POST', `/projects/${p.id}/start`);
    await call('POST', `/projects/${p.id}/pause`);

    // Act
    const refused = await call('DELETE', `/data-sources/${ds.sourceId}`);
    await call('POST', `/projects/${p.id}/release`);
    const deleted = await call('DELETE', `/data-sources/${ds.sourceId}`);
    const again = await call('DELETE', `/data-sources/${ds.sourceId}`);

    // Assess
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'DATA_SOURCE_IN_USE', projectCount: 1 });
    expect(deleted.status).toBe(204);
    expect(again.status).toBe(404);
    expect(again.body.code).toBe('DATA_SOURCE_NOT_FOUND');
  });

  it('a project on an unknown data source → 400 naming the field, and nothing is written', async () => {
    // Prepare
    const ds = await createDataSources('unknown');
    const before = await call('GET', '/projects?limit=100');

    // Act
    const r = await call('POST', '/projects', {
      body: { name: 'ghost', sourceId: ds.sourceId, destinationId: 'no-such-ds', migrationType: { structureMigration: true, fullMigration: false, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false } },
    });

    // Assess
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: ['body', 'destinationId'] }] });
    const after = await call('GET', '/projects?limit=100');
    expect(after.body.items.length).toBe(before.body.items.length);
    expect((await call('GET', `/data-sources/${ds.sourceId}`)).body.inUse).toBe(false);
    const retry = await call('POST', '/projects', {
      body: { name: 'ghost', sourceId: ds.sourceId, destinationId: ds.destinationId, migrationType: { structureMigration: true, fullMigration: false, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false } },
    });
    expect(retry.status).toBe(201);
  });

  it('an unknown source is named where the request put it: ["body","sourceId"], or ["body","sourceIds",i]', async () => {
    // Prepare
    const ds = await createDataSources('unknown-source');
    const migrationType = { structureMigration: true, fullMigration: false, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false };

    // Act
    const single = await call('POST', '/projects', { body: { name: 'ghost-1', sourceId: 'no-such-ds', destinationId: ds.destinationId, migrationType } });
    const listed = await call('POST', '/projects', { body: { name: 'ghost-2', sourceIds: [ds.sourceId, 'no-such-ds'], destinationId: ds.destinationId, migrationType } });

    // Assess
    expect(single.status).toBe(400);
    expect(single.body.issues).toEqual([expect.objectContaining({ path: ['body', 'sourceId'], code: 'unknown_data_source' })]);
    expect(listed.status).toBe(400);
    expect(listed.body.issues).toEqual([expect.objectContaining({ path: ['body', 'sourceIds', 1], code: 'unknown_data_source' })]);
  });

  it('GET /projects pages newest first, filters by status (index query) and by label', async () => {
    // Prepare: 7 projects, one millisecond apart; every second one RUNNING; labels a/b
    const ds = await createDataSources('list');
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      clock.advance(1);
      const p = await createProject(ds, { labels: [i % 2 ? 'team-a' : 'team-b', 'listing'] });
      if (i % 2) await call('POST', `/projects/${p.id}/start`);
      ids.push(p.id);
    }

    // Act
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const r = await call('GET', `/projects?label=listing&limit=3${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`);
      pages.push(r.body.items.map((p: { id: string }) => p.id));
      token = r.body.nextToken;
    } while (token);
    const running = await call('GET', '/projects?status=RUNNING&label=listing&limit=100');
    const teamA = await call('GET', '/projects?label=team-a&limit=100');

    // Assess
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual([...ids].reverse());
    expect(running.body.items.map((p: { id: string }) => p.id)).toEqual([ids[5], ids[3], ids[1]]);
    expect(running.body.items.every((p: { status: string }) => p.status === 'RUNNING')).toBe(true);
    expect(teamA.body.items.map((p: { id: string }) => p.id)).toEqual([ids[5], ids[3], ids[1]]);
  });

  it('a project read shows the whole contract: derived fields, ETag, the orchestration list', async () => {
    const ds = await createDataSources('shape');
    const p = await createProject(ds, { description: 'orders to OB', tables: [{ schema: 'shop', table: 'orders' }], alertLevel: 'MEDIUM' });
    const r = await call('GET', `/projects/${p.id}`);
    expect(r.body).toEqual({
      id: p.id,
      name: p.name,
      description: 'orders to OB',
      sourceId: ds.sourceId,
      destinationId: ds.destinationId,
      migrationType: expect.any(Object),
      tables: [{ schema: 'shop', table: 'orders' }],
      labels: [],
      alertLevel: 'MEDIUM',
      // mysql → oceanbase-mysql: no real engine here, so the SIMULATED one, whose precheck passes at creation.
      engine: 'simulated',
      precheck: { status: 'PASSED', items: [expect.objectContaining({ name: 'engine', status: 'PASSED' })], checkedAt: expect.any(String) },
      status: 'NOT_STARTED',
      version: 1,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      resumable: false,
      subtasks: ['STRUCTURE_MIGRATION', 'FULL_MIGRATION', 'INCREMENTAL_SYNC', 'FULL_VERIFICATION', 'FORWARD_SWITCHOVER', 'REVERSE_INCREMENTAL_SYNC'].map((type) =>
        expect.objectContaining({ type, status: 'PENDING' }),
      ),
      currentStage: 'STRUCTURE_MIGRATION',
      allowedActions: ['start', 'precheck', 'delete', 'modify-alert-config'],
    });
    expect(r.headers.etag).toBe('"1"');
  });
});
