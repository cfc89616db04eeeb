/**
 * P1 latency overhead: the API through the local HTTP server vs the bare DynamoDB request it is built
 * on, on the same DynamoDB Local, interleaved in one run (alternating which goes first), after a warm-up.
 *
 *  - GET /projects/{id}  vs  GetItem (ConsistentRead, as the store reads)         target: p50 ratio ≤ 1.5
 *  - POST /projects/{id}/pause (read, TransactWriteItems with its audit event, LocalScheduler timers in a
 *    temp file)  vs  one conditional UpdateItem making the same state change      target: p50 ratio ≤ 2.0
 *    Fairness: both sides pause a RUNNING project item of the same shape and then put it back
 *    (resume through the API; the reverse UpdateItem for the baseline) outside the timed region, so each
 *    timed sample is exactly one transition and pending timers never pile up.
 *  - handler-only overhead (event in → response out, DynamoDB mocked with aws-sdk-client-mock): µs.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { loadFunctionHandler } from '../infra/local/api-server';
import { setDocumentClient } from '../shared/adapters/dynamodb/client';
import { InMemoryExpiryScheduler } from '../shared/adapters/memory/scheduler';
import { InMemoryOrchestrator } from '../shared/adapters/memory/orchestrator';
import { SimulatedMigrationEngine } from '../shared/adapters/engine/simulated-engine';
import { overrideDeps, resetDeps } from '../shared/runtime';
import { keys } from '../shared/table';
import { iterations } from './lib/config';
import { lambdaContext, proxyEvent } from './lib/events';
import { seedProjects, startLocalStack } from './lib/local-stack';
import { formatNumber, machineFacts, mdTable, writeSection, type Figure, runMain } from './lib/report';
import { ratio, round, summarize, type Summary } from './lib/stats';
import { interleave } from './lib/timing';
import { shardOf } from '../shared/domain/shards';

const GET_WARMUP = iterations(300);
const GET_ITERATIONS = iterations(2000);
const PAUSE_WARMUP = iterations(100);
const PAUSE_ITERATIONS = iterations(800);
const HANDLER_WARMUP = iterations(2000);
const HANDLER_ITERATIONS = iterations(20000);
const POOL = 4;

async function main() {
  const machine = machineFacts();
  const started = Date.now();
  const stack = await startLocalStack();
  const { http, baselineClient: bare, tableName } = stack;

  // --- GET /projects/{id} vs GetItem -------------------------------------------------------------
  const [getId] = await seedProjects(http, 1, { running: true });
  const apiGet = async () => {
    const r = await http.send('GET', `/projects/${getId}`);
    if (r.status !== 200) throw new Error(`GET ${r.status} ${r.body}`);
  };
  const bareGet = async () => {
    const out = await bare.send(new GetCommand({ TableName: tableName, Key: keys.project(getId as string), ConsistentRead: true }));
    if (!out.Item) throw new Error('GetItem found nothing');
  };
  await interleave(GET_WARMUP, [apiGet, bareGet]);
  const [getApi = [], getBare = []] = await interleave(GET_ITERATIONS, [apiGet, bareGet]);
  const cannedItem = (await bare.send(new GetCommand({ TableName: tableName, Key: keys.project(getId as string), ConsistentRead: true }))).Item;

  // --- POST pause vs one conditional UpdateItem (and the design's own floor) -------------------------
  const apiIds = await seedProjects(http, POOL, { running: true });
  const bareIds = await seedProjects(http, POOL, { running: true });
  const designIds = await seedProjects(http, POOL, { running: true });
  const version = new Map<string, number>();
  for (const id of [...bareIds, ...designIds]) {
    const out = await bare.send(new GetCommand({ TableName: tableName, Key: keys.project(id), ConsistentRead: true }));
    version.set(id, (out.Item as { version: number }).version);
  }
  const NAMES = { '#pk': 'pk', '#status': 'status', '#version': 'version', '#updatedAt': 'updatedAt', '#pausedAt': 'pausedAt', '#pauseExpiresAt': 'pauseExpiresAt', '#gsi2pk': 'gsi2pk' };
  const transitionUpdate = (id: string, from: string, to: string, current: number) => {
    const now = new Date();
    const pausing = to === 'PAUSED';
    return {
      TableName: tableName,
      Key: keys.project(id),
      UpdateExpression: pausing
        ? 'SET #status = :to, #version = :next, #updatedAt = :now, #pausedAt = :now, #pauseExpiresAt = :exp, #gsi2pk = :gsi'
        : 'SET #status = :to, #version = :next, #updatedAt = :now, #gsi2pk = :gsi REMOVE #pausedAt, #pauseExpiresAt',
      ConditionExpression: 'attribute_exists(#pk) AND #status = :from AND #version = :version',
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: {
        ':to': to,
        ':from': from,
        ':version': current,
        ':next': current + 1,
        ':now': now.toISOString(),
        ':gsi': keys.statusPartition(to, shardOf(id)),
        ...(pausing ? { ':exp': new Date(now.getTime() + 12 * 3600_000).toISOString() } : {}),
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
  };
  /** The floor: one conditional UpdateItem. */
  const bareTransition = async (id: string, from: string, to: string) => {
    const current = version.get(id) as number;
    await bare.send(new UpdateCommand(transitionUpdate(id, from, to, current)));
    version.set(id, current + 1);
  };
  /** The same design as the API without it (read for version and item, then the update + audit event in one transaction). */
  const designPause = async (id: string) => {
    const read = await bare.send(new GetCommand({ TableName: tableName, Key: keys.project(id), ConsistentRead: true }));
    const current = (read.Item as { version: number }).version;
    await bare.send(
      new TransactWriteCommand({
        TransactItems: [
          { Update: transitionUpdate(id, 'RUNNING', 'PAUSED', current) },
          {
            Put: {
              TableName: tableName,
              Item: { ...keys.projectEvent(id, current + 1), at: new Date().toISOString(), operation: 'pause', from: 'RUNNING', to: 'PAUSED', actor: 'bench', requestId: 'bench', version: current + 1 },
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: { '#pk': 'pk' },
            },
          },
        ],
      }),
    );
    version.set(id, current + 1);
  };
  const pick = (ids: string[], i: number) => ids[i % ids.length] as string;
  const apiPause = async (i: number) => http.json('POST', `/projects/${pick(apiIds, i)}/pause`, [200]);
  const barePause = async (i: number) => bareTransition(pick(bareIds, i), 'RUNNING', 'PAUSED');
  const designFloorPause = async (i: number) => designPause(pick(designIds, i));
  const putBack = async (i: number) => {
    await http.json('POST', `/projects/${pick(apiIds, i)}/resume`, [200]);
    await bareTransition(pick(bareIds, i), 'PAUSED', 'RUNNING');
    await bareTransition(pick(designIds, i), 'PAUSED', 'RUNNING');
  };
  await interleave(PAUSE_WARMUP, [apiPause, barePause, designFloorPause], putBack);
  const [pauseApi = [], pauseBare = [], pauseDesign = []] = await interleave(PAUSE_ITERATIONS, [apiPause, barePause, designFloorPause], putBack);
  const pendingTimers = stack.scheduler.list().length;
  await stack.stop();

  // --- handler-only: event in → response out, DynamoDB mocked --------------------------------------
  const mock = mockClient(DynamoDBDocumentClient);
  mock.on(GetCommand).resolves({ Item: cannedItem });
  mock.on(TransactWriteCommand).resolves({});
  process.env.TABLE_NAME = tableName;
  setDocumentClient(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'local', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })));
  resetDeps();
  overrideDeps({ expiry: new InMemoryExpiryScheduler(30 * 60_000), orchestrator: new InMemoryOrchestrator(), engine: new SimulatedMigrationEngine() });
  const getHandler = await loadFunctionHandler('get-project');
  const lifecycleHandler = await loadFunctionHandler('project-lifecycle');
  const measureHandler = async (make: () => Parameters<typeof getHandler>[0], handler: typeof getHandler, fn: string, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const event = make();
      const context = lambdaContext(fn);
      const t = process.hrtime.bigint();
      const r = await handler(event, context);
      out.push(Number(process.hrtime.bigint() - t) / 1e3);
      if (r.statusCode !== 200) throw new Error(`${fn}: ${r.statusCode} ${r.body}`);
    }
    return out;
  };
  const mockedSend = async (n: number) => {
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'local' }));
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = process.hrtime.bigint();
      await client.send(new GetCommand({ TableName: tableName, Key: keys.project(getId as string) }));
      out.push(Number(process.hrtime.bigint() - t) / 1e3);
    }
    return out;
  };
  const getEvent = () => proxyEvent('GET', `/projects/${getId}`);
  const pauseEvent = () => proxyEvent('POST', `/projects/${getId}/pause`);
  await measureHandler(getEvent, getHandler, 'get-project', HANDLER_WARMUP);
  await measureHandler(pauseEvent, lifecycleHandler, 'project-lifecycle', HANDLER_WARMUP);
  await mockedSend(HANDLER_WARMUP);
  const handlerGet = await measureHandler(getEvent, getHandler, 'get-project', HANDLER_ITERATIONS);
  const handlerPause = await measureHandler(pauseEvent, lifecycleHandler, 'project-lifecycle', HANDLER_ITERATIONS);
  const mockOnly = await mockedSend(HANDLER_ITERATIONS);
  mock.restore();

  // --- report -----------------------------------------------------------------------------------------
  const s = {
    apiGet: summarize(getApi),
    bareGet: summarize(getBare),
    apiPause: summarize(pauseApi),
    barePause: summarize(pauseBare),
    designPause: summarize(pauseDesign),
    handlerGet: summarize(handlerGet),
    handlerPause: summarize(handlerPause),
    mockOnly: summarize(mockOnly),
  };
  const getRatio = ratio(s.apiGet.p50, s.bareGet.p50);
  const pauseRatio = ratio(s.apiPause.p50, s.barePause.p50);
  const designRatio = ratio(s.designPause.p50, s.barePause.p50);
  const apiOverDesign = ratio(s.apiPause.p50, s.designPause.p50);
  const pauseNote =
    pauseRatio <= 2.0
      ? undefined
      : `the design's own floor — a consistent GetItem then a 2-item TransactWriteItems (project update + audit event), no API — is ` +
        `${formatNumber(designRatio, '×')} the single UpdateItem on DynamoDB Local; the API adds ${formatNumber(apiOverDesign, '×')} over that floor`;
  const figures: Figure[] = [
    { id: 'P1.get', name: 'P1 GET /projects/{id} vs GetItem', target: 'p50 ratio ≤ 1.5', limit: 1.5, comparator: '<=', value: round(getRatio), unit: '×' },
    { id: 'P1.pause', name: 'P1 POST pause vs conditional UpdateItem', target: 'p50 ratio ≤ 2.0', limit: 2.0, comparator: '<=', value: round(pauseRatio), unit: '×', ...(pauseNote ? { note: pauseNote } : {}) },
    { id: 'P1.pause.design', name: 'P1 POST pause vs the same design without the API (GetItem + TransactWriteItems)', target: 'report (p50 ratio)', limit: null, comparator: '<=', value: round(apiOverDesign), unit: '×' },
    { id: 'P1.handler.get', name: 'P1 handler-only GET (DynamoDB mocked)', target: 'report (µs)', limit: null, comparator: '<=', value: round(s.handlerGet.p50, 1), unit: 'µs p50' },
    { id: 'P1.handler.pause', name: 'P1 handler-only pause (DynamoDB mocked)', target: 'report (µs)', limit: null, comparator: '<=', value: round(s.handlerPause.p50, 1), unit: 'µs p50' },
  ];
  const row = (name: string, x: Summary, unit: string) => [name, x.n, formatNumber(x.p50, unit), formatNumber(x.p90, unit), formatNumber(x.p99, unit), formatNumber(x.mean, unit)];
  // What the API adds on top of the floor, split with the handler-only figure (all p50s, so approximate).
  const splitRow = (api: Summary, floor: Summary, handler: Summary) => {
    const added = api.p50 - floor.p50;
    const handlerMs = handler.p50 / 1000;
    return [formatNumber(added, 'ms'), formatNumber(handlerMs, 'ms'), formatNumber(added - handlerMs, 'ms')];
  };
  const markdown = [
    `Interleaved in one process and one run, alternating which side goes first; warm-up ${GET_WARMUP} (GET) and ${PAUSE_WARMUP} (pause) rounds first, then`,
    `${GET_ITERATIONS} GET pairs and ${PAUSE_ITERATIONS} pause pairs. The API side is a keep-alive HTTP/1.1 request on loopback to the local`,
    'server (`createApiServer()`, port 0) that builds the API Gateway proxy event and calls the same handler module; the floor is the',
    'same request made directly with a document client of the same configuration on the same DynamoDB Local (in memory).',
    '',
    `Pause is measured fairly as one transition per sample on both sides: ${POOL} RUNNING projects per side (created and started through`,
    'the API, so both items have the same shape); each round pauses one on each side (timed) and then puts both back outside the timed',
    'region (resume through the API, which also cancels the timers; the reverse conditional UpdateItem for the floor). The API pause',
    'reads the project (GetItem, consistent), writes a TransactWriteItems (the conditional project update + its audit event) and',
    `creates its two pause timers in the LocalScheduler (a temp JSON file); ${pendingTimers} timers were pending at the end.`,
    'The floor is one UpdateItem with `attribute_exists(pk) AND status = :from AND version = :v`, setting the same attributes.',
    `A third side, interleaved too on its own ${POOL} projects, is the same design without the API: a consistent GetItem and the`,
    'TransactWriteItems holding the same conditional update and an audit-event Put: it separates what the design costs on',
    'DynamoDB Local from what our code adds.',
    '',
    mdTable(['request', 'n', 'p50', 'p90', 'p99', 'mean'], [
      row('GET /projects/{id} (HTTP → handler → GetItem)', s.apiGet, 'ms'),
      row('GetItem (bare)', s.bareGet, 'ms'),
      row('POST /projects/{id}/pause (HTTP → handler → GetItem + TransactWriteItems + timers)', s.apiPause, 'ms'),
      row('conditional UpdateItem (bare)', s.barePause, 'ms'),
      row('GetItem + TransactWriteItems(update + audit event) (bare: the design without the API)', s.designPause, 'ms'),
    ]),
    '',
    mdTable(['ratio', 'p50', 'p99', 'target', 'verdict'], [
      ['GET / GetItem', formatNumber(getRatio, '×'), formatNumber(ratio(s.apiGet.p99, s.bareGet.p99), '×'), 'p50 ≤ 1.5', getRatio <= 1.5 ? 'met' : 'missed'],
      ['pause / UpdateItem', formatNumber(pauseRatio, '×'), formatNumber(ratio(s.apiPause.p99, s.barePause.p99), '×'), 'p50 ≤ 2.0', pauseRatio <= 2.0 ? 'met' : 'missed'],
      ['(GetItem + TransactWriteItems) / UpdateItem', formatNumber(designRatio, '×'), formatNumber(ratio(s.designPause.p99, s.barePause.p99), '×'), '—', 'the design floor'],
      ['pause / (GetItem + TransactWriteItems)', formatNumber(apiOverDesign, '×'), formatNumber(ratio(s.apiPause.p99, s.designPause.p99), '×'), '—', 'what the API adds'],
    ]),
    ...(pauseNote ? ['', `**Pause target missed**: ${pauseNote}. See "Why pause misses" below.`] : []),
    '',
    'Where the added time goes (p50 differences; "handler" is the mocked handler-only time below, the rest is the loopback HTTP',
    'request, the local server building the event, and — for pause — the extra DynamoDB work the transition does beyond the floor):',
    '',
    mdTable(['request', 'added over the floor', 'of which handler code', 'rest'], [
      ['GET', ...splitRow(s.apiGet, s.bareGet, s.handlerGet)],
      ['pause', ...splitRow(s.apiPause, s.barePause, s.handlerPause)],
    ]),
    '',
    `Handler-only: the Lambda handler called in-process with an API Gateway proxy event, DynamoDB mocked with aws-sdk-client-mock`,
    `(GetItem returns a canned RUNNING project item, TransactWriteItems succeeds), pause timers a no-op port; warm-up ${HANDLER_WARMUP},`,
    `then ${HANDLER_ITERATIONS} calls each. The mocked send alone is shown so its share can be taken out.`,
    '',
    mdTable(['handler', 'n', 'p50', 'p90', 'p99', 'mean'], [
      row('get-project (GET /projects/{id})', s.handlerGet, 'µs'),
      row('project-lifecycle (POST /projects/{id}/pause)', s.handlerPause, 'µs'),
      row('mocked DocumentClient.send(GetCommand) alone', s.mockOnly, 'µs'),
    ]),
    ...(pauseNote
      ? [
          '',
          '### Why pause misses',
          '',
          'The pause is a read and a two-item transaction by design: the use case reads the project (its version keys the audit',
          'event and goes into the write\'s condition; the response returns the whole project), then commits the conditional update',
          'and the audit event atomically in one TransactWriteItems. On DynamoDB Local a TransactWriteItems is much slower than an',
          'UpdateItem, and the read is a second round trip, so the design floor measured above already exceeds 2× the bare',
          'UpdateItem before any of our code runs; the handler itself costs about a tenth of a millisecond (handler-only table),',
          'and the rest of what the API adds is the loopback HTTP hop and the local scheduler\'s timer file (written and renamed before',
          'the pause answers, like a schedule that exists once CreateSchedule returns). Meeting 2.0× needs one single-item write per',
          'transition: an UpdateItem that `SET version = version + 1` without reading first, returns `ALL_OLD` (the response and',
          'the side effects follow from it) and keeps the audit event inside the project item (a journal entry keyed by the request),',
          'which a stream consumer archives as its EVENT# item; the events API would merge the journal until it is archived. That',
          'keeps the event atomic with the transition and would also halve the write units (no transactional 2×), at the price of an',
          'archiver whose failure must never drop a journal entry. It is a change of the lifecycle write path that the reliability',
          'suite (issue 9) must first cover, not a change of the benchmark: left open, with this measurement as its baseline.',
        ]
      : []),
  ].join('\n');
  writeSection({
    id: 'latency',
    title: 'P1 latency overhead',
    command: 'npm run bench:latency',
    machine,
    durationSeconds: (Date.now() - started) / 1000,
    figures,
    data: { ratios2: { designOverUpdate: designRatio, apiOverDesign }, iterations: { GET_WARMUP, GET_ITERATIONS, PAUSE_WARMUP, PAUSE_ITERATIONS, HANDLER_WARMUP, HANDLER_ITERATIONS, pool: POOL }, summaries: s, ratios: { get: getRatio, pause: pauseRatio } },
    markdown,
  });
}

runMain(main);
