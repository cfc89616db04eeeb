/**
 * P4 cost of the orchestration: Step Functions state transitions per subtask and per whole project run,
 * Lambda invocations per project run, and the DynamoDB writes the orchestration steps make.
 *
 * The state machine is the CDK-synthesized definition (infra/local/state-machine.generated.json) run by
 * aws-local-stepfunctions, its Lambda tasks mapped to the same handler module (functions/orchestration-step)
 * and the SIMULATED migration engine sped up by TIME_SCALE (Wait states shortened by the same factor), as
 * `npm start` runs it. A billed Standard-workflow state transition is a state entered; the execution's
 * `StateEntered` events are counted (a Retry would add transitions; a fault-free run has none).
 */
import type { Context } from 'aws-lambda';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LocalStepFunctions, loadFunctionModule, type FunctionLoader } from '../infra/local/local-stepfunctions';
import { loadStateMachine } from '../infra/local/state-machine';
import { SimulatedMigrationEngine, SIMULATED_WORK } from '../shared/adapters/engine/simulated-engine';
import { overrideDeps } from '../shared/runtime';
import { QUICK } from './lib/config';
import { startLocalStack, type HttpClient } from './lib/local-stack';
import { formatNumber, machineFacts, mdTable, writeSection, type Figure, runMain } from './lib/report';
import { median } from './lib/stats';
import { ASSUMPTIONS, PRICES } from './prices';

const PROJECTS = QUICK ? 1 : 4;
/** Faster runs skew the poll count (each poll's own processing time is not scaled): 100 keeps that skew small. */
const TIME_SCALE = 100;
const ALL = { structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: true, reverseIncrementalSync: true };
const POLL_SECONDS = 30;

interface TaskCall {
  action: string;
  subtask?: string;
  step?: string;
}

/** Counts DynamoDB requests (writes separately) the handlers send while `phase()` names what is running. */
function countRequests(client: DynamoDBDocumentClient, sink: (command: string) => void): DynamoDBDocumentClient {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sink(context.commandName ?? 'unknown');
      return next(args);
    },
    { step: 'initialize', name: 'benchOrchestrationRequests', priority: 'high' },
  );
  return client;
}

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'TransactWriteItemsCommand', 'BatchWriteItemCommand']);

async function waitFor(http: HttpClient, id: string, until: (p: any) => boolean, what: string, limitMs = 120_000): Promise<any> {
  const deadline = Date.now() + limitMs;
  let last: any;
  while (Date.now() < deadline) {
    last = await http.json('GET', `/projects/${id}`, [200]);
    if (until(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${id} never reached ${what}: ${JSON.stringify(last)}`);
}

/** Splits an execution's states into one segment per work item (from its "Pick next work item" on). */
function segments(history: string[], tasks: TaskCall[]): { key: string; states: number }[] {
  const starts = tasks.filter((t) => t.action === 'start' || t.action === 'await');
  const out: { key: string; states: number }[] = [];
  let current: { key: string; states: number } = { key: 'run start and end', states: 0 };
  let next = 0;
  const overhead = current;
  for (const state of history) {
    if (state === 'Pick next work item') current = { key: '', states: 0 };
    if ((state === 'Start work item' || state === 'Await operator') && current.key === '') {
      const t = starts[next++];
      current.key = t ? `${t.subtask ?? '?'}${t.step ? ` · ${t.step}` : ''}${t.action === 'await' ? ' (operator gate)' : ''}` : '?';
      out.push(current);
    }
    if (current.key === '' && ['Migration completed', 'Continuous sync running', 'Mark project completed', 'Run superseded or stopped'].includes(state)) {
      current = overhead;
    }
    current.states++;
  }
  // A trailing "Pick next work item → What next?" without work (the run's end) is overhead.
  if (current.key === '') overhead.states += current.states;
  return [overhead, ...out];
}

async function main() {
  // The handlers' own logs and metrics would drown the output; the counts below are what matters here.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const machine = machineFacts();
  const started = Date.now();
  let phase = 'api';
  const ddb = new Map<string, { requests: number; writes: number }>();
  const stack = await startLocalStack({
    decorateClient: (c) =>
      countRequests(c, (command) => {
        const e = ddb.get(phase) ?? { requests: 0, writes: 0 };
        e.requests++;
        if (WRITES.has(command)) e.writes++;
        ddb.set(phase, e);
      }),
  });
  const { http } = stack;
  // Which project each task invocation belongs to, and what it did.
  const tasks = new Map<string, TaskCall[]>();
  const countingLoader: FunctionLoader = async (folder) => {
    const handler = await loadFunctionModule(folder);
    return async (event: unknown, context: Context) => {
      const e = event as { projectId: string; run: number; action: string; work?: { subtask?: string; step?: string } };
      const key = `${e.projectId}-${e.run}`;
      const list = tasks.get(key) ?? [];
      list.push({ action: e.action, ...(e.work?.subtask ? { subtask: e.work.subtask } : {}), ...(e.work?.step ? { step: e.work.step } : {}) });
      tasks.set(key, list);
      const before = phase;
      phase = 'orchestration';
      try {
        return await handler(event, context);
      } finally {
        phase = before;
      }
    };
  };
  const sfn = new LocalStepFunctions({ stateMachine: loadStateMachine(), timeScale: TIME_SCALE, load: countingLoader, log: () => undefined });
  overrideDeps({ orchestrator: sfn, engine: new SimulatedMigrationEngine({ timeScale: TIME_SCALE }) });

  const ds = async (name: string, engine: string) =>
    (await http.json('POST', '/data-sources', [201], { body: { name, engine, host: 'db.internal', port: 3306, username: 'migrator' } })).id as string;
  const sourceId = await ds('orch-src', 'mysql');
  const destinationId = await ds('orch-dst', 'oceanbase-mysql');
  // API invocations an operator's calls cost; the GETs this script polls with while waiting are left out.
  const apiBefore = () => [...stack.invocations.entries()].filter(([fn]) => fn !== 'get-project').reduce((n, [, c]) => n + c, 0);

  interface RunFigures {
    project: string;
    apiCalls: number;
    transitions: number;
    taskInvocations: number;
    segments: { key: string; states: number }[];
  }
  const runs: RunFigures[] = [];
  const pausedRuns: { transitionsRun1: number; transitionsRun2: number; tasks: number }[] = [];

  // A whole project run, as an operator drives it: every component, forward switchover with its manual
  // confirmations, reverse incremental sync left running; then pause, release and delete.
  for (let i = 0; i < PROJECTS; i++) {
    const api0 = apiBefore();
    const name = `orch-${i}`;
    const p = await http.json('POST', '/projects', [201], { body: { name, sourceId, destinationId, migrationType: ALL } });
    await http.json('POST', `/projects/${p.id}/start`, [200]);
    await waitFor(http, p.id, (x) => x.allowedActions.includes('enter-forward-switchover'), 'switchover enterable');
    await http.json('POST', `/projects/${p.id}/forward-switchover`, [200]);
    await waitFor(http, p.id, (x) => x.allowedActions.includes('start-forward-switchover'), 'switchover startable');
    await http.json('POST', `/projects/${p.id}/forward-switchover/start`, [200]);
    const current = await http.json('GET', `/projects/${p.id}`, [200]);
    const manual = ((current.subtasks as any[]).find((s) => s.type === 'FORWARD_SWITCHOVER')?.steps as any[]).filter((s) => s.manual).map((s) => s.name as string);
    for (const step of manual) {
      await waitFor(http, p.id, (x) => x.waitingStep === step, `${step} waiting`);
      await http.json('POST', `/projects/${p.id}/forward-switchover/confirm`, [200], { body: { step } });
    }
    const execution = sfn.executions.get(`${p.id}-1`);
    if (!execution) throw new Error('no execution');
    await execution.done;
    if (execution.status !== 'SUCCEEDED') throw new Error(`execution ${execution.status}: ${execution.error}`);
    await http.json('POST', `/projects/${p.id}/pause`, [200]);
    await http.json('POST', `/projects/${p.id}/release`, [200]);
    const del = await http.send('DELETE', `/projects/${p.id}?confirmName=${name}`);
    if (del.status !== 204) throw new Error(`delete ${del.status}`);
    const t = tasks.get(`${p.id}-1`) ?? [];
    runs.push({ project: p.id, apiCalls: apiBefore() - api0, transitions: execution.history.length, taskInvocations: t.length, segments: segments(execution.history, t) });
  }

  // The pause/resume path: paused at ≥ 40 % of the full migration, resumed (run 2 continues from the checkpoint).
  for (let i = 0; i < Math.max(1, Math.floor(PROJECTS / 2)); i++) {
    const p = await http.json('POST', '/projects', [201], {
      body: { name: `orch-pause-${i}`, sourceId, destinationId, migrationType: { ...ALL, fullVerification: false, reverseIncrementalSync: false, incrementalSync: false } },
    });
    await http.json('POST', `/projects/${p.id}/start`, [200]);
    await waitFor(http, p.id, (x) => (x.subtasks as any[]).some((s) => s.type === 'FULL_MIGRATION' && s.status === 'RUNNING' && (s.progress?.percent ?? 0) >= 40), 'full migration at 40 %');
    await http.json('POST', `/projects/${p.id}/pause`, [200]);
    const run1 = sfn.executions.get(`${p.id}-1`);
    await run1?.done;
    await http.json('POST', `/projects/${p.id}/resume`, [200]);
    const run2 = sfn.executions.get(`${p.id}-2`);
    if (!run1 || !run2) throw new Error('missing execution');
    await run2.done;
    pausedRuns.push({ transitionsRun1: run1.history.length, transitionsRun2: run2.history.length, tasks: (tasks.get(`${p.id}-1`)?.length ?? 0) + (tasks.get(`${p.id}-2`)?.length ?? 0) });
  }
  await sfn.settle();
  await stack.stop();

  // Per work item: medians over the projects.
  const keys = [...new Set(runs.flatMap((r) => r.segments.map((s) => s.key)))];
  const perItem = keys.map((key) => {
    const counts = runs.map((r) => r.segments.filter((s) => s.key === key).reduce((n, s) => n + s.states, 0));
    const type = key.split(' ')[0] as keyof typeof SIMULATED_WORK;
    const work = SIMULATED_WORK[type];
    return { key, transitions: median(counts), min: Math.min(...counts), max: Math.max(...counts), simulatedSeconds: work && !key.includes('·') && !key.includes('gate') ? work.workMs / 1000 : undefined };
  });
  const run = {
    transitions: median(runs.map((r) => r.transitions)),
    taskInvocations: median(runs.map((r) => r.taskInvocations)),
    apiCalls: median(runs.map((r) => r.apiCalls)),
  };
  const subtaskItems = perItem.filter((p) => p.key !== 'run start and end');
  const maxPerSubtask = Math.max(...subtaskItems.map((p) => p.transitions));
  const sfnUsd = run.transitions * PRICES.stepFunctionsStateTransition.usd;
  const lambdaUsd = run.taskInvocations * (PRICES.lambdaRequest.usd + (ASSUMPTIONS.lambdaMemoryMb / 1024) * (ASSUMPTIONS.lambdaBilledMsPerInvocation / 1000) * PRICES.lambdaArmGbSecond.usd);
  const orchestrationDdb = ddb.get('orchestration') ?? { requests: 0, writes: 0 };
  const allTasks = runs.reduce((n, r) => n + r.taskInvocations, 0) + pausedRuns.reduce((n, r) => n + r.tasks, 0);
  const usd = (v: number) => (v < 0.0001 ? `$${v.toExponential(2)}` : `$${v.toFixed(6)}`);
  const simulatedMinutes = Object.values(SIMULATED_WORK).reduce((n, w) => n + w.workMs, 0) / 60_000;
  const perHourUsd = ((3 * 3600) / POLL_SECONDS) * PRICES.stepFunctionsStateTransition.usd;

  const figures: Figure[] = [
    {
      id: 'P4.sfn.run',
      name: 'P4 Step Functions state transitions per whole project run',
      target: 'report',
      limit: null,
      comparator: '<=',
      value: run.transitions,
      unit: `transitions (${usd(sfnUsd)} per run)`,
    },
    { id: 'P4.sfn.subtask', name: 'P4 Step Functions state transitions per subtask (worst)', target: 'report', limit: null, comparator: '<=', value: maxPerSubtask, unit: 'transitions' },
    {
      id: 'P4.lambda.run',
      name: 'P4 Lambda invocations per project run (API + orchestration tasks)',
      target: 'report',
      limit: null,
      comparator: '<=',
      value: run.apiCalls + run.taskInvocations,
      unit: `invocations (${run.apiCalls} API + ${run.taskInvocations} tasks)`,
    },
  ];

  const markdown = [
    `${PROJECTS} whole project runs, one after another, on the local API with the synthesized state machine (aws-local-stepfunctions) and`,
    `the SIMULATED engine at time scale ${TIME_SCALE} (a Wait of ${POLL_SECONDS} s lasts ${(POLL_SECONDS * 1000) / TIME_SCALE} ms; a 10-minute full migration takes 6 s). A run: create,`,
    'start with every component (structure, full migration, incremental sync, full verification, reverse incremental sync), enter',
    'and start the forward switchover, confirm each manual step as it waits, until the execution ends with reverse sync left',
    'running ("Continuous sync running"); then pause, release and delete. A billed Standard-workflow state transition is a state',
    "entered: the execution's `StateEntered` events are counted (retries would add transitions; a fault-free run has none).",
    '',
    mdTable(
      ['per project run (median)', 'value'],
      [
        ['Step Functions state transitions (execution 1)', formatNumber(run.transitions)],
        ['Lambda invocations by the state machine (orchestration-step tasks)', formatNumber(run.taskInvocations)],
        ['Lambda invocations by the API (the operator\'s calls above; the status polls of this script left out)', formatNumber(run.apiCalls)],
        ['DynamoDB requests by orchestration tasks (all runs, per task invocation)', formatNumber(orchestrationDdb.requests / Math.max(1, allTasks))],
        ['DynamoDB write requests by orchestration tasks (all runs, per task invocation)', formatNumber(orchestrationDdb.writes / Math.max(1, allTasks))],
      ],
    ),
    '',
    'Deployed, the table stream adds invocations of publish-domain-events (batches of up to 100 records within 1 s, so at most',
    'one per write and usually far fewer); a pause left to expire adds two pause-timer invocations.',
    '',
    '### State transitions per work item',
    '',
    `Each work item is "Pick next work item → What next? → Start work item → Work item done?" and then one "Wait for job progress →`,
    `Poll work item → Work item done?" loop (3 transitions) per ${POLL_SECONDS} s the job runs: transitions ≈ 4 + 3 × ⌈work / ${POLL_SECONDS} s⌉. An`,
    'operator gate (a manual switchover step) is "Pick next work item → What next? → Await operator" while it waits for the',
    'confirmation (a task token: no transitions while waiting). Simulated durations are those of the SIMULATED engine',
    '(shared/adapters/engine/simulated-engine.ts); a real engine\'s durations scale the loop count.',
    '',
    mdTable(
      ['work item', 'simulated work', 'transitions (median)', 'min', 'max'],
      perItem.map((p) => [p.key, p.simulatedSeconds === undefined ? '—' : `${p.simulatedSeconds} s`, formatNumber(p.transitions), p.min, p.max]),
    ),
    '',
    '### Pause and resume',
    '',
    mdTable(
      ['paused at ≥ 40 % of the full migration, then resumed', 'median'],
      [
        ['transitions of run 1 (until the pause ends it: "Run superseded or stopped")', formatNumber(median(pausedRuns.map((r) => r.transitionsRun1)))],
        ['transitions of run 2 (continues from the checkpoint to completion)', formatNumber(median(pausedRuns.map((r) => r.transitionsRun2)))],
        ['task invocations, both runs', formatNumber(median(pausedRuns.map((r) => r.tasks)))],
      ],
    ),
    '',
    '### Orchestration cost per project run (prices: bench/prices.ts)',
    '',
    mdTable(
      ['item', 'quantity per run', 'unit price', 'cost per run'],
      [
        ['Step Functions Standard state transitions', formatNumber(run.transitions), usd(PRICES.stepFunctionsStateTransition.usd), usd(sfnUsd)],
        [
          `Lambda task invocations (request + ${ASSUMPTIONS.lambdaMemoryMb} MB × ${ASSUMPTIONS.lambdaBilledMsPerInvocation} ms assumed)`,
          formatNumber(run.taskInvocations),
          `${usd(PRICES.lambdaRequest.usd)} + compute`,
          usd(lambdaUsd),
        ],
      ],
    ),
    '',
    `**Orchestration: ${usd(sfnUsd + lambdaUsd)} per project run** with the simulated durations above (≈ ${simulatedMinutes.toFixed(0)} minutes of simulated work);`,
    `a real migration running for hours adds 3 transitions and one poll invocation per ${POLL_SECONDS} s per running finite job (≈ ${usd(perHourUsd)} per hour`,
    'of Step Functions transitions), which is why long jobs would move to a longer poll interval or engine callbacks. Continuous',
    'syncs (incremental, reverse incremental) are started and left running: 4 transitions each, whatever their duration.',
  ].join('\n');

  writeSection({
    id: 'orchestration',
    title: 'P4 cost of the orchestration (Step Functions, Lambda)',
    command: 'npm run bench:orchestration',
    machine,
    durationSeconds: (Date.now() - started) / 1000,
    figures,
    data: { projects: PROJECTS, timeScale: TIME_SCALE, runs, pausedRuns, perItem, run, orchestrationDdb, sfnUsd, lambdaUsd },
    markdown,
  });
}

runMain(main);
