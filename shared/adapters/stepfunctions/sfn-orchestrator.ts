import type { SFNClient } from '@aws-sdk/client-sfn';
import { lazyClient, onFirstUse } from '../aws/lazy-sdk';
import { currentExecutionName, executionInput } from '../../domain/orchestration';
import type { ProjectRecord } from '../../domain/project';
import { OrchestratorUnavailable, type Orchestrator } from '../../ports';

/** Loaded on first use (shared/adapters/aws/lazy-sdk.ts). */
const sfnSdk = onFirstUse(() => import('@aws-sdk/client-sfn'));

/** One Step Functions client per process, created on first use; tests inject their own. */
const sfnClientHolder = lazyClient(async () => new (await sfnSdk()).SFNClient({ maxAttempts: 4 }));
export const getSfnClient = sfnClientHolder.get;
export const setSfnClient = sfnClientHolder.set;

/** arn:aws:states:<region>:<account>:stateMachine:<name> → arn:aws:states:<region>:<account>:execution:<name>:<execution> */
export function executionArnFor(stateMachineArn: string, executionName: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length < 7 || parts[5] !== 'stateMachine') throw new Error(`not a state machine ARN: ${stateMachineArn}`);
  return [...parts.slice(0, 5), 'execution', parts[6], executionName].join(':');
}

/**
 * The Orchestrator on AWS Step Functions: one Standard execution per run, named `<projectId>-<run>`
 * with input {projectId, run}. Starting a run twice is harmless (ExecutionAlreadyExists); stopping or
 * completing what is already gone is a no-op.
 */
export class StepFunctionsOrchestrator implements Orchestrator {
  constructor(
    private readonly stateMachineArn: string,
    private readonly client: () => SFNClient | Promise<SFNClient> = getSfnClient,
  ) {}

  async startRun(project: ProjectRecord): Promise<void> {
    runOf(project);
    const { ExecutionAlreadyExists, StartExecutionCommand } = await sfnSdk();
    try {
      await (await this.client()).send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: currentExecutionName(project),
          input: JSON.stringify(executionInput(project)),
        }),
      );
    } catch (e) {
      if (e instanceof ExecutionAlreadyExists) return;
      throw new OrchestratorUnavailable(`StartExecution failed: ${(e as Error)?.name}`, e);
    }
  }

  async stopRun(project: ProjectRecord, reason: string): Promise<void> {
    if (project.run === undefined) return;
    const { ExecutionDoesNotExist, StopExecutionCommand } = await sfnSdk();
    try {
      await (await this.client()).send(
        new StopExecutionCommand({
          executionArn: executionArnFor(this.stateMachineArn, currentExecutionName(project)),
          error: 'Project.Stopped',
          cause: reason,
        }),
      );
    } catch (e) {
      if (e instanceof ExecutionDoesNotExist) return;
      throw e;
    }
  }

  async isRunActive(project: ProjectRecord): Promise<boolean> {
    if (project.run === undefined) return false;
    const { DescribeExecutionCommand, ExecutionDoesNotExist } = await sfnSdk();
    try {
      const out = await (await this.client()).send(
        new DescribeExecutionCommand({ executionArn: executionArnFor(this.stateMachineArn, currentExecutionName(project)) }),
      );
      return out.status === 'RUNNING' || out.status === 'PENDING_REDRIVE';
    } catch (e) {
      if (e instanceof ExecutionDoesNotExist) return false;
      throw e;
    }
  }

  executionId(executionName: string): string {
    return executionArnFor(this.stateMachineArn, executionName);
  }

  async completeTask(taskToken: string, output: Record<string, unknown> = {}): Promise<void> {
    const { InvalidToken, SendTaskSuccessCommand, TaskDoesNotExist, TaskTimedOut } = await sfnSdk();
    try {
      await (await this.client()).send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    } catch (e) {
      // Completed already (by the execution itself or a duplicate request), or its execution was stopped.
      if (e instanceof TaskDoesNotExist || e instanceof TaskTimedOut || e instanceof InvalidToken) return;
      throw e;
    }
  }
}

function runOf(project: ProjectRecord): number {
  if (project.run === undefined) throw new Error(`project ${project.id} has no run to start`);
  return project.run;
}
