import type { Alert } from '../../domain/alerts';
import { toAlertEvent } from '../../events/alert-events';
import type { AlertNotifier, EventBus } from '../../ports';

/** Puts a "Project Alert Raised" event on the domain event bus. */
export class EventBusAlertNotifier implements AlertNotifier {
  constructor(private readonly bus: EventBus) {}

  async notify(alert: Alert): Promise<void> {
    await this.bus.publish([toAlertEvent(alert)]);
  }
}

/** Sends every alert to each channel; fails (after trying them all) when any of them failed. */
export class FanOutAlertNotifier implements AlertNotifier {
  readonly channels: readonly AlertNotifier[];

  constructor(...channels: AlertNotifier[]) {
    this.channels = channels;
  }

  async notify(alert: Alert): Promise<void> {
    const results = await Promise.allSettled(this.channels.map((c) => c.notify(alert)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) {
      throw new Error(`alert ${alert.id} of project ${alert.projectId}: ${failed.length} of ${results.length} channel(s) failed (${failed.map((f) => (f.reason as Error)?.message).join('; ')})`);
    }
  }
}
