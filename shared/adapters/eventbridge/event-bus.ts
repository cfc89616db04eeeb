import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { BusEvent, EventBus } from '../../ports';

let client: EventBridgeClient | undefined;

export function getEventBridgeClient(): EventBridgeClient {
  client ??= new EventBridgeClient({ maxAttempts: 5 });
  return client;
}

export function setEventBridgeClient(c: EventBridgeClient | undefined): void {
  client = c;
}

/** PutEvents takes at most 10 entries per call. */
const MAX_ENTRIES = 10;

export class EventBridgeBus implements EventBus {
  constructor(
    private readonly busName: string,
    private readonly eventBridge: () => EventBridgeClient = getEventBridgeClient,
  ) {}

  async publish(events: readonly BusEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += MAX_ENTRIES) {
      const chunk = events.slice(i, i + MAX_ENTRIES);
      const out = await this.eventBridge().send(
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
