import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { getDocumentClient } from '../../shared/adapters/dynamodb/client';
import { DynamoProjectStore } from '../../shared/adapters/dynamodb/project-store';
import type { ProjectRecord } from '../../shared/domain/project';
import { ALL_SHARDS, shardOf } from '../../shared/domain/shards';
import { LIST_VIEW_ATTRIBUTES, TABLE, keys } from '../../shared/table';
import { bulkSeedProjects } from '../support/bulk-seed';
import { createDataSources, ManualClock, useLocalTable } from '../support/harness';
import { forceStatus } from '../support/seed';

const sortOf = (p: Pick<ProjectRecord, 'createdAt' | 'id'>) => `${p.createdAt}#${p.id}`;

/** Lists over the sharded indexes (DynamoDB Local): the shards merged newest first, paged by per-shard cursors. */
describe('sharded index lists', () => {
  const clock = new ManualClock();
  let store: DynamoProjectStore;
  let tableName = '';
  let running: ProjectRecord[] = [];
  let idle: ProjectRecord[] = [];

  beforeAll(async () => {
    // Prepare: 240 RUNNING and 160 NOT_STARTED projects, 1 ms apart, labelled by parity
    ({ tableName } = await useLocalTable({ clock }));
    store = new DynamoProjectStore(getDocumentClient(), tableName);
    const ds = await createDataSources('shards');
    running = await bulkSeedProjects(getDocumentClient(), tableName, { count: 240, ds, status: 'RUNNING', startMs: clock.ms, labels: ['fleet'] });
    idle = await bulkSeedProjects(getDocumentClient(), tableName, { count: 160, ds, status: 'NOT_STARTED', startMs: clock.ms + 500 });
  }, 120_000);

  it('index keys are sharded by the project id: every shard holds some RUNNING projects, each in its own partition', async () => {
    // Act
    const perShard = await Promise.all(ALL_SHARDS.map((s) => store.listByStatusShard('RUNNING', s, { limit: 100 })));

    // Assess
    expect(perShard.every((page) => page.items.length > 0)).toBe(true);
    perShard.forEach((page, s) => expect(page.items.every((p) => shardOf(p.id) === s && p.status === 'RUNNING')).toBe(true));
    expect(perShard.flatMap((p) => p.items.map((i) => i.id)).sort()).toEqual(running.map((p) => p.id).sort());
  });

  it('walking a listing page by page returns every project once, newest first', async () => {
    // Prepare
    const seen: ProjectRecord[] = [];
    let token: string | undefined;

    // Act
    do {
      const page = await store.list({ limit: 23, ...(token ? { nextToken: token } : {}) });
      seen.push(...page.items);
      token = page.nextToken;
    } while (token);

    // Assess
    const expected = [...running, ...idle].sort((a, b) => sortOf(b).localeCompare(sortOf(a))).map((p) => p.id);
    expect(seen.map((p) => p.id)).toEqual(expected);
  });

  it('while projects leave the status between pages, the rest come once each, in order, none skipped', async () => {
    // Prepare: every 5th RUNNING project will be paused while the listing is walked
    const leaving = new Set(running.filter((_, i) => i % 5 === 0).map((p) => p.id));
    const leaveQueue = [...leaving];
    const seen: string[] = [];
    let token: string | undefined;

    // Act
    do {
      const page = await store.list({ status: 'RUNNING', limit: 17, ...(token ? { nextToken: token } : {}) });
      seen.push(...page.items.map((p) => p.id));
      token = page.nextToken;
      for (const id of leaveQueue.splice(0, 6)) await forceStatus(id, 'PAUSED');
    } while (token);
    for (const id of leaveQueue) await forceStatus(id, 'PAUSED');

    // Assess
    const stayed = running.filter((p) => !leaving.has(p.id));
    expect(new Set(seen).size).toBe(seen.length);
    const bySort = new Map(running.map((p) => [p.id, sortOf(p)]));
    const sorts = seen.map((id) => bySort.get(id) as string);
    expect(sorts).toEqual([...sorts].sort().reverse());
    for (const p of stayed) expect(seen).toContain(p.id);
    const paused = await store.list({ status: 'PAUSED', limit: 100 });
    expect(paused.items.map((p) => p.id).sort()).toEqual([...leaving].sort());
  });

  it('a label page merges the shards under the read budget, and its tokens resume the walk', async () => {
    // Prepare
    const seen: string[] = [];
    let token: string | undefined;

    // Act
    do {
      const page = await store.list({ label: 'fleet', limit: 50, ...(token ? { nextToken: token } : {}) });
      seen.push(...page.items.map((p) => p.id));
      token = page.nextToken;
    } while (token);

    // Assess
    expect(seen).toEqual([...running].sort((a, b) => sortOf(b).localeCompare(sortOf(a))).map((p) => p.id));
  });

  it('an index entry holds the list-view attributes only: the precheck stays on the table item', async () => {
    // Prepare: a project with a precheck written on its item
    const p = idle[0] as ProjectRecord;
    const client = getDocumentClient();
    await client.send(
      new UpdateCommand({ TableName: tableName, Key: keys.project(p.id), UpdateExpression: 'SET precheck = :p', ExpressionAttributeValues: { ':p': { status: 'PASSED', items: [], checkedAt: p.createdAt } } }),
    );

    // Act
    const shard = shardOf(p.id);
    const raw = await client.send(new GetCommand({ TableName: tableName, Key: keys.project(p.id) }));
    const entry = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: TABLE.indexes.byKind.indexName,
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk = :sk',
        ExpressionAttributeValues: { ':pk': keys.kindProject(shard), ':sk': sortOf(p) },
      }),
    );

    // Assess
    expect(raw.Item?.gsi1pk).toBe(`PROJECT#${shard}`);
    expect(raw.Item?.precheck).toMatchObject({ status: 'PASSED' });
    expect(entry.Items?.[0]?.id).toBe(p.id);
    expect(entry.Items?.[0]).not.toHaveProperty('precheck');
    expect(Object.keys(entry.Items?.[0] ?? {}).every((a) => ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', ...LIST_VIEW_ATTRIBUTES].includes(a))).toBe(true);
  });
});
