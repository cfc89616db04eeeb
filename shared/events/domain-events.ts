import * as z from 'zod';
import type { AuditEvent } from '../domain/project';
import { PROJECT_STATUSES } from '../domain/project';

/**
 * Domain events on the EventBridge bus: one per committed audit event (every transition, every
 * confirmation, every pause timer), published from the table's stream. The detail schema below is
 * the contract; its JSON Schema is checked in (shared/events/project-event.schema.json).
 */
export const EVENT_SOURCE = 'migration-control-plane';

const Status = z.enum(PROJECT_STATUSES);

export const ProjectEventDetail = z
  .strictObject({
    projectId: z.string().min(1),
    operation: z.string().min(1),
    from: Status.nullable(),
    to: Status.nullable(),
    actor: z.string().min(1),
    at: z.iso.datetime(),
    version: z.number().int().min(1),
    requestId: z.string().min(1),
    cause: z.string().optional(),
    batchId: z.string().optional(),
    detail: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ title: 'ProjectEventDetail', description: 'detail of every event the control plane puts on its bus' });
export type ProjectEventDetail = z.infer<typeof ProjectEventDetail>;

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

/** The JSON Schema (2020-12) of the detail, generated from the zod schema above. */
export function projectEventJsonSchema(): Record<string, unknown> {
  return {
    $id: 'urn:migration-control-plane:events:project-event-detail',
    ...z.toJSONSchema(ProjectEventDetail, { target: 'draft-2020-12' }),
  };
}
