import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent, ProjectRecord } from '../../../shared/domain/project';
import { keys } from '../../../shared/table';
import type { CallRecord, Fault } from './fault-plan';
import type { CaseContext, Outcome, Scenario } from './scenarios';
import type { World } from './world';
import { localDocumentClient } from '../../../infra/local/dynamodb-local';
import { inject } from 'vitest';

export interface CaseResult {
  scenario: string;
  fault?: Fault;
  calls: CallRecord[];
  hit: boolean;
  violations: string[];
}

/** Events a request committed that undo it (a start or resume whose execution could not start). */
const COMPENSATION_CAUSE = 'orchestration-unavailable';

/**
 * Did the operation the caller asked for take effect on the project? Its audit event is there (the
 * event and the change are one transaction) and no compensation undid it.
 */
function tookEffect(newEvents: readonly AuditEvent[], op: string): boolean {
  return newEvents.some((e) => e.operation === op) && !newEvents.some((e) => e.cause === COMPENSATION_CAUSE);
}

/**
 * The answer matches what happened: a 2xx only if the transition was committed, a 5xx only if it was
 * not (and the project is in the status it was in before), never a 4xx caused by a fault.
 */
export function answerViolations(
  outcome: Outcome,
  before: Map<string, ProjectRecord | undefined>,
  after: Map<string, ProjectRecord | undefined>,
  newEvents: Map<string, AuditEvent[]>,
  createdByName?: ProjectRecord,
): string[] {
  const out: string[] = [];
  const judge = (id: string, op: string, status: number, what: string) => {
    const happened = tookEffect(newEvents.get(id) ?? [], op);
    const was = before.get(id)?.status;
    const is = after.get(id)?.status ?? 'DELETED';
    if (status >= 200 && status < 300 && !happened) out.push(`${what} answered ${status} but ${op} of ${id} was not committed (${was} → ${is})`);
    if (status >= 500 && happened) out.push(`${what} answered ${status} but ${op} of ${id} was committed (${was} → ${is})`);
    if (status >= 500 && !happened && was !== is) out.push(`${what} answered ${status}: ${op} did not happen, yet ${id} went ${was} → ${is}`);
    if (status >= 400 && status < 500) out.push(`${what} answered ${status} to a fault`);
  };
  if (outcome.kind === 'http') {
    const entries = Object.entries(outcome.asked);
    if (entries.length === 0) {
      // create
      const ok = outcome.status === 201;
      if (ok && !createdByName) out.push(`create answered 201 but no project exists`);
      if (outcome.status >= 500 && createdByName) out.push(`create answered ${outcome.status} but the project ${createdByName.id} was created`);
      if (outcome.status >= 400 && outcome.status < 500) out.push(`create answered ${outcome.status} to a fault (${outcome.body?.code})`);
    }
    for (const [id, op] of entries) judge(id, op, outcome.status, `${op} (${outcome.body?.code ?? 'ok'})`);
  }
  if (outcome.kind === 'batch') {
    if (outcome.status >= 500) for (const [id, op] of Object.entries(outcome.asked)) judge(id, op, outcome.status, `batch ${op} (${outcome.body?.code})`);
    else if (outcome.status !== 200) out.push(`batch answered ${outcome.status} (${outcome.body?.code})`);
    else {
      for (const item of outcome.body.results as { projectId: string; ok: boolean; code?: string }[]) {
        const op = outcome.asked[item.projectId] as string;
        const status = item.ok ? 200 : item.code === 'SERVICE_UNAVAILABLE' || item.code === 'INTERNAL_ERROR' || item.code === 'ORCHESTRATION_UNAVAILABLE' ? 503 : 409;
        judge(item.projectId, op, status, `batch item ${op} (${item.code ?? 'ok'})`);
      }
    }
  }
  return out;
}

/** Takes a checked case's projects out of the table and the fakes, so each case starts from a clean world. */
async function retire(w: World, ids: readonly string[]): Promise<void> {
  const client = localDocumentClient(inject('dynamoEndpoint'));
  for (const id of ids) {
    await client.send(new DeleteCommand({ TableName: w.tableName, Key: keys.project(id) }));
    for (const e of w.orchestrator.executions.values()) if (e.projectId === id && e.status === 'RUNNING') e.status = 'ABORTED';
    for (const t of [...w.scheduler.timers.values()]) if (t.input.projectId === id) w.scheduler.timers.delete(t.name);
  }
  client.destroy();
}

/** One operation, with at most one fault, then the repair paths, then every check. */
export async function runCase(w: World, scenario: Scenario, fault?: Fault): Promise<CaseResult> {
  // FI_TRACE: each phase's time and adapter calls (where a case's time goes).
  const phases: string[] = [];
  let t0 = Date.now();
  const mark = (phase: string) => {
    phases.push(`${phase} ${Date.now() - t0}ms [${[...w.plan.tally].map(([k, n]) => `${k}=${n}`).join(' ')}]`);
    w.plan.tally.clear();
    t0 = Date.now();
  };
  const ctx: CaseContext = await scenario.setup(w);
  mark('setup');
  await w.deliverStream(ctx.projectIds, 1); // the set-up's events are on the bus already
  const snapshot = async (ids: readonly string[]) => new Map(await Promise.all(ids.map(async (id) => [id, await w.inspect.get(id)] as const)));
  const eventsOf = async (ids: readonly string[]) => new Map(await Promise.all(ids.map(async (id) => [id, await w.events(id)] as const)));
  const before = await snapshot(ctx.projectIds);
  const eventsBefore = await eventsOf(ctx.projectIds);
  w.plan.begin(fault);
  let outcome: Outcome;
  let calls: CallRecord[];
  try {
    outcome = await scenario.act(w, ctx);
    if (outcome.kind === 'http' && outcome.status === 201 && typeof outcome.body?.id === 'string') ctx.projectIds.push(outcome.body.id);
    await w.deliverStream(ctx.projectIds, 1); // the table stream hands the new audit events to the publisher
  } finally {
    const hit = w.plan.lastHit !== undefined;
    calls = w.plan.end();
    void hit;
  }
  const hit = fault !== undefined && w.plan.lastHit !== undefined;
  mark('act');
  let createdByName: ProjectRecord | undefined;
  if (scenario.name === 'create') {
    createdByName = (await w.allProjects()).find((p) => p.name === ctx.data.name);
    if (createdByName && !ctx.projectIds.includes(createdByName.id)) ctx.projectIds.push(createdByName.id);
  }
  const after = await snapshot(ctx.projectIds);
  const eventsAfter = await eventsOf(ctx.projectIds);
  const newEvents = new Map(ctx.projectIds.map((id) => [id, (eventsAfter.get(id) ?? []).filter((e) => !(eventsBefore.get(id) ?? []).some((b) => b.version === e.version))]));
  const violations = answerViolations(outcome, before, after, newEvents, createdByName);
  const failedTimers = outcome.kind === 'timer' && outcome.threw ? [outcome.input] : [];
  try {
    await w.repair(ctx.projectIds, failedTimers, { unfinishedShards: scenario.touchesEveryShard === true });
    mark('repair');
    violations.push(...(await w.violations(ctx.projectIds)));
    mark('violations');
  } catch (e) {
    violations.push(`repair failed: ${(e as Error).message}`);
  }
  await retire(w, ctx.projectIds);
  mark('retire');
  if (process.env.FI_TRACE) process.stderr.write(`PROF ${scenario.name}: ${phases.join(' | ')}\n`);
  return { scenario: scenario.name, ...(fault ? { fault } : {}), calls, hit, violations };
}
