import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { lazyClient, onFirstUse } from '../aws/lazy-sdk';
import { parsePauseTimerName, pauseTimerNames, pauseTimers, type PauseTimerRef } from '../../domain/pause-timers';
import type { ProjectRecord } from '../../domain/project';
import type { ExpiryScheduler } from '../../ports';

/** Loaded on first use (shared/adapters/aws/lazy-sdk.ts). */
const schedulerSdk = onFirstUse(() => import('@aws-sdk/client-scheduler'));

/** One Scheduler client per process; tests inject their own (or mock the class). */
const schedulerClientHolder = lazyClient(async () => new (await schedulerSdk()).SchedulerClient({ maxAttempts: 5 }));
export const getSchedulerClient = schedulerClientHolder.get;
export const setSchedulerClient = schedulerClientHolder.set;

export interface EventBridgeSchedulerConfig {
  groupName: string;
  /** The pause-timer function the schedules invoke. */
  targetArn: string;
  /** The role EventBridge Scheduler assumes to invoke it. */
  roleArn: string;
  /** Where Scheduler puts a firing it could not deliver. */
  deadLetterArn?: string;
  warningLeadMs: number;
}

/** `at()` takes whole seconds: round up so a timer never fires before its instant. */
export function atExpression(iso: string): string {
  const ms = Date.parse(iso);
  const seconds = new Date(Math.ceil(ms / 1000) * 1000).toISOString().slice(0, 19);
  return `at(${seconds})`;
}

/** Pause timers as one-time EventBridge Scheduler schedules in a dedicated group. */
export class EventBridgeExpiryScheduler implements ExpiryScheduler {
  constructor(
    private readonly config: EventBridgeSchedulerConfig,
    private readonly client: () => SchedulerClient | Promise<SchedulerClient> = getSchedulerClient,
  ) {}

  async schedulePauseExpiry(project: ProjectRecord): Promise<void> {
    const { ConflictException, CreateScheduleCommand } = await schedulerSdk();
    for (const timer of pauseTimers(project, this.config.warningLeadMs)) {
      try {
        await (await this.client()).send(
          new CreateScheduleCommand({
            Name: timer.name,
            GroupName: this.config.groupName,
            ScheduleExpression: atExpression(timer.at),
            ScheduleExpressionTimezone: 'UTC',
            FlexibleTimeWindow: { Mode: 'OFF' },
            ActionAfterCompletion: 'DELETE',
            Description: `${timer.kind === 'expire' ? 'Pause expiry' : 'Pause expiring soon'} of project ${project.id}`,
            Target: {
              Arn: this.config.targetArn,
              RoleArn: this.config.roleArn,
              Input: JSON.stringify(timer.input),
              RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
              ...(this.config.deadLetterArn ? { DeadLetterConfig: { Arn: this.config.deadLetterArn } } : {}),
            },
          }),
        );
      } catch (e) {
        // Same name = the same pause's timer already exists: creating it again is a no-op.
        if (!(e instanceof ConflictException)) throw e;
      }
    }
  }

  async cancelPauseExpiry(project: Pick<ProjectRecord, 'id' | 'pausedAt'> & Partial<Pick<ProjectRecord, 'sources'>>): Promise<void> {
    const { DeleteScheduleCommand, ResourceNotFoundException } = await schedulerSdk();
    for (const name of pauseTimerNames(project)) {
      try {
        await (await this.client()).send(new DeleteScheduleCommand({ Name: name, GroupName: this.config.groupName }));
      } catch (e) {
        if (!(e instanceof ResourceNotFoundException)) throw e;
      }
    }
  }

  /** ListSchedules over the group, page by page (100 a page); names that are not pause timers are left out. */
  async listPauseTimers(): Promise<PauseTimerRef[]> {
    const { ListSchedulesCommand } = await schedulerSdk();
    const out: PauseTimerRef[] = [];
    let nextToken: string | undefined;
    do {
      const page = await (await this.client()).send(
        new ListSchedulesCommand({ GroupName: this.config.groupName, MaxResults: 100, ...(nextToken ? { NextToken: nextToken } : {}) }),
      );
      for (const s of page.Schedules ?? []) {
        const ref = s.Name ? parsePauseTimerName(s.Name) : undefined;
        if (ref) out.push(ref);
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return out;
  }
}
