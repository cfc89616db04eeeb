import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { localDocumentClient } from '../../infra/local/dynamodb-local';
import { idempotencyDigest } from '../../shared/adapters/dynamodb/idempotency-store';
import { DynamoProjectStore } from '../../shared/adapters/dynamodb/project-store';
import { getDocumentClient } from '../../shared/adapters/dynamodb/client';
import { overrideDeps } from '../../shared/runtime';
import { keys } from '../../shared/table';
import { OrchestratorUnavailable, TransitionConflict } from '../../shared/ports';
import { getDeps } from '../../shared/runtime';
import { call, createDataSources, createProject, ManualClock, useLocalTable, ALL_COMPONENTS } from '../support/harness';

const DAY = 24 * 3600_000;
let keyCounter = 0;
const newKey = () => `key-${process.pid}-${++keyCounter}-${Math.random().toString(36).slice(2)}`;
const withKey = (key: string, extra: Record<string, string> = {}) => ({ 'Idempotency-Key': key, ...extra });

describe('Idempotency-Key on DynamoDB Local', () => {
  const clock = new ManualClock();
  let ds: { sourceId: string; destinationId: string };
  let tableName: string;
  let endpoint: string;

  beforeAll(async () => {
    ({ tableName, endpoint } = await useLocalTable({ clock }));
    ds = await createDataSources('idem');
  });

  afterEach(() => {
    overrideDeps({ projects: new DynamoProjectStore(getDocumentClient(), tableName) });
  });

  it('a replay of a create returns the stored 201 and creates nothing again', async () => {
    // Prepare
    const key = newKey();
    const body = { name: `idem-create-${keyCounter}`, ...ds, migrationType: ALL_COMPONENTS };

    // Act
    const first = await call('POST', '/projects', { body, headers: withKey(key) });
    const replay = await call('POST', '/projects', { body: { migrationType: ALL_COMPONENTS, ...ds, name: body.name }, headers: withKey(key) });
    const list = await call('GET', '/projects?limit=100');

    // Assess
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(replay.headers.etag).toBe(first.headers.etag);
    expect(list.body.items.filter((p: { name: string }) => p.name === body.name)).toHaveLength(1);
  });

  it('a replayed lifecycle call does not run again: one audit event, same version', async () => {
    // Prepare
    const p = await createProject(ds);
    const key = newKey();

    // Act
    const first = await call('POST', `/projects/${p.id}/start`, { headers: withKey(key) });
    const replay = await call('POST', `/projects/${p.id}/start`, { headers: withKey(key) });
    const events = await call('GET', `/projects/${p.id}/events`);

    // Assess
    expect(first.status).toBe(200);
    expect(replay.status).toBe(200);
    expect(replay.body.version).toBe(first.body.version);
    expect(events.body.items.filter((e: { operation: string }) => e.operation === 'start')).toHaveLength(1);
  });

  it('the same key with a different body → 422 IDEMPOTENCY_KEY_REUSED, nothing changes', async () => {
    // Prepare
    const p = await createProject(ds);
    const key = newKey();
    await call('PUT', `/projects/${p.id}/alert-config`, { body: { level: 'LOW' }, headers: withKey(key) });

    // Act
    const reused = await call('PUT', `/projects/${p.id}/alert-config`, { body: { level: 'HIGH' }, headers: withKey(key) });
    const now = await call('GET', `/projects/${p.id}`);

    // Assess
    expect(reused.status).toBe(422);
    expect(reused.headers['content-type']).toBe('application/problem+json');
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(now.body.alertLevel).toBe('LOW');
  });

  it('the same key on another project (path differs) → 422', async () => {
    // Prepare
    const a = await createProject(ds);
    const b = await createProject(ds);
    const key = newKey();
    await call('POST', `/projects/${a.id}/start`, { headers: withKey(key) });

    // Act
    const other = await call('POST', `/projects/${b.id}/start`, { headers: withKey(key) });

    // Assess
    expect(other.status).toBe(422);
    expect((await call('GET', `/projects/${b.id}`)).body.status).toBe('NOT_STARTED');
  });

  it('20 concurrent pauses with one key: exactly one executes, the others get its response or 409 IDEMPOTENCY_IN_PROGRESS', async () => {
    // Prepare
    const p = await createProject(ds);
    await call('POST', `/projects/${p.id}/start`);
    const key = newKey();

    // Act
    const results = await Promise.all(Array.from({ length: 20 }, () => call('POST', `/projects/${p.id}/pause`, { headers: withKey(key) })));
    const events = await call('GET', `/projects/${p.id}/events`);

    // Assess
    expect(events.body.items.filter((e: { operation: string }) => e.operation === 'pause')).toHaveLength(1);
    const ok = results.filter((r) => r.status === 200);
    const busy = results.filter((r) => r.status === 409);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(ok.length + busy.length).toBe(20);
    expect(busy.every((r) => r.body.code === 'IDEMPOTENCY_IN_PROGRESS')).toBe(true);
    expect(new Set(ok.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(ok.filter((r) => r.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
  });

  it('a 4xx answer is stored and replayed, even after the state changed', async () => {
    // Prepare
    const p = await createProject(ds);
    const key = newKey();
    const refused = await call('POST', `/projects/${p.id}/pause`, { headers: withKey(key) });
    await call('POST', `/projects/${p.id}/start`);

    // Act
    const replay = await call('POST', `/projects/${p.id}/pause`, { headers: withKey(key) });

    // Assess
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('INVALID_STATE');
    expect(replay.status).toBe(409);
    expect(replay.body).toEqual(refused.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect((await call('GET', `/projects/${p.id}`)).body.status).toBe('RUNNING');
  });

  it('a 5xx releases the key: the retry with the same key executes', async () => {
    // Prepare
    const p = await createProject(ds);
    const real = new DynamoProjectStore(getDocumentClient(), tableName);
    let failures = 1;
    overrideDeps({
      projects: Object.assign(Object.create(real) as DynamoProjectStore, {
        transition: async (w: Parameters<DynamoProjectStore['transition']>[0]) => {
          if (failures-- > 0) throw new Error('disk on fire');
          return real.transition(w);
        },
      }),
    });
    const key = newKey();

    // Act
    const failed = await call('POST', `/projects/${p.id}/start`, { headers: withKey(key) });
    const retried = await call('POST', `/projects/${p.id}/start`, { headers: withKey(key) });

    // Assess
    expect(failed.status).toBe(500);
    expect(retried.status).toBe(200);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(retried.body.status).toBe('RUNNING');
  });

  it('keys are stored with ttl ≥ 24 h and execute again once expired', async () => {
    // Prepare
    const key = newKey();
    const body = { name: `idem-ttl-${keyCounter}`, ...ds, migrationType: ALL_COMPONENTS };
    const storedAt = clock.ms;
    const first = await call('POST', '/projects', { body, headers: withKey(key) });
    const caller = 'arn:aws:iam::123456789012:user/tester';
    const client = localDocumentClient(endpoint);
    const item = await client.send(
      new GetCommand({ TableName: tableName, Key: keys.idempotency(idempotencyDigest(`${caller} POST /projects`, key)) }),
    );
    client.destroy();

    // Act
    clock.advance(DAY - 1000);
    const stillStored = await call('POST', '/projects', { body, headers: withKey(key) });
    clock.advance(2000 + 1000);
    const afterExpiry = await call('POST', '/projects', { body, headers: withKey(key) });

    // Assess
    expect(first.status).toBe(201);
    expect(item.Item?.state).toBe('COMPLETED');
    expect(item.Item?.ttl).toBeGreaterThanOrEqual((storedAt + DAY) / 1000);
    expect(stillStored.status).toBe(201);
    expect(stillStored.headers['idempotent-replayed']).toBe('true');
    expect(afterExpiry.status).toBe(409); // executed again: the name is taken by the first create
    expect(afterExpiry.body.code).toBe('NAME_TAKEN');
  });

  it('keys are scoped per caller: another caller with the same key executes its own request', async () => {
    // Prepare
    const a = await createProject(ds);
    const key = newKey();
    await call('PUT', `/projects/${a.id}/alert-config`, { body: { level: 'LOW' }, headers: withKey(key) });

    // Act
    const other = await call('PUT', `/projects/${a.id}/alert-config`, {
      body: { level: 'LOW' },
      headers: withKey(key, { 'X-Actor': 'arn:aws:iam::123456789012:user/someone-else' }),
    });
    const events = await call('GET', `/projects/${a.id}/events`);

    // Assess
    expect(other.status).toBe(200);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(events.body.items.filter((e: { operation: string }) => e.operation === 'modify-alert-config')).toHaveLength(2);
  });

  it.each([
    ['too long', 'k'.repeat(256)],
    ['a control character', 'abc\u0001def'],
    ['non-ASCII', 'schlüssel'],
  ])('an Idempotency-Key that is %s → 400 VALIDATION_FAILED, nothing runs', async (_what, key) => {
    // Prepare
    const p = await createProject(ds);

    // Act
    const r = await call('POST', `/projects/${p.id}/start`, { headers: withKey(key) });

    // Assess
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('VALIDATION_FAILED');
    expect(r.body.issues[0].path).toEqual(['headers', 'idempotency-key']);
    expect((await call('GET', `/projects/${p.id}`)).body.status).toBe('NOT_STARTED');
  });

  it('a 255-character key is accepted; GET ignores the header', async () => {
    // Prepare
    const p = await createProject(ds);
    const key = 'k'.repeat(255);

    // Act
    const started = await call('POST', `/projects/${p.id}/start`, { headers: withKey(key) });
    const read = await call('GET', `/projects/${p.id}`, { headers: withKey('\u0001') });

    // Assess
    expect(started.status).toBe(200);
    expect(read.status).toBe(200);
  });

  it('the same key with another If-Match → 422 IDEMPOTENCY_KEY_REUSED (If-Match is part of the request)', async () => {
    // Prepare
    const p = await createProject(ds);
    const key = newKey();
    const first = await call('POST', `/projects/${p.id}/start`, { headers: withKey(key, { 'If-Match': '"1"' }) });

    // Act
    const otherVersion = await call('POST', `/projects/${p.id}/start`, { headers: withKey(key, { 'If-Match': '"7"' }) });
    const noIfMatch = await call('POST', `/projects/${p.id}/start`, { headers: withKey(key) });
    const sameIfMatch = await call('POST', `/projects/${p.id}/start`, { headers: withKey(key, { 'If-Match': '"1"' }) });

    // Assess
    expect(first.status).toBe(200);
    expect(otherVersion.status).toBe(422);
    expect(otherVersion.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(noIfMatch.status).toBe(422);
    expect(sameIfMatch.status).toBe(200);
    expect(sameIfMatch.headers['idempotent-replayed']).toBe('true');
  });

  it('a retryable 409 CONCURRENT_MODIFICATION is not stored: the retry with the same key executes', async () => {
    // Prepare: every write of the first request loses a race that leaves the operation allowed
    const p = await createProject(ds);
    const real = new DynamoProjectStore(getDocumentClient(), tableName);
    let losing = true;
    overrideDeps({
      projects: Object.assign(Object.create(real) as DynamoProjectStore, {
        transition: async (w: Parameters<DynamoProjectStore['transition']>[0]) => {
          if (losing) throw new TransitionConflict(await real.get(w.projectId));
          return real.transition(w);
        },
      }),
    });
    const key = newKey();
    const raced = await call('POST', `/projects/${p.id}/start`, { headers: withKey(key) });
    losing = false;

    // Act
    const retried = await call('POST', `/projects/${p.id}/start`, { headers: withKey(key) });
    const replay = await call('POST', `/projects/${p.id}/start`, { headers: withKey(key) });

    // Assess
    expect(raced.status).toBe(409);
    expect(raced.body.code).toBe('CONCURRENT_MODIFICATION');
    expect(retried.status).toBe(200);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(retried.body.status).toBe('RUNNING');
    expect(replay.status).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });

  it('a 503 ORCHESTRATION_UNAVAILABLE is not stored: the retry with the same key starts the project', async () => {
    // Prepare
    const p = await createProject(ds);
    const orchestrator = getDeps().orchestrator;
    let down = true;
    overrideDeps({
      orchestrator: {
        ...orchestrator,
        startRun: async (project) => {
          if (down) throw new OrchestratorUnavailable('state machine throttled');
          return orchestrator.startRun(project);
        },
        stopRun: (project, reason) => orchestrator.stopRun(project, reason),
        isRunActive: (project) => orchestrator.isRunActive(project),
        completeTask: (token, output) => orchestrator.completeTask(token, output),
      },
    });
    const key = newKey();
    const failed = await call('POST', `/projects/${p.id}/start`, { headers: withKey(key) });
    down = false;

    // Act
    const retried = await call('POST', `/projects/${p.id}/start`, { headers: withKey(key) });

    // Assess
    expect(failed.status).toBe(503);
    expect(failed.body.code).toBe('ORCHESTRATION_UNAVAILABLE');
    expect(retried.status).toBe(200);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(retried.body.status).toBe('RUNNING');
    overrideDeps({ orchestrator });
  });

  it('a final 412 VERSION_MISMATCH is stored and replayed', async () => {
    // Prepare
    const p = await createProject(ds);
    const key = newKey();
    const refused = await call('POST', `/projects/${p.id}/start`, { headers: withKey(key, { 'If-Match': '"9"' }) });

    // Act
    const replay = await call('POST', `/projects/${p.id}/start`, { headers: withKey(key, { 'If-Match': '"9"' }) });

    // Assess
    expect(refused.status).toBe(412);
    expect(replay.status).toBe(412);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(refused.body);
  });
});
