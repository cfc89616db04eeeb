import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { overrideDeps, pauseWarningLeadMs, simulationTimeScale } from '../../shared/runtime';
import { TABLE } from '../../shared/table';
import { createApiServer } from './api-server';
import { ensureTable, localClient, startDynamoDbLocal } from './dynamodb-local';
import { EventBusAlertNotifier, FanOutAlertNotifier } from '../../shared/adapters/alerts/notifiers';
import { LocalAlertTopic } from './local-alert-topic';
import { LocalEventBus } from './local-event-bus';
import { LocalStreamPoller } from './local-stream';
import { LocalScheduler } from './local-scheduler';
import { LocalStepFunctions } from './local-stepfunctions';
import { loadStateMachine } from './state-machine';

/** The simulated engine runs 60× faster than real time locally: a 10-minute full migration takes 10 s. */
const DEFAULT_LOCAL_TIME_SCALE = '60';

/**
 * `npm start`: the embedded default. DynamoDB Local (data under .local/, so projects survive a restart),
 * the table from the shared definition, and the API on http://localhost:3000 served by the same handler
 * modules API Gateway invokes.
 */
async function main() {
  // @aws-sdk is pinned for Node 20 on purpose; its notice about Node 22 is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Powertools: warnings and errors only, no EMF metric lines on the console (set them to see more).
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const port = Number(process.env.PORT ?? 3000);
  const dataDir = resolve(process.env.LOCAL_DATA_DIR ?? '.local/dynamodb');
  mkdirSync(dataDir, { recursive: true });
  const ddbPort = Number(process.env.DYNAMODB_LOCAL_PORT ?? 8000);
  console.log(`Starting DynamoDB Local (data in ${dataDir}) ...`);
  const ddb = await startDynamoDbLocal({ port: ddbPort, dataDir });
  const tableName = process.env.TABLE_NAME ?? TABLE.defaultName;
  await ensureTable(ddb.endpoint, tableName);
  Object.assign(process.env, {
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: ddb.endpoint,
    AWS_REGION: process.env.AWS_REGION ?? 'local',
    SIMULATION_TIME_SCALE: process.env.SIMULATION_TIME_SCALE ?? DEFAULT_LOCAL_TIME_SCALE,
    MIGRATION_ENGINES: process.env.MIGRATION_ENGINES ?? 'simulated',
  });
  const timeScale = simulationTimeScale();

  // Pause timers: persisted next to the data, fired by calling the same handler the schedules target.
  const { handler: pauseTimer } = await import('../../functions/pause-timer/handler');
  const scheduler = new LocalScheduler(
    resolve(dataDir, '..', 'schedules.json'),
    (input) => pauseTimer(input, { awsRequestId: randomUUID() } as Context),
    pauseWarningLeadMs(),
  );
  // Domain events and alerts: the local bus file, and the alerts "topic" (a log line and .local/alerts.jsonl).
  const events = new LocalEventBus(resolve(dataDir, '..', 'events.jsonl'));
  const alertNotifier = new FanOutAlertNotifier(new EventBusAlertNotifier(events), new LocalAlertTopic(resolve(dataDir, '..', 'alerts.jsonl')));
  // Runs: the state machine `cdk synth` produces, executed in-process; its tasks call the local handler modules.
  const stepFunctions = new LocalStepFunctions({ stateMachine: loadStateMachine(), timeScale });
  overrideDeps({ expiry: scheduler, events, alertNotifier, orchestrator: stepFunctions });
  const pending = scheduler.start();

  // Domain events: the table's stream, read like the deployed event source mapping, into the local bus.
  const { handler: publishDomainEvents } = await import('../../functions/publish-domain-events/handler');
  const stream = new LocalStreamPoller(
    localClient(ddb.endpoint),
    ddb.endpoint,
    tableName,
    (event) => publishDomainEvents(event, { awsRequestId: randomUUID() } as Context),
    resolve(dataDir, '..', 'stream-checkpoint.json'),
  );
  stream.start();

  const server = createApiServer();
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', ok);
  });
  const url = `http://localhost:${port}`;
  // Executions do not survive a restart: the reconciler restarts every RUNNING project from its pending subtasks,
  // and sweeps the pause timers (missing ones created, those of pauses a crash left behind deleted).
  const { handler: reconcile } = await import('../../functions/orchestration-reconciler/handler');
  const reconciled = await reconcile({ graceSeconds: 0, allPauses: true }, { awsRequestId: randomUUID() } as Context);
  const reconcileTimer = setInterval(() => void reconcile({}, { awsRequestId: randomUUID() } as Context).catch((e: unknown) => console.error('reconciler', e)), 5 * 60_000);
  reconcileTimer.unref();
  console.log(`
Migration control plane (embedded default) is up.
  API:            ${url}
  DynamoDB Local: ${ddb.endpoint} (table ${tableName})
  Domain events:  ${resolve(dataDir, '..', 'events.jsonl')}
  Alerts:         ${resolve(dataDir, '..', 'alerts.jsonl')} (and GET /projects/{id}/alerts)
  Pause deadline: ${process.env.PAUSE_DEADLINE_SECONDS ?? 43200} s (warning ${pauseWarningLeadMs() / 1000} s before; ${pending} timer(s) pending)
  Runs:           local Step Functions (synthesized definition), SIMULATED engine at ${timeScale}× real time; ${reconciled.restarted.length} run(s) restarted

Try:
  curl -s -X POST ${url}/data-sources -H 'content-type: application/json' \\
    -d '{"name":"src-mysql","engine":"mysql","host":"10.0.0.5","port":3306,"username":"migrator"}'

Ctrl-C stops the API and DynamoDB Local.`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping ...');
    scheduler.stop();
    stream.stop();
    clearInterval(reconcileTimer);
    stepFunctions.abortAll();
    server.close();
    server.closeAllConnections();
    await ddb.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  ddb.process.once('exit', (code) => {
    if (!stopping) {
      console.error(`DynamoDB Local exited unexpectedly (${code}); stopping.`);
      process.exit(1);
    }
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
