import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { BusEvent, EventBus } from '../../ports';

/**
 * The EventBridge SDK is loaded on first use, not at module init: only the stream publisher puts
 * events, and every other function (which builds the same dependencies) starts faster without it
 * (bench/RESULTS.md, P3 cold start).
 */
type EventBridgeSdk = typeof import('@aws-sdk/client-eventbridge');
let sdk: Promise<EventBridgeSdk> | undefined;
const eventBridgeSdk = (): Promise<EventBridgeSdk> => (sdk ??= import('@aws-sdk/client-eventbridge'));

let client: EventBridgeClient | undefined;

/** One EventBridge client per process; tests inject their own (or mock the class). */
export async function getEventBridgeClient(): Promise<EventBridgeClient> {
  if (!client) {
    const { EventBridgeClient } = await eventBridgeSdk();
    client ??= new EventBridgeClient({ maxAttempts: 5 });
  }
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
