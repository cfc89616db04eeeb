import { CfnOutput, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PAUSE_TIMER_OPERATIONS, ROUTES } from '../shared/api/routes';
import { DEFAULT_PAUSE_DEADLINE_SECONDS, DEFAULT_PAUSE_WARNING_SECONDS } from '../shared/usecases/deps';
import { Alerts } from './constructs/alerts';
import { ControlPlaneApi } from './constructs/api';
import { DomainEvents } from './constructs/domain-events';
import { scopeLogicalPrefix } from './constructs/function';
import { Monitoring } from './constructs/monitoring';
import { PauseTimers } from './constructs/pause-timers';
import { Orchestration } from './constructs/orchestrator';
import { ProjectsTable } from './constructs/projects-table';

export const STAGES = ['dev', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

export interface MigrationControlPlaneStackProps extends StackProps {
  readonly stage: Stage;
  /** How long a project may stay paused before it expires; default 43200 (12 h). */
  readonly pauseDeadlineSeconds?: number;
  /** How long before the deadline the "pause expiring soon" warning fires; default 1800 (30 min). */
  readonly pauseWarningSeconds?: number;
  /** E-mail address subscribed to the alerts topic (context `alarmEmail`); none by default. */
  readonly alarmEmail?: string;
}

/** Function folders that start, stop and signal runs (their routes apply run-changing operations). */
export const RUN_CONTROL_FUNCTIONS = ['project-lifecycle'] as const;

/** The control plane: the projects table, the orchestration state machine and the IAM-authorized REST API in front of the handlers. */
export class MigrationControlPlaneStack extends Stack {
  readonly table: ProjectsTable;
  readonly api: ControlPlaneApi;
  readonly pauseTimers: PauseTimers;
  readonly domainEvents: DomainEvents;
  readonly alerts: Alerts;
  readonly monitoring: Monitoring;
  readonly orchestration: Orchestration;

  constructor(scope: Construct, id: string, props: MigrationControlPlaneStackProps) {
    super(scope, id, props);
    const pauseDeadlineSeconds = props.pauseDeadlineSeconds ?? DEFAULT_PAUSE_DEADLINE_SECONDS;
    if (!Number.isInteger(pauseDeadlineSeconds) || pauseDeadlineSeconds <= 0) {
      throw new Error(`pauseDeadlineSeconds must be a positive integer, got ${pauseDeadlineSeconds}`);
    }

    this.table = new ProjectsTable(this, 'Projects', { stage: props.stage });
    this.orchestration = new Orchestration(this, 'Orchestration', {
      stage: props.stage,
      table: this.table.table,
      pauseDeadlineSeconds,
    });
    const runControl = new Set<string>(RUN_CONTROL_FUNCTIONS);
    this.api = new ControlPlaneApi(this, 'Api', {
      stage: props.stage,
      table: this.table.table,
      pauseDeadlineSeconds,
      environmentOf: (fn) => (runControl.has(fn) ? { STATE_MACHINE_ARN: this.orchestration.stateMachine.stateMachineArn } : undefined),
    });
    for (const fn of RUN_CONTROL_FUNCTIONS) {
      const fun = this.api.functions[fn];
      if (!fun) throw new Error(`no function ${fn}`);
      this.orchestration.grantRunControl(fun);
    }

    const timerProps = {
      stage: props.stage,
      table: this.table.table,
      pauseDeadlineSeconds,
      pauseWarningSeconds: props.pauseWarningSeconds ?? DEFAULT_PAUSE_WARNING_SECONDS,
    };
    this.pauseTimers = new PauseTimers(this, 'PauseTimers', timerProps);
    // Functions whose routes pause, resume or release manage the pause timers.
    const managers = new Set(ROUTES.filter((r) => r.operations.some((op) => PAUSE_TIMER_OPERATIONS.includes(op))).map((r) => r.fn));
    for (const fn of managers) {
      const fun = this.api.functions[fn];
      if (fun) this.pauseTimers.grantManage(fun, timerProps);
    }

    this.domainEvents = new DomainEvents(this, 'DomainEvents', { stage: props.stage, table: this.table.table });
    Validations.of(this).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${scopeLogicalPrefix(this.table.table)}.Arn>/index/*]`,
      reason: "Functions that read the projects table query its own global secondary indexes (listings by kind and status).",
    });
    new CfnOutput(this, 'EventBusName', { value: this.domainEvents.bus.eventBusName });

    // Alerts are raised where the audit events are published (the stream publisher).
    this.alerts = new Alerts(this, 'Alerts', { stage: props.stage, ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}) });
    this.alerts.grantRaise(this.domainEvents.publisher, this.table.table);
    new CfnOutput(this, 'AlertTopicArn', { value: this.alerts.topic.topicArn });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      stage: props.stage,
      api: this.api.api,
      functions: {
        ...this.api.functions,
        ...this.orchestration.functions,
        'pause-timer': this.pauseTimers.function,
        'publish-domain-events': this.domainEvents.publisher,
      },
      stateMachine: this.orchestration.stateMachine,
      table: this.table.table,
      deadLetterQueues: { PauseTimers: this.pauseTimers.deadLetterQueue, DomainEvents: this.domainEvents.deadLetterQueue },
      alarmTopic: this.alerts.topic,
    });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });

    // The API URL is already an output of the RestApi (…Endpoint…).
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: this.orchestration.stateMachine.stateMachineArn });
  }
}
