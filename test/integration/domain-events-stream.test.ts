import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as publishDomainEvents } from '../../functions/publish-domain-events/handler';
import { localClient } from '../../infra/local/dynamodb-local';
import { LocalStreamPoller } from '../../infra/local/local-stream';
import { InMemoryEventBus } from '../../shared/adapters/memory/event-bus';
import type { DomainEvent } from '../../shared/events/domain-events';
import { call, createDataSources, createProject, useLocalTable } from '../support/harness';

/** Table stream → publisher function → bus, on DynamoDB Local's real stream. */
describe('domain events from the table stream', () => {
  const bus = new InMemoryEventBus();
  let poller: LocalStreamPoller;
  let failNext = 0;
  const flaky = {
    publish: async (events: readonly DomainEvent[]) => {
      if (failNext > 0) {
        failNext--;
        throw new Error('EventBridge unavailable');
      }
      await bus.publish(events);
    },
  };

  beforeAll(async () => {
    const { tableName, endpoint } = await useLocalTable({ events: flaky });
    poller = new LocalStreamPoller(localClient(endpoint), endpoint, tableName, (e: DynamoDBStreamEvent) => publishDomainEvents(e, {} as Context));
  });

  it('every committed transition reaches the bus once, in order, with from/to/actor — and nothing else does', async () => {
    // Prepare
    const ds = await createDataSources('events');
    const p = await createProject(ds);
    for (const op of ['start', 'pause', 'resume']) await call('POST', `/projects/${p.id}/${op}`, { headers: { 'X-Actor': 'alice' } });
    await call('POST', `/projects/${p.id}/start`); // refused (409): no event

    // Act
    await poller.pollOnce();

    // Assess
    const mine = bus.published.filter((e) => e.detail.projectId === p.id);
    expect(mine.map((e) => [e.detailType, e.detail.from, e.detail.to, e.detail.version])).toEqual([
      ['Project Created', null, 'NOT_STARTED', 1],
      ['Project Started', 'NOT_STARTED', 'RUNNING', 2],
      ['Project Paused', 'RUNNING', 'PAUSED', 3],
      ['Project Resumed', 'PAUSED', 'RUNNING', 4],
    ]);
    expect(mine.slice(1).every((e) => e.detail.actor === 'alice')).toBe(true);
    // data source items and project updates are not events
    expect(bus.published.every((e) => e.detail.version >= 1 && e.source === 'migration-control-plane')).toBe(true);
  });

  it('when the bus fails, the batch is retried from the failed chunk: nothing lost, nothing skipped', async () => {
    // Prepare
    const ds = await createDataSources('retry');
    const p = await createProject(ds);
    await call('POST', `/projects/${p.id}/start`);
    failNext = 1;

    const mine = () => bus.published.filter((e) => e.detail.projectId === p.id).map((e) => e.detailType);

    // Act
    await poller.pollOnce();
    const afterFailure = mine();
    await poller.pollOnce();
    const afterRetry = mine();
    await poller.pollOnce();

    // Assess
    expect(afterFailure).toEqual([]);
    expect(afterRetry).toEqual(['Project Created', 'Project Started']);
    expect(mine()).toEqual(['Project Created', 'Project Started']);
  });
});
