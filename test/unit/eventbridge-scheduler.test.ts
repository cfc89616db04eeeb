import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { atExpression, EventBridgeExpiryScheduler } from '../../shared/adapters/scheduler/eventbridge-scheduler';
import type { ProjectRecord } from '../../shared/domain/project';

const scheduler = mockClient(SchedulerClient);
const adapter = new EventBridgeExpiryScheduler(
  {
    groupName: 'migration-pause-timers',
    targetArn: 'arn:aws:lambda:eu-west-1:123456789012:function:pause-timer',
    roleArn: 'arn:aws:iam::123456789012:role/scheduler-invoke',
    warningLeadMs: 30 * 60_000,
  },
  () => new SchedulerClient({ region: 'eu-west-1' }),
);

const paused = {
  id: '0b5c1f52-1c1e-4d7e-9a51-5a0b8e3f9d10',
  status: 'PAUSED',
  pausedAt: '2026-05-01T08:00:00.250Z',
  pauseExpiresAt: '2026-05-01T20:00:00.250Z',
} as ProjectRecord;

describe('EventBridge Scheduler adapter (aws-sdk-client-mock)', () => {
  beforeEach(() => scheduler.reset());

  it('pause creates the warning and the expiry as one-time UTC schedules that delete themselves', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn' });

    // Act
    await adapter.schedulePauseExpiry(paused);

    // Assess
    expect(scheduler).toHaveReceivedCommandTimes(CreateScheduleCommand, 2);
    expect(scheduler).toHaveReceivedNthCommandWith(CreateScheduleCommand, 2, {
      Name: 'expire-0b5c1f52-1c1e-4d7e-9a51-5a0b8e3f9d10-1777622400250',
      GroupName: 'migration-pause-timers',
      ScheduleExpression: 'at(2026-05-01T20:00:01)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Description: 'Pause expiry of project 0b5c1f52-1c1e-4d7e-9a51-5a0b8e3f9d10',
      Target: {
        Arn: 'arn:aws:lambda:eu-west-1:123456789012:function:pause-timer',
        RoleArn: 'arn:aws:iam::123456789012:role/scheduler-invoke',
        Input: JSON.stringify({ kind: 'expire', projectId: paused.id, pausedAt: paused.pausedAt }),
        RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
      },
    });
    expect(scheduler).toHaveReceivedNthCommandWith(CreateScheduleCommand, 1, {
      Name: 'warn-0b5c1f52-1c1e-4d7e-9a51-5a0b8e3f9d10-1777622400250',
      ScheduleExpression: 'at(2026-05-01T19:30:01)',
    });
  });

  it('a schedule that already exists (same pause) is not an error', async () => {
    scheduler.on(CreateScheduleCommand).rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }));
    await expect(adapter.schedulePauseExpiry(paused)).resolves.toBeUndefined();
  });

  it('resume, release and delete remove both schedules; a missing schedule is not an error', async () => {
    // Prepare
    scheduler
      .on(DeleteScheduleCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'gone', Message: 'gone', $metadata: {} }))
      .resolves({});

    // Act
    await adapter.cancelPauseExpiry(paused);

    // Assess
    expect(scheduler).toHaveReceivedCommandTimes(DeleteScheduleCommand, 2);
    expect(scheduler).toHaveReceivedCommandWith(DeleteScheduleCommand, {
      Name: 'expire-0b5c1f52-1c1e-4d7e-9a51-5a0b8e3f9d10-1777622400250',
      GroupName: 'migration-pause-timers',
    });
  });

  it('other Scheduler failures surface', async () => {
    scheduler.on(DeleteScheduleCommand).rejects(new Error('AccessDenied'));
    await expect(adapter.cancelPauseExpiry(paused)).rejects.toThrow('AccessDenied');
  });

  it('at() rounds up to the next whole second, never earlier than the deadline', () => {
    expect(atExpression('2026-05-01T20:00:00.000Z')).toBe('at(2026-05-01T20:00:00)');
    expect(atExpression('2026-05-01T20:00:00.001Z')).toBe('at(2026-05-01T20:00:01)');
  });

  it('lists the pause timers of its group page by page, read back as the pauses they belong to', async () => {
    // Prepare
    const pausedMs = Date.parse(paused.pausedAt ?? '');
    scheduler
      .on(ListSchedulesCommand)
      .resolvesOnce({ Schedules: [{ Name: `warn-${paused.id}-${pausedMs}` }, { Name: 'not-a-pause-timer' }], NextToken: 'page-2' })
      .resolvesOnce({ Schedules: [{ Name: `expire-${paused.id}-${pausedMs}` }] });

    // Act
    const listed = await adapter.listPauseTimers();

    // Assess
    expect(listed).toEqual([
      { name: `warn-${paused.id}-${pausedMs}`, kind: 'warn', projectId: paused.id, pausedMs },
      { name: `expire-${paused.id}-${pausedMs}`, kind: 'expire', projectId: paused.id, pausedMs },
    ]);
    const calls = scheduler.commandCalls(ListSchedulesCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { GroupName: 'migration-pause-timers', MaxResults: 100 },
      { GroupName: 'migration-pause-timers', MaxResults: 100, NextToken: 'page-2' },
    ]);
  });
});
