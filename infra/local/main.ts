import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { localBatchQueue } from './local-batch-queue';
import { getDeps, overrideDeps, pauseWarningLeadMs, simulationTimeScale } from '../../shared/runtime';
import { localEngines, registerLocalDataSources } from './local-engines';
import { TABLE } from '../../shared/table';
import { createApiServer, loadFunctionHandler } from './api-server';
import { failSubtaskRoute } from './failure-injection';
import { dataLayout } from './data-layout';
import { DynamoDbPortTaken, ensureTable, localClient, startDynamoDbLocal } from './dynamodb-local';
import { InstanceLifecycle } from './instance-lifecycle';
import { InstanceLock } from './instance-lock';
import { localDataSources, pgDataDirs, startLocalPgClusters } from './local-pg';
import { assertPortsFree, portSetting, portTaken } from './ports';
import { EventBusAlertNotifier, FanOutAlertNotifier } from '../../shared/adapters/alerts/notifiers';
import { LocalAlertTopic } from './local-alert-topic';
import { LocalEventBus } from './local-event-bus';
import { LocalStreamPoller } from './local-stream';
import { LocalScheduler } from './local-scheduler';
import { LocalStepFunctions } from './local-stepfunctions';
import { loadStateMachine } from './state-machine';

/** The simulated engine runs 60× faster than real time locally: a 10-minute full migration takes 10 s. */
const DEFAULT_LOCAL_TIME_SCALE = '60';

const lifecycle = new InstanceLifecycle();

/**
 * `npm start`: the embedded default. DynamoDB Local (data under .local/, so projects survive a restart),
 * the table from the shared definition, two PostgreSQL clusters (source with the demo database `shop`,
 * destination), and the API on http://localhost:3000 served by the same handler
 * modules API Gateway invokes. It owns its data directory (instance.lock) and its ports: a second instance
 * on either is refused in one line before anything starts, and every exit path stops what was started.
 */
async function main() {
  lifecycle.install();
  // @aws-sdk is pinned for Node 20 on purpose; its notice about Node 22 is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Powertools: warnings and errors only, no EMF metric lines on the console (set them to see more).
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const port = portSetting('PORT', 3000);
  const ddbPort = portSetting('DYNAMODB_LOCAL_PORT', 8000);
  const pgSourcePort = portSetting('LOCAL_PG_SOURCE_PORT', 5433);
  const pgDestinationPort = portSetting('LOCAL_PG_DESTINATION_PORT', 5434);
  const layout = dataLayout(process.env.LOCAL_DATA_DIR);
  const lock = InstanceLock.acquire(layout.root, {
    PORT: port,
    DYNAMODB_LOCAL_PORT: ddbPort,
    LOCAL_PG_SOURCE_PORT: pgSourcePort,
    LOCAL_PG_DESTINATION_PORT: pgDestinationPort,
  });
  lifecycle.own('the instance lock', () => lock.release(), () => lock.release());
  if (lock.tookOverFrom !== undefined) console.log(`(took over ${layout.root} from npm start ${lock.tookOverFrom}, which is no longer running)`);
  await assertPortsFree([
    { port, setting: 'PORT', host: '127.0.0.1' },
    { port: ddbPort, setting: 'DYNAMODB_LOCAL_PORT' },
    { port: pgSourcePort, setting: 'LOCAL_PG_SOURCE_PORT', host: '127.0.0.1' },
    { port: pgDestinationPort, setting: 'LOCAL_PG_DESTINATION_PORT', host: '127.0.0.1' },
  ]);

  mkdirSync(layout.dynamodb, { recursive: true });
  console.log(`Starting DynamoDB Local (data in ${layout.dynamodb}) and PostgreSQL (data in ${pgDataDirs(layout.root).source}, ${pgDataDirs(layout.root).destination}) ...`);
  const startDdb = async () => {
    const started = await startDynamoDbLocal({ port: ddbPort, dataDir: layout.dynamodb }).catch((e: unknown) => {
      throw e instanceof DynamoDbPortTaken ? portTaken({ port: ddbPort, setting: 'DYNAMODB_LOCAL_PORT' }) : e;
    });
    const forget = lifecycle.own('DynamoDB Local', () => started.stop(), () => started.process.kill('SIGKILL'));
    if (started.process.pid !== undefined) lock.addChild(started.process.pid, layout.dynamodb);
    started.process.once('exit', (code) => {
      forget();
      void lifecycle.exit(1, `DynamoDB Local exited unexpectedly (${code}); stopping.`);
    });
    return started;
  };
  // Both at once (DynamoDB Local's Java boots while the clusters start); each is owned as soon as it is up.
  const [ddbUp, pgUp] = await Promise.allSettled([
    startDdb(),
    startLocalPgClusters({ root: layout.root, sourcePort: pgSourcePort, destinationPort: pgDestinationPort, lifecycle, lock }),
  ]);
  if (ddbUp.status === 'rejected') throw ddbUp.reason;
  if (pgUp.status === 'rejected') throw pgUp.reason;
  const ddb = ddbUp.value;
  // The clusters as data sources `local-source` and `local-destination` (to register at boot).
  const pgClusters = pgUp.value;
  const pgDataSources = localDataSources(pgClusters);
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
    resolve(layout.root, 'schedules.json'),
    (input) => pauseTimer(input, { awsRequestId: randomUUID() } as Context),
    pauseWarningLeadMs(),
  );
  // Domain events and alerts: the local bus file, and the alerts "topic" (a log line and .local/alerts.jsonl).
  const events = new LocalEventBus(resolve(layout.root, 'events.jsonl'));
  const alertNotifier = new FanOutAlertNotifier(new EventBusAlertNotifier(events), new LocalAlertTopic(resolve(layout.root, 'alerts.jsonl')));
  // Runs: the state machine `cdk synth` produces, executed in-process; its tasks call the local handler modules.
  const stepFunctions = new LocalStepFunctions({ stateMachine: loadStateMachine(), timeScale });
  // Engines: the real PostgreSQL engine for PostgreSQL → PostgreSQL projects, the SIMULATED one for the others.
  const base = getDeps();
  const engines = localEngines(base.dataSources, base.engine);
  // Large batches: the batch worker's handler module, run in-process with bounded concurrency.
  const batchQueue = await localBatchQueue();
  overrideDeps({ expiry: scheduler, events, alertNotifier, orchestrator: stepFunctions, engine: engines.router, batchQueue });
  lifecycle.own('the PostgreSQL engine', () => engines.postgres.close());
  const registered = await registerLocalDataSources(getDeps(), pgDataSources);
  scheduler.start();
  lifecycle.own('the pause timers', () => scheduler.stop());
  lifecycle.own('the runs', () => stepFunctions.abortAll());

  // Domain events: the table's stream, read like the deployed event source mapping, into the local bus.
  const { handler: publishDomainEvents } = await import('../../functions/publish-domain-events/handler');
  const stream = new LocalStreamPoller(
    localClient(ddb.endpoint),
    ddb.endpoint,
    tableName,
    (event) => publishDomainEvents(event, { awsRequestId: randomUUID() } as Context),
    resolve(layout.root, 'stream-checkpoint.json'),
  );
  stream.start();
  lifecycle.own('the stream poller', () => stream.stop());

  // The local-only route to try the failure paths on the SIMULATED engine (never deployed).
  const server = createApiServer(loadFunctionHandler, [failSubtaskRoute(getDeps, base.engine)]);
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => fail(e.code === 'EADDRINUSE' ? portTaken({ port, setting: 'PORT' }) : e));
    server.listen(port, '127.0.0.1', ok);
  });
  lifecycle.own('the API server', () => {
    server.close();
    server.closeAllConnections();
  });
  const url = `http://localhost:${port}`;
  // Executions do not survive a restart: the reconciler restarts every RUNNING project from its pending subtasks,
  // and sweeps the pause timers (missing ones created, those of pauses a crash left behind deleted).
  const { handler: reconcile } = await import('../../functions/orchestration-reconciler/handler');
  // Batches: the in-memory queue is new, so every batch not completed is re-driven (its earlier claims are dead).
  const reconciled = await reconcile({ graceSeconds: 0, allPauses: true, batchQueueRestarted: true }, { awsRequestId: randomUUID() } as Context);
  // Then as deployed: every 5 minutes one independent invocation per worker (a shard's runs, the pause timers).
  const { RECONCILER_WORKERS } = await import('../../shared/usecases/reconcile-shards');
  const reconcileTimer = setInterval(() => {
    for (const worker of RECONCILER_WORKERS) void reconcile(worker, { awsRequestId: randomUUID() } as Context).catch((e: unknown) => console.error('reconciler', worker, e));
  }, 5 * 60_000);
  reconcileTimer.unref();
  lifecycle.own('the reconciler', () => clearInterval(reconcileTimer));
  // Counted after the boot reconcile, which creates the timers a crash lost and deletes those it left behind.
  const pending = scheduler.list().length;
  console.log(`
Migration control plane (embedded default) is up.
  API:            ${url}
  DynamoDB Local: ${ddb.endpoint} (table ${tableName})
  PostgreSQL:     ${registered.map((d) => `${d.name} (data source ${d.id}) postgresql://${d.username}@${d.host}:${d.port}/${d.database}`).join('\n                  ')}
  Domain events:  ${resolve(layout.root, 'events.jsonl')}
  Alerts:         ${resolve(layout.root, 'alerts.jsonl')} (and GET /projects/{id}/alerts)
  Pause deadline: ${process.env.PAUSE_DEADLINE_SECONDS ?? 43200} s (warning ${pauseWarningLeadMs() / 1000} s before; ${pending} timer(s) pending)
  Runs:           local Step Functions (synthesized definition); ${reconciled.restarted.length} run(s) restarted
  Engines:        PostgreSQL → PostgreSQL projects on the real PostgreSQL engine; other pairs on the SIMULATED engine at ${timeScale}× real time

Try (the README's first session):
  curl -s ${url}/data-sources | jq -c '.items[] | {id,name,engine}'

Ctrl-C stops the API, DynamoDB Local and the PostgreSQL clusters.`);
}

main().catch((e: unknown) => lifecycle.fail(e));
