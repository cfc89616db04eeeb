import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as publishDomainEvents } from '../../functions/publish-domain-events/handler';
import { localClient } from '../../infra/local/dynamodb-local';
import { LocalStreamPoller } from '../../infra/local/local-stream';
import { getDocumentClient } from '../../shared/adapters/dynamodb/client';
import { InMemoryEventBus } from '../../shared/adapters/memory/event-bus';
import { shardOf } from '../../shared/domain/shards';
import { getDeps } from '../../shared/runtime';
import { countProjectsByStatus, recountProjectsByStatus } from '../../shared/usecases/status-counts';
import { keys } from '../../shared/table';
import { call, createDataSources, createProject, useLocalTable } from '../support/harness';

/** Status counters kept from the table stream (DynamoDB Local's real stream, the publisher function). */
describe('projects by status: counters maintained from the table stream', () => {
  const delivered: DynamoDBRecord[] = [];
  let poller: LocalStreamPoller;
  const deliver = (records: DynamoDBRecord[]) => publishDomainEvents({ Records: records } as DynamoDBStreamEvent, {} as Context);

  beforeAll(async () => {
    const { tableName, endpoint } = await useLocalTable({ events: new InMemoryEventBus() });
    poller = new LocalStreamPoller(localClient(endpoint), endpoint, tableName, async (e: DynamoDBStreamEvent) => {
      delivered.push(...e.Records);
      return publishDomainEvents(e, {} as Context);
    });
    // The counters start from an empty table: a recount of nothing marks them ready.
    await recountProjectsByStatus(getDeps());
  });

  it('each transition moves one count; replaying every record twice, out of order, changes nothing', async () => {
    // Prepare: 5 projects; 3 started, one of those paused, one deleted before it started
    const ds = await createDataSources('counters');
    const ps = await Promise.all(Array.from({ length: 5 }, () => createProject(ds)));
    for (const p of ps.slice(0, 3)) expect((await call('POST', `/projects/${p.id}/start`)).status).toBe(200);
    expect((await call('POST', `/projects/${ps[0]?.id}/pause`)).status).toBe(200);
    expect((await call('DELETE', `/projects/${ps[4]?.id}?confirmName=${encodeURIComponent(ps[4]?.name ?? '')}`)).status).toBeLessThan(300);
    await poller.pollOnce();
    const expected = { NOT_STARTED: 1, RUNNING: 2, PAUSED: 1, FAILED: 0, RELEASING: 0, RELEASED: 0, COMPLETED: 0 };
    const first = await countProjectsByStatus(getDeps());

    // Act: the whole stream delivered again, reversed, then shuffled
    const again = [...delivered].reverse();
    await deliver(again);
    await deliver([...again.filter((_, i) => i % 2 === 1), ...again.filter((_, i) => i % 2 === 0)]);
    const replayed = await countProjectsByStatus(getDeps());

    // Assess
    expect(first).toEqual(expected);
    expect(replayed).toEqual(expected);
    expect(await recountProjectsByStatus(getDeps())).toEqual(expected);
  });

  it('a change is counted in the counter item of its status and shard, and marked counted with an expiry', async () => {
    // Prepare: a project in RUNNING, counted
    const ds = await createDataSources('gauge');
    const p = await createProject(ds);
    await call('POST', `/projects/${p.id}/start`);
    await poller.pollOnce();

    // Act
    const counter = await getDocumentClient().send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: keys.statusCounter('RUNNING', shardOf(p.id)) }));
    const marker = await getDocumentClient().send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: keys.statusCounted(p.id, 2) }));

    // Assess: the RUNNING counter of its shard holds it; the start (version 2) is marked counted, with an expiry
    expect(Number(counter.Item?.n)).toBeGreaterThanOrEqual(1);
    expect(marker.Item).toMatchObject({ from: 'NOT_STARTED', to: 'RUNNING' });
    expect(typeof marker.Item?.ttl).toBe('number');
    expect((await countProjectsByStatus(getDeps())).RUNNING).toBe(3);
  });
});
