import type { AuditEvent } from '../domain/project';
import type { ProjectEventDetail } from './event-schemas';

export type { ProjectEventDetail };

/**
 * Domain events on the EventBridge bus: one per committed audit event (every transition, every
 * confirmation, every pause timer), published from the table's stream. The detail schema
 * (ProjectEventDetail in event-schemas.ts) is the contract; its JSON Schema is checked in (shared/events/project-event.schema.json).
 */
export const EVENT_SOURCE = 'migration-control-plane';

export interface DomainEvent {
  source: typeof EVENT_SOURCE;
  detailType: string;
  detail: ProjectEventDetail;
  /** For ordering and tracing: the project this event is about. */
  resources: string[];
}

/** detail-type per operation, as the ops team reads it in EventBridge rules and the console. */
const DETAIL_TYPES: Record<string, string> = {
  create: 'Project Created',
  start: 'Project Started',
  pause: 'Project Paused',
  resume: 'Project Resumed',
  release: 'Project Releasing',
  'complete-release': 'Project Released',
  delete: 'Project Deleted',
  'modify-alert-config': 'Project Alert Configuration Changed',
  'warn-pause-expiring': 'Project Pause Expiring Soon',
  'expire-pause': 'Project Pause Expired',
};

/** Known operations have their own name; any other one is named from its words ("skip-x" → "Project Skip X"). */
export function detailTypeOf(operation: string): string {
  return DETAIL_TYPES[operation] ?? `Project ${operation.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ')}`;
}

export function toDomainEvent(projectId: string, e: AuditEvent): DomainEvent {
  const detail: ProjectEventDetail = {
    projectId,
    operation: e.operation,
    from: e.from,
    to: e.to,
    actor: e.actor,
    at: e.at,
    version: e.version,
    requestId: e.requestId,
    ...(e.cause ? { cause: e.cause } : {}),
    ...(e.batchId ? { batchId: e.batchId } : {}),
    ...(e.detail ? { detail: e.detail } : {}),
  };
  return { source: EVENT_SOURCE, detailType: detailTypeOf(e.operation), detail, resources: [`project/${projectId}`] };
}
