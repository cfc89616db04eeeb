import type { DomainEvent } from '../../events/domain-events';
import type { EventBus } from '../../ports';

/** Keeps what was published, in order. */
export class InMemoryEventBus implements EventBus {
  readonly published: DomainEvent[] = [];
  async publish(events: readonly DomainEvent[]): Promise<void> {
    this.published.push(...events);
  }
}
