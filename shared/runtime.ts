import { randomUUID } from 'node:crypto';
import { EventBusAlertNotifier, FanOutAlertNotifier } from './adapters/alerts/notifiers';
import { DynamoAlertStore } from './adapters/dynamodb/alert-store';
import { DynamoBatchStore } from './adapters/dynamodb/batch-store';
import { SqsBatchQueue } from './adapters/sqs/batch-queue';
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
import { ObserveOnlyEngine } from './adapters/engine/observe-only';
import { engineFactory } from './engine-factories';
import { StepFunctionsOrchestrator } from './adapters/stepfunctions/sfn-orchestrator';
import type { AlertNotifier, BatchQueue, DataSourceStore, EngineKind, EventBus, ExpiryScheduler, MigrationEngine, Orchestrator } from './ports';
import type { SideEffectPort } from './domain/effects';
import { capabilitiesOf, knownFunction, portsNeededBy } from './wiring';
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

/**
 * A port this function was not given: every use fails loudly, naming what is missing. Only functions
 * whose operations do not need the port get one (and the local runtime and tests override it).
 */
function unconfigured<T extends object>(port: string, hint: string): T {
  return new Proxy({} as T, {
    get: (_t, method) =>
      method === 'then' || method === 'kinds'
        ? undefined
        : () => Promise.reject(new Error(`the ${port} port is not configured in this function (${hint}); its operations do not declare a use of it`)),
  });
}

/** Deployed, the pause timers are EventBridge Scheduler schedules. */
function expirySchedulerFromEnv(env: NodeJS.ProcessEnv): ExpiryScheduler | undefined {
  const { SCHEDULE_GROUP_NAME, PAUSE_TIMER_FUNCTION_ARN, SCHEDULER_ROLE_ARN } = env;
  if (!SCHEDULE_GROUP_NAME || !PAUSE_TIMER_FUNCTION_ARN || !SCHEDULER_ROLE_ARN) return undefined;
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

/** Deployed, runs are Step Functions executions. */
function orchestratorFromEnv(env: NodeJS.ProcessEnv): Orchestrator | undefined {
  return env.STATE_MACHINE_ARN ? new StepFunctionsOrchestrator(env.STATE_MACHINE_ARN) : undefined;
}

/** The engines this deployment runs (MIGRATION_ENGINES, comma-separated kinds, set by the construct's `engine` setting). */
function engineFromEnv(env: NodeJS.ProcessEnv, client: ReturnType<typeof getDocumentClient>, table: string, dataSources: DataSourceStore): MigrationEngine | undefined {
  const fn = env.CONTROL_PLANE_FUNCTION;
  const raw = env.MIGRATION_ENGINES;
  if (!raw) return undefined;
  // What the deployed function does with jobs (none outside a deployed function: tests and the local runtime).
  const caps = fn !== undefined && knownFunction(fn) ? capabilitiesOf(fn) : [];
  const engines: Partial<Record<EngineKind, MigrationEngine>> = {};
  for (const kind of raw.split(',').map((k) => k.trim()).filter(Boolean)) {
    if (kind === 'simulated') {
      // The SIMULATED engine (demos and tests): its jobs live in the table, so every invocation sees them.
      engines.simulated = new SimulatedMigrationEngine({ store: new DynamoSimulatedJobStore(client, table), timeScale: simulationTimeScale(env) });
    } else if (kind === 'aws-dms') {
      // AWS DMS (DMS_* set by the DmsEngine construct); it reads the data sources' endpoints from the store. A
      // function whose work makes or drops write-stop positions must have the position reader (DMS_POSITION_READER).
      // Provided by shared/deployed-engines.ts, which the handlers of functions that run or observe jobs import.
      const factory = engineFactory('aws-dms');
      if (!factory) throw new Error(`MIGRATION_ENGINES names 'aws-dms', but this function${fn ? ` (${fn})` : ''} was built without it: its handler must import shared/deployed-engines`);
      engines['aws-dms'] = factory(env, (id) => dataSources.get(id), { requirePositionReader: caps.includes('positions') });
    } else {
      throw new Error(`MIGRATION_ENGINES names '${kind}', which this build cannot run (known: simulated, aws-dms)`);
    }
  }
  const router = new EngineRouter(engines);
  // A function that may only look at jobs (jobs:poll without jobs) gets an engine that refuses the rest, as its grants do.
  return caps.includes('jobs:poll') && !caps.includes('jobs') ? new ObserveOnlyEngine(router, fn!) : router;
}

/** Deployed, large batches wait on an SQS queue for the batch worker. */
function batchQueueFromEnv(env: NodeJS.ProcessEnv): BatchQueue | undefined {
  return env.BATCH_QUEUE_URL ? new SqsBatchQueue(env.BATCH_QUEUE_URL) : undefined;
}

/** What configures each side-effect port, for the error that names it. */
const PORT_SETTINGS: Record<SideEffectPort, string> = {
  orchestrator: 'STATE_MACHINE_ARN',
  engine: 'MIGRATION_ENGINES',
  expiry: 'SCHEDULE_GROUP_NAME, PAUSE_TIMER_FUNCTION_ARN and SCHEDULER_ROLE_ARN',
  batchQueue: 'BATCH_QUEUE_URL',
};

/**
 * The side-effect ports of this function. Deployed, CONTROL_PLANE_FUNCTION names the function: every
 * port its operations need (shared/wiring.ts) must be configured, or the function fails at init. A port
 * it does not need, or any port outside a deployed function (the local runtime and tests inject theirs),
 * refuses every use with an error that names it: nothing is silently dropped.
 */
function sideEffectPorts(env: NodeJS.ProcessEnv, client: ReturnType<typeof getDocumentClient>, table: string, dataSources: DataSourceStore): Pick<Deps, SideEffectPort> {
  const built = {
    orchestrator: orchestratorFromEnv(env),
    engine: engineFromEnv(env, client, table, dataSources),
    expiry: expirySchedulerFromEnv(env),
    batchQueue: batchQueueFromEnv(env),
  };
  const fn = env.CONTROL_PLANE_FUNCTION;
  if (fn !== undefined) {
    if (!knownFunction(fn)) throw new Error(`CONTROL_PLANE_FUNCTION '${fn}' is not a function of this control plane`);
    const missing = portsNeededBy(fn).filter((port) => built[port] === undefined);
    if (missing.length) {
      throw new Error(`function ${fn} needs the ${missing.join(', ')} port(s) for its operations, but ${missing.map((p) => PORT_SETTINGS[p]).join('; ')} is not set`);
    }
  }
  const hint = (port: SideEffectPort) => `${PORT_SETTINGS[port]} not set${fn ? ` for ${fn}` : ''}`;
  return {
    orchestrator: built.orchestrator ?? unconfigured<Orchestrator>('orchestrator', hint('orchestrator')),
    engine: built.engine ?? unconfigured<MigrationEngine>('engine', hint('engine')),
    expiry: built.expiry ?? unconfigured<ExpiryScheduler>('expiry', hint('expiry')),
    batchQueue: built.batchQueue ?? unconfigured<BatchQueue>('batchQueue', hint('batchQueue')),
  };
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
  const dataSources = new DynamoDataSourceStore(client, table);
  return {
    projects: new DynamoProjectStore(client, table),
    dataSources,
    ...sideEffectPorts(env, client, table, dataSources),
    events,
    alerts: new DynamoAlertStore(client, table),
    batches: new DynamoBatchStore(client, table),
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

// Deployed (the construct sets CONTROL_PLANE_FUNCTION), the dependencies are built at init: a function whose
// operations need a port it was not given fails its init with the error that names the missing setting.
if (process.env.CONTROL_PLANE_FUNCTION !== undefined) getDeps();
