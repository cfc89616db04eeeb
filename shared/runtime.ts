import { randomUUID } from 'node:crypto';
import { EventBusAlertNotifier, FanOutAlertNotifier } from './adapters/alerts/notifiers';
import { DynamoAlertStore } from './adapters/dynamodb/alert-store';
import { DynamoDataSourceStore } from './adapters/dynamodb/data-source-store';
import { DynamoIdempotencyStore } from './adapters/dynamodb/idempotency-store';
import { DynamoProjectStore } from './adapters/dynamodb/project-store';
import { getDocumentClient, tableName } from './adapters/dynamodb/client';
import { systemClock } from './domain/clock';
import { EventBridgeBus } from './adapters/eventbridge/event-bus';
import { EventBridgeExpiryScheduler } from './adapters/scheduler/eventbridge-scheduler';
import { SnsAlertNotifier } from './adapters/sns/alert-notifier';
import { DynamoSimulatedJobStore } from './adapters/engine/dynamodb-job-store';
import { SimulatedMigrationEngine } from './adapters/engine/simulated-engine';
import { EngineRouter } from './adapters/engine/engine-router';
import { StepFunctionsOrchestrator } from './adapters/stepfunctions/sfn-orchestrator';
import { noopExpiryScheduler, noopOrchestrator, type AlertNotifier, type EventBus, type ExpiryScheduler, type Orchestrator } from './ports';
import { DEFAULT_PAUSE_DEADLINE_SECONDS, DEFAULT_PAUSE_WARNING_SECONDS, type Deps } from './usecases/deps';

/**
 * The process-wide dependencies of the Lambda handlers, built on first use from the environment and
 * reused across invocations. The local runtime and tests override parts with `overrideDeps`.
 */
let deps: Deps | undefined;
let overrides: Partial<Deps> = {};

function secondsFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  const seconds = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`${name} must be a positive number of seconds, got '${raw}'`);
  return seconds;
}

export const pauseDeadlineMs = (env: NodeJS.ProcessEnv = process.env) => secondsFromEnv(env, 'PAUSE_DEADLINE_SECONDS', DEFAULT_PAUSE_DEADLINE_SECONDS) * 1000;
export const pauseWarningLeadMs = (env: NodeJS.ProcessEnv = process.env) =>
  secondsFromEnv(env, 'PAUSE_WARNING_SECONDS', DEFAULT_PAUSE_WARNING_SECONDS) * 1000;

/** Deployed, the pause timers are EventBridge Scheduler schedules; without that configuration, none. */
function expirySchedulerFromEnv(env: NodeJS.ProcessEnv): ExpiryScheduler {
  const { SCHEDULE_GROUP_NAME, PAUSE_TIMER_FUNCTION_ARN, SCHEDULER_ROLE_ARN } = env;
  if (!SCHEDULE_GROUP_NAME || !PAUSE_TIMER_FUNCTION_ARN || !SCHEDULER_ROLE_ARN) return noopExpiryScheduler;
  return new EventBridgeExpiryScheduler({
    groupName: SCHEDULE_GROUP_NAME,
    targetArn: PAUSE_TIMER_FUNCTION_ARN,
    roleArn: SCHEDULER_ROLE_ARN,
    ...(env.SCHEDULER_DLQ_ARN ? { deadLetterArn: env.SCHEDULER_DLQ_ARN } : {}),
    warningLeadMs: pauseWarningLeadMs(env),
  });
}

/** Without a bus configured, publishing fails loudly (the stream retries) instead of dropping events. */
function eventBusFromEnv(env: NodeJS.ProcessEnv): EventBus {
  if (env.EVENT_BUS_NAME) return new EventBridgeBus(env.EVENT_BUS_NAME);
  return {
    publish: async () => {
      throw new Error('EVENT_BUS_NAME is not set: no event bus to publish to');
    },
  };
}

/**
 * Alerts go to the bus and to the SNS topic ALERT_TOPIC_ARN. Without a topic configured, notifying
 * fails loudly (the stream retries, then dead-letters) instead of dropping the alert.
 */
function alertNotifierFromEnv(env: NodeJS.ProcessEnv, bus: EventBus): AlertNotifier {
  const topic: AlertNotifier = env.ALERT_TOPIC_ARN
    ? new SnsAlertNotifier(env.ALERT_TOPIC_ARN)
    : {
        notify: async () => {
          throw new Error('ALERT_TOPIC_ARN is not set: no SNS topic to send alerts to');
        },
      };
  return new FanOutAlertNotifier(new EventBusAlertNotifier(bus), topic);
}

/** Deployed, runs are Step Functions executions; without STATE_MACHINE_ARN none are started (the local runtime injects its own). */
function orchestratorFromEnv(env: NodeJS.ProcessEnv): Orchestrator {
  return env.STATE_MACHINE_ARN ? new StepFunctionsOrchestrator(env.STATE_MACHINE_ARN) : noopOrchestrator;
}

/** How much faster than real time the SIMULATED engine's jobs run (1 = real time). */
export const simulationTimeScale = (env: NodeJS.ProcessEnv = process.env) => {
  const raw = env.SIMULATION_TIME_SCALE;
  const scale = raw === undefined || raw === '' ? 1 : Number(raw);
  if (!Number.isFinite(scale) || scale <= 0) throw new Error(`SIMULATION_TIME_SCALE must be a positive number, got '${raw}'`);
  return scale;
};

export function depsFromEnv(env: NodeJS.ProcessEnv = process.env): Deps {
  const client = getDocumentClient();
  const table = tableName(env);
  const events = eventBusFromEnv(env);
  return {
    projects: new DynamoProjectStore(client, table),
    dataSources: new DynamoDataSourceStore(client, table),
    orchestrator: orchestratorFromEnv(env),
    // The only engine so far is the SIMULATED one; its jobs live in the table, so every invocation sees them.
    engine: new EngineRouter({ simulated: new SimulatedMigrationEngine({ store: new DynamoSimulatedJobStore(client, table), timeScale: simulationTimeScale(env) }) }),
    expiry: expirySchedulerFromEnv(env),
    events,
    alerts: new DynamoAlertStore(client, table),
    alertNotifier: alertNotifierFromEnv(env, events),
    clock: systemClock,
    idempotency: new DynamoIdempotencyStore(client, table),
    newId: randomUUID,
    config: { pauseDeadlineMs: pauseDeadlineMs(env), pauseWarningLeadMs: pauseWarningLeadMs(env) },
  };
}

export function getDeps(): Deps {
  if (!deps) {
    const merged: Deps = { ...depsFromEnv(), ...overrides };
    // Alerts go to whichever bus is in use: an overridden bus gets them too, unless the notifier is overridden as well.
    if (overrides.events && !overrides.alertNotifier) merged.alertNotifier = alertNotifierFromEnv(process.env, merged.events);
    deps = merged;
  }
  return deps;
}

/** Replace some dependencies (local runtime adapters, test fakes); takes effect on the next getDeps(). */
export function overrideDeps(partial: Partial<Deps>): void {
  overrides = { ...overrides, ...partial };
  deps = undefined;
}

export function resetDeps(): void {
  overrides = {};
  deps = undefined;
}
