import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { call, createProject } from '../support/harness';
import { getProject, NO_COMPONENTS, post, statuses, useRunFixture, waitForProject } from '../support/orchestration';

/**
 * POST /projects/{id}/clone on DynamoDB Local with the synthesized state machine and the simulated
 * engine: a project like an existing one (released included), which then runs as any other.
 */
const { fixture, events } = useRunFixture('clone', 400);
const SOME = { ...NO_COMPONENTS, structureMigration: true, fullMigration: true };

async function releasedProject() {
  const p = await createProject(fixture.ds, {
    migrationType: SOME,
    tables: [{ schema: 'shop', table: 'orders' }],
    alertLevel: 'MEDIUM',
    labels: ['team:clone', 'wave:1'],
    description: 'the original',
  });
  await post(`/projects/${p.id}/start`);
  await waitForProject(p.id, (x) => x.status === 'COMPLETED', 'COMPLETED');
  const released = await post(`/projects/${p.id}/release`);
  expect(released.body.status).toBe('RELEASED');
  return p;
}

describe('clone', () => {
  it('a RELEASED project is cloned into a NOT_STARTED one like it, whose audit trail names its origin; the clone runs to COMPLETED', async () => {
    // Prepare
    const original = await releasedProject();
    const name = `clone-${randomUUID().slice(0, 8)}`;

    // Act
    const cloned = await post(`/projects/${original.id}/clone`, { name });
    await post(`/projects/${cloned.body.id}/start`);
    const done = await waitForProject(cloned.body.id, (x) => x.status === 'COMPLETED', 'clone COMPLETED');

    // Assess
    expect(cloned.status).toBe(201);
    expect(cloned.headers.etag).toBe('"1"');
    const before = await getProject(original.id);
    expect(cloned.body).toMatchObject({
      name,
      status: 'NOT_STARTED',
      sourceId: before.sourceId,
      destinationId: before.destinationId,
      migrationType: before.migrationType,
      tables: before.tables,
      alertLevel: 'MEDIUM',
      labels: ['team:clone', 'wave:1'],
      description: 'the original',
    });
    expect(cloned.body.id).not.toBe(original.id);
    const trail = await events(cloned.body.id);
    expect(trail[0]).toMatchObject({ operation: 'create', to: 'NOT_STARTED', detail: { clonedFrom: original.id } });
    expect(statuses(done)).toEqual({ STRUCTURE_MIGRATION: 'SUCCEEDED', FULL_MIGRATION: 'SUCCEEDED' });
    expect((await getProject(original.id)).status).toBe('RELEASED');
  });

  it('the body overrides fields of the original; the released name itself can be taken again', async () => {
    // Prepare
    const original = await releasedProject();

    // Act
    const cloned = await post(`/projects/${original.id}/clone`, { name: original.name, alertLevel: 'HIGH', labels: ['wave:2'], migrationType: { ...NO_COMPONENTS, structureMigration: true } });

    // Assess
    expect(cloned.status).toBe(201);
    expect(cloned.body).toMatchObject({ name: original.name, alertLevel: 'HIGH', labels: ['wave:2'], tables: [{ schema: 'shop', table: 'orders' }] });
    expect(statuses(cloned.body)).toEqual({ STRUCTURE_MIGRATION: 'PENDING' });
  });

  it('is refused like a create: unknown project 404, a live name 409 NAME_TAKEN, same source and destination 400, unknown fields 400', async () => {
    // Prepare
    const live = await createProject(fixture.ds, { migrationType: SOME });

    // Act
    const missing = await post(`/projects/no-such-project/clone`, { name: `x-${randomUUID().slice(0, 8)}` });
    const taken = await post(`/projects/${live.id}/clone`, { name: live.name });
    const same = await post(`/projects/${live.id}/clone`, { name: `y-${randomUUID().slice(0, 8)}`, destinationId: fixture.ds.sourceId });
    const unknown = await post(`/projects/${live.id}/clone`, { name: `z-${randomUUID().slice(0, 8)}`, status: 'RUNNING' });
    const noName = await post(`/projects/${live.id}/clone`, {});

    // Assess
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('PROJECT_NOT_FOUND');
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('NAME_TAKEN');
    expect(same.status).toBe(400);
    expect(same.body.issues[0].path).toEqual(['body', 'destinationId']);
    expect(unknown.status).toBe(400);
    expect(noName.status).toBe(400);
    expect(noName.body.issues.map((i: { path: unknown }) => i.path)).toContainEqual(['body', 'name']);
  });

  it('a retried clone with the same Idempotency-Key answers the first response and creates one project', async () => {
    // Prepare
    const live = await createProject(fixture.ds, { migrationType: SOME });
    const key = randomUUID();
    const body = { name: `idem-${randomUUID().slice(0, 8)}` };

    // Act
    const first = await post(`/projects/${live.id}/clone`, body, { 'Idempotency-Key': key });
    const again = await post(`/projects/${live.id}/clone`, body, { 'Idempotency-Key': key });
    const named = await call('GET', `/projects?limit=100`);

    // Assess
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect((named.body.items as { name: string }[]).filter((p) => p.name === body.name)).toHaveLength(1);
  });
  it('a multi-source project is cloned with every one of its sources, each NOT_STARTED', async () => {
    // Prepare
    const second = await call('POST', '/data-sources', { body: { name: `clone-src2-${randomUUID().slice(0, 8)}`, engine: 'mysql', host: 'db2.internal', port: 3306, username: 'migrator' } });
    expect(second.status).toBe(201);
    const sourceIds = [fixture.ds.sourceId, second.body.id as string];
    const original = await call('POST', '/projects', {
      body: { name: `multi-${randomUUID().slice(0, 8)}`, sourceIds, destinationId: fixture.ds.destinationId, migrationType: SOME },
    });
    expect(original.status).toBe(201);

    // Act
    const cloned = await post(`/projects/${original.body.id}/clone`, { name: `clone-${randomUUID().slice(0, 8)}` });

    // Assess
    expect(cloned.status).toBe(201);
    expect(cloned.body).toMatchObject({
      status: 'NOT_STARTED',
      sourceId: sourceIds[0],
      sourceIds,
      sources: sourceIds.map((sourceId) => ({ sourceId, status: 'NOT_STARTED' })),
    });
  });
});
