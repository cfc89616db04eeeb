import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PROJECT_STATUSES } from '../../shared/domain/project';
import { BATCHES_STALLED_METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../../shared/observability/names';
import { RESPONSE_NOT_STORED_METRIC } from '../../shared/idempotency/stored-body';
import type { Stage } from './stage';
import { controlPlaneFunction } from './function';
import { grantTableAccess, tableAccessOf } from './projects-table';

export interface MonitoringProps {
  readonly stage: Stage;
  readonly api: apigateway.RestApi;
  /** Every function of the control plane, by folder name. */
  readonly functions: Record<string, IFunction>;
  readonly table: dynamodb.Table;
  readonly deadLetterQueues: Record<string, sqs.IQueue>;
  readonly stateMachine?: sfn.IStateMachine;
  /** Where alarms notify (the alerts topic). */
  readonly alarmTopic: sns.ITopic;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * What the ops team watches in the console: one dashboard (API, functions, executions, DynamoDB,
 * lifecycle outcomes and projects by status) and the alarms that page them (failed executions,
 * function errors, throttles, dead letters, API 5xx), all notifying the alarm topic.
 */
export class Monitoring extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly statusMetrics: NodejsFunction;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const alarm = (name: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const a = new cloudwatch.Alarm(this, name, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(new actions.SnsAction(props.alarmTopic));
      this.alarms.push(a);
      return a;
    };

    // Projects by status: a scheduled count of the status index, as a gauge per status.
    this.statusMetrics = controlPlaneFunction(this, {
      fn: 'project-status-metrics',
      stage: props.stage,
      environment: { TABLE_NAME: props.table.tableName },
    });
    grantTableAccess(props.table, this.statusMetrics, tableAccessOf('project-status-metrics'));
    new events.Rule(this, 'StatusMetricsSchedule', {
      description: 'Counts projects by status for the dashboard',
      schedule: events.Schedule.rate(FIVE_MINUTES),
      targets: [new targets.LambdaFunction(this.statusMetrics)],
    });
    const functions = { ...props.functions, 'project-status-metrics': this.statusMetrics };

    // API
    const api = props.api;
    alarm('Api5xx', api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }), 5, 'API answered 5xx at least 5 times in 5 minutes');

    // Functions
    for (const [name, fn] of Object.entries(functions)) {
      alarm(`${name}Errors`, fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, `Function ${name} failed (errors ≥ 1 in 5 minutes)`);
      alarm(`${name}Throttles`, fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, `Function ${name} was throttled`);
    }

    // DynamoDB
    // The operations the control plane uses (an alarm's math expression takes at most 10 metrics).
    const ddbThrottles = props.table.metricThrottledRequestsForOperations({
      operations: [
        dynamodb.Operation.GET_ITEM,
        dynamodb.Operation.PUT_ITEM,
        dynamodb.Operation.UPDATE_ITEM,
        dynamodb.Operation.DELETE_ITEM,
        dynamodb.Operation.QUERY,
        dynamodb.Operation.TRANSACT_WRITE_ITEMS,
        dynamodb.Operation.BATCH_GET_ITEM,
        dynamodb.Operation.BATCH_WRITE_ITEM,
      ],
      period: FIVE_MINUTES,
    });
    alarm('DynamoDbThrottles', ddbThrottles, 1, 'DynamoDB throttled requests on the projects table');
    const conditionalFailures = props.table.metric('ConditionalCheckFailedRequests', { period: FIVE_MINUTES, statistic: 'Sum', label: 'conditional check failures (refused transitions)' });

    // An Idempotency-Key answer that could not be stored (the key completed without it: a retry gets 409, never a second run).
    alarm(
      'IdempotencyResponseNotStored',
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: RESPONSE_NOT_STORED_METRIC, dimensionsMap: { service: SERVICE_NAME }, statistic: 'Sum', period: FIVE_MINUTES }),
      1,
      'An Idempotency-Key answer could not be stored (retries of that key get 409 IDEMPOTENCY_RESPONSE_UNAVAILABLE)',
    );

    // A large batch the reconciler keeps re-driving without progress (shared/usecases/reconcile-batches.ts).
    alarm(
      'BatchesStalled',
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: BATCHES_STALLED_METRIC, dimensionsMap: { service: SERVICE_NAME }, statistic: 'Maximum', period: FIVE_MINUTES }),
      1,
      'A large batch was re-driven 5 times without progress (GET /batch-operations/{id} shows redrive.stalled)',
    );

    // Dead letters
    for (const [name, q] of Object.entries(props.deadLetterQueues)) {
      alarm(`${name}DeadLetters`, q.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }), 1, `Messages waiting in the ${name} dead-letter queue`);
    }

    // Executions
    if (props.stateMachine) {
      alarm('ExecutionsFailed', props.stateMachine.metricFailed({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, 'A project run (Step Functions execution) failed');
      alarm('ExecutionsTimedOut', props.stateMachine.metricTimedOut({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, 'A project run timed out');
    }

    // Lifecycle outcomes from the functions' own metrics (Powertools EMF).
    const search = (metricName: string, label: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},operation,result,service} MetricName="${metricName}" service="${SERVICE_NAME}"', 'Sum', 300)`,
        label,
        period: FIVE_MINUTES,
      });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: `migration-control-plane-${props.stage}` });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# Migration control plane (${props.stage})\nAPI, functions, project runs, DynamoDB and projects by status. Alarms notify the alerts topic.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'API requests, 4xx, 5xx', left: [api.metricCount({ period: FIVE_MINUTES }), api.metricClientError({ period: FIVE_MINUTES }), api.metricServerError({ period: FIVE_MINUTES })], width: 12 }),
      new cloudwatch.GraphWidget({ title: 'API latency (p50, p99)', left: [api.metricLatency({ period: FIVE_MINUTES, statistic: 'p50' }), api.metricLatency({ period: FIVE_MINUTES, statistic: 'p99' })], width: 12 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Function errors', left: Object.entries(functions).map(([n, f]) => f.metricErrors({ period: FIVE_MINUTES, label: n })), width: 12, stacked: true }),
      new cloudwatch.GraphWidget({ title: 'Function duration p99', left: Object.entries(functions).map(([n, f]) => f.metricDuration({ period: FIVE_MINUTES, statistic: 'p99', label: n })), width: 12 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Project runs (executions started / succeeded / failed)',
        left: props.stateMachine
          ? [props.stateMachine.metricStarted({ period: FIVE_MINUTES }), props.stateMachine.metricSucceeded({ period: FIVE_MINUTES }), props.stateMachine.metricFailed({ period: FIVE_MINUTES })]
          : [],
        width: 12,
      }),
      new cloudwatch.GraphWidget({ title: 'DynamoDB throttles and conditional-check failures', left: [ddbThrottles], right: [conditionalFailures], width: 12 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Lifecycle requests by operation and result', left: [search('Requests', 'requests')], width: 12 }),
      new cloudwatch.GraphWidget({ title: 'Conflicts (409/412) by operation and code', left: [search('Conflicts', 'conflicts')], width: 12 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Projects by status',
        left: PROJECT_STATUSES.map(
          (status) =>
            new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: 'ProjectsByStatus', dimensionsMap: { service: SERVICE_NAME, status }, statistic: 'Maximum', period: FIVE_MINUTES, label: status }),
        ),
        stacked: true,
        width: 24,
      }),
    );
  }
}
