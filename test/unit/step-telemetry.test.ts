import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { handler as orchestrationStep } from '../../functions/orchestration-step/handler';
import { logger } from '../../shared/observability/telemetry';
import { overrideDeps, resetDeps } from '../../shared/runtime';
import { memoryDeps } from '../support/memory-deps';

describe('orchestration step logs', () => {
  afterEach(() => {
    resetDeps();
    vi.restoreAllMocks();
    delete process.env.STATE_MACHINE_ARN;
  });

  it('every line of a step carries projectId, run, the step and the execution ARN', async () => {
    // Prepare
    process.env.TABLE_NAME = 'projects';
    process.env.STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:migration-control-plane-prod-runs';
    overrideDeps(memoryDeps());
    const appendKeys = vi.spyOn(logger, 'appendKeys');

    // Act: a step for a project that is not there (the outcome does not matter here)
    await orchestrationStep({ action: 'next', projectId: 'p-7', run: 3 }, { awsRequestId: 'r' } as Context).catch(() => undefined);

    // Assess
    expect(appendKeys).toHaveBeenCalledWith({
      projectId: 'p-7',
      run: 3,
      operation: 'orchestration:next',
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:migration-control-plane-prod-runs:p-7-3',
    });
  });
});
