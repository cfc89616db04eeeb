import { beforeAll, describe, expect, it } from 'vitest';
import { getDocumentClient } from '../../shared/adapters/dynamodb/client';
import { SHARDED_READ_BUDGET } from '../../shared/adapters/dynamodb/sharded-list';
import { SHARD_COUNT } from '../../shared/domain/shards';
import { bulkSeedProjects } from '../support/bulk-seed';
import { call, createDataSources, createProject, ManualClock, useLocalTable } from '../support/harness';

/** Counts the DynamoDB Query requests the handlers send (middleware on the shared document client). */
function countQueries(): { count: number } {
  const counter = { count: 0 };
  getDocumentClient().middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'QueryCommand') counter.count += 1;
      return next(args);
    },
    { step: 'initialize', name: `countQueries-${Math.random()}` },
  );
  return counter;
}

const withToken = (path: string, token: string | undefined) => (token ? `${path}&nextToken=${encodeURIComponent(token)}` : path);

describe('every list request does bounded work (DynamoDB Local, 2,500 projects)', () => {
  const clock = new ManualClock();
  let needle = '';
  let queries: { count: number };

  beforeAll(async () => {
    // Prepare: the only project labelled "needle" is the oldest; 2,500 newer ones have no label
    const { tableName } = await useLocalTable({ clock });
    const ds = await createDataSources('bounds');
    needle = (await createProject(ds, { labels: ['needle'] })).id;
    await bulkSeedProjects(getDocumentClient(), tableName, { count: 2500, ds, status: 'NOT_STARTED', startMs: clock.ms + 1000, parallel: 4 });
    queries = countQueries();
  }, 300_000);

  it('GET /projects?label=needle&limit=1 stops at its read budget: a bounded number of Query calls, a short page and a nextToken', async () => {
    // Prepare
    queries.count = 0;

    // Act
    const r = await call('GET', '/projects?label=needle&limit=1');

    // Assess
    expect(r.status).toBe(200);
    expect(queries.count).toBeLessThanOrEqual(SHARDED_READ_BUDGET.queries);
    expect(r.body.items).toEqual([]);
    expect(typeof r.body.nextToken).toBe('string');
  });

  it('following the tokens finds the match, each request within the budget, and ends without a token', async () => {
    // Prepare
    const perRequest: number[] = [];
    const found: string[] = [];
    let token: string | undefined;

    // Act
    do {
      queries.count = 0;
      const r = await call('GET', withToken('/projects?label=needle&limit=1', token));
      perRequest.push(queries.count);
      expect(r.status).toBe(200);
      found.push(...r.body.items.map((p: { id: string }) => p.id));
      token = r.body.nextToken;
    } while (token && perRequest.length < 50);

    // Assess
    expect(found).toEqual([needle]);
    expect(token).toBeUndefined();
    expect(Math.max(...perRequest)).toBeLessThanOrEqual(SHARDED_READ_BUDGET.queries);
    expect(perRequest.length).toBeGreaterThan(1);
  });

  it('a batch selector preview stops at the same budget and hands back a nextToken', async () => {
    // Prepare
    queries.count = 0;

    // Act
    const r = await call('POST', '/batch-operations', { body: { operation: 'start', selector: { label: 'needle' }, dryRun: true } });

    // Assess
    expect(r.status).toBe(200);
    expect(queries.count).toBeLessThanOrEqual(SHARDED_READ_BUDGET.queries);
    expect(typeof r.body.nextToken).toBe('string');
  });

  it('an unfiltered page of 100 is one Query per shard (the shards are read together and merged)', async () => {
    // Prepare
    queries.count = 0;

    // Act
    const r = await call('GET', '/projects?limit=100');

    // Assess
    expect(r.body.items).toHaveLength(100);
    expect(queries.count).toBeLessThanOrEqual(2 * SHARD_COUNT);
  });
});

describe('GET /projects/{id}/events is paged like the other lists', () => {
  let id = '';
  let queries: { count: number };

  beforeAll(async () => {
    // Prepare: a project with 9 audit events (create, then 4 x start/pause... start, pause, resume, pause, ...)
    await useLocalTable();
    const ds = await createDataSources('events');
    id = (await createProject(ds)).id;
    await call('POST', `/projects/${id}/start`);
    for (let i = 0; i < 3; i++) {
      await call('POST', `/projects/${id}/pause`);
      await call('POST', `/projects/${id}/resume`);
    }
    await call('POST', `/projects/${id}/pause`);
    queries = countQueries();
  });

  it('limit + nextToken walk the trail oldest first, one bounded Query per page', async () => {
    // Prepare
    const versions: number[][] = [];
    const perPage: number[] = [];
    let token: string | undefined;

    // Act
    do {
      queries.count = 0;
      const r = await call('GET', withToken(`/projects/${id}/events?limit=3`, token));
      expect(r.status).toBe(200);
      perPage.push(queries.count);
      versions.push(r.body.items.map((e: { version: number }) => e.version));
      token = r.body.nextToken;
    } while (token);

    // Assess
    expect(versions.flat()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(versions[0]).toEqual([1, 2, 3]);
    expect(Math.max(...perPage)).toBe(1);
  });

  it('without a limit, a page holds at most 50 events', async () => {
    // Act
    const r = await call('GET', `/projects/${id}/events`);

    // Assess
    expect(r.status).toBe(200);
    expect(r.body.items.length).toBeLessThanOrEqual(50);
    expect(r.body.items.map((e: { version: number }) => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(r.body.nextToken).toBeUndefined();
  });

  it("an edited token, or another project's, is 400 INVALID_NEXT_TOKEN; a limit over 100 is 400", async () => {
    // Prepare
    const token = (await call('GET', `/projects/${id}/events?limit=2`)).body.nextToken as string;
    const [payload, mac] = token.split('.');
    const edited = `${Buffer.from(Buffer.from(payload as string, 'base64url').toString().replace(/0000000002/, '0000000005')).toString('base64url')}.${mac}`;

    // Act
    const forged = await call('GET', `/projects/${id}/events?limit=2&nextToken=${encodeURIComponent(edited)}`);
    const borrowed = await call('GET', `/projects/other-project/events?limit=2&nextToken=${encodeURIComponent(token)}`);
    const tooMany = await call('GET', `/projects/${id}/events?limit=101`);

    // Assess
    expect(forged.status).toBe(400);
    expect(forged.body.code).toBe('INVALID_NEXT_TOKEN');
    expect(borrowed.body.code).toBe('INVALID_NEXT_TOKEN');
    expect(tooMany.body.code).toBe('VALIDATION_FAILED');
  });
});
