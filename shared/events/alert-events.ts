import * as z from 'zod';
import { ALERT_CONDITIONS, ALERT_SEVERITIES, type Alert } from '../domain/alerts';
import { EVENT_SOURCE } from './domain-events';

/**
 * "Project Alert Raised": the domain event of an alert on the control plane's bus (next to the
 * transition events). The detail schema below is the contract; its JSON Schema is checked in
 * (shared/events/project-alert.schema.json, `npm run schemas`).
 */
export const ALERT_DETAIL_TYPE = 'Project Alert Raised';

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

export interface AlertEvent {
  source: typeof EVENT_SOURCE;
  detailType: typeof ALERT_DETAIL_TYPE;
  detail: ProjectAlertDetail;
  resources: string[];
}

export function toAlertEvent(alert: Alert): AlertEvent {
  const { id, notifiedAt: _notifiedAt, ...rest } = alert;
  const detail: ProjectAlertDetail = { alertId: id, ...rest };
  return { source: EVENT_SOURCE, detailType: ALERT_DETAIL_TYPE, detail, resources: [`project/${alert.projectId}`] };
}

export function isAlertEvent(e: { detailType: string }): e is AlertEvent {
  return e.detailType === ALERT_DETAIL_TYPE;
}

/** The JSON Schema (2020-12) of the detail, generated from the zod schema above. */
export function projectAlertJsonSchema(): Record<string, unknown> {
  return {
    $id: 'urn:migration-control-plane:events:project-alert-detail',
    ...z.toJSONSchema(ProjectAlertDetail, { target: 'draft-2020-12' }),
  };
}
