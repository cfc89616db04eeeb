import fc from 'fast-check';
import { writeFileSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDataSources } from '../support/harness';
import { FAULT_KINDS, type Fault } from './faults/fault-plan';
import { answerViolations, runCase, type CaseResult } from './faults/runner';
import { SCENARIOS, setDataSources, type Scenario } from './faults/scenarios';
import type { AuditEvent, ProjectRecord } from '../../shared/domain/project';
import { call } from '../support/harness';
import { createWorld, type World } from './faults/world';
import { HEAVY, SEED, report, size } from './support/profile';
import { DMS_SCENARIOS, dmsFaultKinds, runDmsCase, type DmsScenario } from './faults/dms-scenarios';
import { createDmsWorld, type DmsMode } from './faults/dms-world';

/**
 * Fault injection: every operation (the lifecycle calls, batch, the pause timers, the orchestration's
 * tasks, the reconciler) is first run fault-free to learn the adapter calls it makes (DynamoDB, Step
 * Functions, Scheduler, engine, EventBridge); then, for each of those calls and each fault kind
 * (throttled before the effect, refused before it, timed out after it, a 500 after it), the operation
 * runs once with that one fault, the repair paths run (executions learn they are fenced, the scheduler
 * retries a failed timer, the stream redelivers, the reconciler), and the invariants are checked.
 */

let w: World;

beforeAll(async () => {
  // The product logs every compensated or failed side effect; thousands of injected faults would flood the output.
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  w = await createWorld();
  setDataSources(await createDataSources('fi'));
});

afterAll(() => {
  vi.restoreAllMocks();
});

interface Combination {
  scenario: Scenario;
  fault: Fault;
  label: string;
}

describe('fault injection', () => {
  it('every operation × adapter call × fault kind keeps the invariants', { timeout: HEAVY ? 45 * 60_000 : 1_500_000 }, async () => {
    const started = Date.now();
    // Prepare: a fault-free run of each operation names its calls (and must itself be clean).
    const combinations: Combination[] = [];
    const baseline: CaseResult[] = [];
    for (const scenario of SCENARIOS) {
      const clean = await runCase(w, scenario);
      baseline.push(clean);
      for (const call of clean.calls) {
        for (const kind of FAULT_KINDS) {
          combinations.push({ scenario, fault: { at: call.index, kind }, label: `${scenario.name} / #${call.index} ${call.port}.${call.method} / ${kind}` });
        }
      }
    }
    expect(baseline.flatMap((b) => b.violations.map((v) => `${b.scenario} (no fault): ${v}`))).toEqual([]);

    // Act: every combination in the heavy run (repeated), a seeded sample inside npm test.
    const repeats = size(2, 1);
    const sampleSize = size(Number.MAX_SAFE_INTEGER, 55);
    const chosen =
      sampleSize >= combinations.length ? combinations : fc.sample(fc.shuffledSubarray(combinations, { minLength: sampleSize, maxLength: sampleSize }), { seed: SEED, numRuns: 1 })[0] ?? [];
    const failures: string[] = [];
    let runs = baseline.length;
    const faultsBefore = w.plan.hits;
    for (let r = 0; r < repeats; r++) {
      for (const c of chosen) {
        const t0 = Date.now();
        const result = await runCase(w, c.scenario, c.fault);
        if (process.env.FI_TRACE) process.stderr.write(`${Date.now() - t0} ms ${c.label}\n`);
        runs++;
        for (const v of result.violations) failures.push(`${c.label}${result.hit ? '' : ' (not hit)'}: ${v}`);
      }
    }

    // Assess
    if (failures.length) {
      mkdirSync('.reliability', { recursive: true });
      writeFileSync('.reliability/fault-injection-failures.txt', failures.join('\n'));
    }
    const faults = w.plan.hits - faultsBefore;
    vi.restoreAllMocks(); // report() prints
    report({
      suite: 'fault-injection',
      cases: chosen.length,
      runs,
      faults,
      failures: failures.length,
      notes: `case = operation × adapter call × fault kind (${combinations.length} in all, ${SCENARIOS.length} operations); run = one operation executed then repaired and checked; ${HEAVY ? repeats + ' passes' : 'seeded sample'}; ${Math.round((Date.now() - started) / 1000)} s`,
    });
    expect(failures).toEqual([]);
    expect(faults).toBeGreaterThan(chosen.length * repeats * 0.9);
  });

  it('the checks themselves fail on a broken world (self-test)', async () => {
    // Prepare: a started project whose execution then vanishes, and a pause schedule nobody owns.
    const scenario = SCENARIOS.find((x) => x.name === 'start') as Scenario;
    const ctx = await scenario.setup(w);
    const id = ctx.projectIds[0] as string;
    expect((await call('POST', `/projects/${id}/start`)).status).toBe(200);
    const p = (await w.inspect.get(id)) as ProjectRecord;
    const exec = w.orchestrator.executions.get(`${id}-${p.run}`);
    if (exec) exec.status = 'ABORTED';
    w.scheduler.timers.set('expire-x', { name: 'expire-x', kind: 'expire', at: new Date(w.clock.ms).toISOString(), input: { kind: 'expire', projectId: id, pausedAt: 'x' } });
    await w.deliverStream([id], 1);

    // Act
    const found = await w.violations([id]);
    const startEvent = { operation: 'start', version: 2 } as AuditEvent;
    const lied = answerViolations(
      { kind: 'http', status: 503, body: {}, asked: { [id]: 'start' } },
      new Map([[id, { ...p, status: 'NOT_STARTED' }]]),
      new Map([[id, p]]),
      new Map([[id, [startEvent]]]),
    );
    const claimed = answerViolations({ kind: 'http', status: 200, body: {}, asked: { [id]: 'start' } }, new Map([[id, p]]), new Map([[id, p]]), new Map([[id, []]]));

    // Assess
    expect(found).toContainEqual(expect.stringContaining('RUNNING (run 1) without a live execution'));
    expect(lied).toEqual([expect.stringContaining('answered 503 but start')]);
    expect(claimed).toEqual([expect.stringContaining('answered 200 but start')]);
    w.scheduler.timers.delete('expire-x');
    if (exec) exec.status = 'RUNNING';
  });
});

/**
 * The AWS DMS adapter's calls (test/reliability/faults/dms-world.ts): each operation that drives DMS
 * is first run fault-free to learn its DMS and CloudWatch requests; then, for each of them and each
 * fault kind (throttled, refused, timed out after the effect, a 500 after it, and for a request that
 * changes DMS the SDK's replay of it: ResourceAlreadyExistsFault on a create, ResourceNotFoundFault on
 * a delete, InvalidResourceStateFault on a start or stop), the operation runs once with that fault,
 * the repair paths run, the invariants are checked (identifiers from the project id and nothing
 * created twice, no start-replication on a task that ran, run and execution agree, a paused project's
 * tasks stopped) and a release must leave no task or endpoint of the project in DMS.
 */
describe('fault injection: the AWS DMS adapter', () => {
  it('every DMS operation × DMS call × fault kind keeps the invariants and leaks nothing', { timeout: HEAVY ? 45 * 60_000 : 1_500_000 }, async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const started = Date.now();
    // Prepare: the fault-free run of each operation names its calls (and must itself be clean).
    // Both modes: replication tasks on an instance, DMS Serverless replication configs.
    const combinations: { mode: DmsMode; scenario: DmsScenario; fault: Fault; label: string }[] = [];
    const baseline: { mode: DmsMode; scenario: string; calls: { method: string }[]; violations: string[] }[] = [];
    for (const mode of ['instance', 'serverless'] as const) {
      for (const scenario of DMS_SCENARIOS) {
        const clean = await runDmsCase(mode, scenario);
        baseline.push({ mode, ...clean });
        for (const c of clean.calls) {
          for (const kind of dmsFaultKinds(c.method)) combinations.push({ mode, scenario, fault: { at: c.index, kind }, label: `${mode}: ${scenario.name} / #${c.index} ${c.port}.${c.method} / ${kind}` });
        }
      }
    }
    const methodsOf = (mode: DmsMode) => [...new Set(baseline.filter((b) => b.mode === mode).flatMap((b) => b.calls.map((c) => c.method)))].sort();
    const methods = new Set([...methodsOf('instance'), ...methodsOf('serverless')]);

    // Act: every combination in the heavy run, a seeded sample inside npm test.
    const sampleSize = size(Number.MAX_SAFE_INTEGER, 80);
    const chosen =
      sampleSize >= combinations.length ? combinations : fc.sample(fc.shuffledSubarray(combinations, { minLength: sampleSize, maxLength: sampleSize }), { seed: SEED, numRuns: 1 })[0] ?? [];
    const failures: string[] = [];
    let faults = 0;
    for (const c of chosen) {
      const result = await runDmsCase(c.mode, c.scenario, c.fault);
      if (result.hit) faults++;
      for (const v of result.violations) failures.push(`${c.label}${result.hit ? '' : ' (not hit)'}: ${v}`);
    }

    // Assess
    if (failures.length) {
      mkdirSync('.reliability', { recursive: true });
      writeFileSync('.reliability/fault-injection-dms-failures.txt', failures.join('\n'));
    }
    vi.restoreAllMocks(); // report() prints
    report({
      suite: 'fault-injection-dms',
      cases: chosen.length,
      runs: baseline.length + chosen.length,
      faults,
      failures: failures.length,
      notes: `case = mode (instance, serverless) × DMS operation × DMS/CloudWatch call × fault kind (${combinations.length} in all, ${DMS_SCENARIOS.length} operations, ${methods.size} distinct calls); run = one operation on the DMS adapter over a fake DMS, repaired, checked, then released and checked for leaks; ${HEAVY ? 'every case' : 'seeded sample'}; ${Math.round((Date.now() - started) / 1000)} s`,
    });
    expect(baseline.flatMap((b) => b.violations.map((v) => `${b.mode}: ${b.scenario} (no fault): ${v}`))).toEqual([]);
    const common = ['AddTagsToResource', 'CreateEndpoint', 'DeleteEndpoint', 'DescribeEndpoints', 'GetMetricData', 'ListTagsForResource'];
    expect(methodsOf('instance')).toEqual(
      [...common, 'CreateReplicationTask', 'DeleteReplicationTask', 'DescribeReplicationTasks', 'DescribeTableStatistics', 'StartReplicationTask', 'StopReplicationTask'].sort(),
    );
    expect(methodsOf('serverless')).toEqual(
      [...common, 'CreateReplicationConfig', 'DeleteReplicationConfig', 'DescribeReplicationTableStatistics', 'DescribeReplications', 'StartReplication', 'StopReplication'].sort(),
    );
    expect(failures).toEqual([]);
    expect(faults).toBe(chosen.length);
  });

  it('the DMS checks themselves fail on a broken DMS (self-test)', async () => {
    // Prepare: a released project, then an endpoint of it made again behind its back, a task created twice, a data-losing start
    const w = createDmsWorld();
    const id = await DMS_SCENARIOS[0]!.setup(w);
    await DMS_SCENARIOS[0]!.act(w, id);
    const cleanLeaks = await w.releaseAndCheck(id);
    w.fake.createEndpoint({ EndpointIdentifier: w.engine.idOf(id, 'src'), EndpointType: 'source', EngineName: 'postgres' });
    w.created.push(w.engine.idOf(id, 'fwd'), 'mig-other-name');
    w.dataLoss.push('start-replication on a task that ran');

    // Act
    const found = await w.violations(id);

    // Assess
    expect(cleanLeaks).toEqual([]);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringContaining('mig-other-name is not named from the project id'),
        expect.stringContaining(`created twice in DMS: ${w.engine.idOf(id, 'fwd')}`),
        expect.stringContaining('a request that loses data reached DMS'),
        expect.stringContaining(`RELEASED, yet DMS holds ${w.engine.idOf(id, 'src')}`),
      ]),
    );
  });
});

