// This function runs or observes engine jobs: it is built with the engines that move real data (AWS DMS).
import '../../shared/deployed-engines';
// It makes or drops write-stop positions: it is built with the position reader (the PostgreSQL driver).
import '../../shared/deployed-position-reader';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { OrchestrationStepEvent } from '../../shared/api/orchestration-schema';
import { executionArnFor } from '../../shared/adapters/stepfunctions/sfn-orchestrator';
import { legExecutionName } from '../../shared/domain/orchestration';
import { logger } from '../../shared/observability/telemetry';
import { isTransientError } from '../../shared/domain/errors';
import { getDeps } from '../../shared/runtime';
import { awaitOperator, completeRun, pickNext, pollWork, recordFailure, startWork, type RunState } from '../../shared/usecases/orchestration';
import { continueAsNewExecution, counted } from '../../shared/usecases/run/history';


export class TransientError extends Error {
  constructor(cause: Error) {
    super(`${cause.name}: ${cause.message}`);
    this.name = 'TransientError';
  }
}

/**
 * The Lambda behind every task of the orchestration state machine: `action` names the use case.
 * A malformed event is a permanent failure (the task's Catch marks the project FAILED).
 */
export const handler = middy<unknown, RunState | { awaiting: true }>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event, context: Context) => {
    const input = OrchestrationStepEvent.parse(event);
    // Every log line of this step names the project, its run and the execution (findable in the console).
    const stateMachineArn = process.env.STATE_MACHINE_ARN;
    logger.appendKeys({
      projectId: input.projectId,
      run: input.run,
      operation: `orchestration:${input.action}`,
      ...(stateMachineArn ? { executionArn: executionArnFor(stateMachineArn, legExecutionName(input.projectId, input.run, input.history?.leg ?? 0)) } : {}),
    });
    logger.info('orchestration step');
    const deps = getDeps();
    const requestId = context?.awsRequestId ?? 'orchestration';
    try {
      // Every answer carries the execution's history count on (shared/usecases/run/history.ts).
      switch (input.action) {
        case 'next':
          return counted(input, 'next', await pickNext(deps, input));
        case 'start':
          return counted(input, 'start', await startWork(deps, { ...input, work: required(input.work, 'work') }));
        case 'poll':
          return counted(input, 'poll', await pollWork(deps, { ...input, work: required(input.work, 'work') }));
        case 'await':
          await awaitOperator(deps, { ...input, work: required(input.work, 'work'), taskToken: required(input.taskToken, 'taskToken') });
          return { awaiting: true };
        case 'complete':
          return counted(input, 'complete', await completeRun(deps, input, requestId));
        case 'fail':
          return counted(input, 'fail', await recordFailure(deps, input, requestId));
        case 'continue':
          return counted(input, 'continue', await continueAsNewExecution(deps, { ...input, work: required(input.work, 'work') }));
      }
    } catch (e) {
      if (isTransientError(e)) throw new TransientError(e as Error); // the state machine's Retry names TransientError
      throw e;
    }
  });

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`orchestration-step: ${name} is required for this action`);
  return value;
}
