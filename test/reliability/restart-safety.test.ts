import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDocumentClient } from '../../infra/local/dynamodb-local';
import { TABLE } from '../../shared/table';
import { inconsistencies, type JobView, type ObservedProject } from './restart/consistency';
import { LocalRuntime } from './restart/local-runtime';
import { HEAVY, report, SEED, size } from './support/profile';

/**
 * Restart safety (issue 9): `npm start` (infra/local/main.ts, DynamoDB Local with its data on disk) runs
 * as a child process; projects are created and started over HTTP, a batch (pause, release or resume)
 * or the runs themselves are under way, and the whole process group is SIGKILLed at a seeded random
 * instant. After a restart (boot-time reconcile included) every project must be consistent (status,
 * subtasks, engine jobs, pause timers, a contiguous audit trail), the interrupted batch must answer
 * again safely (same Idempotency-Key, then a new one), and every run must go on to its end: paused and
 * failed ones resumed, RUNNING ones completed by their (restarted) executions.
 */

const CYCLES = size(12, 1);
const PROJECTS_PER_CYCLE = size(8, 5);
/** The simulated engine and the Wait states run this much faster: a run of the migration type below takes ~6 s. */
const TIME_SCALE = 150;
const MIGRATION_TYPE = { structureMigration: true, fullMigration: true, incrementalSync: false, fullVerification: true, reverseIncrementalSync: false };

type KillPoint = 'starts' | 'batch-pause' | 'batch-release' | 'batch-resume' | 'mid-run';
interface Plan {
  point: KillPoint;
  /** Before the batch (or the kill, for mid-run): the runs get going. */
  leadMs: number;
  /** After the batch's first effect (or after sending the starts) until the kill. */
  killAfterMs: number;
}

const planArb: fc.Arbitrary<Plan> = fc.record({
  point: fc.constantFrom<KillPoint>('batch-pause', 'starts', 'batch-release', 'batch-resume', 'mid-run'),
  leadMs: fc.integer({ min: 0, max: 2500 }),
  killAfterMs: fc.integer({ min: 0, max: 60 }),
});

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

describe('restart safety of the local runtime', () => {
  const root = mkdtempSync(join(tmpdir(), 'restart-safety-'));
  const rt = new LocalRuntime(root, { SIMULATION_TIME_SCALE: String(TIME_SCALE), POWERTOOLS_LOG_LEVEL: 'ERROR' });
  let ds: { sourceId: string; destinationId: string };
  const allProjects: string[] = [];
  const figures = { checks: 0, restartedRuns: 0, bootMs: [] as number[], replays: 0, inProgress: 0 };

  async function http(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await fetch(`${rt.api}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }

  async function ok(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
    const a = await http(method, path, body, headers);
    if (a.status >= 300) throw new Error(`${method} ${path}: ${a.status} ${JSON.stringify(a.body)}${a.status >= 500 ? `\n--- runtime log (tail) ---\n${rt.log().slice(-4000)}` : ''}`);
    return a.body;
  }

  /** Fire-and-forget: the process may die under it. */
  const attempt = (p: Promise<unknown>) => void p.catch(() => undefined);

  async function observe(ids: string[]): Promise<ObservedProject[]> {
    const db = localDocumentClient(rt.dynamoEndpoint);
    const jobs = new Map<string, JobView[]>();
    try {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await db.send(
          new ScanCommand({
            TableName: TABLE.defaultName,
            FilterExpression: 'begins_with(pk, :j)',
            ExpressionAttributeValues: { ':j': 'SIMJOB#' },
            ConsistentRead: true,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of page.Items ?? []) {
          const job = item.job as { projectId: string; subtask: string; state: string };
          const list = jobs.get(job.projectId) ?? [];
          list.push({ subtask: job.subtask, state: job.state });
          jobs.set(job.projectId, list);
        }
        start = page.LastEvaluatedKey;
      } while (start);
    } finally {
      db.destroy();
    }
    const timers = rt.timerNames();
    return Promise.all(
      ids.map(async (id) => {
        const project = await ok('GET', `/projects/${id}`);
        const events = (await ok('GET', `/projects/${id}/events?limit=100`)).items;
        return { project, events, jobs: jobs.get(id) ?? [], timers: timers.filter((t) => t.includes(id)) };
      }),
    );
  }

  async function assertConsistent(ids: string[], when: string): Promise<ObservedProject[]> {
    const observed = await observe(ids);
    figures.checks += observed.length;
    const found = observed.flatMap(inconsistencies);
    const bad = observed.filter((o) => inconsistencies(o).length > 0).map((o) => JSON.stringify(o));
    expect(found, `${when}\n--- inconsistent projects ---\n${bad.join('\n')}\n--- runtime log (tail) ---\n${rt.log().slice(-4000)}`).toEqual([]);
    return observed;
  }

  async function waitFor(ids: string[], done: (p: any) => boolean, what: string, limitMs: number): Promise<any[]> {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const views = await Promise.all(ids.map((id) => ok('GET', `/projects/${id}`)));
      const pending = views.filter((v) => !done(v));
      if (pending.length === 0) return views;
      if (Date.now() > deadline) {
        throw new Error(`${what}: not reached within ${limitMs} ms by ${pending.map((v) => `${v.id} ${v.status} ${JSON.stringify(v.subtasks.map((s: any) => `${s.type}:${s.status}`))}`).join('; ')}\n${rt.log().slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  const batch = (operation: string, projectIds: string[], key: string) => http('POST', '/batch-operations', { operation, projectIds }, { 'Idempotency-Key': key });

  beforeAll(async () => {
    const boot = await rt.start();
    figures.bootMs.push(boot.bootMs);
    const src = await ok('POST', '/data-sources', { name: 'restart-src', engine: 'mysql', host: 'db.internal', port: 3306, username: 'migrator' });
    const dst = await ok('POST', '/data-sources', { name: 'restart-dst', engine: 'oceanbase-mysql', host: 'db.internal', port: 2881, username: 'migrator' });
    ds = { sourceId: src.id, destinationId: dst.id };
  });

  afterAll(async () => {
    await rt.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('the consistency check flags a stuck release, a missing pause timer, a running job of a paused project and a gap in the audit trail', () => {
    // Prepare
    const base: ObservedProject = {
      project: { id: 'p1', status: 'PAUSED', version: 3, pausedAt: '2026-01-01T00:00:00.000Z', subtasks: [{ type: 'FULL_MIGRATION', status: 'PAUSED' }] },
      events: [
        { operation: 'create', from: null, to: 'NOT_STARTED', version: 1 },
        { operation: 'start', from: 'NOT_STARTED', to: 'RUNNING', version: 2 },
        { operation: 'pause', from: 'RUNNING', to: 'PAUSED', version: 3 },
      ],
      jobs: [{ subtask: 'FULL_MIGRATION', state: 'PAUSED' }],
      timers: [`warn-p1-${Date.parse('2026-01-01T00:00:00.000Z')}`, `expire-p1-${Date.parse('2026-01-01T00:00:00.000Z')}`],
    };

    // Assess
    expect(inconsistencies(base)).toEqual([]);
    expect(inconsistencies({ ...base, timers: [] })).toHaveLength(1);
    expect(inconsistencies({ ...base, jobs: [{ subtask: 'FULL_MIGRATION', state: 'RUNNING' }] })).toHaveLength(1);
    expect(inconsistencies({ ...base, events: [base.events[0], base.events[2]] as ObservedProject['events'] }).length).toBeGreaterThan(0);
    expect(inconsistencies({ ...base, project: { ...base.project, status: 'RELEASING' }, timers: [] }).join()).toMatch(/stuck in RELEASING/);
    expect(inconsistencies({ ...base, project: { ...base.project, subtasks: [{ type: 'FULL_MIGRATION', status: 'RUNNING' }] } })).toHaveLength(1);
  });

  it('after SIGKILL mid-run and mid-batch, every project is consistent and every run resumes', { timeout: HEAVY ? 40 * 60_000 : 150_000 }, async () => {
    const plans = fc.sample(planArb, { seed: SEED, numRuns: CYCLES });
    // The sample (one cycle) is the issue's main case: a batch pause cut short.
    if (!HEAVY) plans[0] = { ...(plans[0] as Plan), point: 'batch-pause' };
    const pointsSeen: string[] = [];

    for (const [cycle, plan] of plans.entries()) {
      // Prepare: projects of this cycle, started (except when the starts themselves are cut).
      const ids: string[] = [];
      for (let i = 0; i < PROJECTS_PER_CYCLE; i++) {
        const p = await ok('POST', '/projects', { name: `c${cycle}-p${i}`, ...ds, migrationType: MIGRATION_TYPE });
        ids.push(p.id);
      }
      allProjects.push(...ids);
      // Warm the handler modules the kill point uses (each loads on first use after a boot).
      await ok('POST', '/batch-operations', { operation: 'start', projectIds: ids, dryRun: true });
      await http('POST', `/projects/${ids[0]}/pause`);
      const key = `restart-${SEED}-${cycle}`;
      let interrupted: { operation: string; ids: string[] } | undefined;
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

      // Act: get to the kill point, cut everything, boot again.
      if (plan.point === 'starts') {
        for (const id of ids) attempt(http('POST', `/projects/${id}/start`));
        await sleep(plan.killAfterMs);
      } else {
        await Promise.all(ids.map((id) => ok('POST', `/projects/${id}/start`)));
        await sleep(plan.leadMs);
        if (plan.point === 'batch-pause') interrupted = { operation: 'pause', ids };
        if (plan.point === 'batch-release' || plan.point === 'batch-resume') {
          await ok('POST', '/batch-operations', { operation: 'pause', projectIds: ids });
          interrupted = { operation: plan.point === 'batch-release' ? 'release' : 'resume', ids };
        }
        if (interrupted) {
          // Kill while the batch is under way: as soon as its first effect is on disk (a pause timer written,
          // or removed by a resume or release), plus a seeded jitter.
          const timersBefore = JSON.stringify(rt.timerNames().filter((t) => ids.some((id) => t.includes(id))));
          attempt(batch(interrupted.operation, interrupted.ids, key));
          const deadline = Date.now() + 5_000;
          while (Date.now() < deadline && JSON.stringify(rt.timerNames().filter((t) => ids.some((id) => t.includes(id)))) === timersBefore) await sleep(1);
          await sleep(plan.killAfterMs);
        }
      }
      await rt.kill();
      const boot = await rt.start();
      figures.bootMs.push(boot.bootMs);
      figures.restartedRuns += boot.restartedRuns;
      pointsSeen.push(`${plan.point}@${plan.leadMs}+${plan.killAfterMs}ms`);

      // Assess 1: right after the restart and its reconcile, every project so far is consistent.
      await assertConsistent(allProjects, `after kill #${cycle + 1} (${plan.point}, lead ${plan.leadMs} ms, kill after ${plan.killAfterMs} ms)`);

      // Assess 2: the interrupted batch answers again safely: the same key replays (or is still held), a new key acts.
      if (interrupted) {
        const again = await batch(interrupted.operation, interrupted.ids, key);
        expect([200, 409], JSON.stringify(again.body)).toContain(again.status);
        if (again.status === 409) {
          expect(again.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
          figures.inProgress++;
        } else if (again.headers.get('idempotent-replayed') === 'true') figures.replays++;
        const fresh = await batch(interrupted.operation, interrupted.ids, `${key}-reissued`);
        expect(fresh.status).toBe(200);
        for (const r of fresh.body.results as { ok: boolean; code?: string }[]) {
          if (!r.ok) expect(['INVALID_STATE', 'PAUSE_EXPIRED'], JSON.stringify(r)).toContain(r.code);
        }
        await assertConsistent(ids, `after re-issuing the ${interrupted.operation} batch of cycle ${cycle + 1}`);
      }

      // Assess 3: every run goes on to its end — resumed if paused or failed, started if the start was lost.
      const now = await Promise.all(ids.map((id) => ok('GET', `/projects/${id}`)));
      const toResume = now.filter((p) => p.status === 'PAUSED' || p.status === 'FAILED').map((p) => p.id);
      const toStart = now.filter((p) => p.status === 'NOT_STARTED').map((p) => p.id);
      if (toResume.length) {
        const r = await http('POST', '/batch-operations', { operation: 'resume', projectIds: toResume });
        expect(r.status).toBe(200);
        expect(r.body.failed, JSON.stringify(r.body.results)).toBe(0);
      }
      for (const id of toStart) await ok('POST', `/projects/${id}/start`);
      await waitFor(ids, (p) => p.status === 'COMPLETED' || p.status === 'RELEASED', `cycle ${cycle + 1}: every run completes`, 60_000);
      await assertConsistent(ids, `cycle ${cycle + 1} after its runs completed`);
    }

    report({
      suite: 'restart-safety',
      cases: allProjects.length,
      runs: plans.length,
      faults: rt.kills,
      failures: 0,
      notes: `case = a project checked after every later restart (${figures.checks} checks); run = a kill/restart cycle of npm start (SIGKILL of Node + DynamoDB Local, data on disk); kill points ${pointsSeen.join(', ')}; ${figures.restartedRuns} runs restarted by the boot reconcile; interrupted batch with the same key: ${figures.replays} replayed, ${figures.inProgress} still held; boot ${Math.round(Math.max(...figures.bootMs) / 100) / 10} s max`,
    });
  });
});
