import { isoAt } from '../domain/clock';
import { notFound } from '../domain/errors';
import { alertsForAuditEvent, alertsForMeasurements, eventConditionsOf, type Alert, type Measurements } from '../domain/alerts';
import type { AuditEvent, ProjectRecord } from '../domain/project';
import type { Page } from '../ports';
import type { Deps } from './deps';

type AlertDeps = Pick<Deps, 'projects' | 'alerts' | 'alertNotifier' | 'clock'>;

/**
 * Stores an alert once and notifies it once: the conditional write decides. A redelivered event or a
 * repeated measurement finds the alert stored and notified, and does nothing. If the notification
 * failed after the write, the alert stays `pending` and the retry notifies it (so a notification is
 * sent at least once, and exactly once unless a channel failed midway). Returns whether it notified.
 */
export async function deliverAlert(deps: AlertDeps, alert: Alert): Promise<boolean> {
  const outcome = await deps.alerts.record(alert);
  if (outcome === 'notified') return false;
  await deps.alertNotifier.notify(alert);
  await deps.alerts.markNotified(alert, isoAt(deps.clock.nowMs()));
  return true;
}

/**
 * Alerts raised by committed audit events (the table stream, in commit order): a transition into
 * FAILED, the pause-expiring-soon warning. The project is read (for its alert level) only for events
 * that may raise one; the level in force when the event is processed applies. A project gone since
 * raises nothing. Returns the alerts notified by this call.
 */
export async function raiseAuditEventAlerts(deps: AlertDeps, records: readonly { projectId: string; event: AuditEvent }[]): Promise<Alert[]> {
  const projects = new Map<string, ProjectRecord | undefined>();
  const notified: Alert[] = [];
  for (const { projectId, event } of records) {
    if (eventConditionsOf(event).length === 0) continue;
    if (!projects.has(projectId)) projects.set(projectId, await deps.projects.get(projectId));
    const project = projects.get(projectId);
    if (!project) continue;
    for (const alert of alertsForAuditEvent(project, event)) {
      if (await deliverAlert(deps, alert)) notified.push(alert);
    }
  }
  return notified;
}

/**
 * Alerts raised by a measurement of a project (the orchestration calls this when it polls the engine):
 * incremental sync latency and verification mismatches against the thresholds of the project's level.
 * A condition that persists raises once per window of its level. Returns the alerts notified by this call.
 */
export async function raiseMeasurementAlerts(deps: AlertDeps, projectId: string, measurements: Measurements, measuredAtMs?: number): Promise<Alert[]> {
  const project = await deps.projects.get(projectId);
  if (!project) throw notFound('PROJECT_NOT_FOUND', projectId);
  const notified: Alert[] = [];
  for (const alert of alertsForMeasurements(project, measurements, measuredAtMs ?? deps.clock.nowMs())) {
    if (await deliverAlert(deps, alert)) notified.push(alert);
  }
  return notified;
}

/**
 * A project's alerts, newest first. Like the audit trail, they stay readable after the project is
 * deleted; an id that never was a project is PROJECT_NOT_FOUND.
 */
export async function listProjectAlerts(deps: Pick<Deps, 'projects' | 'alerts'>, projectId: string, limit: number, nextToken?: string): Promise<Page<Alert>> {
  const [project, page] = await Promise.all([deps.projects.get(projectId), deps.alerts.list(projectId, limit, nextToken)]);
  if (!project && page.items.length === 0 && (await deps.projects.listEventsPage(projectId, 1)).items.length === 0) throw notFound('PROJECT_NOT_FOUND', projectId);
  return page;
}
