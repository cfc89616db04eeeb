import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { alertMessage, alertSubject } from '../../shared/adapters/sns/alert-notifier';
import type { Alert } from '../../shared/domain/alerts';
import type { AlertNotifier } from '../../shared/ports';

/**
 * The embedded default's stand-in for the alerts SNS topic: the subject and message SNS would send,
 * as a log line and one JSON line per alert in .local/alerts.jsonl.
 */
export class LocalAlertTopic implements AlertNotifier {
  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
  }

  async notify(alert: Alert): Promise<void> {
    appendFileSync(this.file, `${JSON.stringify({ subject: alertSubject(alert), message: alertMessage(alert) })}\n`);
    console.log(`[alert] ${alertSubject(alert)} — ${alert.message}`);
  }
}
