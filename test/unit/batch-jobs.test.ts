import { describe, expect, it } from 'vitest';
import type { InMemoryBatchQueue } from '../../shared/adapters/memory/batch-store';
import { ASYNC_BATCH_THRESHOLD, ITEMS_PER_MESSAGE, type BatchMessage } from '../../shared/domain/batch-jobs';
import type { ProjectRecord } from '../../shared/domain/project';
import type { BatchStore } from '../../shared/ports';
import { getBatch, handleBatchMessage, submitBatch } from '../../shared/usecases/batch-jobs';
import { createDataSource } from '../../shared/usecases/data-sources';
import { applyOperation } from '../../shared/usecases/lifecycle';
import { createProject } from '../../shared/usecases/projects';
import { memoryDeps } from '../support/memory-deps';

const ctx = { actor: 'arn:aws:iam::123456789012:user/alice', requestId: 'req-batch-jobs' };
const ALL = { structureMigration: true, fullMigration: true, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false };

async function prepare(overrides: Parameters<typeof memoryDeps>[0] = {}) {
  const deps = memoryDeps(overrides);
  const src = await createDataSource(deps, { name: 'src', engine: 'mysql', host: 'h', port: 3306, username: 'u' });
  const dst = await createDataSource(deps, { name: 'dst', engine: 'tidb', host: 'h', port: 4000, username: 'u' });
  let n = 0;
  const project = async (running: boolean): Promise<ProjectRecord> => {
    const p = await createProject(deps, { name: `p${++n}`, sourceId: src.id, destinationId: dst.id, migrationType: ALL }, ctx);
    if (running) await applyOperation(deps, { operation: 'start', projectId: p.id, ctx });
    return (await deps.projects.get(p.id)) as ProjectRecord;
  };
  return { deps, queue: deps.batchQueue as InMemoryBatchQueue, project };
}

/** A seeded shuffle (no Math.random: the same order on every run). */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const pauseEventsOf = async (deps: Awaited<ReturnType<typeof prepare>>['deps'], id: string, batchId: string) =>
  (await deps.projects.listEvents(id)).filter((e) => e.operation === 'pause' && e.batchId === batchId);

async function allResults(deps: Awaited<ReturnType<typeof prepare>>['deps'], batchId: string) {
  const results: Awaited<ReturnType<typeof getBatch>>['results'] = [];
  let nextToken: string | undefined;
  do {
    const page = await getBatch(deps, batchId, 40, nextToken);
    results.push(...page.results);
    nextToken = page.nextToken;
  } while (nextToken);
  return results;
}

describe('batches as resources: exactly once per project (in-memory stores)', () => {
  it(`up to ${ASYNC_BATCH_THRESHOLD} ids: executed within the call, as before (no batch resource)`, async () => {
    // Prepare
    const { deps, queue, project } = await prepare();
    const ids = await Promise.all(Array.from({ length: 3 }, () => project(true).then((p) => p.id)));

    // Act
    const out = await submitBatch(deps, { operation: 'pause', projectIds: ids }, ctx);

    // Assess
    expect(out.kind).toBe('done');
    expect(out.kind === 'done' && 'results' in out.result && out.result.succeeded).toBe(3);
    expect(queue.sent).toEqual([]);
  });

  it('every message delivered twice (the same id again, and a duplicate send) in shuffled order: each project changed once, counters exact', async () => {
    // Prepare: 120 RUNNING and 10 NOT_STARTED projects (not pausable)
    const { deps, queue, project } = await prepare();
    const running = await Promise.all(Array.from({ length: 120 }, () => project(true)));
    const notStarted = await Promise.all(Array.from({ length: 10 }, () => project(false)));
    const ids = [...running, ...notStarted].map((p) => p.id);

    // Act: accept, then deliver every message twice with its own id, and once more as a duplicate send
    const accepted = await submitBatch(deps, { operation: 'pause', projectIds: ids }, ctx);
    if (accepted.kind !== 'accepted') throw new Error('expected a batch resource');
    const { batchId } = accepted.batch;
    let round = 0;
    for (let pending = queue.take(); pending.length > 0; pending = queue.take()) {
      const deliveries = pending.flatMap((message: BatchMessage, i) => [
        { message, messageId: `r${round}-m${i}`, attempt: 1 },
        { message, messageId: `r${round}-m${i}`, attempt: 2 },
        { message, messageId: `r${round}-dup${i}`, attempt: 1 },
      ]);
      for (const d of shuffled(deliveries, 7 + round)) await handleBatchMessage(deps, d.message, { messageId: d.messageId, attempt: d.attempt });
      round++;
    }

    // Assess: counters exact, each running project paused once by this batch, the others untouched
    const { batch } = await getBatch(deps, batchId, 1);
    expect(batch).toMatchObject({ status: 'COMPLETED', expanded: true, requested: 130, succeeded: 120, failed: 0, skipped: 10, done: 130 });
    for (const p of running) expect(await pauseEventsOf(deps, p.id, batchId)).toHaveLength(1);
    for (const p of notStarted) expect((await deps.projects.get(p.id))?.version).toBe(p.version);
    const results = await allResults(deps, batchId);
    expect(results.map((r) => r.projectId).sort()).toEqual([...ids].sort());
    expect(results.filter((r) => r.disposition === 'skipped').every((r) => r.code === 'INVALID_STATE')).toBe(true);
    expect(Math.ceil(130 / ITEMS_PER_MESSAGE)).toBeGreaterThan(1);
  });

  it('a worker that dies after applying and before recording: its redelivery records the result from the audit trail, never applies again', async () => {
    // Prepare: a store whose first recordResults fails (the worker died after the projects' writes)
    let failNext = true;
    const { deps, queue, project } = await prepare();
    const store = deps.batches;
    const dying: BatchStore = Object.assign(Object.create(store) as BatchStore, {
      recordResults: async (...args: Parameters<BatchStore['recordResults']>) => {
        if (failNext) {
          failNext = false;
          throw new Error('worker timed out');
        }
        return store.recordResults(...args);
      },
    });
    deps.batches = dying;
    const running = await Promise.all(Array.from({ length: ASYNC_BATCH_THRESHOLD + 1 }, () => project(true)));
    const accepted = await submitBatch(deps, { operation: 'pause', projectIds: running.map((p) => p.id) }, ctx);
    if (accepted.kind !== 'accepted') throw new Error('expected a batch resource');
    for (const m of queue.take()) await handleBatchMessage(deps, m, { messageId: 'expand', attempt: 1 });
    const [first, ...rest] = queue.take();

    // Act: the first items message fails after its writes, then is delivered again (same id)
    await expect(handleBatchMessage(deps, first as BatchMessage, { messageId: 'm0', attempt: 1 })).rejects.toThrow('worker timed out');
    await handleBatchMessage(deps, first as BatchMessage, { messageId: 'm0', attempt: 2 });
    for (const [i, m] of rest.entries()) await handleBatchMessage(deps, m, { messageId: `m${i + 1}`, attempt: 1 });

    // Assess: the redelivered projects count as succeeded, each paused once
    const { batch } = await getBatch(deps, accepted.batch.batchId, 1);
    expect(batch).toMatchObject({ status: 'COMPLETED', requested: running.length, succeeded: running.length, failed: 0, skipped: 0 });
    for (const p of running) expect(await pauseEventsOf(deps, p.id, accepted.batch.batchId)).toHaveLength(1);
    const results = await allResults(deps, accepted.batch.batchId);
    expect(results.filter((r) => (first as Extract<BatchMessage, { kind: 'items' }>).projectIds.includes(r.projectId)).every((r) => r.ok && r.status === 'PAUSED')).toBe(true);
  });

  it('a selector batch is expanded on the queue, one bounded page per step; unknown batches are 404', async () => {
    // Prepare
    const { deps, queue, project } = await prepare();
    const running = await Promise.all(Array.from({ length: ASYNC_BATCH_THRESHOLD + 5 }, () => project(true)));

    // Act
    const accepted = await submitBatch(deps, { operation: 'pause', selector: { status: 'RUNNING' } }, ctx);
    if (accepted.kind !== 'accepted') throw new Error('expected a batch resource');
    let steps = 0;
    for (let pending = queue.take(); pending.length > 0; pending = queue.take()) {
      for (const [i, m] of pending.entries()) {
        if (m.kind === 'expand') steps++;
        await handleBatchMessage(deps, m, { messageId: `s${steps}-${i}`, attempt: 1 });
      }
    }

    // Assess
    const { batch } = await getBatch(deps, accepted.batch.batchId, 1);
    expect(batch).toMatchObject({ status: 'COMPLETED', requested: running.length, succeeded: running.length });
    expect(steps).toBe(1);
    await expect(getBatch(deps, 'no-such-batch', 10)).rejects.toMatchObject({ status: 404, code: 'BATCH_NOT_FOUND' });
  });
});
