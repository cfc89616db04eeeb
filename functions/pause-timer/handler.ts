// This function runs or observes engine jobs: it is built with the engines that move real data (AWS DMS).
import '../../shared/deployed-engines';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { PauseTimerEvent } from '../../shared/api/timer-schema';
import { logger } from '../../shared/observability/telemetry';
import { getDeps } from '../../shared/runtime';
import { firePauseTimer, type TimerOutcome } from '../../shared/usecases/pause-timers';

/**
 * Invoked by EventBridge Scheduler (or the local scheduler) when a pause timer fires. A malformed event
 * is a permanent failure (thrown, so it reaches the schedule's dead-letter handling), never retried forever.
 */
export const handler = middy<unknown, TimerOutcome>().handler(async (event, context: Context) => {
  const input = PauseTimerEvent.parse(event);
  const outcome = await firePauseTimer(getDeps(), input, context?.awsRequestId ?? 'timer');
  logger.info('pause timer fired', { ...input, ...outcome });
  return outcome;
});
