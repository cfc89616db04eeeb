import type { Context } from 'aws-lambda';
import fc from 'fast-check';
import { expect } from 'vitest';
import { handler as pauseTimerHandler } from '../../../functions/pause-timer/handler';
import { InMemoryExpiryScheduler } from '../../../shared/adapters/memory/scheduler';
import type { ProjectRecord } from '../../../shared/domain/project';
import { OrchestratorUnavailable, type Orchestrator } from '../../../shared/ports';
import { getDeps } from '../../../shared/runtime';
import { completeRun, recordFailure } from '../../../shared/usecases/orchestration';
import { call, ManualClock, type CallResult } from '../../support/harness';
import {
  applySimulatedProgress,
  expectedAllowedActions,
  batchAssess,
  batchExecute,
  createProject,
  expectedView,
  fireDue,
  fireSourceTimer,
  fireTimer,
  lifecycleCall,
  sourceCall,
  MANUAL_STEPS,
  simulatedProgress,
  simulatedRunEnd,
  stepsOf,
  subtasksOf,
  type BatchOp,
  type Level,
  type Model,
  type ModelProject,
  type StepName,
  type TimerOutcome,
  type UserOp,
} from './lifecycle-model';

/**
 * The real side of the model-based suite: the real handlers on DynamoDB Local, a hand-moved clock,
 * the in-memory pause scheduler (the scheduler's own adapter for tests) and an orchestrator that
 * records executions without running them (no engine progress: SIMULATED progress is its own command).
 */

/** Step Functions stand-in: records which run of which project has an execution; fails on request. */
export class RecordingOrchestrator implements Orchestrator {
  readonly active = new Map<string, number>();
  readonly completedTokens: string[] = [];
  failNextStart = false;

  async startRun(p: ProjectRecord): Promise<void> {
    if (this.failNextStart) {
      this.failNextStart = false;
      throw new OrchestratorUnavailable('simulated Step Functions outage');
    }
    this.active.set(p.id, p.run ?? 0);
  }
  async stopRun(p: ProjectRecord): Promise<void> {
    if (this.active.get(p.id) === p.run) this.active.delete(p.id);
  }
  async isRunActive(p: ProjectRecord): Promise<boolean> {
    return this.active.get(p.id) === p.run;
  }
  async completeTask(taskToken: string): Promise<void> {
    this.completedTokens.push(taskToken);
  }
  reset(): void {
    this.active.clear();
    this.completedTokens.length = 0;
    this.failNextStart = false;
  }
}

export interface Real {
  /** Real project id at each model index. */
  ids: string[];
  prefix: string;
  clock: ManualClock;
  orchestrator: RecordingOrchestrator;
  scheduler: InMemoryExpiryScheduler;
  sourceId: string;
  destinationId: string;
  /** Three more sources (same engine): a multi-source project reads the first 2 or 3. */
  sourceIds: string[];
}

/** What the runs executed: commands, and how often each command got each answer (coverage). */
export const stats = { commands: 0, outcomes: new Map<string, number>() };
const tally = (what: string) => stats.outcomes.set(what, (stats.outcomes.get(what) ?? 0) + 1);

const NAMES = ['a', 'b', 'c'];
const ACTORS = ['alice', 'bob'];
const LEVELS: Level[] = ['NONE', 'LOW', 'MEDIUM', 'HIGH'];

type Target = number | 'unknown';
const resolve = (m: Model, t: Target): ModelProject | undefined => (t === 'unknown' || m.projects.length === 0 ? undefined : m.projects[t % m.projects.length]);
const idOf = (m: Model, r: Real, p: ModelProject | undefined) => (p ? (r.ids[p.key] as string) : `nope-${r.prefix}`);
const outcomeOf = (res: CallResult) => ({ status: res.status, code: res.status >= 300 ? res.body?.code : undefined });
const headers = (actor: string, ifMatch?: number): Record<string, string> => ({ 'X-Actor': actor, ...(ifMatch !== undefined ? { 'If-Match': `"${ifMatch}"` } : {}) });

// ---- after every command: the API's view equals the model's ----

/** Every project's view and audit trail, the executions, timers and completed tasks (end of a run). */
export async function compareAll(m: Model, r: Real): Promise<void> {
  for (const p of m.projects) await compareProject(m, r, p, true);
  compareSideEffects(m, r);
}

/** What the orchestrator and the scheduler hold equals the model (in memory: checked after every command). */
function compareSideEffects(m: Model, r: Real): void {
  const executions = new Map([...m.executions].map(([k, run]) => [r.ids[k] as string, run]));
  expect(new Map([...r.orchestrator.active].filter(([id]) => r.ids.includes(id))), 'executions').toEqual(executions);
  const timers = [...m.timers.values()].map((t) => `${t.kind}-${r.ids[t.key]}${t.source !== undefined ? `.s${t.source}` : ''}-${t.pausedAt}@${new Date(t.at).toISOString()}`).sort();
  const realTimers = [...r.scheduler.timers.values()].filter((t) => r.ids.includes(t.input.projectId)).map((t) => `${t.name}@${t.at}`).sort();
  expect(realTimers, 'pause timers').toEqual(timers);
  expect(r.orchestrator.completedTokens.length, 'task tokens completed').toBe(m.completedTasks);
}

/**
 * GET /projects/{id} equals the model's view (version and ETag included); with `events`, the whole audit
 * trail too. The version is bumped in the same transaction that writes an event, so a project whose
 * version is as the model says has no unexpected event: the trail is read when the version moved.
 */
async function compareProject(m: Model, r: Real, p: ModelProject, events: boolean): Promise<void> {
  const id = r.ids[p.key] as string;
  const got = await call('GET', `/projects/${id}`);
  if (p.deleted) {
    expect(outcomeOf(got), `GET deleted ${p.name}`).toEqual({ status: 404, code: 'PROJECT_NOT_FOUND' });
  } else {
    expect(got.status, `GET ${p.name}`).toBe(200);
    expect(got.headers.etag).toBe(`"${p.version}"`);
    const view = viewOf(got.body, r);
    const want = expectedView(m, p);
    const differs = Object.keys(want).filter((k) => JSON.stringify(view[k]) !== JSON.stringify(want[k]));
    expect(view, `view of ${p.name} differs in ${differs.join(', ')}`).toEqual(want);
  }
  if (!events) return;
  const trail = await call('GET', `/projects/${id}/events?limit=100`);
  expect(trail.status).toBe(200);
  const items = (trail.body.items as Record<string, unknown>[]).map((e) => ({
    operation: e.operation,
    from: e.from,
    to: e.to,
    actor: e.actor,
    version: e.version,
    batch: typeof e.batchId === 'string',
    ...(e.cause !== undefined ? { cause: e.cause } : {}),
  }));
  expect(items, `audit trail of ${p.name}`).toEqual(p.events);
}

function viewOf(b: Record<string, any>, r: Real): Record<string, unknown> {
  const switchover = (b.subtasks as any[]).find((s) => s.type === 'FORWARD_SWITCHOVER');
  const view: Record<string, unknown> = {};
  for (const k of Object.keys(expectedViewKeys)) view[k] = b[k];
  view.sources = (b.sources as any[] | undefined)?.map((s) => ({ ...s, sourceId: r.sourceIds.indexOf(s.sourceId) }));
  view.allowedActions = [...(b.allowedActions as string[])].sort();
  view.subtasks = (b.subtasks as any[]).map((s) => `${s.type}:${s.status}`);
  view.steps = (switchover?.steps as any[]).map((s) => `${s.name}:${s.status}${s.waitingForConfirmation ? ':waiting' : ''}`);
  return view;
}
const expectedViewKeys = Object.fromEntries(
  [
    'name',
    'status',
    'version',
    'alertLevel',
    'updatedAt',
    'run',
    'startedAt',
    'pausedAt',
    'pauseExpiresAt',
    'expiredAt',
    'pauseWarnedAt',
    'failedAt',
    'releasedAt',
    'completedAt',
    'currentStage',
    'switchoverEnteredAt',
    'switchoverStartedAt',
    'waitingStep',
    'awaiting',
    'resumable',
  ].map((k) => [k, true]),
);

// ---- commands ----

export abstract class Cmd implements fc.AsyncCommand<Model, Real> {
  /** Always applicable: with no project yet, a call goes to an unknown id (404) and the model says so. */
  check(_m: Readonly<Model>): boolean {
    return true;
  }
  /** Projects whose view the command may change without a transition (besides those whose version moves). */
  named(_m: Model): (ModelProject | undefined)[] {
    return [];
  }
  async run(m: Model, r: Real): Promise<void> {
    stats.commands++;
    const versions = m.projects.map((p) => p.version);
    const named = this.named(m);
    await this.act(m, r);
    for (const p of m.projects) {
      const moved = p.version !== versions[p.key];
      if (moved || named.includes(p)) await compareProject(m, r, p, moved);
    }
    compareSideEffects(m, r);
  }
  abstract act(m: Model, r: Real): Promise<void>;
  abstract toString(): string;
}

export class CreateCmd extends Cmd {
  constructor(readonly nameIdx: number, readonly level: Level | undefined, readonly actor: string, readonly sourceCount = 1) {
    super();
  }
  override check(m: Readonly<Model>): boolean {
    return m.projects.length < 4;
  }
  async act(m: Model, r: Real): Promise<void> {
    const name = `${r.prefix}-${NAMES[this.nameIdx]}`;
    const res = await call('POST', '/projects', {
      body: {
        name,
        ...(this.sourceCount > 1 ? { sourceIds: r.sourceIds.slice(0, this.sourceCount) } : { sourceId: r.sourceId }),
        destinationId: r.destinationId,
        // Several sources cannot have reverse sync (refused at create): a multi-source project is made without it.
        migrationType: { structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: true, reverseIncrementalSync: this.sourceCount === 1 },
        ...(this.level ? { alertLevel: this.level } : {}),
      },
      headers: headers(this.actor),
    });
    const want = createProject(m, name, this.level, this.actor, this.sourceCount);
    tally(`create ${want.status} ${want.code ?? ''}`);
    expect(outcomeOf(res), this.toString()).toEqual(want);
    if (res.status === 201) r.ids.push(res.body.id as string);
  }
  toString(): string {
    return `create(${NAMES[this.nameIdx]}${this.level ? `, ${this.level}` : ''}${this.sourceCount > 1 ? `, ${this.sourceCount} sources` : ''})`;
  }
}

export interface OpArgs {
  target: Target;
  ifMatch: 'none' | 'right' | 'stale';
  actor: string;
  level: Level;
  confirm: 'right' | 'wrong' | 'none';
  step: 'waiting' | number;
  outage: boolean;
}

const PATHS: Record<UserOp, { method: string; path: (id: string) => string }> = {
  start: { method: 'POST', path: (id) => `/projects/${id}/start` },
  pause: { method: 'POST', path: (id) => `/projects/${id}/pause` },
  resume: { method: 'POST', path: (id) => `/projects/${id}/resume` },
  release: { method: 'POST', path: (id) => `/projects/${id}/release` },
  delete: { method: 'DELETE', path: (id) => `/projects/${id}` },
  'modify-alert-config': { method: 'PUT', path: (id) => `/projects/${id}/alert-config` },
  'skip-full-verification': { method: 'POST', path: (id) => `/projects/${id}/skip-full-verification` },
  'enter-forward-switchover': { method: 'POST', path: (id) => `/projects/${id}/forward-switchover` },
  'start-forward-switchover': { method: 'POST', path: (id) => `/projects/${id}/forward-switchover/start` },
  'confirm-switchover-step': { method: 'POST', path: (id) => `/projects/${id}/forward-switchover/confirm` },
  precheck: { method: 'POST', path: (id) => `/projects/${id}/precheck` },
};

/** One single lifecycle call (with If-Match right or stale, typed names, a Step Functions outage). */
export class OpCmd extends Cmd {
  constructor(readonly op: UserOp, readonly a: OpArgs) {
    super();
  }
  override named(m: Model) {
    return [resolve(m, this.a.target)];
  }
  async act(m: Model, r: Real): Promise<void> {
    const p = resolve(m, this.a.target);
    const id = idOf(m, r, p);
    const version = p?.version ?? 1;
    const ifMatch = this.a.ifMatch === 'none' ? undefined : this.a.ifMatch === 'right' ? version : version + (version % 2 === 0 ? -1 : 1);
    const confirmName = this.a.confirm === 'none' ? undefined : this.a.confirm === 'right' ? (p?.name ?? 'x') : `${p?.name ?? 'x'}-not`;
    const step: StepName = this.a.step === 'waiting' ? (p?.waitingStep ?? 'CONFIRM_SOURCE_WRITES_STOPPED') : (MANUAL_STEPS[this.a.step % MANUAL_STEPS.length] as StepName);
    const route = PATHS[this.op];
    const query = this.op === 'delete' && confirmName !== undefined ? `?confirmName=${encodeURIComponent(confirmName)}` : '';
    const body = this.op === 'modify-alert-config' ? { level: this.a.level } : this.op === 'confirm-switchover-step' ? { step } : undefined;
    r.orchestrator.failNextStart = this.a.outage;
    const res = await call(route.method, route.path(id) + query, { ...(body ? { body } : {}), headers: headers(this.a.actor, ifMatch) });
    r.orchestrator.failNextStart = false;
    const want = lifecycleCall(m, p, this.op, {
      actor: this.a.actor,
      ...(ifMatch !== undefined ? { ifMatch } : {}),
      ...(confirmName !== undefined ? { confirmName } : {}),
      level: this.a.level,
      step,
      outage: this.a.outage,
    });
    tally(`${this.op} ${want.status} ${want.code ?? ''}`);
    expect(outcomeOf(res), this.toString()).toEqual(want);
    if (res.status === 200 && p) {
      expect(res.headers.etag).toBe(`"${p.version}"`);
      expect({ status: res.body.status, version: res.body.version }).toEqual({ status: p.status, version: p.version });
    }
  }
  toString(): string {
    const a = this.a;
    const extras = [
      a.ifMatch !== 'none' ? `If-Match ${a.ifMatch}` : '',
      this.op === 'delete' ? `confirmName ${a.confirm}` : '',
      this.op === 'modify-alert-config' ? a.level : '',
      this.op === 'confirm-switchover-step' ? `step ${a.step}` : '',
      a.outage ? 'Step Functions outage' : '',
    ].filter(Boolean);
    return `${this.op}(${a.target}${extras.length ? `, ${extras.join(', ')}` : ''})`;
  }
}

/**
 * A lifecycle call the MODEL allows right now (its own allowedActions), so runs get deep into the
 * lifecycle (switchover, expiry) instead of mostly collecting 409s; the product must agree it is allowed.
 */
/** The order AllowedOpCmd's choice indexes (small choices are the most frequent): lifecycle progress first. */
const PREFERENCE: UserOp[] = [
  'start',
  'pause',
  'enter-forward-switchover',
  'start-forward-switchover',
  'confirm-switchover-step',
  'skip-full-verification',
  'resume',
  'release',
  'modify-alert-config',
  'delete',
];

export class AllowedOpCmd extends Cmd {
  chosen: UserOp | undefined;
  constructor(readonly choice: number, readonly a: OpArgs) {
    super();
  }
  override named(m: Model) {
    return [resolve(m, this.a.target)];
  }
  async act(m: Model, r: Real): Promise<void> {
    const p = resolve(m, this.a.target);
    const allowed = p && !p.deleted ? (expectedAllowedActions(m, p).filter((op) => op in PATHS) as UserOp[]).sort((x, y) => PREFERENCE.indexOf(x) - PREFERENCE.indexOf(y)) : [];
    this.chosen = allowed[this.choice % Math.max(allowed.length, 1)] ?? 'start';
    await new OpCmd(this.chosen, this.a).act(m, r);
  }
  toString(): string {
    return `allowed #${this.choice} = ${new OpCmd(this.chosen ?? 'start', this.a).toString()}`;
  }
}

/** POST /batch-operations over some of the run's projects (and an unknown id), preview or execute. */
export class BatchCmd extends Cmd {
  constructor(
    readonly op: BatchOp,
    readonly picks: number[],
    readonly withUnknown: boolean,
    readonly dryRun: boolean,
    readonly versions: 'none' | 'right' | 'stale-one',
    readonly level: Level,
    readonly actor: string,
  ) {
    super();
  }
  override named(m: Model) {
    return m.projects.length ? this.picks.map((i) => m.projects[i % m.projects.length]) : [];
  }
  async act(m: Model, r: Real): Promise<void> {
    const targets = m.projects.length ? [...new Set(this.picks.map((i) => i % m.projects.length))].map((i) => m.projects[i] as ModelProject) : [];
    const all: (ModelProject | undefined)[] = this.withUnknown ? [...targets, undefined] : targets;
    const expected = new Map<number, number>();
    if (this.versions !== 'none') targets.forEach((p, i) => expected.set(p.key, this.versions === 'stale-one' && i === 0 ? p.version + 1 : p.version));
    const res = await call('POST', '/batch-operations', {
      body: {
        operation: this.op,
        projectIds: all.map((p) => idOf(m, r, p)),
        ...(this.dryRun ? { dryRun: true } : {}),
        ...(expected.size ? { expectedVersions: Object.fromEntries([...expected].map(([k, v]) => [r.ids[k], v])) } : {}),
        ...(this.op === 'modify-alert-config' ? { parameters: { level: this.level } } : {}),
      },
      headers: headers(this.actor),
    });
    expect(outcomeOf(res), this.toString()).toEqual({ status: 200, code: undefined });
    const keyOf = (id: string) => (r.ids.includes(id) ? r.ids.indexOf(id) : undefined);
    if (this.dryRun) {
      const assessed = batchAssess(m, this.op, all, expected);
      const want = {
        eligible: assessed.filter((a) => !a.code).map((a) => ({ key: a.p?.key, status: a.p?.status, version: a.p?.version })),
        ineligible: assessed.filter((a) => a.code).map((a) => ({ key: a.p?.key, code: a.code })),
      };
      const got = {
        eligible: (res.body.eligible as any[]).map((e) => ({ key: keyOf(e.projectId), status: e.status, version: e.version })),
        ineligible: (res.body.ineligible as any[]).map((e) => ({ key: keyOf(e.projectId), code: e.code })),
      };
      tally(`batch ${this.op} preview: ${want.eligible.length} eligible`);
      expect(got, this.toString()).toEqual(want);
      return;
    }
    const want = batchExecute(m, this.op, all, expected, this.actor, this.op === 'modify-alert-config' ? this.level : undefined);
    for (const w of want) tally(`batch ${this.op} item ${w.ok ? 'ok' : w.code}`);
    const got = (res.body.results as any[]).map((x) => ({
      key: keyOf(x.projectId),
      ok: x.ok,
      ...(x.code !== undefined ? { code: x.code } : {}),
      ...(x.status !== undefined ? { status: x.status } : {}),
      ...(x.version !== undefined ? { version: x.version } : {}),
      ...(x.deleted !== undefined ? { deleted: x.deleted } : {}),
    }));
    expect(got, this.toString()).toEqual(want);
  }
  toString(): string {
    return `batch ${this.op}${this.dryRun ? ' (dry run)' : ''}([${this.picks.join(',')}]${this.withUnknown ? ' + unknown' : ''}, versions ${this.versions})`;
  }
}

const fire = (input: { kind: 'warn' | 'expire'; projectId: string; pausedAt: string; sourceId?: string }) =>
  pauseTimerHandler(input, { awsRequestId: `timer-${input.kind}` } as Context) as Promise<TimerOutcome>;

/** A pause timer fires by itself: early, late, twice, or for an earlier pause (stale). */
export class FireTimerCmd extends Cmd {
  constructor(readonly kind: 'warn' | 'expire', readonly target: Target, readonly pause: 'current' | 'previous') {
    super();
  }
  /** Mostly a project that has paused (else the firing is only a PAUSE_SUPERSEDED). */
  private project(m: Model): ModelProject | undefined {
    const havePaused = m.projects.filter((q) => q.pauses.length > 0);
    return this.target !== 'unknown' && havePaused.length ? havePaused[this.target % havePaused.length] : resolve(m, this.target);
  }
  override named(m: Model) {
    return [this.project(m)];
  }
  async act(m: Model, r: Real): Promise<void> {
    const p = this.project(m);
    const pausedAt =
      this.pause === 'current' ? (p?.pausedAt ?? p?.pauses[p.pauses.length - 1] ?? m.now) : (p?.pauses[p.pauses.length - 2] ?? p?.pauses[0] ?? m.now - 1);
    const got = await fire({ kind: this.kind, projectId: idOf(m, r, p), pausedAt: new Date(pausedAt).toISOString() });
    const want = fireTimer(m, p, this.kind, pausedAt);
    tally(`fire ${this.kind} ${want.outcome} ${'code' in want ? want.code : ''}`);
    expect(got, this.toString()).toEqual(want);
  }
  toString(): string {
    return `fire ${this.kind} timer(${this.target}, ${this.pause} pause)`;
  }
}

/** The scheduler delivers every timer due at the clock's instant (as EventBridge Scheduler would). */
export class FireDueCmd extends Cmd {
  override named(m: Model) {
    return [...m.timers.values()].filter((t) => t.at <= m.now).map((t) => m.projects[t.key]);
  }
  async act(m: Model, r: Real): Promise<void> {
    const due = r.scheduler.takeDue(r.clock.ms).filter((t) => r.ids.includes(t.input.projectId));
    const got: { name: string; outcome: TimerOutcome }[] = [];
    for (const t of due) {
      const source = t.name.match(/\.s(\d)-\d+$/)?.[1];
      got.push({ name: `${t.kind}-${r.ids.indexOf(t.input.projectId)}${source !== undefined ? `.s${source}` : ''}-${Date.parse(t.input.pausedAt)}`, outcome: await fire(t.input) });
    }
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    const want = fireDue(m).sort(byName);
    for (const w of want) tally(`due ${w.name.split('-')[0]} ${w.outcome.outcome} ${'code' in w.outcome ? w.outcome.code : ''}`);
    expect(got.sort(byName), this.toString()).toEqual(want);
  }
  toString(): string {
    return 'scheduler fires due timers';
  }
}

/**
 * `POST /projects/{id}/pause|resume` with `{"sources": [...]}`. `pick` says which sources: 'fit' = one
 * the operation suits (a running source to pause, one paused on its own to resume: `nth` among them),
 * else the listed positions, where a position past the project's sources names a source it does not
 * read (another registered source, or the destination): 400.
 */
export class SourceOpCmd extends Cmd {
  constructor(readonly op: 'pause' | 'resume', readonly target: Target, readonly pick: 'fit' | number[], readonly nth: number, readonly actor: string) {
    super();
  }
  override named(m: Model) {
    return [resolve(m, this.target)];
  }
  private positions(p: ModelProject | undefined): number[] {
    if (this.pick !== 'fit') return [...new Set(this.pick)];
    const fits = (p?.sources ?? []).map((src, i) => ({ src, i })).filter(({ src }) => (this.op === 'pause' ? src.pausedAt === undefined : src.pausedAt !== undefined));
    const chosen = fits.length ? fits[this.nth % fits.length]?.i : 0;
    return [chosen ?? 0];
  }
  async act(m: Model, r: Real): Promise<void> {
    const p = resolve(m, this.target);
    const count = p?.sources?.length ?? 1;
    const positions = this.positions(p);
    // A position inside the project names its source (a single-source project reads r.sourceId); past it, a foreign id.
    const ids = positions.map((i) => (i < count ? (p?.sources ? (r.sourceIds[i] as string) : r.sourceId) : i === 3 ? r.destinationId : (r.sourceIds[i] as string)));
    const res = await call('POST', `/projects/${idOf(m, r, p)}/${this.op}`, { body: { sources: ids }, headers: headers(this.actor) });
    const want = sourceCall(m, p, this.op, p?.sources ? positions.map((i) => (i < count ? i : 'foreign')) : positions.map(() => 'foreign'), this.actor);
    tally(`${this.op} sources ${want.status} ${want.code ?? ''}`);
    expect(outcomeOf(res), this.toString()).toEqual(want);
    if (res.status === 200 && p) {
      expect({ status: res.body.status, version: res.body.version }).toEqual({ status: p.status, version: p.version });
      // Every lifecycle answer of a multi-source project carries the dmctl-shaped outcome.
      if (p.sources) expect(res.body.outcome?.result, `${this.toString()}: outcome`).toBe(true);
    }
  }
  toString(): string {
    return `${this.op} sources(${this.target}, ${this.pick === 'fit' ? `fit #${this.nth}` : `[${this.pick.join(',')}]`})`;
  }
}

/** A source's own expiry timer fires by itself: early, late, twice, or for an earlier pause of that source. */
export class FireSourceTimerCmd extends Cmd {
  constructor(readonly target: Target, readonly source: number, readonly pause: 'current' | 'previous') {
    super();
  }
  private project(m: Model): ModelProject | undefined {
    const havePaused = m.projects.filter((q) => (q.sources ?? []).some((src) => src.pauses.length > 0));
    return this.target !== 'unknown' && havePaused.length ? havePaused[this.target % havePaused.length] : resolve(m, this.target);
  }
  override named(m: Model) {
    return [this.project(m)];
  }
  async act(m: Model, r: Real): Promise<void> {
    const p = this.project(m);
    const i = this.source % (p?.sources?.length ?? 2);
    const src = p?.sources?.[i];
    const pausedAt = this.pause === 'current' ? (src?.pausedAt ?? src?.pauses[src.pauses.length - 1] ?? m.now) : (src?.pauses[src.pauses.length - 2] ?? src?.pauses[0] ?? m.now - 1);
    const got = await fire({ kind: 'expire', projectId: idOf(m, r, p), pausedAt: new Date(pausedAt).toISOString(), sourceId: r.sourceIds[i] as string });
    // A project of one source has no source of its own to expire: the source the firing names is not one of its (400, ignored).
    const want = p && !p.deleted && !p.sources ? ({ outcome: 'ignored', code: 'VALIDATION_FAILED' } as TimerOutcome) : fireSourceTimer(m, p, i, pausedAt);
    tally(`fire source expire ${want.outcome} ${'code' in want ? want.code : ''}`);
    expect(got, this.toString()).toEqual(want);
  }
  toString(): string {
    return `fire source expire timer(${this.target}, s${this.source}, ${this.pause} pause)`;
  }
}

export type ClockMove = { by: number } | { toDeadlineOf: number; offset: number };

export class ClockCmd extends Cmd {
  constructor(readonly move: ClockMove) {
    super();
  }
  /** resumable and allowedActions depend on the clock: every project is read again. */
  override named(m: Model) {
    return m.projects;
  }
  async act(m: Model, r: Real): Promise<void> {
    let to = m.now;
    if ('by' in this.move) to = m.now + this.move.by;
    else {
      // The deadlines of PAUSED projects, then of sources paused on their own.
      const deadlines = [
        ...m.projects.filter((q) => !q.deleted && q.status === 'PAUSED').map((q) => q.pauseExpiresAt),
        ...m.projects.filter((q) => !q.deleted).flatMap((q) => (q.sources ?? []).filter((src) => src.pausedAt !== undefined && src.expiredAt === undefined).map((src) => src.pauseExpiresAt)),
      ];
      const deadline = deadlines.length ? deadlines[this.move.toDeadlineOf % deadlines.length] : undefined;
      if (deadline !== undefined && deadline + this.move.offset > m.now) to = deadline + this.move.offset;
    }
    m.now = to;
    r.clock.ms = to;
  }
  toString(): string {
    return 'by' in this.move ? `clock +${this.move.by} ms` : `clock to deadline of paused #${this.move.toDeadlineOf} ${this.move.offset >= 0 ? '+' : ''}${this.move.offset} ms`;
  }
}

/**
 * SIMULATED engine progress (no engine runs here): the run of a RUNNING project reaches the full
 * verification, finishes it, waits at a switchover gate or at the next manual step. Written with the
 * store's fenced run write, as the execution's own progress writes are (no version, no audit event).
 */
export class SimulatedProgressCmd extends Cmd {
  constructor(readonly target: number) {
    super();
  }
  override named(m: Model) {
    return [resolve(m, this.target)];
  }
  async act(m: Model, r: Real): Promise<void> {
    const p = resolve(m, this.target);
    if (!p || p.deleted) return;
    const what = simulatedProgress(p);
    if (!what) return;
    applySimulatedProgress(p, what);
    tally(`SIMULATED progress ${what}`);
    const set = [
      ...subtasksOf(p).map((s, i) => ({ path: ['subtasks', i, 'status'], value: p.subtasks[s] })),
      ...stepsOf(p).map(([n], j) => [
        { path: ['subtasks', 4, 'steps', j, 'status'], value: p.steps[n].status },
        { path: ['subtasks', 4, 'steps', j, 'waitingForConfirmation'], value: p.steps[n].waiting },
      ]).flat(),
      { path: ['currentStage'], value: p.currentStage },
      ...(p.waitingStep ? [{ path: ['waitingStep'], value: p.waitingStep }] : []),
      ...(p.awaiting ? [{ path: ['awaiting'], value: p.awaiting }, { path: ['taskToken'], value: `sim-token-${r.ids[p.key]}-${p.awaiting}` }] : []),
    ];
    await getDeps().projects.updateRun({ projectId: r.ids[p.key] as string, run: p.run as number, statuses: ['RUNNING'], set });
  }
  toString(): string {
    return `SIMULATED engine progress(${this.target})`;
  }
}

/**
 * SIMULATED end of a run: its execution completes or fails it through the orchestration use cases
 * (fenced on the run). On a project that is not RUNNING the stale execution must change nothing.
 */
export class SimulatedRunEndCmd extends Cmd {
  constructor(readonly target: number, readonly how: 'complete' | 'fail') {
    super();
  }
  override named(m: Model) {
    return [resolve(m, this.target)];
  }
  async act(m: Model, r: Real): Promise<void> {
    const p = resolve(m, this.target);
    if (!p || p.deleted || p.run === undefined) return;
    const input = { projectId: r.ids[p.key] as string, run: p.run };
    const applies = simulatedRunEnd(m, p, this.how);
    tally(`SIMULATED run ${this.how} ${applies ? 'applied' : 'fenced'}`);
    const state = this.how === 'complete' ? await completeRun(getDeps(), input) : await recordFailure(getDeps(), input);
    if (applies) r.orchestrator.active.delete(input.projectId); // the execution ended by itself
    expect(state.work.action === 'FENCED', this.toString()).toBe(!applies);
  }
  toString(): string {
    return `SIMULATED run ${this.how === 'complete' ? 'completes' : 'fails'}(${this.target})`;
  }
}

// ---- generators ----

const target = fc.oneof({ weight: 12, arbitrary: fc.nat(3) as fc.Arbitrary<Target> }, { weight: 1, arbitrary: fc.constant('unknown' as Target) });
const actor = fc.constantFrom(...ACTORS);
const level = fc.constantFrom(...LEVELS);
const opArgs = (op: UserOp): fc.Arbitrary<OpArgs> =>
  fc.record({
    target,
    ifMatch: fc.oneof({ weight: 6, arbitrary: fc.constant('none' as const) }, { weight: 2, arbitrary: fc.constant('right' as const) }, { weight: 1, arbitrary: fc.constant('stale' as const) }),
    actor,
    level,
    confirm: op === 'delete' ? fc.oneof({ weight: 5, arbitrary: fc.constant('right' as const) }, fc.constant('wrong' as const), fc.constant('none' as const)) : fc.constant('none' as const),
    step: fc.oneof({ weight: 3, arbitrary: fc.constant('waiting' as const) }, fc.nat(2)),
    outage: op === 'start' || op === 'resume' ? fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, fc.constant(true)) : fc.constant(false),
  });
const HOUR = 3600_000;

export const create = fc
  .tuple(fc.nat(2), fc.option(level, { nil: undefined }), actor, fc.oneof({ weight: 3, arbitrary: fc.constant(1) }, fc.constantFrom(2, 3)))
  .map(([n, l, a, k]) => new CreateCmd(n, l, a, k) as Cmd);
/** A project of 2 or 3 sources (the per-source alphabet starts with one). */
export const createMulti = fc.tuple(fc.nat(2), actor, fc.constantFrom(2, 3)).map(([n, a, k]) => new CreateCmd(n, undefined, a, k) as Cmd);
const sourceOp = fc
  .tuple(
    fc.constantFrom('pause' as const, 'resume' as const),
    target,
    fc.oneof({ weight: 4, arbitrary: fc.constant('fit' as const) }, fc.array(fc.nat(3), { minLength: 1, maxLength: 2 })),
    fc.nat(2),
    actor,
  )
  .map(([op, t, pick, nth, a]) => new SourceOpCmd(op, t, pick, nth, a) as Cmd);
const fireSource = fc
  .tuple(target, fc.nat(2), fc.oneof({ weight: 3, arbitrary: fc.constant('current' as const) }, fc.constant('previous' as const)))
  .map(([t, i, p]) => new FireSourceTimerCmd(t, i, p) as Cmd);
const batch = fc
  .record({
    op: fc.constantFrom<BatchOp>('start', 'pause', 'resume', 'release', 'delete', 'modify-alert-config', 'skip-full-verification', 'enter-forward-switchover', 'start-forward-switchover'),
    picks: fc.array(fc.nat(3), { minLength: 1, maxLength: 3 }),
    withUnknown: fc.boolean(),
    dryRun: fc.boolean(),
    versions: fc.constantFrom('none' as const, 'right' as const, 'stale-one' as const),
    level,
    actor,
  })
  .map((b) => new BatchCmd(b.op, b.picks, b.withUnknown, b.dryRun, b.versions, b.level, b.actor) as Cmd);
const fireOne = fc
  .tuple(fc.constantFrom('warn' as const, 'expire' as const), target, fc.oneof({ weight: 3, arbitrary: fc.constant('current' as const) }, fc.constant('previous' as const)))
  .map(([k, t, p]) => new FireTimerCmd(k, t, p) as Cmd);
const clock = fc
  .oneof(
    fc.constantFrom(1, 1000, 60_000, 30 * 60_000, HOUR, 11.5 * HOUR, 12 * HOUR, 13 * HOUR).map((by): ClockMove => ({ by })),
    fc.tuple(fc.nat(3), fc.constantFrom(-30 * 60_000 - 1, -30 * 60_000, -1, 0, 1)).map(([t, offset]): ClockMove => ({ toDeadlineOf: t, offset })),
  )
  .map((mv) => new ClockCmd(mv) as Cmd);
const progress = fc.nat(3).map((t) => new SimulatedProgressCmd(t) as Cmd);
const runEnd = fc.tuple(fc.nat(3), fc.constantFrom('complete' as const, 'fail' as const)).map(([t, h]) => new SimulatedRunEndCmd(t, h) as Cmd);

/**
 * The whole alphabet; fc.commands picks uniformly among the entries, so frequency is set by repeating
 * an entry (lifecycle calls are the bulk, the rarer commands appear once).
 */
const allowedOp = fc
  .tuple(
    fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.constant(1) }, fc.nat(7)),
    fc.record({
      target: fc.nat(3) as fc.Arbitrary<Target>,
      ifMatch: fc.oneof({ weight: 4, arbitrary: fc.constant('none' as const) }, fc.constant('right' as const)),
      actor,
      level,
      confirm: fc.constant('right' as const),
      step: fc.constant('waiting' as const),
      outage: fc.oneof({ weight: 12, arbitrary: fc.constant(false) }, fc.constant(true)),
    }),
  )
  .map(([choice, a]) => new AllowedOpCmd(choice, a) as Cmd);

export const allCommands: fc.Arbitrary<Cmd>[] = [
  create,
  create,
  allowedOp,
  allowedOp,
  allowedOp,
  allowedOp,
  allowedOp,
  allowedOp,
  ...(['start', 'pause', 'resume', 'start', 'pause', 'resume', 'release', 'delete', 'modify-alert-config', 'skip-full-verification', 'enter-forward-switchover', 'start-forward-switchover', 'confirm-switchover-step'] as UserOp[]).map(
    (name) => opArgs(name).map((a) => new OpCmd(name, a) as Cmd),
  ),
  batch,
  batch,
  fireOne,
  fireOne,
  fc.constant(new FireDueCmd() as Cmd),
  clock,
  clock,
  progress,
  progress,
  progress,
  runEnd,
  sourceOp,
  sourceOp,
  fireSource,
];

/** Per-source pause and resume in focus: multi-source projects, their sources paused and resumed, deadlines reached, timers firing. */
const startPlain = opArgs('start').map((a) => new OpCmd('start', { ...a, ifMatch: 'none', outage: false }) as Cmd);
export const sourceCommands: fc.Arbitrary<Cmd>[] = [
  createMulti,
  startPlain,
  startPlain,
  allowedOp,
  sourceOp,
  sourceOp,
  sourceOp,
  sourceOp,
  sourceOp,
  clock,
  clock,
  fireSource,
  fc.constant(new FireDueCmd() as Cmd),
  progress,
];

/** Self-test alphabet: a source paused on its own, the clock past its deadline, its resume. */
export const sourceDeadlineCommands: fc.Arbitrary<Cmd>[] = [
  allowedOp,
  fc.constant(new SourceOpCmd('pause', 0, 'fit', 0, 'alice') as Cmd),
  fc.constant(new SourceOpCmd('resume', 0, 'fit', 0, 'alice') as Cmd),
  fc.constantFrom(12 * HOUR, 13 * HOUR).map((by) => new ClockCmd({ by }) as Cmd),
];

/** Self-test alphabets: short runs that reach a late resume, or a release followed by a create of the same name. */
export const deadlineCommands: fc.Arbitrary<Cmd>[] = [allowedOp, allowedOp, fc.constantFrom(12 * HOUR, 13 * HOUR).map((by) => new ClockCmd({ by }) as Cmd)];
export const nameCommands: fc.Arbitrary<Cmd>[] = [
  allowedOp,
  allowedOp,
  opArgs('start').map((a) => new OpCmd('start', { ...a, target: 0, ifMatch: 'none' }) as Cmd),
  opArgs('release').map((a) => new OpCmd('release', { ...a, target: 0, ifMatch: 'none' }) as Cmd),
  actor.map((a) => new CreateCmd(0, undefined, a) as Cmd),
];

/** Pause timers in focus: pauses, moves to (just before, at, after) deadlines and warnings, firings. */
export const timerCommands: fc.Arbitrary<Cmd>[] = [allowedOp, allowedOp, clock, clock, fireOne, fireOne, fc.constant(new FireDueCmd() as Cmd)];
