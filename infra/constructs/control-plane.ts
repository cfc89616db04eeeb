import { Aspects, CfnOutput, RemovalPolicies, RemovalPolicy, Validations, type IAspect } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct, type IConstruct } from 'constructs';
import { DEFAULT_PAUSE_DEADLINE_SECONDS, DEFAULT_PAUSE_WARNING_SECONDS } from '../../shared/usecases/deps';
import type { Stage } from './stage';
import { Alerts } from './alerts';
import { BatchQueue } from './batch-queue';
import { ControlPlaneApi } from './api';
import { DmsEngine, type DmsEngineProps } from './dms-engine';
import { EngineNotices } from './engine-notices';
import { DomainEvents } from './domain-events';
import { scopeLogicalPrefix } from './function';
import { Monitoring } from './monitoring';
import { Orchestration } from './orchestrator';
import { PauseTimers } from './pause-timers';
import { ProjectsTable } from './projects-table';
import { wireFunctions, type EngineWiring } from './wiring';

/** The SIMULATED engine (demos, tests): no data moves; its jobs live in the projects table. */
export interface SimulatedEngineSettings {
  readonly kind: 'simulated';
  /** Simulated time runs this many times faster than the clock (1 = real time). */
  readonly timeScale?: number;
}

/**
 * AWS DMS (infra/constructs/dms-engine.ts): the network, service roles, secrets access role and
 * replication instance, and the DMS grants and DMS_* environment of every function that runs jobs.
 * The secrets DMS may read: `secretArns`, or `secretTag` (default `migration-control-plane=<stage>`).
 */
export interface AwsDmsEngineSettings extends Omit<DmsEngineProps, 'eventBus'> {
  readonly kind: 'aws-dms';
}

/** The data plane behind the MigrationEngine port. Required in prod: a prod stage never falls back to the simulated engine. */
export type EngineSettings = SimulatedEngineSettings | AwsDmsEngineSettings;

export interface MigrationControlPlaneProps {
  readonly stage: Stage;
  /** How long a project may stay paused before it expires; default 43200 (12 h). */
  readonly pauseDeadlineSeconds?: number;
  /** How long before the deadline the "pause expiring soon" warning fires; default 1800 (30 min). */
  readonly pauseWarningSeconds?: number;
  /** E-mail address subscribed to the alerts topic; none by default. */
  readonly alarmEmail?: string;
  /** Where CloudWatch alarms notify; default the control plane's alerts topic. */
  readonly alarmTopic?: sns.ITopic;
  /** Retention of every log group (functions, state machine, API access logs); default one month. */
  readonly logRetention?: logs.RetentionDays;
  /** Removal policy of every stateful resource (table, log groups, bus, queues, topic and its key, schedule group); default RETAIN in prod, DESTROY in dev. */
  readonly removalPolicy?: RemovalPolicy;
  /** Default `{ kind: 'simulated' }` in dev; prod must say which engine it runs (an error otherwise). */
  readonly engine?: EngineSettings;
}

/** The engine setting of a stage: explicit in prod, simulated by default elsewhere. */
export function engineSettingsOf(props: Pick<MigrationControlPlaneProps, 'stage' | 'engine'>): EngineSettings {
  if (props.engine) return props.engine;
  if (props.stage === 'prod') {
    throw new Error("the prod stage needs an explicit engine: { kind: 'aws-dms', ... } to move data with AWS DMS, or { kind: 'simulated' } for a demo deployment (cdk: -c engine=aws-dms|simulated)");
  }
  return { kind: 'simulated' };
}

/** What a function that runs jobs gets, per engine setting (the DMS engine's resources are made here, once). */
function engineWiring(scope: Construct, engine: EngineSettings, stage: Stage, eventBus: events.IEventBus): { wiring: EngineWiring; dms?: DmsEngine } {
  if (engine.kind === 'aws-dms') {
    const { kind: _kind, ...props } = engine;
    const dms = new DmsEngine(scope, 'DmsEngine', {
      ...props,
      eventBus,
      ...(props.secretArns?.length || props.secretTag ? {} : { secretTag: { key: 'migration-control-plane', value: stage } }),
    });
    return { dms, wiring: { kinds: ['aws-dms'], grant: (fn) => dms.grantEngine(fn), grantPoll: (fn) => dms.grantPoller(fn), grantPositions: (fn) => dms.grantPositionReader(fn) } };
  }
  if (engine.timeScale !== undefined && !(engine.timeScale > 0)) throw new Error(`engine.timeScale must be positive, got ${engine.timeScale}`);
  // The simulated engine keeps its jobs in the projects table (every function has it); only its clock is set here,
  // for observing a job as for running one (observing settles it in the table as a poll does).
  const setClock = (fn: NodejsFunction) => {
    if (engine.timeScale !== undefined) fn.addEnvironment('SIMULATION_TIME_SCALE', String(engine.timeScale));
  };
  return { wiring: { kinds: [engine.kind], grant: setClock, grantPoll: setClock } };
}

const STATEFUL_TYPES = [
  'AWS::DynamoDB::Table',
  'AWS::Logs::LogGroup',
  'AWS::Events::EventBus',
  'AWS::SQS::Queue',
  'AWS::SNS::Topic',
  'AWS::KMS::Key',
  'AWS::Scheduler::ScheduleGroup',
];

/** Sets the retention of every log group in the scope. */
class LogRetention implements IAspect {
  constructor(private readonly days: logs.RetentionDays) {}
  visit(node: IConstruct): void {
    if (node instanceof logs.CfnLogGroup) node.retentionInDays = this.days;
  }
}

/**
 * The whole migration control plane as one construct: projects table, orchestration (state machine and
 * its functions), the IAM-authorized API and its functions, pause timers (EventBridge Scheduler), domain
 * events (stream → bus), alerts (SNS) and monitoring (dashboard, alarms). Compose it into any stack.
 */
export class MigrationControlPlane extends Construct {
  readonly table: ProjectsTable;
  readonly api: ControlPlaneApi;
  readonly pauseTimers: PauseTimers;
  readonly domainEvents: DomainEvents;
  readonly alerts: Alerts;
  readonly monitoring: Monitoring;
  readonly orchestration: Orchestration;
  /** Large batches: the queue, its dead letters and the worker. */
  readonly batchQueue: BatchQueue;
  /** The AWS DMS engine's resources, when `engine.kind` is 'aws-dms'. */
  readonly dmsEngine?: DmsEngine;
  /** The consumer of the engine's notices on the bus (a failed DMS task fails its run at once), with the DMS engine. */
  readonly engineNotices?: EngineNotices;

  constructor(scope: Construct, id: string, props: MigrationControlPlaneProps) {
    super(scope, id);
    const pauseDeadlineSeconds = props.pauseDeadlineSeconds ?? DEFAULT_PAUSE_DEADLINE_SECONDS;
    if (!Number.isInteger(pauseDeadlineSeconds) || pauseDeadlineSeconds <= 0) {
      throw new Error(`pauseDeadlineSeconds must be a positive integer, got ${pauseDeadlineSeconds}`);
    }
    const engineSettings = engineSettingsOf(props);

    this.table = new ProjectsTable(this, 'Projects', { stage: props.stage });
    this.orchestration = new Orchestration(this, 'Orchestration', {
      stage: props.stage,
      table: this.table.table,
      pauseDeadlineSeconds,
    });
    this.api = new ControlPlaneApi(this, 'Api', {
      stage: props.stage,
      table: this.table.table,
      pauseDeadlineSeconds,
    });

    this.batchQueue = new BatchQueue(this, 'Batches', { stage: props.stage, table: this.table.table, pauseDeadlineSeconds });

    const timerProps = {
      stage: props.stage,
      table: this.table.table,
      pauseDeadlineSeconds,
      pauseWarningSeconds: props.pauseWarningSeconds ?? DEFAULT_PAUSE_WARNING_SECONDS,
    };
    this.pauseTimers = new PauseTimers(this, 'PauseTimers', timerProps);

    // The domain events bus also receives the DMS engine's task state changes.
    this.domainEvents = new DomainEvents(this, 'DomainEvents', { stage: props.stage, table: this.table.table });
    const engine = engineWiring(this, engineSettings, props.stage, this.domainEvents.bus);
    if (engine.dms) {
      this.dmsEngine = engine.dms;
      this.engineNotices = new EngineNotices(this, 'EngineNotices', { stage: props.stage, table: this.table.table, bus: this.domainEvents.bus });
    }
    const noticeFunctions: Record<string, NodejsFunction> = this.engineNotices ? { 'engine-notices': this.engineNotices.function } : {};

    // Every function gets what its operations need (shared/wiring.ts): runs, jobs, timers — env and grants.
    wireFunctions(
      { ...this.api.functions, ...this.orchestration.functions, 'pause-timer': this.pauseTimers.function, 'batch-worker': this.batchQueue.worker, ...noticeFunctions },
      { orchestration: this.orchestration, pauseTimers: this.pauseTimers, timerProps, engine: engine.wiring, batchQueue: this.batchQueue },
    );

    Validations.of(this).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${scopeLogicalPrefix(this.table.table)}.Arn>/index/*]`,
      reason: "Functions that read the projects table query its own global secondary indexes (listings by kind and status).",
    });
    new CfnOutput(this, 'EventBusName', { value: this.domainEvents.bus.eventBusName });

    // Alerts are raised where the audit events are published (the stream publisher).
    this.alerts = new Alerts(this, 'Alerts', { stage: props.stage, ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}) });
    const alarmTopic = props.alarmTopic ?? this.alerts.topic;
    this.alerts.grantRaise(this.domainEvents.publisher);
    this.alerts.watchAuditTrail(this.table.table);
    new CfnOutput(this, 'AlertTopicArn', { value: this.alerts.topic.topicArn });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      stage: props.stage,
      api: this.api.api,
      functions: {
        ...this.api.functions,
        ...this.orchestration.functions,
        'pause-timer': this.pauseTimers.function,
        'publish-domain-events': this.domainEvents.publisher,
        'batch-worker': this.batchQueue.worker,
        ...noticeFunctions,
      },
      stateMachine: this.orchestration.stateMachine,
      table: this.table.table,
      deadLetterQueues: {
        PauseTimers: this.pauseTimers.deadLetterQueue,
        DomainEvents: this.domainEvents.deadLetterQueue,
        Batches: this.batchQueue.deadLetterQueue,
        ...(this.engineNotices ? { EngineNotices: this.engineNotices.deadLetterQueue } : {}),
      },
      alarmTopic,
    });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });

    // The API URL is already an output of the RestApi (…Endpoint…).
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: this.orchestration.stateMachine.stateMachineArn });

    if (props.removalPolicy !== undefined) RemovalPolicies.of(this).apply(props.removalPolicy, { applyToResourceTypes: STATEFUL_TYPES, priority: 200 });
    if (props.logRetention !== undefined) Aspects.of(this).add(new LogRetention(props.logRetention));
  }
}
