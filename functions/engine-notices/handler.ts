// This function runs or observes engine jobs: it is built with the engines that move real data (AWS DMS).
import '../../shared/deployed-engines';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { logger } from '../../shared/observability/telemetry';
import { getDeps } from '../../shared/runtime';
import { applyEngineNotice, type NoticeOutcome } from '../../shared/usecases/engine-notices';

/**
 * Invoked by the rule on the control plane's bus that matches the engine's own notices (AWS DMS task
 * and serverless replication state changes, forwarded by infra/constructs/dms-engine.ts). Asynchronous:
 * an error is retried by Lambda, then dead-lettered; applying a notice twice changes nothing.
 */
export const handler = middy<unknown, NoticeOutcome>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event, context: Context) => {
    const outcome = await applyEngineNotice(getDeps(), event, context?.awsRequestId ?? 'engine-notice');
    logger.info('engine notice', { ...outcome });
    return outcome;
  });
