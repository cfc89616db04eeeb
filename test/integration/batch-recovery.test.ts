import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InMemoryBatchQueue } from '../../shared/adapters/memory/batch-store';
import { BATCH_REDRIVE_GRACE_MS, BATCH_REDRIVES_BEFORE_STALLED, type BatchMessage } from '../../shared/domain/batch-jobs';
import type { BatchQueue } from '../../shared/ports';
import { acceptBatch, batchJobView, handleBatchMessage, submitBatch } from '../../shared/usecases/batch-jobs';
import { createDataSource } from '../../shared/usecases/data-sources';
import { applyOperation } from '../../shared/usecases/lifecycle';
import { createProject } from '../../shared/usecases/projects';
import { claimsDeadAtBoot, reconcileBatches } from '../../shared/usecases/reconcile-batches';
import { mapWithConcurrency } from '../../shared/usecases/concurrency';
import { memoryDeps } from '../support/memory-deps';
import { STORE_VARIANTS, type Stores } from '../support/store-variants';

/**
 * A large batch whose work was lost is finished by the reconciler's re-drive, each project exactly once:
 * (a) the first step's enqueue failed after the record was written (deployed: the batch stays ACCEPTED);
 * (b) the process holding the in-memory queue restarted mid-batch (`npm start`): messages waiting were
 * lost, and one worker had applied the operation to its projects and died before recording them.
 * The same on the in-memory stores and on DynamoDB (Local).
 */
const ctx = { actor: 'arn:aws:iam::123456789012:user/alice', requestId: 'req-recovery' };
const MT = { structureMigration: true, fullMigration: true, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false };
const PROJECTS = 110;
/** Enough for the re-drive spacing (a batch accepted directly, as a large one is). */
const FEW = 3;


/** A queue whose sends can be made to fail (the SQS call that fails after the record is written). */
class FlakyQueue implements BatchQueue {
  readonly inner = new InMemoryBatchQueue();
  failNext = false;
  /** Sends accepted and lost (a queue whose messages never reach a worker). */
  losing = false;
  async send(messages: readonly BatchMessage[]): Promise<void> {
    if (this.losing) return;
    if (this.failNext) {
      this.failNext = false;
      throw Object.assign(new Error('SQS unavailable'), { name: 'ServiceUnavailable' });
    }
    return this.inner.send(messages);
  }
}

async function prepare(stores: Stores, projects = PROJECTS) {
  const queue = new FlakyQueue();
  const deps = memoryDeps({ ...(await stores()), batchQueue: queue });
  const src = await createDataSource(deps, { name: `src-${randomUUID().slice(0, 6)}`, engine: 'mysql', host: 'h', port: 3306, username: 'u' });
  const dst = await createDataSource(deps, { name: `dst-${randomUUID().slice(0, 6)}`, engine: 'tidb', host: 'h', port: 4000, username: 'u' });
  const label = `wave-${randomUUID().slice(0, 8)}`;
  // Made 10 at a time (each one created, then started): the batch under test is what runs in order.
  const ids = await mapWithConcurrency([...Array(projects).keys()], 10, async (i) => {
    const p = await createProject(deps, { name: `r-${label}-${i}`, sourceId: src.id, destinationId: dst.id, migrationType: MT, labels: [label] }, ctx);
    await applyOperation(deps, { operation: 'start', projectId: p.id, ctx });
    return p.id;
  });
  let delivered = 0;
  /** Delivers every message waiting (and those they send), each with its own id, until the queue is empty. */
  const drain = async () => {
    for (let m = queue.inner.take(); m.length > 0; m = queue.inner.take()) {
      for (const message of m) await handleBatchMessage(deps, message, { messageId: `msg-${++delivered}`, attempt: 1 });
    }
  };
  const pausesOf = async (batchId: string) => Promise.all(ids.map(async (id) => (await deps.projects.listEvents(id)).filter((e) => e.operation === 'pause' && e.batchId === batchId).length));
  return { deps, queue, ids, label, drain, pausesOf };
}

describe.each(STORE_VARIANTS)('a stalled large batch is re-driven to completion, each project once (%s)', (_name, stores) => {
  it('(a) the first step was never enqueued: the batch stays ACCEPTED until the reconciler re-drives it', { timeout: 120_000 }, async () => {
    // Prepare
    const { deps, queue, ids, drain, pausesOf } = await prepare(stores);
    queue.failNext = true;
    const failed = await submitBatch(deps, { operation: 'pause', projectIds: ids }, ctx).catch((e: unknown) => e);
    const [stalled] = (await deps.batches.list(1)).items;
    const early = await reconcileBatches(deps); // within the grace: a batch may just be slow

    // Act
    deps.clock.advance(BATCH_REDRIVE_GRACE_MS);
    const report = await reconcileBatches(deps);
    await drain();

    // Assess
    expect(failed).toBeInstanceOf(Error);
    expect(stalled).toMatchObject({ status: 'ACCEPTED', requested: 0 });
    expect(early.redriven).toEqual([]);
    expect(report.redriven).toEqual([stalled?.batchId]);
    const done = await deps.batches.get(stalled?.batchId as string);
    expect(done).toMatchObject({ status: 'COMPLETED', requested: PROJECTS, succeeded: PROJECTS, failed: 0, skipped: 0, done: PROJECTS });
    expect(await pausesOf(stalled?.batchId as string)).toEqual(ids.map(() => 1));
  });

  it('(b) a restart lost the in-memory queue after one worker applied its projects and died: re-driven at boot, nothing applied twice', { timeout: 120_000 }, async () => {
    // Prepare: a selector batch, expanded; one message applied and died before recording; the others waiting
    const { deps, queue, label, ids, drain, pausesOf } = await prepare(stores);
    const submitted = await submitBatch(deps, { operation: 'pause', selector: { label } }, ctx);
    const batchId = submitted.kind === 'accepted' ? submitted.batch.batchId : '';
    const [expand] = queue.inner.take();
    await handleBatchMessage(deps, expand as BatchMessage, { messageId: 'expand-1', attempt: 1 });
    const [first] = queue.inner.take(); // the rest of the page's messages wait in the queue...
    const dying = { ...deps, batches: Object.assign(Object.create(deps.batches), { recordResults: async () => Promise.reject(new Error('killed')) }) };
    await handleBatchMessage(dying, first as BatchMessage, { messageId: 'died', attempt: 1 }).catch(() => undefined);
    queue.inner.take(); // ...and are lost with the process
    const stalled = await deps.batches.get(batchId);

    // Act: the process starts again a moment later; its boot reconcile (grace 0, every earlier claim dead)
    deps.clock.advance(1_000);
    const report = await reconcileBatches(deps, { graceMs: 0, claimsDeadBefore: claimsDeadAtBoot(deps) });
    await drain();

    // Assess
    expect(stalled).toMatchObject({ status: 'RUNNING', requested: PROJECTS, done: 0 });
    expect(report.redriven).toEqual([batchId]);
    expect(await deps.batches.get(batchId)).toMatchObject({ status: 'COMPLETED', requested: PROJECTS, succeeded: PROJECTS, failed: 0, skipped: 0, done: PROJECTS });
    expect(await pausesOf(batchId)).toEqual(ids.map(() => 1));
  });

  it('re-driving a batch that is only slow, or done, changes nothing', { timeout: 120_000 }, async () => {
    // Prepare: a batch run to its end
    const { deps, ids, drain, pausesOf } = await prepare(stores);
    const submitted = await submitBatch(deps, { operation: 'pause', projectIds: ids }, ctx);
    const batchId = submitted.kind === 'accepted' ? submitted.batch.batchId : '';
    await drain();
    const before = await deps.batches.get(batchId);

    // Act: a redrive message delivered anyway (a sweep that raced the last result)
    await handleBatchMessage(deps, { kind: 'redrive', batchId }, { messageId: 'late', attempt: 1 });
    await drain();

    // Assess
    expect(before).toMatchObject({ status: 'COMPLETED', done: PROJECTS });
    expect(await deps.batches.get(batchId)).toEqual(before);
    expect(await pausesOf(batchId)).toEqual(ids.map(() => 1));
  });

  it('a batch that cannot progress is re-driven ever more rarely (at most every 4 h), shown stalled after 5, and finishes once the cause is gone', { timeout: 300_000 }, async () => {
    // Prepare: a batch accepted as a large one is (its record, its first step sent), every message it sends lost
    const { deps, queue, ids, drain, pausesOf } = await prepare(stores, FEW);
    queue.losing = true;
    const { batchId } = await acceptBatch(deps, { operation: 'pause', projectIds: ids }, ctx);
    const start = deps.clock.nowMs();
    const PASS = 5 * 60_000;

    // Act: a reconciler pass every 5 minutes for 12 hours; then the queue delivers again
    const redrivenAt: number[] = [];
    const stalledFrom: number[] = [];
    for (let t = PASS; t <= 12 * 3600_000; t += PASS) {
      deps.clock.advance(PASS);
      const report = await reconcileBatches(deps);
      if (report.redriven.includes(batchId)) redrivenAt.push(t / 60_000);
      if (report.stalled.includes(batchId)) stalledFrom.push(t / 60_000);
    }
    const stalledView = batchJobView((await deps.batches.get(batchId))!);
    queue.losing = false;
    deps.clock.advance(Date.parse(stalledView.redrive?.nextAt ?? '') - deps.clock.nowMs());
    const last = await reconcileBatches(deps);
    await drain();

    // Assess
    expect(redrivenAt).toEqual([15, 45, 105, 225, 465, 705]); // 15 min after the last progress, then 30 min, 1 h, 2 h, 4 h, 4 h apart
    expect(stalledFrom[0]).toBe(redrivenAt[BATCH_REDRIVES_BEFORE_STALLED - 1]);
    expect(stalledFrom.at(-1)).toBe(12 * 60);
    expect(stalledView).toMatchObject({ status: 'ACCEPTED', pending: 0, redrive: { attempts: 6, stalled: true, lastAt: new Date(start + 705 * 60_000).toISOString(), nextAt: new Date(start + 945 * 60_000).toISOString() } });
    expect(last.redriven).toEqual([batchId]);
    const done = await deps.batches.get(batchId);
    expect(done).toMatchObject({ status: 'COMPLETED', requested: FEW, succeeded: FEW, done: FEW });
    expect(batchJobView(done!).redrive).toBeUndefined();
    expect(await pausesOf(batchId)).toEqual(ids.map(() => 1));
  });

  it('two sweeps that see the same stalled batch re-drive it once', { timeout: 120_000 }, async () => {
    // Prepare
    const { deps, queue, ids } = await prepare(stores, FEW);
    queue.losing = true;
    const { batchId } = await acceptBatch(deps, { operation: 'pause', projectIds: ids }, ctx);
    deps.clock.advance(BATCH_REDRIVE_GRACE_MS);

    // Act
    const reports = await Promise.all([reconcileBatches(deps), reconcileBatches(deps)]);

    // Assess
    expect(reports.flatMap((r) => r.redriven)).toEqual([batchId]);
    expect(await deps.batches.get(batchId)).toMatchObject({ redrives: 1, redrivenAt: new Date(deps.clock.nowMs()).toISOString() });
  });
});
