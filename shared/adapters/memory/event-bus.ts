import { isAlertEvent, type AlertEvent } from '../../events/alert-events';
import type { DomainEvent } from '../../events/domain-events';
import type { BusEvent, EventBus } from '../../ports';

/** Keeps what was published, in order: transition events in `published`, alerts in `alerts`, both in `all`. */
export class InMemoryEventBus implements EventBus {
  readonly published: DomainEvent[] = [];
  readonly alerts: AlertEvent[] = [];
  readonly all: BusEvent[] = [];
  async publish(events: readonly BusEvent[]): Promise<void> {
    for (const e of events) {
      this.all.push(e);
      if (isAlertEvent(e)) this.alerts.push(e);
      else this.published.push(e);
    }
  }
}
