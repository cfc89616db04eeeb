import type { SNSClient } from '@aws-sdk/client-sns';
import { lazyClient, onFirstUse } from '../aws/lazy-sdk';
import type { Alert } from '../../domain/alerts';
import { toAlertEvent } from '../../events/alert-events';
import type { AlertNotifier } from '../../ports';

/** Loaded on first use (shared/adapters/aws/lazy-sdk.ts). */
const snsSdk = onFirstUse(() => import('@aws-sdk/client-sns'));

/** One SNS client per process; tests inject their own (or mock the class). */
const clientHolder = lazyClient(async () => new (await snsSdk()).SNSClient({ maxAttempts: 5 }));
export const getSnsClient = clientHolder.get;
export const setSnsClient = clientHolder.set;

/** SNS subjects: printable ASCII, no line breaks, under 100 characters. */
export function alertSubject(alert: Alert): string {
  const text = `[${alert.severity}] ${alert.condition}: ${alert.projectName ?? alert.projectId}`;
  const ascii = text.replace(/[^\x20-\x7E]/g, '?');
  return ascii.length > 99 ? `${ascii.slice(0, 98)}~` : ascii;
}

/** For people (e-mail) first, then the event detail as JSON for programs. */
export function alertMessage(alert: Alert): string {
  return `${alert.message}\n\n${JSON.stringify(toAlertEvent(alert).detail, null, 2)}\n`;
}

/**
 * Publishes an alert to the alerts SNS topic. Message attributes carry condition, severity, level and
 * project id, so subscriptions can filter (e.g. only CRITICAL to the pager).
 */
export class SnsAlertNotifier implements AlertNotifier {
  constructor(
    private readonly topicArn: string,
    private readonly sns: () => SNSClient | Promise<SNSClient> = getSnsClient,
  ) {}

  async notify(alert: Alert): Promise<void> {
    const { PublishCommand } = await snsSdk();
    const attribute = (value: string) => ({ DataType: 'String', StringValue: value });
    await (await this.sns()).send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: alertSubject(alert),
        Message: alertMessage(alert),
        MessageAttributes: {
          condition: attribute(alert.condition),
          severity: attribute(alert.severity),
          level: attribute(alert.level),
          projectId: attribute(alert.projectId),
        },
      }),
    );
  }
}
