import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { executionArnFor, StepFunctionsOrchestrator } from '../../shared/adapters/stepfunctions/sfn-orchestrator';
import type { ProjectRecord } from '../../shared/domain/project';
import { OrchestratorUnavailable } from '../../shared/ports';

const SM = 'arn:aws:states:eu-west-1:123456789012:stateMachine:migration-control-plane-dev-runs';
const sfn = mockClient(SFNClient);
const client = new SFNClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
const orchestrator = new StepFunctionsOrchestrator(SM, () => client);
const project = { id: 'p-1', run: 3 } as ProjectRecord;

beforeEach(() => sfn.reset());

describe('Step Functions orchestrator adapter', () => {
  it('starts one execution per run, named <projectId>-<run>, with {projectId, run, history}; a duplicate start is harmless', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolvesOnce({ executionArn: 'x', startDate: new Date() }).rejectsOnce(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    // Act
    await orchestrator.startRun(project);
    await orchestrator.startRun(project);

    // Assess
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: SM, name: 'p-1-3', input: JSON.stringify({ projectId: 'p-1', run: 3, history: { leg: 0, events: 0 } }) });
  });

  it('a continued run starts, describes and stops its current leg, carrying the work item it stood at', async () => {
    // Prepare
    const carried = { action: 'RUN', subtask: 'FULL_MIGRATION' as const, outcome: 'WAITING' };
    const continued = { ...project, execution: { run: 3, leg: 2, arn: 'arn', carried } };
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'x', startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' } as never);

    // Act
    await orchestrator.startRun(continued);
    const active = await orchestrator.isRunActive(continued);

    // Assess
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { name: 'p-1-3-c2', input: JSON.stringify({ projectId: 'p-1', run: 3, history: { leg: 2, events: 0 }, work: carried }) });
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: orchestrator.executionId('p-1-3-c2') });
    expect(active).toBe(true);
  });

  it('any other StartExecution failure is OrchestratorUnavailable (the use case compensates)', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(orchestrator.startRun(project)).rejects.toBeInstanceOf(OrchestratorUnavailable);
  });

  it('stops and describes the execution of the current run by its ARN; one already gone is no error', async () => {
    // Prepare
    sfn.on(StopExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'gone', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' } as never);

    // Act
    await orchestrator.stopRun(project, 'paused');
    const active = await orchestrator.isRunActive(project);

    // Assess
    const arn = 'arn:aws:states:eu-west-1:123456789012:execution:migration-control-plane-dev-runs:p-1-3';
    expect(executionArnFor(SM, 'p-1-3')).toBe(arn);
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, { executionArn: arn, cause: 'paused' });
    expect(active).toBe(false);
  });

  it('completes a task with SendTaskSuccess; a token that no longer waits is ignored', async () => {
    sfn.on(SendTaskSuccessCommand).resolvesOnce({}).rejectsOnce(new TaskTimedOut({ message: 'done', $metadata: {} }));
    await orchestrator.completeTask('token-1', { gate: 'SWITCHOVER_ENTRY' });
    await orchestrator.completeTask('token-1');
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'token-1', output: '{"gate":"SWITCHOVER_ENTRY"}' });
  });
});
