import { describe, expect, it } from 'vitest';
import type { InMemoryBatchQueue } from '../../shared/adapters/memory/batch-store';
import { acceptBatch, getBatch, handleBatchMessage } from '../../shared/usecases/batch-jobs';
import { createDataSource } from '../../shared/usecases/data-sources';
import { applyOperation } from '../../shared/usecases/lifecycle';
import { createProject } from '../../shared/usecases/projects';
import { memoryDeps } from '../support/memory-deps';

const ctx = { actor: 'arn:aws:iam::123456789012:user/alice', requestId: 'req-outcome' };
const FULL = { structureMigration: false, fullMigration: true, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false };

describe('a stored batch result keeps the lifecycle answer', () => {
  it("a multi-source project's per-source outcome is kept next to the item's own disposition", async () => {
    // Prepare: a running two-source project, paused by source through a batch resource
    const deps = memoryDeps();
    const queue = deps.batchQueue as InMemoryBatchQueue;
    const ds = (name: string, engine: 'mysql' | 'tidb') => createDataSource(deps, { name, engine, host: 'h', port: 1, username: 'u' });
    const [s1, s2, dst] = [await ds('s1', 'mysql'), await ds('s2', 'mysql'), await ds('dst', 'tidb')];
    const p = await createProject(deps, { name: 'two-sources', sourceIds: [s1.id, s2.id], destinationId: dst.id, migrationType: FULL }, ctx);
    await applyOperation(deps, { operation: 'start', projectId: p.id, ctx });
    const single = await createProject(deps, { name: 'one-source', sourceId: s1.id, destinationId: dst.id, migrationType: FULL }, ctx);
    await applyOperation(deps, { operation: 'start', projectId: single.id, ctx });
    const batch = await acceptBatch(deps, { operation: 'pause', projectIds: [p.id, single.id], parameters: { sources: [s2.id] } }, ctx);

    // Act
    let n = 0;
    for (let m = queue.take(); m.length; m = queue.take()) for (const message of m) await handleBatchMessage(deps, message, { messageId: `m${++n}`, attempt: 1 });
    const { results } = await getBatch(deps, batch.batchId, 10);

    // Assess
    const multi = results.find((r) => r.projectId === p.id);
    expect(multi).toMatchObject({ ok: true, disposition: 'succeeded', outcome: { op: 'pause-sources', result: true, sources: [{ source: s2.id, result: true }] } });
    const one = results.find((r) => r.projectId === single.id);
    expect(one?.disposition).toBeDefined();
    expect(one).not.toHaveProperty('outcome');
  });
});
