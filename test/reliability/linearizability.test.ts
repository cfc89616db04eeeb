import { fc } from '@fast-check/vitest';
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ProjectRecord } from '../../shared/domain/project';
import type { PauseTimerRef } from '../../shared/domain/pause-timers';
import type { ExpiryScheduler, Orchestrator } from '../../shared/ports';
import { createDataSources, ManualClock, useLocalTable } from '../support/harness';
import { projectIn } from '../support/seed';
import { checkLinearizable, checkPartitioned } from './lincheck/checker';
import { describe as describeOp, HistoryRecorder, toOperations, type ProjectOperation } from './lincheck/history';
import { projectSpec, type ModelOptions, type ProjectState, type Status, type WriteOp } from './lincheck/model';
import { report, SEED, size } from './support/profile';

/**
 * Linearizability of the lifecycle API: 64 concurrent clients issue conflicting lifecycle calls
 * (start, pause, resume, release, alert-config, reads, some with If-Match carrying a version they
 * read, batch operations over the same projects) on 2–4 projects per round, through the real handlers
 * and real conditional writes on DynamoDB Local. Every call's invocation and response is recorded;
 * after each round the history is checked against the sequential model of a project (per project,
 * P-compositionality) with a Wing–Gong checker, and every transition is checked to have exactly one
 * winner (versions, audit events, executions started, pause timers).
 */

const ROUNDS = size(500, 6);
const CLIENTS = 64;
const HOUR = 3600_000;

/** SIMULATION of the orchestrator: records the executions asked for; no run ever progresses. */
class RecordingOrchestrator implements Orchestrator {
  readonly started: { projectId: string; run: number | undefined }[] = [];
  readonly stopped: { projectId: string; run: number | undefined; reason: string }[] = [];
  async startRun(p: ProjectRecord): Promise<void> {
    this.started.push({ projectId: p.id, run: p.run });
  }
  async stopRun(p: ProjectRecord, reason: string): Promise<void> {
    this.stopped.push({ projectId: p.id, run: p.run, reason });
  }
  async isRunActive(): Promise<boolean> {
    return false;
  }
  async completeTask(): Promise<void> {}
}

/** SIMULATION of the pause timers: records the schedules created and deleted. */
class RecordingExpiryScheduler implements ExpiryScheduler {
  readonly scheduled: { projectId: string; pausedAt: string | undefined }[] = [];
  readonly cancelled: { projectId: string }[] = [];
  async schedulePauseExpiry(p: ProjectRecord): Promise<void> {
    this.scheduled.push({ projectId: p.id, pausedAt: p.pausedAt });
  }
  async cancelPauseExpiry(p: ProjectRecord): Promise<void> {
    this.cancelled.push({ projectId: p.id });
  }
  async listPauseTimers(): Promise<PauseTimerRef[]> {
    return [];
  }
}

// ---- what a round is ----

const LEVELS = ['NONE', 'LOW', 'MEDIUM', 'HIGH'] as const;
const stepArb = fc.record({
  kind: fc.constantFrom('get', 'single', 'single', 'single', 'batch'),
  target: fc.nat(3),
  op: fc.constantFrom<WriteOp>('pause', 'pause', 'pause', 'resume', 'resume', 'resume', 'start', 'modify-alert-config', 'modify-alert-config', 'release'),
  /** none; the version this client last read (reads first if it has none); the version the round began with. */
  ifMatch: fc.constantFrom('none', 'none', 'read', 'initial'),
  level: fc.constantFrom(...LEVELS),
  /** Which of the round's projects a batch names (bit i = project i; never empty). */
  batchMask: fc.integer({ min: 1, max: 15 }),
});
type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;
const roundArb = fc.record({
  projects: fc.array(fc.constantFrom<Status>('NOT_STARTED', 'RUNNING', 'RUNNING', 'PAUSED', 'PAUSED', 'FAILED'), { minLength: 2, maxLength: 4 }),
  /** The initially PAUSED projects are past their deadline (resume → PAUSE_EXPIRED until paused again). */
  aged: fc.boolean(),
  clients: fc.array(fc.array(stepArb, { minLength: 1, maxLength: 3 }), { minLength: CLIENTS, maxLength: CLIENTS }),
});
type Round = typeof roundArb extends fc.Arbitrary<infer T> ? T : never;

const PATH: Record<WriteOp, string> = {
  start: 'start',
  pause: 'pause',
  resume: 'resume',
  release: 'release',
  'modify-alert-config': 'alert-config',
  'complete-release': 'release',
};
/** The answers a refused call may give in this suite (anything else is a defect). */
const REFUSAL_CODES = new Set(['INVALID_STATE', 'VERSION_MISMATCH', 'PAUSE_EXPIRED', 'CONCURRENT_MODIFICATION']);

interface RoundRecord {
  ops: ProjectOperation[];
  init: Map<string, ProjectState>;
}

describe('linearizability: 64 concurrent clients on the lifecycle API (DynamoDB Local)', () => {
  const clock = new ManualClock();
  const orchestrator = new RecordingOrchestrator();
  const expiry = new RecordingExpiryScheduler();
  let ds: { sourceId: string; destinationId: string };
  /** A few recorded rounds, kept for the wrong-model self-test. */
  const kept: RoundRecord[] = [];
  const totals = { rounds: 0, calls: 0, operations: 0, won: 0, refused: 0, concurrentModification: 0, explored: 0, byCode: new Map<string, number>() };

  beforeAll(async () => {
    await useLocalTable({ clock, orchestrator, expiry });
    ds = await createDataSources('lin');
  });

  async function runRound(round: Round): Promise<RoundRecord> {
    // Prepare: the round's projects, through the API (FAILED is forced: only a run reaches it)
    clock.advance(60_000);
    const created = await Promise.all(round.projects.map((s) => projectIn(s, ds)));
    const ids = created.map((p) => p.id);
    clock.advance(round.aged ? 12 * HOUR : 60_000);
    const nowMs = clock.ms;
    const recorder = new HistoryRecorder();
    const init = new Map<string, ProjectState>();
    for (const id of ids) {
      const r = await recorder.call(-1, 'GET', `/projects/${id}`);
      init.set(id, { status: r.body.status, version: r.body.version, alertLevel: r.body.alertLevel, pauseExpiresAtMs: r.body.pauseExpiresAt ? Date.parse(r.body.pauseExpiresAt) : null });
    }
    recorder.calls.length = 0; // the initial reads are the model's initial states, not part of the history
    const initVersion = (id: string) => (init.get(id) as ProjectState).version;
    const startedBefore = orchestrator.started.length;
    const scheduledBefore = expiry.scheduled.length;
    const cancelledBefore = expiry.cancelled.length;

    // Act: 64 clients at once
    const client = async (c: number, script: Step[]) => {
      const known = new Map<string, number>();
      const read = async (id: string) => {
        const r = await recorder.call(c, 'GET', `/projects/${id}`);
        if (r.status === 200) known.set(id, r.body.version);
        return known.get(id);
      };
      const versionFor = async (step: Step, id: string) =>
        step.ifMatch === 'read' ? (known.get(id) ?? (await read(id))) : step.ifMatch === 'initial' ? initVersion(id) : undefined;
      for (const step of script) {
        const id = ids[step.target % ids.length] as string;
        if (step.kind === 'get') {
          await read(id);
          continue;
        }
        if (step.kind === 'single') {
          const v = await versionFor(step, id);
          const r = await recorder.call(c, step.op === 'modify-alert-config' ? 'PUT' : 'POST', `/projects/${id}/${PATH[step.op]}`, {
            ...(step.op === 'modify-alert-config' ? { body: { level: step.level } } : {}),
            ...(v !== undefined ? { headers: { 'If-Match': `"${v}"` } } : {}),
          });
          if (r.status === 200) known.set(id, r.body.version);
          continue;
        }
        const named = ids.filter((_, i) => step.batchMask & (1 << i));
        const projectIds = named.length ? named : [id];
        const expectedVersions: Record<string, number> = {};
        for (const pid of projectIds) {
          const v = await versionFor(step, pid);
          if (v !== undefined) expectedVersions[pid] = v;
        }
        const r = await recorder.call(c, 'POST', '/batch-operations', {
          body: {
            operation: step.op,
            projectIds,
            ...(Object.keys(expectedVersions).length ? { expectedVersions } : {}),
            ...(step.op === 'modify-alert-config' ? { parameters: { level: step.level } } : {}),
          },
        });
        for (const item of (r.body?.results ?? []) as { projectId: string; ok: boolean; version?: number }[]) if (item.ok && item.version !== undefined) known.set(item.projectId, item.version);
      }
    };
    await Promise.all(round.clients.map((script, c) => client(c, script)));
    // A last read of each project, after every call answered, belongs to the history too.
    for (const id of ids) await recorder.call(CLIENTS, 'GET', `/projects/${id}`);

    // Assess: every answer is a 200 or a documented refusal, as problem+json
    for (const c of recorder.calls) {
      const where = `${c.method} ${c.path} ${JSON.stringify(c.body ?? {})}`;
      expect(c.result.status, `${where} → ${JSON.stringify(c.result.body)}`).toBeLessThan(500);
      if (c.result.status !== 200) {
        expect(c.result.headers['content-type'], where).toMatch(/^application\/problem\+json/);
        expect(REFUSAL_CODES.has(c.result.body.code), `${where} → ${JSON.stringify(c.result.body)}`).toBe(true);
      }
    }
    const ops = toOperations(recorder.calls, nowMs);
    for (const op of ops) if (!op.output.ok) expect(REFUSAL_CODES.has(op.output.code ?? ''), describeOp(op)).toBe(true);

    // Assess: the history is linearizable, project by project
    const checked = checkPartitioned((id) => projectSpec(init.get(id) as ProjectState), ops, (op) => (op as ProjectOperation).projectId);
    for (const [id, result] of checked.parts) {
      if (result.ok) continue;
      const history = ops.filter((o) => o.projectId === id).sort((a, b) => a.invoke - b.invoke);
      throw new Error(
        [
          `history of project ${id} (initially ${JSON.stringify(init.get(id))}) is not linearizable`,
          `longest legal prefix: ${result.longestPrefix.map((o) => `#${o.id}`).join(' ')}`,
          `none of these can go next: ${result.stuckAt.map((o) => `#${o.id}`).join(' ')}`,
          ...history.map((o) => describeOp(o as ProjectOperation)),
        ].join('\n'),
      );
    }

    // Assess: exactly one winner per transition, per project
    for (const id of ids) {
      const start = initVersion(id);
      const winners = ops.filter((o) => o.projectId === id && o.input.kind === 'write' && o.output.ok);
      const versions = winners.map((o) => o.output.version as number).sort((a, b) => a - b);
      // every committed write moved the version by one, and no two writes won from the same version
      expect(versions, `winning versions of ${id}`).toEqual(versions.map((_, i) => start + 1 + i));
      const finalRead = recorder.calls.filter((c) => c.client === CLIENTS && c.path === `/projects/${id}`)[0]?.result.body;
      expect(finalRead.version).toBe(start + winners.length);
      // the audit trail has one event per committed write, contiguous, naming the same operation
      const trail = (await recorder.call(CLIENTS, 'GET', `/projects/${id}/events?limit=100`)).body.items as { version: number; operation: string; batchId?: string }[];
      const after = trail.filter((e) => e.version > start);
      expect(after.map((e) => e.version)).toEqual(versions);
      expect(trail.map((e) => e.version)).toEqual(Array.from({ length: start + winners.length }, (_, i) => i + 1));
      for (const e of after) {
        const w = winners.find((o) => o.output.version === e.version) as ProjectOperation;
        const input = w.input as Extract<ProjectOperation['input'], { kind: 'write' }>;
        expect(e.operation, describeOp(w)).toBe(input.op);
        expect(e.batchId !== undefined, describeOp(w)).toBe(input.via === 'batch');
      }
      // one execution per successful start/resume, each for a new run; one timer per pause, one deletion per resume/release
      const won = (op: WriteOp) => winners.filter((o) => o.input.kind === 'write' && o.input.op === op).length;
      const runs = orchestrator.started.slice(startedBefore).filter((s) => s.projectId === id).map((s) => s.run);
      expect(runs.length).toBe(won('start') + won('resume'));
      expect(new Set(runs).size).toBe(runs.length);
      expect(expiry.scheduled.slice(scheduledBefore).filter((s) => s.projectId === id).length).toBe(won('pause'));
      expect(expiry.cancelled.slice(cancelledBefore).filter((s) => s.projectId === id).length).toBe(won('resume') + won('release'));
    }

    // Figures
    totals.rounds++;
    totals.calls += recorder.calls.filter((c) => c.client < CLIENTS).length;
    totals.operations += ops.length;
    totals.explored += checked.explored;
    for (const o of ops) {
      if (o.input.kind !== 'write') continue;
      if (o.output.ok) totals.won++;
      else {
        totals.refused++;
        totals.byCode.set(o.output.code ?? '?', (totals.byCode.get(o.output.code ?? '?') ?? 0) + 1);
      }
    }
    return { ops, init };
  }

  it(
    `${ROUNDS} rounds: every history is linearizable and every transition has exactly one winner`,
    async () => {
      const began = performance.now();
      await fc.assert(
        fc.asyncProperty(roundArb, async (round) => {
          const record = await runRound(round);
          if (kept.length < 8) kept.push(record);
        }),
        { seed: SEED, numRuns: ROUNDS, endOnFailure: true },
      );
      const seconds = (performance.now() - began) / 1000;

      // Assess: the rounds really were contended
      expect(totals.won).toBeGreaterThan(0);
      expect(totals.byCode.get('INVALID_STATE') ?? 0).toBeGreaterThan(0);
      expect(totals.byCode.get('VERSION_MISMATCH') ?? 0).toBeGreaterThan(0);
      const writes = totals.won + totals.refused;
      const codes = [...totals.byCode].map(([k, v]) => `${k} ${v}`).join(', ');
      report({
        suite: 'linearizability',
        cases: totals.calls,
        runs: totals.rounds,
        faults: 0,
        failures: 0,
        notes:
          `a run = one round of ${CLIENTS} concurrent clients on 2–4 projects; a case = one recorded API call (single, read or batch) checked; ` +
          `${totals.operations} per-project operations, ${writes} writes: ${totals.won} won, ${totals.refused} refused (${((100 * totals.refused) / Math.max(1, writes)).toFixed(1)}% conflict share: ${codes}); ` +
          `${totals.explored} checker states explored; ${seconds.toFixed(0)} s`,
      });
    },
    size(45 * 60_000, 180_000),
  );

  it('the check is able to fail: a deliberately wrong model is rejected on the real histories', () => {
    // Prepare: the rounds recorded above
    expect(kept.length).toBeGreaterThan(0);
    const rejects = (record: RoundRecord, mutation: ModelOptions['mutation']) =>
      !checkPartitioned((id) => projectSpec(record.init.get(id) as ProjectState, { mutation }), record.ops, (op) => (op as ProjectOperation).projectId).ok;
    const refusedPauseWhilePaused = (r: RoundRecord) =>
      r.ops.some((o) => o.input.kind === 'write' && o.input.op === 'pause' && o.output.code === 'INVALID_STATE' && o.output.status === 'PAUSED');
    const alertConfigWon = (r: RoundRecord) => r.ops.some((o) => o.input.kind === 'write' && o.input.op === 'modify-alert-config' && o.output.ok);

    // Act / Assess: a model that lets pause succeed from PAUSED cannot explain a pause refused as PAUSED
    const withRefusedPause = kept.filter(refusedPauseWhilePaused);
    expect(withRefusedPause.length).toBeGreaterThan(0);
    for (const r of withRefusedPause) expect(rejects(r, 'pause-from-paused')).toBe(true);
    // ... and a model that forgets the version bump of alert-config cannot explain its winners
    const withAlertWinner = kept.filter(alertConfigWon);
    expect(withAlertWinner.length).toBeGreaterThan(0);
    for (const r of withAlertWinner) expect(rejects(r, 'no-version-bump')).toBe(true);
    // and the correct model accepts all of them (the same histories, the same checker)
    for (const r of kept) expect(rejects(r, undefined)).toBe(false);
    // one project's history alone, with a winner removed, no longer explains the final read
    const r0 = kept.find((r) => r.ops.some((o) => o.input.kind === 'write' && o.output.ok)) as RoundRecord;
    const id = r0.ops.find((o) => o.input.kind === 'write' && o.output.ok)?.projectId as string;
    const own = r0.ops.filter((o) => o.projectId === id);
    const dropped = own.filter((o) => o !== own.find((w) => w.input.kind === 'write' && w.output.ok));
    expect(checkLinearizable(projectSpec(r0.init.get(id) as ProjectState), dropped).ok).toBe(false);
  });
});

