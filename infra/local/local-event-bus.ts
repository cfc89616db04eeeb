import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { isAlertEvent } from '../../shared/events/alert-events';
import type { BusEvent, EventBus } from '../../shared/ports';

/** The embedded default's event bus: one JSON line per event in .local/events.jsonl, and a log line. */
export class LocalEventBus implements EventBus {
  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
  }

  async publish(events: readonly BusEvent[]): Promise<void> {
    for (const e of events) {
      appendFileSync(this.file, `${JSON.stringify({ source: e.source, 'detail-type': e.detailType, resources: e.resources, detail: e.detail })}\n`);
      if (isAlertEvent(e)) console.log(`[event] ${e.detailType} ${e.detail.projectId} ${e.detail.severity} ${e.detail.condition} (${e.detail.alertId})`);
      else console.log(`[event] ${e.detailType} ${e.detail.projectId} ${e.detail.from ?? '-'} → ${e.detail.to ?? '-'} by ${e.detail.actor}`);
    }
  }
}
