import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { lazyClient, onFirstUse } from '../aws/lazy-sdk';
import type { BusEvent, EventBus } from '../../ports';

/** Loaded on first use (shared/adapters/aws/lazy-sdk.ts). */
const eventBridgeSdk = onFirstUse(() => import('@aws-sdk/client-eventbridge'));

/** One EventBridge client per process; tests inject their own (or mock the class). */
const clientHolder = lazyClient(async () => new (await eventBridgeSdk()).EventBridgeClient({ maxAttempts: 5 }));
export const getEventBridgeClient = clientHolder.get;
export const setEventBridgeClient = clientHolder.set;

/** PutEvents takes at most 10 entries per call. */
const MAX_ENTRIES = 10;

export class EventBridgeBus implements EventBus {
  constructor(
    private readonly busName: string,
    private readonly eventBridge: () => EventBridgeClient | Promise<EventBridgeClient> = getEventBridgeClient,
  ) {}

  async publish(events: readonly BusEvent[]): Promise<void> {
    const { PutEventsCommand } = await eventBridgeSdk();
    for (let i = 0; i < events.length; i += MAX_ENTRIES) {
      const chunk = events.slice(i, i + MAX_ENTRIES);
      const out = await (await this.eventBridge()).send(
        new PutEventsCommand({
          Entries: chunk.map((e) => ({
            EventBusName: this.busName,
            Source: e.source,
            DetailType: e.detailType,
            Detail: JSON.stringify(e.detail),
            Resources: e.resources,
            Time: new Date(e.detail.at),
          })),
        }),
      );
      if ((out.FailedEntryCount ?? 0) > 0) {
        const failed = (out.Entries ?? []).filter((x) => x.ErrorCode).map((x) => `${x.ErrorCode}: ${x.ErrorMessage}`);
        throw new Error(`EventBridge refused ${out.FailedEntryCount} of ${chunk.length} events (${failed.join('; ')})`);
      }
    }
  }
}
