import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDocumentClient, startDynamoDbLocal, type DynamoDbLocal } from '../../infra/local/dynamodb-local';
import { BatchJobDetail, BatchJobList, BatchJobView } from '../../shared/api/responses';
import { getDeps } from '../../shared/runtime';
import { bulkSeedProjects } from '../support/bulk-seed';
import { batchQueueIdle, call, createDataSources, currentBatchQueue, useLocalTable } from '../support/harness';

/**
 * Large batches as resources on DynamoDB Local, through the handler modules the deployed functions bundle
 * (POST/GET routes, the batch worker fed SQS events by the local queue, the DynamoDB batch store).
 */
/**
 * 2,500 projects here: above the synchronous threshold and across three expansion pages of 1,000 (the
 * cursor resumed twice). The 10^4-project run is `npm run bench:scale` (bench/scale/batch.ts), or this test
 * with BATCH_ASYNC_PROJECTS=10000: 60,000 items and their stream records in the one shared DynamoDB Local
 * left its JVM collecting garbage for the rest of `npm test` (every later file 5-10x slower). It runs on a
 * DynamoDB Local of its own: on the suite's shared one, late in `npm test` (the stream records of every
 * earlier file piled up), the 2,500 projects took 767 s in CI against ~50 s on a fresh one.
 */
const SIZE = Number(process.env.BATCH_ASYNC_PROJECTS ?? 2_500);

describe('batch resources (DynamoDB Local)', () => {
  let ds: { sourceId: string; destinationId: string };
  let tableName: string;
  let client: ReturnType<typeof localDocumentClient>;
  let own: DynamoDbLocal;

  beforeAll(async () => {
    own = await startDynamoDbLocal();
    ({ tableName } = await useLocalTable({}, own.endpoint));
    client = localDocumentClient(own.endpoint);
    ds = await createDataSources('batch-async');
  });
  afterAll(async () => {
    client?.destroy();
    await own?.stop();
  });

  it(`a ${SIZE.toLocaleString('en')}-project selector batch: 202, expanded on the queue, completed with every result retrievable, paged`, async () => {
    // Prepare
    const label = `fleet-${randomUUID().slice(0, 8)}`;
    const seeded = await bulkSeedProjects(client, tableName, { count: SIZE, ds, status: 'RUNNING', labels: [label], parallel: 8 });

    // Act
    const accepted = await call('POST', '/batch-operations', { body: { operation: 'modify-alert-config', selector: { label }, parameters: { level: 'HIGH' } } });
    await batchQueueIdle();
    const batchId = accepted.body.batchId as string;
    const results: { projectId: string; ok: boolean; disposition: string }[] = [];
    let last: Awaited<ReturnType<typeof call>> | undefined;
    let pages = 0;
    let nextToken: string | undefined;
    do {
      last = await call('GET', `/batch-operations/${batchId}?limit=100${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ''}`);
      BatchJobDetail.parse(last.body);
      results.push(...(last.body.results as typeof results));
      nextToken = last.body.nextToken as string | undefined;
      pages++;
    } while (nextToken);
    const listed = await call('GET', '/batch-operations?limit=5');

    // Assess: the answer, the counters, one result per project, each applied once
    expect(accepted.status).toBe(202);
    expect(accepted.headers.location).toBe(`/batch-operations/${batchId}`);
    BatchJobView.strict().parse(accepted.body);
    expect(accepted.body).toMatchObject({ status: 'ACCEPTED', requested: 0, pending: 0, selector: { label } });
    expect(last?.body).toMatchObject({ status: 'COMPLETED', requested: SIZE, succeeded: SIZE, failed: 0, skipped: 0, pending: 0, completedAt: expect.any(String) });
    expect(pages).toBeGreaterThanOrEqual(SIZE / 100);
    expect(new Set(results.map((r) => r.projectId))).toEqual(new Set(seeded.map((p) => p.id)));
    expect(results).toHaveLength(SIZE);
    expect(results.every((r) => r.ok && r.disposition === 'succeeded')).toBe(true);
    expect(currentBatchQueue()?.deadLetters).toEqual([]);
    const sample = await getDeps().projects.getMany(seeded.slice(0, 200).map((p) => p.id));
    expect([...sample.values()].every((p) => p.alertLevel === 'HIGH' && p.version === 3)).toBe(true);
    BatchJobList.parse(listed.body);
    expect(listed.body.items[0]).toMatchObject({ batchId, status: 'COMPLETED' });
  }, 900_000); // a limit for a loaded shared machine, not a timing assertion

  it('GET of an unknown batch is 404 problem+json; a token of another listing is 400', async () => {
    // Act
    const missing = await call('GET', `/batch-operations/${randomUUID()}`);
    const badToken = await call('GET', '/batch-operations?nextToken=abc.def');

    // Assess
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toBe('application/problem+json');
    expect(missing.body).toMatchObject({ code: 'BATCH_NOT_FOUND' });
    expect(badToken.status).toBe(400);
    expect(badToken.body).toMatchObject({ code: 'INVALID_NEXT_TOKEN' });
  });
});
