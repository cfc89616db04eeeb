/**
 * P4 cost: what one lifecycle call costs in AWS requests, counted on the embedded default.
 *  - DynamoDB: every request the handlers send goes through a middleware on their document client
 *    (`setDocumentClient`) that asks for ReturnConsumedCapacity INDEXES and records the command, the
 *    items it writes, and the consumed write/read capacity (table + indexes). Target: ≤ 2 write
 *    requests per lifecycle transition.
 *  - Lambda invocations (counted at the local API server), EventBridge Scheduler calls (counted on the
 *    scheduler port), and a per-project cost estimate from the unit prices in bench/prices.ts.
 *  - Step Functions transitions and the state machine's Lambda invocations: bench/orchestration.ts.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { pauseTimerNames, pauseTimers } from '../shared/domain/pause-timers';
import type { ExpiryScheduler } from '../shared/ports';
import { pauseWarningLeadMs } from '../shared/runtime';
import { iterations } from './lib/config';
import { MIGRATION_TYPE, startLocalStack } from './lib/local-stack';
import { formatNumber, machineFacts, mdTable, writeSection, type Figure, runMain } from './lib/report';
import { median } from './lib/stats';
import { capacityOf, type Capacity } from './lib/capacity';
import { ASSUMPTIONS, PRICES } from './prices';

const PROJECTS = iterations(20);
const WRITE_LIMIT = 2;

interface DdbRequest {
  command: string;
  write: boolean;
  itemsWritten: number;
  wcu: number;
  indexWcu: number;
  rcu: number;
  failed: boolean;
}

const WRITE_COMMANDS: Record<string, (input: any) => number> = {
  PutItemCommand: () => 1,
  UpdateItemCommand: () => 1,
  DeleteItemCommand: () => 1,
  TransactWriteItemsCommand: (input) => (input.TransactItems as unknown[]).length,
  BatchWriteItemCommand: (input) => Object.values(input.RequestItems as Record<string, unknown[]>).reduce((n, r) => n + r.length, 0),
};

function countRequests(client: DynamoDBDocumentClient, sink: () => DdbRequest[]): DynamoDBDocumentClient {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const command = context.commandName ?? 'unknown';
      const writeItems = WRITE_COMMANDS[command];
      input.ReturnConsumedCapacity = 'INDEXES';
      const record: DdbRequest = { command, write: writeItems !== undefined, itemsWritten: writeItems ? writeItems(input) : 0, wcu: 0, indexWcu: 0, rcu: 0, failed: false };
      sink().push(record);
      try {
        const out = await next(args);
        if (process.env.BENCH_DEBUG) console.log(command, JSON.stringify((out.output as { ConsumedCapacity?: unknown }).ConsumedCapacity));
        Object.assign(record, capacityOf((out.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity, record.write));
        return out;
      } catch (e) {
        record.failed = true;
        throw e;
      }
    },
    { step: 'initialize', name: 'benchConsumedCapacity', priority: 'high' },
  );
  return client;
}

interface CallCost {
  call: string;
  transitions: number;
  requests: DdbRequest[];
  lambda: number;
  schedulerCreates: number;
  schedulerDeletes: number;
}

async function main() {
  const machine = machineFacts();
  const started = Date.now();
  let current: DdbRequest[] = [];
  const scheduled = { creates: 0, deletes: 0 };
  const warningLeadMs = pauseWarningLeadMs();
  const stack = await startLocalStack({
    decorateClient: (c) => countRequests(c, () => current),
    decorateScheduler: (s): ExpiryScheduler => ({
      schedulePauseExpiry: async (p) => {
        scheduled.creates += pauseTimers(p, warningLeadMs).length;
        await s.schedulePauseExpiry(p);
      },
      cancelPauseExpiry: async (p) => {
        scheduled.deletes += pauseTimerNames(p).length;
        await s.cancelPauseExpiry(p);
      },
      listPauseTimers: () => s.listPauseTimers(),
    }),
  });
  const { http } = stack;
  const totalInvocations = () => [...stack.invocations.values()].reduce((a, b) => a + b, 0);
  const measured: CallCost[] = [];
  const measure = async <T>(call: string, transitions: number, fn: () => Promise<T>): Promise<T> => {
    current = [];
    const lambdaBefore = totalInvocations();
    const s0 = { ...scheduled };
    const out = await fn();
    measured.push({ call, transitions, requests: current, lambda: totalInvocations() - lambdaBefore, schedulerCreates: scheduled.creates - s0.creates, schedulerDeletes: scheduled.deletes - s0.deletes });
    return out;
  };

  const ds = async (name: string, engine: string) =>
    (await http.json('POST', '/data-sources', [201], { body: { name, engine, host: 'db.internal', port: 3306, username: 'migrator' } })).id as string;
  const sourceId = await ds('cost-src', 'mysql');
  const destinationId = await ds('cost-dst', 'oceanbase-mysql');
  // One project run, as an operator drives it; release passes RELEASING → RELEASED (two transitions).
  for (let i = 0; i < PROJECTS; i++) {
    const name = `cost-${i}`;
    const p = await measure('POST /projects (create)', 0, () => http.json('POST', '/projects', [201], { body: { name, sourceId, destinationId, migrationType: MIGRATION_TYPE } }));
    await measure('GET /projects/{id}', 0, () => http.json('GET', `/projects/${p.id}`, [200]));
    await measure('POST start', 1, () => http.json('POST', `/projects/${p.id}/start`, [200]));
    await measure('PUT alert-config', 1, () => http.json('PUT', `/projects/${p.id}/alert-config`, [200], { body: { level: 'HIGH' } }));
    await measure('POST pause', 1, () => http.json('POST', `/projects/${p.id}/pause`, [200]));
    await measure('POST resume', 1, () => http.json('POST', `/projects/${p.id}/resume`, [200]));
    await measure('POST pause', 1, () => http.json('POST', `/projects/${p.id}/pause`, [200]));
    await measure('POST release (RELEASING → RELEASED)', 2, () => http.json('POST', `/projects/${p.id}/release`, [200]));
    await measure('DELETE /projects/{id}', 1, () => http.send('DELETE', `/projects/${p.id}?confirmName=${name}`).then((r) => {
      if (r.status !== 204) throw new Error(`delete ${r.status} ${r.body}`);
    }));
  }
  await stack.stop();

  // Per call: medians over the projects (the counts are deterministic; capacity depends on item size).
  const calls = [...new Set(measured.map((m) => m.call))];
  const perCall = calls.map((call) => {
    const ms = measured.filter((m) => m.call === call);
    const pick = (f: (m: CallCost) => number) => median(ms.map(f));
    const writes = (m: CallCost) => m.requests.filter((r) => r.write);
    const transitions = ms[0]?.transitions ?? 0;
    return {
      call,
      samples: ms.length,
      transitions,
      readRequests: pick((m) => m.requests.filter((r) => !r.write).length),
      writeRequests: pick((m) => writes(m).length),
      itemsWritten: pick((m) => writes(m).reduce((n, r) => n + r.itemsWritten, 0)),
      wcu: pick((m) => m.requests.reduce((n, r) => n + r.wcu, 0)),
      indexWcu: pick((m) => m.requests.reduce((n, r) => n + r.indexWcu, 0)),
      rcu: pick((m) => m.requests.reduce((n, r) => n + r.rcu, 0)),
      commands: [...new Set(ms.flatMap((m) => m.requests.map((r) => r.command.replace(/Command$/, ''))))].join(' + '),
      failed: pick((m) => m.requests.filter((r) => r.failed).length),
      lambda: pick((m) => m.lambda),
      schedulerCalls: pick((m) => m.schedulerCreates + m.schedulerDeletes),
    };
  });
  const transitionCalls = perCall.filter((c) => c.transitions > 0);
  const maxWritesPerTransition = Math.max(...transitionCalls.map((c) => c.writeRequests / c.transitions));
  const maxItemsPerTransition = Math.max(...transitionCalls.map((c) => c.itemsWritten / c.transitions));
  const worstItems = transitionCalls.reduce((a, b) => (b.itemsWritten / b.transitions > a.itemsWritten / a.transitions ? b : a));

  // One project run: create, start, pause, resume, release, delete (+ one read), priced.
  const RUN = ['POST /projects (create)', 'GET /projects/{id}', 'POST start', 'POST pause', 'POST resume', 'POST release (RELEASING → RELEASED)', 'DELETE /projects/{id}'];
  const runCalls = RUN.map((c) => perCall.find((p) => p.call === c)).filter((c): c is (typeof perCall)[number] => c !== undefined);
  const sum = (f: (c: (typeof perCall)[number]) => number) => runCalls.reduce((n, c) => n + f(c), 0);
  const run = {
    apiRequests: runCalls.length,
    lambda: sum((c) => c.lambda),
    wru: sum((c) => c.wcu),
    rru: sum((c) => c.rcu),
    writeRequests: sum((c) => c.writeRequests),
    readRequests: sum((c) => c.readRequests),
    schedulerCalls: sum((c) => c.schedulerCalls),
  };
  const gbSeconds = run.lambda * (ASSUMPTIONS.lambdaMemoryMb / 1024) * (ASSUMPTIONS.lambdaBilledMsPerInvocation / 1000);
  const lines = [
    ['API Gateway REST requests', run.apiRequests, PRICES.apiGatewayRestRequest],
    ['Lambda invocations', run.lambda, PRICES.lambdaRequest],
    [`Lambda compute (${run.lambda} × ${ASSUMPTIONS.lambdaMemoryMb} MB × ${ASSUMPTIONS.lambdaBilledMsPerInvocation} ms, assumed)`, gbSeconds, PRICES.lambdaArmGbSecond],
    ['DynamoDB write request units (consumed WCU, measured)', run.wru, PRICES.dynamoDbWriteRequestUnit],
    ['DynamoDB read request units (consumed RCU, measured)', run.rru, PRICES.dynamoDbReadRequestUnit],
    ['EventBridge Scheduler invocations (timers deleted before firing)', 0, PRICES.schedulerInvocation],
  ] as const;
  const costRows = lines.map(([what, qty, price]) => ({ what, qty, unitUsd: price.usd, usd: qty * price.usd, source: price.source }));
  const totalUsd = costRows.reduce((n, r) => n + r.usd, 0);

  const figures: Figure[] = [
    {
      id: 'P4.writes',
      name: 'P4 DynamoDB write requests per lifecycle transition (worst call)',
      target: `≤ ${WRITE_LIMIT}`,
      limit: WRITE_LIMIT,
      comparator: '<=',
      value: maxWritesPerTransition,
      unit: 'requests',
    },
    {
      id: 'P4.items',
      name: 'P4 items written per lifecycle transition (worst call)',
      target: 'report',
      limit: null,
      comparator: '<=',
      value: maxItemsPerTransition,
      unit: `items (${worstItems.call})`,
    },
    { id: 'P4.cost', name: 'P4 AWS cost of one project run (lifecycle only)', target: 'documented, prices as parameters', limit: null, comparator: '<=', value: Number((totalUsd * 1e6).toFixed(2)), unit: 'µUSD' },
  ];

  const usd = (v: number) => (v === 0 ? '$0' : `$${v < 0.0001 ? v.toExponential(2) : v.toFixed(6)}`);
  const markdown = [
    `${PROJECTS} projects, each driven through create → read → start → alert-config → pause → resume → pause → release → delete on the`,
    'local API (DynamoDB Local in memory, LocalScheduler). Every DynamoDB request the handlers send passes a middleware on their',
    'document client that sets `ReturnConsumedCapacity: INDEXES` and records the command, the items it writes and the consumed',
    'capacity (table and indexes). Values are medians over the projects (the counts are the same for every project).',
    '"Write requests" counts DynamoDB write API calls (a TransactWriteItems is one request however many items it holds); "items',
    'written" counts the item writes inside them; WCU is what DynamoDB reports consumed, i.e. the on-demand write request units',
    '(a transactional item write of up to 1 KB takes 2, and an index whose key changes takes its own).',
    '',
    mdTable(
      ['call', 'transitions', 'DynamoDB requests', 'write requests', 'items written', 'write requests / transition', 'WCU', 'of which indexes', 'RCU', 'Lambda invocations', 'Scheduler calls'],
      perCall.map((c) => [
        c.call,
        c.transitions,
        c.commands,
        c.writeRequests,
        c.itemsWritten,
        c.transitions ? formatNumber(c.writeRequests / c.transitions) : '—',
        formatNumber(c.wcu),
        formatNumber(c.indexWcu),
        formatNumber(c.rcu),
        c.lambda,
        c.schedulerCalls,
      ]),
    ),
    '',
    `**Write requests per transition: at most ${formatNumber(maxWritesPerTransition)} (target ≤ ${WRITE_LIMIT}: ${maxWritesPerTransition <= WRITE_LIMIT ? 'met' : 'missed'}).**`,
    'Every transition is one TransactWriteItems: the conditional project update (or delete) and its audit event, plus the',
    'bookkeeping the operation needs in the same transaction — `release` completes with the name reservation freed and the',
    `two data-source references given back, which is why its second transition writes ${formatNumber(worstItems.itemsWritten)} items in one request. Each`,
    'lifecycle call also reads the project once (a consistent GetItem) before writing.',
    '',
    'Where the WCU go (as DynamoDB Local accounts them): the project item is over 1 KB (it carries its orchestration list), a',
    'transactional write takes 2 units per KB, and both GSIs project ALL attributes, so each transition rewrites the item in',
    'the table and in both indexes (byStatus twice — its key changes with the status). Projecting KEYS_ONLY or a few',
    'attributes into the indexes would cut their share, but list pages would then need a BatchGetItem per page: a trade-off',
    'for the table design (shared/table.ts), not changed here.',
    '',
    '### Lambda invocations per project run',
    '',
    'One API Lambda invocation per call: a run of create, start, pause, resume, release and delete (with one read) is',
    `${run.lambda} invocations. A pause also creates two EventBridge Scheduler timers (warning, expiry) and resume/release delete them,`,
    'so a pause that is resumed or released in time costs no timer invocation; a pause left to expire adds two pause-timer',
    'invocations (warning, expiry), each one more conditional transition. The state machine\'s own invocations: see the orchestration section.',
    '',
    '### Cost estimate per project run (prices are parameters: bench/prices.ts)',
    '',
    `Run = create, read, start, pause, resume, release, delete; ${PRICES.region} list prices; Lambda compute uses an assumed billed`,
    `duration of ${ASSUMPTIONS.lambdaBilledMsPerInvocation} ms at ${ASSUMPTIONS.lambdaMemoryMb} MB (not measured locally). Free tiers are ignored. Not included: CloudWatch Logs and`,
    'X-Ray, data transfer, storage (a few KB per project and its audit events), and the orchestration.',
    '',
    mdTable(
      ['item', 'quantity per run', 'unit price', 'cost per run', 'price source'],
      costRows.map((r) => [r.what, formatNumber(r.qty), usd(r.unitUsd), usd(r.usd), r.source]),
    ),
    '',
    `**Total: ${usd(totalUsd)} per project run** (≈ $${(totalUsd * 1e6).toFixed(2)} per million project runs), plus the orchestration.`,
    '',
    '### Orchestration',
    '',
    'Step Functions state transitions per subtask and per project run, and the Lambda invocations of the state machine, are',
    'measured by `npm run bench:orchestration` (its own section below), which runs whole project runs on the synthesized state machine.',
  ].join('\n');

  writeSection({
    id: 'cost',
    title: 'P4 cost per transition and per project',
    command: 'npm run bench:cost',
    machine,
    durationSeconds: (Date.now() - started) / 1000,
    figures,
    data: { projects: PROJECTS, perCall, run, costRows, totalUsd, prices: PRICES, assumptions: ASSUMPTIONS },
    markdown,
  });
}

runMain(main);
