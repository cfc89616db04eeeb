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
import { RECONCILER_WORKERS, type ReconcilerWorkerEvent } from '../../shared/usecases/reconcile-shards';

const workerLabel = (w: ReconcilerWorkerEvent) => (w.worker === 'runs' ? `runs/${w.shard}` : w.worker);

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

/** The reconciler's invocation limit; each worker stops DEFAULT_SHARD_BUDGET.reserveMs before it, its checkpoint saved. */
export const RECONCILER_TIMEOUT = Duration.minutes(4);

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
    // A shard worker walks thousands of projects: minutes, not API Gateway's 29 s; under the 5-minute interval
    // so one worker's invocations rarely overlap (its checkpoint's version fences them when they do).
    const reconcilerFn = controlPlaneFunction(this, { stage: props.stage, fn: 'orchestration-reconciler', environment, timeout: RECONCILER_TIMEOUT });
    this.functions = { 'orchestration-step': stepFn, 'orchestration-reconciler': reconcilerFn };
    for (const [fn, fun] of Object.entries(this.functions)) grantTableAccess(props.table, fun, tableAccessOf(fn));

    // ---- the definition ----
    const base = (action: OrchestrationAction) => ({
      action,
      projectId: sfn.JsonPath.stringAt('$.projectId'),
      run: sfn.JsonPath.numberAt('$.run'),
      // The history count (leg, events so far, limit): each task adds its events; see shared/usecases/run/history.ts.
      history: sfn.JsonPath.objectAt('$.history'),
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

    // Near the history limit the run continues as a new execution of the same run, which polls the same work item.
    const continued = new sfn.Succeed(this, 'Continued as new execution', { comment: 'The run goes on in its next execution (same run; the project records it).' });
    const continueRun = catchInto(
      invoke('Continue as new execution', withWork('continue'), 'Records the next execution of this run on the project (fenced), then starts it with the work item to poll.'),
    );
    continueRun.next(new sfn.Choice(this, 'Handed over?').when(sfn.Condition.stringEquals('$.work.outcome', 'CONTINUED'), continued).otherwise(superseded));
    const workDone = new sfn.Choice(this, 'Work item done?')
      .when(sfn.Condition.stringEquals('$.work.outcome', 'DONE'), pickNext)
      .when(sfn.Condition.stringEquals('$.work.outcome', 'FAILED'), subtaskFailed)
      .when(sfn.Condition.stringEquals('$.work.outcome', 'FENCED'), superseded)
      .when(sfn.Condition.stringEquals('$.work.outcome', 'CONTINUE'), continueRun)
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
      comment: 'Input: {projectId, run, history}. The run continues from whatever the project item says is pending.',
      result: sfn.Result.fromObject({ action: 'BEGIN' }),
      resultPath: '$.work',
    });
    begin.next(pickNext);
    const countFromZero = new sfn.Pass(this, 'Count history from zero', {
      comment: 'An input without a history count: the first execution of the run, no events yet.',
      result: sfn.Result.fromObject({ leg: 0, events: 0 }),
      resultPath: '$.history',
    });
    countFromZero.next(begin);
    // A continued execution carries the work item its previous execution polled: it waits and polls it.
    const start = new sfn.Choice(this, 'Continued execution?')
      .when(sfn.Condition.and(sfn.Condition.isPresent('$.work'), sfn.Condition.isPresent('$.history')), waitForJob)
      .when(sfn.Condition.isPresent('$.history'), begin)
      .otherwise(countFromZero);

    this.logGroup = new logs.LogGroup(this, 'ExecutionLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy });
    this.stateMachine = new sfn.StateMachine(this, 'Runs', {
      stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: 'One execution per project run: the orchestration list, subtask by subtask (JSONPath).',
      definitionBody: sfn.DefinitionBody.fromChainable(start),
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

    // One pass = one invocation per worker (a shard's runs, the pause timers), each its own target with its
    // own input, asynchronous and retried on its own: no worker waits behind another. A rule takes at most
    // 5 targets, so the workers are spread over ceil(workers / 5) rules on the same schedule.
    const perRule = 5;
    for (let i = 0; i * perRule < RECONCILER_WORKERS.length; i++) {
      const workers = RECONCILER_WORKERS.slice(i * perRule, (i + 1) * perRule);
      new events.Rule(this, i === 0 ? 'ReconcileSchedule' : `ReconcileSchedule${i}`, {
        description: `Reconciler workers ${workers.map(workerLabel).join(', ')} (${props.stage})`,
        schedule: events.Schedule.rate(Duration.minutes(5)),
        targets: workers.map((w) => new targets.LambdaFunction(reconcilerFn, { retryAttempts: 2, event: events.RuleTargetInput.fromObject(w) })),
      });
    }
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
