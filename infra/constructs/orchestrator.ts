import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { OrchestrationAction } from '../../shared/api/orchestration-schema';
import type { Stage } from './stage';
import { controlPlaneFunction, scopeLogicalPrefix } from './function';
import { grantTableAccess, tableAccessOf } from './projects-table';

/** Function folders of the orchestration (besides the API's). */
export const ORCHESTRATION_FUNCTIONS = ['orchestration-step', 'orchestration-reconciler'] as const;

/** Seconds between two polls of a running job (the embedded default shortens it by the simulation time scale). */
export const JOB_POLL_SECONDS = 30;

/**
 * How long "Await operator" waits for the operator before it re-arms: 12 hours. A waitForTaskToken task
 * without a timeout would wait as long as the execution may live (a year). On States.Timeout the run goes
 * back to "Pick next work item", which awaits again with a fresh token when the gate is still closed (or
 * moves on when the operator answered in between: the new wait finds the gate open and completes itself,
 * and the API ignores the old token's TaskTimedOut). Each re-arm adds about 15 history events: 730 a
 * year, about 11,000 events, under the 25,000-event history limit within the one-year execution limit.
 */
export const OPERATOR_WAIT_SECONDS = 12 * 60 * 60;

/** Errors of our own tasks worth retrying (the handler names transient AWS errors TransientError). */
const TRANSIENT_ERRORS = ['TransientError', 'Lambda.TooManyRequestsException'];

export interface OrchestrationProps {
  readonly stage: Stage;
  readonly table: dynamodb.ITable;
  readonly pauseDeadlineSeconds: number;
}

/**
 * The run of a project as one Standard Step Functions execution per run (`<projectId>-<run>`), JSONPath
 * only. It loops: pick the next work item from the project item, start it, wait and poll until done,
 * go on; operator gates (switchover entry/start, manual steps) wait for a task token the API completes.
 * Every Lambda task retries transient errors and catches the rest into "Record run failure" (FAILED).
 * The state names are what the ops team reads in the console.
 */
export class Orchestration extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  readonly functions: Record<(typeof ORCHESTRATION_FUNCTIONS)[number], NodejsFunction>;
  /**
   * The state machine's ARN built from its fixed name, for the functions its definition invokes (a
   * reference to the resource itself would be a dependency cycle: definition → function → policy → definition).
   */
  readonly stateMachineArn: string;
  private readonly stateMachineName: string;

  constructor(scope: Construct, id: string, props: OrchestrationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const stateMachineName = `migration-control-plane-${props.stage}-runs`;
    this.stateMachineName = stateMachineName;
    this.stateMachineArn = stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: stateMachineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const removalPolicy = props.stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    const environment = {
      TABLE_NAME: props.table.tableName,
      PAUSE_DEADLINE_SECONDS: String(props.pauseDeadlineSeconds),
    };
    const stepFn = controlPlaneFunction(this, { stage: props.stage, fn: 'orchestration-step', environment });
    const reconcilerFn = controlPlaneFunction(this, { stage: props.stage, fn: 'orchestration-reconciler', environment });
    this.functions = { 'orchestration-step': stepFn, 'orchestration-reconciler': reconcilerFn };
    for (const [fn, fun] of Object.entries(this.functions)) grantTableAccess(props.table, fun, tableAccessOf(fn));

    // ---- the definition ----
    const base = (action: OrchestrationAction) => ({
      action,
      projectId: sfn.JsonPath.stringAt('$.projectId'),
      run: sfn.JsonPath.numberAt('$.run'),
    });
    const withWork = (action: OrchestrationAction) => ({ ...base(action), work: sfn.JsonPath.objectAt('$.work') });
    const invoke = (name: string, payload: Record<string, unknown>, comment: string) =>
      new tasks.LambdaInvoke(this, name, {
        stateName: name,
        comment,
        lambdaFunction: stepFn,
        payload: sfn.TaskInput.fromObject(payload),
        outputPath: '$.Payload',
        retryOnServiceExceptions: true,
      }).addRetry({ errors: TRANSIENT_ERRORS, interval: Duration.seconds(2), maxAttempts: 5, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });

    const runFailed = new sfn.Fail(this, 'Run failed', { comment: 'The failure is recorded on the project (FAILED); resume retries from the checkpoint.' });
    const recordFailure = invoke(
      'Record run failure',
      { ...base('fail'), work: sfn.JsonPath.objectAt('$.work'), error: sfn.JsonPath.objectAt('$.error') },
      'Marks the work item and the project FAILED, fenced on the run.',
    );
    recordFailure.addCatch(runFailed, { errors: ['States.ALL'], resultPath: '$.error' });
    const catchInto = <T extends sfn.TaskStateBase>(task: T): T => {
      task.addCatch(recordFailure, { errors: ['States.ALL'], resultPath: '$.error' });
      return task;
    };

    const superseded = new sfn.Succeed(this, 'Run superseded or stopped', { comment: 'The project no longer belongs to this run (paused, released or resumed as a newer run).' });
    const subtaskFailed = new sfn.Fail(this, 'Subtask failed', { error: 'SubtaskFailed', cause: 'A subtask failed; the project is FAILED (see its subtasks).' });
    const backgroundOnly = new sfn.Succeed(this, 'Continuous sync running', { comment: 'Only continuous sync is left; it runs until release.' });
    const completed = new sfn.Succeed(this, 'Migration completed');
    // A failure in a run the project no longer belongs to is no failure of the project: the run was superseded.
    recordFailure.next(
      new sfn.Choice(this, 'Failure recorded?').when(sfn.Condition.stringEquals('$.work.outcome', 'FENCED'), superseded).otherwise(runFailed),
    );

    // The first pick has no work item yet: only projectId and run.
    const pickNext = catchInto(invoke('Pick next work item', base('next'), 'Reads the project: the next pending subtask, switchover step or operator gate.'));
    const startWork = catchInto(invoke('Start work item', withWork('start'), 'Claims the subtask or step for this run and starts or resumes its job from the checkpoint.'));
    const pollWork = catchInto(invoke('Poll work item', withWork('poll'), "Records the job's progress and checkpoint, or its result."));
    const markCompleted = catchInto(invoke('Mark project completed', base('complete'), 'RUNNING → COMPLETED, fenced on the run.'));
    const awaitOperator = new tasks.LambdaInvoke(this, 'Await operator', {
      stateName: 'Await operator',
      comment: `Stores the task token on the project; the API completes it when the operator enters or starts the switchover or confirms the manual step. Re-armed after ${OPERATOR_WAIT_SECONDS} s.`,
      lambdaFunction: stepFn,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({ ...withWork('await'), taskToken: sfn.JsonPath.taskToken }),
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(OPERATOR_WAIT_SECONDS)),
      retryOnServiceExceptions: true,
    }).addRetry({ errors: TRANSIENT_ERRORS, interval: Duration.seconds(2), maxAttempts: 5, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
    const rearm = new sfn.Pass(this, 'Operator wait re-armed', {
      comment: 'The operator did not answer in time: pick again, which awaits with a fresh token (or moves on if the gate opened meanwhile).',
    });
    // Before the catch-all: a timed-out wait is no failure of the run.
    awaitOperator.addCatch(rearm, { errors: ['States.Timeout'], resultPath: sfn.JsonPath.DISCARD });
    catchInto(awaitOperator);
    const waitForJob = new sfn.Wait(this, 'Wait for job progress', { time: sfn.WaitTime.duration(Duration.seconds(JOB_POLL_SECONDS)) });

    const workDone = new sfn.Choice(this, 'Work item done?')
      .when(sfn.Condition.stringEquals('$.work.outcome', 'DONE'), pickNext)
      .when(sfn.Condition.stringEquals('$.work.outcome', 'FAILED'), subtaskFailed)
      .when(sfn.Condition.stringEquals('$.work.outcome', 'FENCED'), superseded)
      .otherwise(waitForJob);
    startWork.next(workDone);
    waitForJob.next(pollWork);
    pollWork.next(workDone);
    awaitOperator.next(pickNext);
    rearm.next(pickNext);
    markCompleted.next(completed);

    const route = new sfn.Choice(this, 'What next?')
      .when(sfn.Condition.stringEquals('$.work.action', 'RUN'), startWork)
      .when(sfn.Condition.stringEquals('$.work.action', 'AWAIT'), awaitOperator)
      .when(sfn.Condition.stringEquals('$.work.action', 'COMPLETE'), markCompleted)
      .when(sfn.Condition.stringEquals('$.work.action', 'IDLE'), backgroundOnly)
      .otherwise(superseded);
    pickNext.next(route);

    // Every state after this one (and every Catch) may count on a work item in the state.
    const begin = new sfn.Pass(this, 'Begin run', {
      comment: 'Input: {projectId, run}. The run continues from whatever the project item says is pending.',
      result: sfn.Result.fromObject({ action: 'BEGIN' }),
      resultPath: '$.work',
    });
    begin.next(pickNext);

    this.logGroup = new logs.LogGroup(this, 'ExecutionLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy });
    this.stateMachine = new sfn.StateMachine(this, 'Runs', {
      stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: 'One execution per project run: the orchestration list, subtask by subtask (JSONPath).',
      definitionBody: sfn.DefinitionBody.fromChainable(begin),
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    Validations.of(this.stateMachine.role).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'Vended log delivery (logs:*LogDelivery, DescribeLogGroups, *ResourcePolicies) and X-Ray tracing support no resource-level permissions.',
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${scopeLogicalPrefix(stepFn)}.Arn>:*]`,
        reason: 'Versions and aliases of the orchestration-step function only (added by the Lambda invoke task).',
      },
    );
    // What the step and reconciler functions may do with runs follows from their operations (infra/constructs/wiring.ts).

    new events.Rule(this, 'ReconcileSchedule', {
      description: `Restart RUNNING projects whose execution is gone (${props.stage})`,
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [new targets.LambdaFunction(reconcilerFn, { retryAttempts: 2 })],
    });
  }

  /**
   * Lets a function use the runs as a capability of shared/domain/effects.ts says, and tells it which
   * state machine: start executions, stop or describe them, or complete their tasks.
   */
  grantRuns(fn: iam.IGrantable & { role?: iam.IRole; addEnvironment(key: string, value: string): unknown }, capability: 'runs:start' | 'runs:stop' | 'runs:signal'): void {
    fn.addEnvironment('STATE_MACHINE_ARN', this.stateMachineArn);
    if (capability === 'runs:start') iam.Grant.addToPrincipal({ grantee: fn, actions: ['states:StartExecution'], resourceArns: [this.stateMachineArn] });
    if (capability === 'runs:signal') iam.Grant.addToPrincipal({ grantee: fn, actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'], resourceArns: [this.stateMachineArn] });
    if (capability === 'runs:stop') {
      iam.Grant.addToPrincipal({ grantee: fn, actions: ['states:StopExecution', 'states:DescribeExecution'], resourceArns: [this.executionArns()] });
      if (fn.role) {
        Validations.of(fn.role).acknowledge({
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${this.stateMachineName}:*]`,
          reason: 'Executions of this state machine only; they are named per project run (<projectId>-<run>).',
        });
      }
    }
  }

  private executionArns(): string {
    return Stack.of(this).formatArn({ service: 'states', resource: 'execution', resourceName: `${this.stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  }
}
