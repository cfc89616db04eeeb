import type { Alert } from '../domain/alerts';
import { EVENT_SOURCE } from './domain-events';
import type { ProjectAlertDetail } from './event-schemas';

export type { ProjectAlertDetail };

/**
 * "Project Alert Raised": the domain event of an alert on the control plane's bus (next to the
 * transition events). The detail schema (ProjectAlertDetail in event-schemas.ts) is the contract; its JSON Schema is checked in
 * (shared/events/project-alert.schema.json, `npm run schemas`).
 */
export const ALERT_DETAIL_TYPE = 'Project Alert Raised';

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
