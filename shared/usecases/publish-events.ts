import type { AuditEvent } from '../domain/project';
import { toDomainEvent } from '../events/domain-events';
import type { EventBus } from '../ports';

/** Puts audit events (from the table's stream, in commit order) on the bus as domain events. */
export async function publishAuditEvents(bus: EventBus, records: readonly { projectId: string; event: AuditEvent }[]): Promise<void> {
  if (records.length === 0) return;
  await bus.publish(records.map((r) => toDomainEvent(r.projectId, r.event)));
}
