import type { Alert } from '../../domain/alerts';
import type { AlertNotifier, AlertRecordOutcome, AlertStore, Page } from '../../ports';
import { keys } from '../../table';

const clone = <T>(v: T): T => structuredClone(v);

/** Alerts in memory, with the DynamoDB adapter's semantics (unique id per project, newest first). */
export class InMemoryAlertStore implements AlertStore {
  /** projectId → sort key → alert */
  readonly byProject = new Map<string, Map<string, Alert>>();

  async record(alert: Alert): Promise<AlertRecordOutcome> {
    const alerts = this.byProject.get(alert.projectId) ?? new Map<string, Alert>();
    this.byProject.set(alert.projectId, alerts);
    const sk = keys.projectAlert(alert.projectId, alert.at, alert.id).sk;
    const existing = alerts.get(sk);
    if (existing) return existing.notifiedAt ? 'notified' : 'pending';
    const { notifiedAt: _n, ...stored } = clone(alert);
    alerts.set(sk, stored);
    return 'recorded';
  }

  async markNotified(alert: Alert, notifiedAt: string): Promise<void> {
    const stored = this.byProject.get(alert.projectId)?.get(keys.projectAlert(alert.projectId, alert.at, alert.id).sk);
    if (!stored) throw new Error(`alert ${alert.id} of project ${alert.projectId} is not stored`);
    stored.notifiedAt = notifiedAt;
  }

  async list(projectId: string, limit: number, nextToken?: string): Promise<Page<Alert>> {
    const sorted = [...(this.byProject.get(projectId) ?? new Map<string, Alert>()).entries()].sort(([a], [b]) => b.localeCompare(a));
    const after = nextToken === undefined ? undefined : Buffer.from(nextToken, 'base64url').toString();
    const start = after === undefined ? 0 : sorted.findIndex(([sk]) => sk === after) + 1;
    const page = sorted.slice(start, start + limit);
    const last = page[page.length - 1];
    const more = start + limit < sorted.length && last;
    return { items: page.map(([, a]) => clone(a)), ...(more ? { nextToken: Buffer.from(last[0]).toString('base64url') } : {}) };
  }
}

/** Keeps the alerts it was asked to send, in order; `failNext` makes the next calls fail. */
export class InMemoryAlertNotifier implements AlertNotifier {
  readonly sent: Alert[] = [];
  failNext = 0;

  async notify(alert: Alert): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('notification channel unavailable');
    }
    this.sent.push(clone(alert));
  }
}
