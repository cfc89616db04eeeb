import { InMemoryOrchestrator } from '../../shared/adapters/memory/orchestrator';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BATCH_OPERATIONS, batchRuleFor, currentSwitchoverStep, sameSwitchoverStep } from '../../shared/domain/batch';
import { DomainError } from '../../shared/domain/errors';
import { PROJECT_STATUSES, type MigrationType, type ProjectRecord, type ProjectStatus } from '../../shared/domain/project';
import { buildSubtasks, type SwitchoverStepName } from '../../shared/domain/subtasks';
import { isAllowed, type TransitionRule } from '../../shared/domain/transitions';
import { logger } from '../../shared/observability/telemetry';
import { BATCH_EXECUTORS, runBatch, type BatchExecution, type BatchPreview } from '../../shared/usecases/batch';
import { mapWithConcurrency } from '../../shared/usecases/concurrency';
import { createDataSource } from '../../shared/usecases/data-sources';
import { applyOperation } from '../../shared/usecases/lifecycle';
import { createProject } from '../../shared/usecases/projects';
import { memoryDeps } from '../support/memory-deps';

const ctx = { actor: 'arn:aws:iam::123456789012:user/alice', requestId: 'req-batch' };
const ALL: MigrationType = { structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: true, reverseIncrementalSync: true };
let counter = 0;

async function prepare(overrides: Parameters<typeof memoryDeps>[0] = {}) {
  const deps = memoryDeps(overrides);
  const src = await createDataSource(deps, { name: 'src', engine: 'mysql', host: 'h', port: 3306, username: 'u' });
  const dst = await createDataSource(deps, { name: 'dst', engine: 'tidb', host: 'h', port: 4000, username: 'u' });
  /** A project in `status`: through the use cases where they reach it, else set in the fake table. */
  const projectIn = async (status: ProjectStatus, extra: { labels?: string[]; migrationType?: MigrationType } = {}) => {
    const p = await createProject(deps, { name: `p${++counter}`, sourceId: src.id, destinationId: dst.id, migrationType: extra.migrationType ?? ALL, ...(extra.labels ? { labels: extra.labels } : {}) }, ctx);
    const step = (operation: 'start' | 'pause' | 'release') => applyOperation(deps, { operation, projectId: p.id, ctx });
    if (status !== 'NOT_STARTED') await step('start');
    if (status === 'PAUSED' || status === 'RELEASED' || status === 'RELEASING') await step('pause');
    if (status === 'RELEASED') await step('release');
    if (status === 'FAILED' || status === 'COMPLETED' || status === 'RELEASING') (deps.table.projects.get(p.id) as ProjectRecord).status = status;
    return (await deps.projects.get(p.id)) as ProjectRecord;
  };
  return { deps, projectIn };
}

describe('batch use case (in-memory stores)', () => {
  afterEach(() => {
    for (const k of Object.keys(BATCH_EXECUTORS)) delete BATCH_EXECUTORS[k as keyof typeof BATCH_EXECUTORS];
  });

  it('a preview partitions the selection by the transitions table, with reasons, and changes nothing', async () => {
    // Prepare
    const { deps, projectIn } = await prepare();
    const projects = await Promise.all(PROJECT_STATUSES.map((s) => projectIn(s)));
    const before = structuredClone([...deps.table.projects.values()]);
    const eventsBefore = [...deps.table.events.values()].flat().length;

    // Act
    const preview = (await runBatch(deps, { operation: 'pause', projectIds: [...projects.map((p) => p.id), 'nope'], dryRun: true }, ctx)) as BatchPreview;

    // Assess
    const running = projects.find((p) => p.status === 'RUNNING') as ProjectRecord;
    expect(preview.eligible).toEqual([{ projectId: running.id, name: running.name, status: 'RUNNING', updatedAt: running.updatedAt, version: running.version }]);
    expect(preview.ineligible).toHaveLength(PROJECT_STATUSES.length);
    const paused = projects.find((p) => p.status === 'PAUSED') as ProjectRecord;
    expect(preview.ineligible).toContainEqual({ projectId: paused.id, name: paused.name, status: 'PAUSED', code: 'INVALID_STATE', reason: expect.stringContaining('PAUSED') });
    expect(preview.ineligible).toContainEqual({ projectId: 'nope', code: 'PROJECT_NOT_FOUND', reason: expect.any(String) });
    expect([...deps.table.projects.values()]).toEqual(before);
    expect([...deps.table.events.values()].flat()).toHaveLength(eventsBefore);
  });

  it('execution changes each eligible project as the single call does, reports every item in order, and tags the events with the batch id', async () => {
    // Prepare
    const { deps, projectIn } = await prepare();
    const notStarted = await projectIn('NOT_STARTED');
    const released = await projectIn('RELEASED');
    const running = await projectIn('RUNNING');

    // Act: batch delete needs no typed names
    const out = (await runBatch(deps, { operation: 'delete', projectIds: [running.id, notStarted.id, 'ghost', released.id] }, ctx)) as BatchExecution;

    // Assess
    expect(out).toMatchObject({ operation: 'delete', requested: 4, succeeded: 2, failed: 2 });
    expect(out.results.map((r) => [r.projectId, r.ok, r.code])).toEqual([
      [running.id, false, 'INVALID_STATE'],
      [notStarted.id, true, undefined],
      ['ghost', false, 'PROJECT_NOT_FOUND'],
      [released.id, true, undefined],
    ]);
    expect(out.results[1]).toMatchObject({ name: notStarted.name, deleted: true, updatedAt: expect.any(String) });
    expect(out.results[0]).toMatchObject({ name: running.name, status: 'RUNNING', updatedAt: running.updatedAt });
    expect(await deps.projects.get(notStarted.id)).toBeUndefined();
    expect(await deps.projects.get(released.id)).toBeUndefined();
    expect(await deps.projects.get(running.id)).toMatchObject({ status: 'RUNNING', version: running.version });
    for (const id of [notStarted.id, released.id]) expect((await deps.projects.listEvents(id)).at(-1)).toMatchObject({ operation: 'delete', batchId: out.batchId, actor: ctx.actor });
    expect(deps.table.names.has(notStarted.name)).toBe(false);
  });

  it('release in a batch passes RELEASING → RELEASED and both events carry the batch id', async () => {
    // Prepare
    const { deps, projectIn } = await prepare();
    const paused = await projectIn('PAUSED');
    const completed = await projectIn('COMPLETED');

    // Act
    const out = (await runBatch(deps, { operation: 'release', projectIds: [paused.id, completed.id] }, ctx)) as BatchExecution;

    // Assess
    expect(out.results.every((r) => r.ok && r.status === 'RELEASED')).toBe(true);
    for (const id of [paused.id, completed.id]) {
      const tail = (await deps.projects.listEvents(id)).slice(-2);
      expect(tail.map((e) => [e.to, e.batchId])).toEqual([
        ['RELEASING', out.batchId],
        ['RELEASED', out.batchId],
      ]);
    }
  });

  it('expectedVersions makes each item conditional: a project changed since the preview is VERSION_MISMATCH, the others go ahead', async () => {
    // Prepare
    const { deps, projectIn } = await prepare();
    const a = await projectIn('RUNNING');
    const b = await projectIn('RUNNING');
    const preview = (await runBatch(deps, { operation: 'pause', projectIds: [a.id, b.id], dryRun: true }, ctx)) as BatchPreview;
    const expectedVersions = Object.fromEntries(preview.eligible.map((e) => [e.projectId, e.version]));
    await applyOperation(deps, { operation: 'modify-alert-config', projectId: a.id, parameters: { level: 'LOW' }, ctx });

    // Act
    const stalePreview = (await runBatch(deps, { operation: 'pause', projectIds: [a.id, b.id], dryRun: true, expectedVersions }, ctx)) as BatchPreview;
    const out = (await runBatch(deps, { operation: 'pause', projectIds: [a.id, b.id], expectedVersions }, ctx)) as BatchExecution;

    // Assess
    expect(stalePreview.ineligible).toEqual([{ projectId: a.id, name: a.name, status: 'RUNNING', code: 'VERSION_MISMATCH', reason: expect.stringContaining('version 3') }]);
    expect(out.results).toEqual([
      expect.objectContaining({ projectId: a.id, ok: false, code: 'VERSION_MISMATCH', status: 'RUNNING' }),
      expect.objectContaining({ projectId: b.id, ok: true, status: 'PAUSED', version: b.version + 1 }),
    ]);
    expect(await deps.projects.get(a.id)).toMatchObject({ status: 'RUNNING', alertLevel: 'LOW' });
  });

  it('a project that changes between the batch read and its write is refused with its own code, not trampled', async () => {
    // Prepare: someone pauses the project right after the batch read it
    const { deps, projectIn } = await prepare();
    const p = await projectIn('RUNNING');
    const realGetMany = deps.projects.getMany.bind(deps.projects);
    deps.projects.getMany = async (ids) => {
      const seen = await realGetMany(ids);
      await applyOperation(deps, { operation: 'pause', projectId: p.id, ctx: { ...ctx, actor: 'bob' } });
      return seen;
    };

    // Act
    const out = (await runBatch(deps, { operation: 'pause', projectIds: [p.id] }, ctx)) as BatchExecution;

    // Assess
    expect(out.results[0]).toMatchObject({ ok: false, code: 'INVALID_STATE', status: 'PAUSED' });
    expect((await deps.projects.listEvents(p.id)).filter((e) => e.operation === 'pause').map((e) => e.actor)).toEqual(['bob']);
  });

  it('an unexpected error on one project becomes that item\'s INTERNAL_ERROR; the rest of the batch completes', async () => {
    // Prepare
    const { deps, projectIn } = await prepare();
    const ps = await Promise.all([1, 2, 3].map(() => projectIn('RUNNING')));
    const broken = ps[1] as ProjectRecord;
    const realTransition = deps.projects.transition.bind(deps.projects);
    deps.projects.transition = async (w) => {
      if (w.projectId === broken.id) throw new Error('socket hang up');
      return realTransition(w);
    };
    const log = vi.spyOn(logger, 'error');

    // Act
    const out = (await runBatch(deps, { operation: 'pause', projectIds: ps.map((p) => p.id) }, ctx)) as BatchExecution;

    // Assess
    expect(out).toMatchObject({ requested: 3, succeeded: 2, failed: 1 });
    expect(out.results[1]).toMatchObject({ projectId: broken.id, ok: false, code: 'INTERNAL_ERROR', name: broken.name });
    expect(out.results[1]?.message).not.toContain('socket');
    expect(log).toHaveBeenCalledWith('batch item failed unexpectedly', expect.objectContaining({ projectId: broken.id, error: 'Error', batchId: out.batchId }));
    log.mockRestore();
  });

  it('keeps at most `concurrency` projects in flight', async () => {
    // Prepare
    let inFlight = 0;
    let peak = 0;
    const orchestrator = Object.assign(new InMemoryOrchestrator(), {
      stopRun: async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight--;
      },
    });
    const { deps, projectIn } = await prepare({ orchestrator });
    const ps: ProjectRecord[] = [];
    for (let i = 0; i < 40; i++) ps.push(await projectIn('RUNNING'));

    // Act
    const out = (await runBatch(deps, { operation: 'pause', projectIds: ps.map((p) => p.id) }, ctx, { concurrency: 5 })) as BatchExecution;

    // Assess
    expect(out.succeeded).toBe(40);
    expect(peak).toBe(5);
  });

  it('modify-alert-config carries parameters.level to every project; without it the batch is a 400', async () => {
    // Prepare
    const { deps, projectIn } = await prepare();
    const ps = await Promise.all((['NOT_STARTED', 'RUNNING', 'COMPLETED'] as const).map((s) => projectIn(s)));

    // Act
    const out = (await runBatch(deps, { operation: 'modify-alert-config', projectIds: ps.map((p) => p.id), parameters: { level: 'HIGH' } }, ctx)) as BatchExecution;
    const missing = await runBatch(deps, { operation: 'modify-alert-config', projectIds: [ps[0]?.id as string] }, ctx).catch((e: unknown) => e);

    // Assess
    expect(out.results.map((r) => r.ok)).toEqual([true, true, false]);
    expect((await deps.projects.get(ps[0]?.id as string))?.alertLevel).toBe('HIGH');
    expect((await deps.projects.listEvents(ps[1]?.id as string)).at(-1)).toMatchObject({ detail: { level: 'HIGH' }, batchId: out.batchId });
    expect(missing).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });

  it.each([
    ['repeated ids', { projectIds: ['a', 'b', 'a'] }],
    ['more than 1000 ids', { projectIds: Array.from({ length: 1001 }, (_, i) => `id-${i}`) }],
    ['no ids', { projectIds: [] }],
    ['ids and a selector', { projectIds: ['a'], selector: { status: 'RUNNING' as const } }],
    ['neither ids nor a selector', {}],
  ])('%s → 400 VALIDATION_FAILED before anything is read', async (_case, target) => {
    const { deps } = await prepare();
    const getMany = vi.spyOn(deps.projects, 'getMany');
    const e = await runBatch(deps, { operation: 'pause', ...target }, ctx).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DomainError);
    expect(e).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(getMany).not.toHaveBeenCalled();
  });

  it('a selector pages through the matching projects, maxPerCall at a time, with nextToken to continue', async () => {
    // Prepare
    const { deps, projectIn } = await prepare();
    const mine: string[] = [];
    for (let i = 0; i < 23; i++) mine.push((await projectIn('RUNNING', { labels: ['team-a'] })).id);
    await projectIn('RUNNING', { labels: ['team-b'] });
    await projectIn('PAUSED', { labels: ['team-a'] });

    // Act
    const pages: BatchExecution[] = [];
    let nextToken: string | undefined;
    do {
      const page = (await runBatch(deps, { operation: 'pause', selector: { status: 'RUNNING', label: 'team-a' }, ...(nextToken ? { nextToken } : {}) }, ctx, { maxPerCall: 10 })) as BatchExecution;
      pages.push(page);
      nextToken = page.nextToken;
    } while (nextToken);

    // Assess
    expect(pages.map((p) => p.requested)).toEqual([10, 10, 3]);
    expect(pages.flatMap((p) => p.results.map((r) => r.projectId)).sort()).toEqual([...mine].sort());
    expect(pages.every((p) => p.failed === 0)).toBe(true);
    expect((await deps.projects.list({ status: 'RUNNING', limit: 100 })).items.map((p) => p.labels)).toEqual([['team-b']]);
  });

  it('operations without a row in the transitions table answer OPERATION_NOT_AVAILABLE per item; with a row, the table decides', async () => {
    // Prepare
    const { deps, projectIn } = await prepare();
    const projects = await Promise.all(PROJECT_STATUSES.map((s) => projectIn(s)));

    for (const operation of BATCH_OPERATIONS) {
      // Act
      const preview = (await runBatch(deps, { operation, projectIds: projects.map((p) => p.id), dryRun: true, ...(operation === 'modify-alert-config' ? { parameters: { level: 'LOW' as const } } : {}) }, ctx)) as BatchPreview;

      // Assess
      const rule = batchRuleFor(operation);
      if (!rule) {
        expect(preview.eligible, operation).toEqual([]);
        expect(new Set(preview.ineligible.map((i) => i.code)), operation).toEqual(new Set(['OPERATION_NOT_AVAILABLE']));
      } else {
        const expected = projects.filter((p) => isAllowed(rule, p, deps.clock.nowMs())).map((p) => p.id);
        expect(preview.eligible.map((e) => e.projectId), operation).toEqual(expected);
      }
    }
  });

  it('getMany reads present ids and leaves unknown ones out', async () => {
    const { deps, projectIn } = await prepare();
    const p = await projectIn('RUNNING');
    const found = await deps.projects.getMany([p.id, 'missing', p.id]);
    expect([...found.keys()]).toEqual([p.id]);
    expect(found.get(p.id)).toEqual(await deps.projects.get(p.id));
  });

  it('mapWithConcurrency keeps the order of its items', async () => {
    const out = await mapWithConcurrency([30, 10, 20, 0], 2, async (ms, i) => {
      await new Promise((r) => setTimeout(r, ms));
      return i;
    });
    expect(out).toEqual([0, 1, 2, 3]);
  });
});

/** A project standing at a given forward switchover step (hand-made orchestration list). */
function atStep(id: string, step: SwitchoverStepName | 'none', migrationType: MigrationType = ALL): ProjectRecord {
  const subtasks = buildSubtasks(migrationType);
  const switchover = subtasks.find((s) => s.type === 'FORWARD_SWITCHOVER');
  if (switchover?.steps && step !== 'none') {
    const at = switchover.steps.findIndex((s) => s.name === step);
    switchover.status = 'RUNNING';
    switchover.steps.forEach((s, i) => (s.status = i < at ? (s.name === 'START_FORWARD_SWITCHOVER' ? 'SKIPPED' : 'SUCCEEDED') : i === at ? 'RUNNING' : 'PENDING'));
  }
  return {
    id,
    name: id,
    sourceId: 's',
    destinationId: 'd',
    migrationType,
    tables: null,
    labels: [],
    alertLevel: 'NONE',
    status: 'RUNNING',
    version: 5,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    subtasks,
    currentStage: 'FORWARD_SWITCHOVER',
  };
}

describe('MIXED_SWITCHOVER_STEPS (seeds: batch start forward switchover)', () => {
  const NO_REVERSE: MigrationType = { ...ALL, reverseIncrementalSync: false };

  it('the current step is the first one neither SUCCEEDED nor SKIPPED', () => {
    expect(currentSwitchoverStep(atStep('a', 'CONFIRM_SOURCE_WRITES_STOPPED'))).toBe('CONFIRM_SOURCE_WRITES_STOPPED');
    expect(currentSwitchoverStep(atStep('a', 'none'))).toBe('START_FORWARD_SWITCHOVER');
    expect(currentSwitchoverStep(atStep('a', 'none', { ...ALL, incrementalSync: false, reverseIncrementalSync: false }))).toBeUndefined();
  });

  it.each([
    ['same type, same step', [atStep('a', 'STOP_FORWARD_SYNC'), atStep('b', 'STOP_FORWARD_SYNC')], false],
    ['a single project past the precheck', [atStep('a', 'START_DESTINATION_STORE')], false],
    ['different steps', [atStep('a', 'STOP_FORWARD_SYNC'), atStep('b', 'STOP_FORWARD_SYNC'), atStep('c', 'START_DESTINATION_STORE')], true],
    ['same step, different migration types', [atStep('a', 'STOP_FORWARD_SYNC'), atStep('b', 'STOP_FORWARD_SYNC', NO_REVERSE)], true],
    ['all at the precheck step', [atStep('a', 'SWITCHOVER_PRECHECK'), atStep('b', 'SWITCHOVER_PRECHECK')], true],
    ['no switchover at all', [atStep('a', 'none', { ...ALL, incrementalSync: false, reverseIncrementalSync: false })], true],
  ])('%s → refused: %s', (_case, projects, refused) => {
    const out = sameSwitchoverStep.check(projects);
    if (!refused) expect(out).toEqual([]);
    else expect(out).toEqual(projects.map((p) => ({ projectId: p.id, code: 'MIXED_SWITCHOVER_STEPS', reason: expect.any(String) })));
  });

  it('in a batch, every table-eligible project is refused together; table-ineligible ones keep their own reason; a uniform selection executes', async () => {
    // Prepare: stand in the row issue 3 adds (RUNNING) and put hand-made projects in the fake table
    const deps = memoryDeps();
    const row: TransitionRule = { operation: 'start-forward-switchover', from: ['RUNNING'], to: 'UNCHANGED', userFacing: true, summary: 'stand-in' };
    const ruleFor = (op: string) => (op === 'start-forward-switchover' ? row : batchRuleFor(op));
    const mixed = [atStep('m1', 'STOP_FORWARD_SYNC'), atStep('m2', 'STOP_FORWARD_SYNC'), atStep('m3', 'START_DESTINATION_STORE'), { ...atStep('m4', 'STOP_FORWARD_SYNC'), status: 'PAUSED' as const }];
    const uniform = [atStep('u1', 'PROCESS_DATABASE_OBJECTS'), atStep('u2', 'PROCESS_DATABASE_OBJECTS')];
    for (const p of [...mixed, ...uniform]) deps.table.projects.set(p.id, p);
    const executed: string[] = [];
    BATCH_EXECUTORS['start-forward-switchover'] = async (_d, item) => {
      executed.push(`${item.projectId}@${item.ctx.batchId}`);
      return item.current;
    };

    // Act
    const preview = (await runBatch(deps, { operation: 'start-forward-switchover', projectIds: mixed.map((p) => p.id), dryRun: true }, ctx, { ruleFor })) as BatchPreview;
    const run = (await runBatch(deps, { operation: 'start-forward-switchover', projectIds: uniform.map((p) => p.id) }, ctx, { ruleFor })) as BatchExecution;

    // Assess
    expect(preview.eligible).toEqual([]);
    expect(preview.ineligible.map((i) => [i.projectId, i.code])).toEqual([
      ['m1', 'MIXED_SWITCHOVER_STEPS'],
      ['m2', 'MIXED_SWITCHOVER_STEPS'],
      ['m3', 'MIXED_SWITCHOVER_STEPS'],
      ['m4', 'INVALID_STATE'],
    ]);
    expect(preview.ineligible[0]?.reason).toMatch(/2 .* at STOP_FORWARD_SYNC; 1 .* at START_DESTINATION_STORE/);
    expect(run).toMatchObject({ requested: 2, succeeded: 2, failed: 0 });
    expect(executed).toEqual([`u1@${run.batchId}`, `u2@${run.batchId}`]);
  });
});
