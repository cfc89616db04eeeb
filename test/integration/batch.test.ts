import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { localDocumentClient } from '../../infra/local/dynamodb-local';
import { BatchExecutionView, BatchPreviewView } from '../../shared/api/responses';
import { BATCH_OPERATIONS, batchRuleFor, type BatchOperation } from '../../shared/domain/batch';
import { PROJECT_STATUSES, type ProjectRecord, type ProjectStatus } from '../../shared/domain/project';
import { isAllowed } from '../../shared/domain/transitions';
import { SEEDS_FROM } from '../support/seeds-table';
import { getDocumentClient } from '../../shared/adapters/dynamodb/client';
import { getDeps } from '../../shared/runtime';
import { runBatch, type BatchExecution } from '../../shared/usecases/batch';
import { bulkSeedProjects } from '../support/bulk-seed';
import { batchQueueIdle, call, createDataSources, createProject, useLocalTable } from '../support/harness';
import { projectIn } from '../support/seed';

/**
 * POST /batch-operations on DynamoDB Local, through the real handler: the seeds' status × operation
 * table, preview vs execute, races with single calls, the 1000-item batch and selector pages.
 */

/** The seeds' table ("Supported batch operation" by project status), written out independently of the code. */
const SEEDS_TABLE: Record<BatchOperation, readonly ProjectStatus[]> = SEEDS_FROM;
const STAGE_DEPENDENT = new Set<BatchOperation>(['skip-full-verification', 'enter-forward-switchover', 'start-forward-switchover']);

/** Where each operation leaves a project it applies to; null = deleted, 'UNCHANGED' = same status. */
const RESULTING: Partial<Record<BatchOperation, ProjectStatus | 'UNCHANGED' | null>> = {
  start: 'RUNNING',
  pause: 'PAUSED',
  resume: 'RUNNING',
  release: 'RELEASED',
  delete: null,
  'modify-alert-config': 'UNCHANGED',
};

const batch = (body: Record<string, unknown>, headers: Record<string, string> = {}) => call('POST', '/batch-operations', { body, headers });
const parametersFor = (op: BatchOperation) => (op === 'modify-alert-config' ? { parameters: { level: 'HIGH' } } : {});
const get = async (id: string) => (await call('GET', `/projects/${id}`)).body as ProjectRecord & { allowedActions: string[] };
const events = async (id: string) => (await call('GET', `/projects/${id}/events`)).body.items as { operation: string; to: string | null; batchId?: string; actor: string }[];

describe('POST /batch-operations (DynamoDB Local)', () => {
  let ds: { sourceId: string; destinationId: string };
  let tableName: string;
  let client: ReturnType<typeof localDocumentClient>;

  beforeAll(async () => {
    ({ tableName } = await useLocalTable());
    client = localDocumentClient(inject('dynamoEndpoint'));
    ds = await createDataSources('batch');
  });
  afterAll(() => client.destroy());

  describe('the seeds\' status × operation table, one batch per operation over a project in every status', () => {
    it.each(BATCH_OPERATIONS)('%s', async (op) => {
      // Prepare
      const projects = await Promise.all(PROJECT_STATUSES.map((s) => projectIn(s, ds)));
      const ids = projects.map((p) => p.id);
      const rule = batchRuleFor(op);

      // Act
      const preview = await batch({ operation: op, projectIds: ids, dryRun: true, ...parametersFor(op) });
      const afterPreview = await Promise.all(ids.map(get));
      const executed = await batch({ operation: op, projectIds: ids, ...parametersFor(op) });

      // Assess: both answers are what the OpenAPI document says
      BatchPreviewView.strict().parse(preview.body);
      BatchExecutionView.strict().parse(executed.body);

      // Assess: the preview partitions the selection as the seeds' table does, and changes nothing
      expect(preview.status).toBe(200);
      const eligibleStatuses = (preview.body.eligible as { status: ProjectStatus }[]).map((e) => e.status);
      expect(afterPreview.map((p) => p.version)).toEqual(projects.map((p) => p.version));
      if (!rule) {
        expect(eligibleStatuses).toEqual([]);
        expect(preview.body.ineligible.map((i: { code: string }) => i.code)).toEqual(ids.map(() => 'OPERATION_NOT_AVAILABLE'));
      } else if (STAGE_DEPENDENT.has(op)) {
        expect(SEEDS_TABLE[op]).toEqual(expect.arrayContaining(eligibleStatuses));
        expect(eligibleStatuses).toEqual(afterPreview.filter((p) => isAllowed(rule, p, Date.now())).map((p) => p.status));
      } else {
        expect(eligibleStatuses).toEqual(PROJECT_STATUSES.filter((s) => SEEDS_TABLE[op].includes(s)));
        expect(preview.body.eligible[0]).toEqual({ projectId: expect.any(String), name: expect.any(String), status: expect.any(String), updatedAt: expect.any(String), version: expect.any(Number) });
        for (const i of preview.body.ineligible) expect(i).toMatchObject({ code: 'INVALID_STATE', name: expect.any(String), status: expect.any(String), reason: expect.any(String) });
      }

      // Assess: execution moves exactly the eligible projects, as the single call would
      expect(executed.status).toBe(200);
      expect(executed.body).toMatchObject({ operation: op, requested: 7, succeeded: eligibleStatuses.length, failed: 7 - eligibleStatuses.length, batchId: expect.any(String) });
      const results = executed.body.results as { projectId: string; ok: boolean; status?: string; updatedAt?: string }[];
      expect(results.map((r) => r.projectId)).toEqual(ids);
      for (const [i, p] of projects.entries()) {
        const r = results[i] as (typeof results)[number];
        const now = await call('GET', `/projects/${p.id}`);
        if (!r.ok) {
          expect(now.body).toMatchObject({ status: p.status, version: p.version });
          continue;
        }
        const to = RESULTING[op];
        if (to === null) {
          expect(now.status).toBe(404);
          continue;
        }
        expect(now.body.status).toBe(to === 'UNCHANGED' || to === undefined ? p.status : to);
        expect(r).toMatchObject({ status: now.body.status, updatedAt: now.body.updatedAt });
        if (op === 'modify-alert-config') expect(now.body.alertLevel).toBe('HIGH');
        expect((await events(p.id)).at(-1)).toMatchObject({ batchId: executed.body.batchId, actor: 'arn:aws:iam::123456789012:user/tester' });
      }
    });
  });

  it('a project changed between preview and execute: with expectedVersions → VERSION_MISMATCH; without → INVALID_STATE; never trampled', async () => {
    // Prepare
    const [a, b, c, d] = await Promise.all([0, 1, 2, 3].map(() => projectIn('RUNNING', ds)));
    const preview = await batch({ operation: 'pause', projectIds: [a?.id, b?.id, c?.id, d?.id], dryRun: true });
    const expectedVersions = Object.fromEntries((preview.body.eligible as { projectId: string; version: number }[]).map((e) => [e.projectId, e.version]));
    await call('POST', `/projects/${a?.id}/pause`, { headers: { 'X-Actor': 'bob' } });
    await call('POST', `/projects/${c?.id}/pause`, { headers: { 'X-Actor': 'bob' } });

    // Act
    const withVersions = await batch({ operation: 'pause', projectIds: [a?.id, b?.id], expectedVersions: { [a?.id as string]: expectedVersions[a?.id as string], [b?.id as string]: expectedVersions[b?.id as string] } });
    const withoutVersions = await batch({ operation: 'pause', projectIds: [c?.id, d?.id] });

    // Assess
    expect(preview.body.eligible).toHaveLength(4);
    expect(withVersions.body.results).toEqual([
      expect.objectContaining({ projectId: a?.id, ok: false, code: 'VERSION_MISMATCH', status: 'PAUSED', name: a?.name }),
      expect.objectContaining({ projectId: b?.id, ok: true, status: 'PAUSED' }),
    ]);
    expect(withoutVersions.body.results).toEqual([
      expect.objectContaining({ projectId: c?.id, ok: false, code: 'INVALID_STATE', status: 'PAUSED' }),
      expect.objectContaining({ projectId: d?.id, ok: true, status: 'PAUSED' }),
    ]);
    for (const p of [a, c]) {
      const pauses = (await events(p?.id as string)).filter((e) => e.operation === 'pause');
      expect(pauses).toEqual([expect.objectContaining({ actor: 'bob' })]);
      expect(pauses[0]?.batchId).toBeUndefined();
    }
  });

  it("a batch's projects share transactions: 30 pauses in a few TransactWriteItems, each project with its own audit event", async () => {
    // Prepare: count the transactions the handler's own document client sends
    const projects = await Promise.all(Array.from({ length: 30 }, () => projectIn('RUNNING', ds)));
    const sent: number[] = [];
    const doc = getDocumentClient();
    doc.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'TransactWriteItemsCommand') sent.push(((args.input as { TransactItems?: unknown[] }).TransactItems ?? []).length);
        return next(args);
      },
      { step: 'initialize', name: 'countBatchTransactions' },
    );

    // Act
    const out = await batch({ operation: 'pause', projectIds: projects.map((p) => p.id) }).finally(() => doc.middlewareStack.remove('countBatchTransactions'));

    // Assess
    expect(out.body.succeeded).toBe(30);
    expect(sent.length).toBeLessThan(30);
    expect(sent.reduce((a, b) => a + b, 0)).toBe(60);
    expect(Math.max(...sent)).toBeLessThanOrEqual(100);
    for (const p of projects) {
      expect(await get(p.id)).toMatchObject({ status: 'PAUSED', version: p.version + 1 });
      expect((await events(p.id)).filter((e) => e.operation === 'pause')).toEqual([expect.objectContaining({ batchId: out.body.batchId })]);
    }
  });

  it('unknown ids are reported per item (PROJECT_NOT_FOUND), in preview and execution', async () => {
    // Prepare
    const p = await projectIn('NOT_STARTED', ds);
    const ghost = randomUUID();

    // Act
    const preview = await batch({ operation: 'start', projectIds: [ghost, p.id], dryRun: true });
    const executed = await batch({ operation: 'start', projectIds: [ghost, p.id] });

    // Assess
    expect(preview.body.ineligible).toEqual([{ projectId: ghost, code: 'PROJECT_NOT_FOUND', reason: expect.any(String) }]);
    expect(preview.body.eligible.map((e: { projectId: string }) => e.projectId)).toEqual([p.id]);
    expect(executed.body).toMatchObject({ requested: 2, succeeded: 1, failed: 1 });
    expect(executed.body.results).toEqual([{ projectId: ghost, ok: false, code: 'PROJECT_NOT_FOUND', message: expect.any(String) }, expect.objectContaining({ projectId: p.id, ok: true, status: 'RUNNING' })]);
  });

  it.each([
    ['repeated ids', (id: string) => ({ operation: 'pause', projectIds: [id, randomUUID(), id] })],
    ['more than 1000 ids', () => ({ operation: 'pause', projectIds: Array.from({ length: 1001 }, () => randomUUID()) })],
    ['no ids', () => ({ operation: 'pause', projectIds: [] })],
    ['an unknown operation', (id: string) => ({ operation: 'explode', projectIds: [id] })],
    ['modify-alert-config without a level', (id: string) => ({ operation: 'modify-alert-config', projectIds: [id] })],
    ['an empty selector', () => ({ operation: 'pause', selector: {} })],
    ['ids and a selector', (id: string) => ({ operation: 'pause', projectIds: [id], selector: { status: 'RUNNING' } })],
    ['nextToken with ids', (id: string) => ({ operation: 'pause', projectIds: [id], nextToken: 'abc' })],
    ['expectedVersions for a project not selected', (id: string) => ({ operation: 'pause', projectIds: [id], expectedVersions: { [randomUUID()]: 2 } })],
  ])('%s → 400 VALIDATION_FAILED, nothing changed', async (_case, body) => {
    // Prepare
    const p = await projectIn('RUNNING', ds);

    // Act
    const r = await batch(body(p.id));

    // Assess
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toBe('application/problem+json');
    expect(r.body).toMatchObject({ code: 'VALIDATION_FAILED', issues: expect.any(Array) });
    expect(await get(p.id)).toMatchObject({ status: 'RUNNING', version: p.version });
  });

  it('1000 projects, 10% of them ineligible: accepted as a batch resource (202), every item answered, the 900 paused, the 100 untouched', async () => {
    // Prepare
    const label = `bulk-${randomUUID().slice(0, 8)}`;
    const running = await bulkSeedProjects(client, tableName, { count: 900, ds, status: 'RUNNING', labels: [label] });
    const notStarted = await bulkSeedProjects(client, tableName, { count: 100, ds, status: 'NOT_STARTED', labels: [label] });
    const ids = [...running, ...notStarted].map((p) => p.id).sort();

    // Act: preview (within the request), then execute (above the threshold: a batch resource run on the queue)
    const preview = await batch({ operation: 'pause', projectIds: ids, dryRun: true });
    const accepted = await batch({ operation: 'pause', projectIds: ids });
    await batchQueueIdle();
    const batchId = accepted.body.batchId as string;
    const results: { projectId: string; ok: boolean; code?: string; disposition: string }[] = [];
    let done: { body: Record<string, unknown> } | undefined;
    let nextToken: string | undefined;
    do {
      done = await call('GET', `/batch-operations/${batchId}?limit=100${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ''}`);
      results.push(...(done.body.results as typeof results));
      nextToken = done.body.nextToken as string | undefined;
    } while (nextToken);

    // Assess
    expect(preview.body.eligible).toHaveLength(900);
    expect(preview.body.ineligible).toHaveLength(100);
    expect(new Set(preview.body.ineligible.map((i: { projectId: string }) => i.projectId))).toEqual(new Set(notStarted.map((p) => p.id)));
    expect(accepted.status).toBe(202);
    expect(accepted.headers.location).toBe(`/batch-operations/${batchId}`);
    expect(done?.body).toMatchObject({ status: 'COMPLETED', requested: 1000, succeeded: 900, failed: 0, skipped: 100, pending: 0 });
    expect(results.map((r) => r.projectId)).toEqual(ids);
    const failedCodes = new Set(results.filter((r) => !r.ok).map((r) => r.code));
    expect(failedCodes).toEqual(new Set(['INVALID_STATE']));
    const stored = await getDeps().projects.getMany(ids);
    expect([...stored.values()].filter((p) => p.status === 'PAUSED')).toHaveLength(900);
    expect(notStarted.every((p) => stored.get(p.id)?.version === 1)).toBe(true);
    for (const p of running.slice(0, 3)) expect((await events(p.id)).at(-1)).toMatchObject({ operation: 'pause', batchId });
  }, 300_000); // a limit for a shared DynamoDB Local late in the run, not a timing assertion

  it('a batch racing single calls on the same projects: exactly one winner per transition, every end state explained by a serial order', async () => {
    // Prepare: 12 PAUSED projects; a batch resume races a single release on each, and 12 RUNNING
    // projects where a batch pause races a single pause
    const paused = await Promise.all(Array.from({ length: 12 }, () => projectIn('PAUSED', ds)));
    const running = await Promise.all(Array.from({ length: 12 }, () => projectIn('RUNNING', ds)));

    // Act
    const [resumeBatch, pauseBatch, releases, pauses] = await Promise.all([
      batch({ operation: 'resume', projectIds: paused.map((p) => p.id) }),
      batch({ operation: 'pause', projectIds: running.map((p) => p.id) }),
      Promise.all(paused.map((p) => call('POST', `/projects/${p.id}/release`))),
      Promise.all(running.map((p) => call('POST', `/projects/${p.id}/pause`))),
    ]);

    // Assess: resume vs release — whoever came first won, the other was refused by state
    for (const [i, p] of paused.entries()) {
      const item = resumeBatch.body.results[i];
      const single = releases[i];
      const now = await get(p.id);
      const trail = (await events(p.id)).map((e) => e.operation).slice(3); // after create, start, pause
      if (item.ok) {
        expect(single?.status).toBe(409);
        expect(single?.body.code).toBe('INVALID_STATE');
        expect(now.status).toBe('RUNNING');
        expect(trail).toEqual(['resume']);
      } else {
        expect(item.code).toBe('INVALID_STATE');
        expect(single?.status).toBe(200);
        expect(now.status).toBe('RELEASED');
        expect(trail).toEqual(['release', 'complete-release']);
      }
    }
    // pause vs pause — exactly one pause per project
    for (const [i, p] of running.entries()) {
      const wins = [pauseBatch.body.results[i].ok, pauses[i]?.status === 200].filter(Boolean);
      expect(wins).toHaveLength(1);
      expect((await get(p.id)).status).toBe('PAUSED');
      expect((await events(p.id)).filter((e) => e.operation === 'pause')).toHaveLength(1);
    }
    expect(resumeBatch.body.succeeded + releases.filter((r) => r.status === 200).length).toBe(12);
  });

  it('a selector pages through the matching projects with nextToken (status index + label filter)', async () => {
    // Prepare
    const label = `sel-${randomUUID().slice(0, 8)}`;
    const mine = await Promise.all(Array.from({ length: 10 }, () => createProject(ds, { labels: [label] })));
    const otherStatus = await projectIn('RUNNING', ds);
    const otherLabel = await createProject(ds, { labels: ['someone-else'] });
    await call('POST', `/projects/${otherStatus.id}/pause`);
    const deps = getDeps();
    const ctx = { actor: 'tester', requestId: 'sel' };

    // Act: pages of 4 (the API's page is 1000; the use case takes a smaller one for this test)
    const pages: BatchExecution[] = [];
    let nextToken: string | undefined;
    do {
      const page = (await runBatch(deps, { operation: 'start', selector: { status: 'NOT_STARTED', label }, ...(nextToken ? { nextToken } : {}) }, ctx, { maxPerCall: 4 })) as BatchExecution;
      pages.push(page);
      nextToken = page.nextToken;
    } while (nextToken);
    // A preview pages too: each page is bounded by the listing's read budget (short pages on a big table).
    const eligible: string[] = [];
    let previewToken: string | undefined;
    let byLabelOnly: Awaited<ReturnType<typeof batch>>;
    do {
      byLabelOnly = await batch({ operation: 'modify-alert-config', selector: { label }, parameters: { level: 'LOW' }, dryRun: true, ...(previewToken ? { nextToken: previewToken } : {}) });
      eligible.push(...byLabelOnly.body.eligible.map((e: { projectId: string }) => e.projectId));
      previewToken = byLabelOnly.body.nextToken;
    } while (previewToken);

    // Assess
    expect(pages.every((p) => p.requested <= 4)).toBe(true);
    expect(pages.reduce((n, p) => n + p.requested, 0)).toBe(10);
    expect(pages.flatMap((p) => p.results.map((r) => r.projectId)).sort()).toEqual(mine.map((p) => p.id).sort());
    expect(pages.every((p) => p.failed === 0)).toBe(true);
    expect((await get(otherLabel.id)).status).toBe('NOT_STARTED');
    expect(byLabelOnly.status).toBe(200);
    expect(eligible.sort()).toEqual(mine.map((p) => p.id).sort());
  });

  it('release: both audit events of each project carry the batch id and the caller', async () => {
    // Prepare
    const ps = await Promise.all([projectIn('PAUSED', ds), projectIn('FAILED', ds), projectIn('COMPLETED', ds)]);

    // Act
    const r = await batch({ operation: 'release', projectIds: ps.map((p) => p.id) }, { 'X-Actor': 'arn:aws:iam::123456789012:user/carol' });

    // Assess
    expect(r.body.succeeded).toBe(3);
    for (const p of ps) {
      const tail = (await events(p.id)).slice(-2);
      expect(tail).toEqual([
        expect.objectContaining({ to: 'RELEASING', batchId: r.body.batchId, actor: 'arn:aws:iam::123456789012:user/carol' }),
        expect.objectContaining({ to: 'RELEASED', batchId: r.body.batchId, actor: 'arn:aws:iam::123456789012:user/carol' }),
      ]);
    }
  });

  it('Idempotency-Key: a replay returns the identical response and runs nothing again; the key with another body → 422', async () => {
    // Prepare
    const ps = await Promise.all([projectIn('RUNNING', ds), projectIn('RUNNING', ds), projectIn('NOT_STARTED', ds)]);
    const key = `batch-${randomUUID()}`;
    const body = { operation: 'pause', projectIds: ps.map((p) => p.id) };
    const first = await batch(body, { 'Idempotency-Key': key });
    await call('POST', `/projects/${ps[0]?.id}/resume`); // after the batch: a replay must not pause it again

    // Act
    const replay = await batch(body, { 'Idempotency-Key': key });
    const reused = await batch({ ...body, projectIds: [ps[1]?.id] }, { 'Idempotency-Key': key });

    // Assess
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ requested: 3, succeeded: 2, failed: 1 });
    expect(replay.status).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect((await get(ps[0]?.id as string)).status).toBe('RUNNING');
    for (const p of ps.slice(0, 2)) expect((await events(p.id)).filter((e) => e.operation === 'pause')).toHaveLength(1);
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});
