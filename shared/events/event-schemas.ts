import * as z from 'zod';
import { ALERT_CONDITIONS, ALERT_SEVERITIES } from '../domain/alerts';
import { PROJECT_STATUSES } from '../domain/project';

/**
 * The contracts of the events the control plane puts on its bus, as zod schemas: their JSON Schemas are
 * checked in (shared/events/*.schema.json, `npm run schemas`) and the tests validate real events against
 * them. Runtime code imports only their types (domain-events.ts, alert-events.ts), so no function builds
 * these schemas at module init (bench/RESULTS.md, P3 cold start).
 */

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

export const ProjectAlertDetail = z
  .strictObject({
    alertId: z.string().min(1).meta({ description: 'Deterministic within the project: <condition>@v<event version> or <condition>@<window start>.' }),
    projectId: z.string().min(1),
    projectName: z.string().min(1).optional(),
    condition: z.enum(ALERT_CONDITIONS),
    severity: z.enum(ALERT_SEVERITIES),
    level: z.enum(['LOW', 'MEDIUM', 'HIGH']).meta({ description: "The project's alert level when the alert was raised." }),
    at: z.iso.datetime().meta({ description: "The audit event's instant, or the start of the measurement window." }),
    message: z.string().min(1),
    operation: z.string().min(1).optional(),
    eventVersion: z.number().int().min(1).optional(),
    measuredAt: z.iso.datetime().optional(),
    value: z.number().min(0).optional(),
    threshold: z.number().min(0).optional(),
    unit: z.enum(['seconds', 'rows']).optional(),
  })
  .meta({ title: 'ProjectAlertDetail', description: 'detail of the "Project Alert Raised" events the control plane puts on its bus' });
export type ProjectAlertDetail = z.infer<typeof ProjectAlertDetail>;

/** The JSON Schema (2020-12) of the detail, generated from ProjectEventDetail. */
export function projectEventJsonSchema(): Record<string, unknown> {
  return {
    $id: 'urn:migration-control-plane:events:project-event-detail',
    ...z.toJSONSchema(ProjectEventDetail, { target: 'draft-2020-12' }),
  };
}

/** The JSON Schema (2020-12) of the detail, generated from ProjectAlertDetail. */
export function projectAlertJsonSchema(): Record<string, unknown> {
  return {
    $id: 'urn:migration-control-plane:events:project-alert-detail',
    ...z.toJSONSchema(ProjectAlertDetail, { target: 'draft-2020-12' }),
  };
}
