import { isoAt } from '../domain/clock';
import { DomainError } from '../domain/errors';
import { jobsOf, needsExecution, planNext } from '../domain/orchestration';
import { pauseTimerNames, pauseTimers, type PauseTimerRef } from '../domain/pause-timers';
import { hasOpenSourcePause } from '../domain/sources';
import type { ProjectRecord } from '../domain/project';
import type { SubtaskType } from '../domain/subtasks';
import type { Deps } from './deps';
import { finishRelease, writeTransition } from './lifecycle';
import { firePauseTimer } from './pause-timers';
import { keepContinuousJobsRunning, pauseRun } from './run-control';
import { executionPollsNothing, failUnpolledBackgroundSync } from './run/background-failure';

/**
 * The reconciler (every 5 minutes, and once at `npm start` boot): what a failure between a committed
 * write and its side effects left behind is repaired here, for runs (reconcileRuns: executions gone,
 * releases left RELEASING, continuous jobs stopped under a running subtask) and for pauses
 * (reconcilePauses: missing or stale pause timers, jobs still running under a pause).
 */
const SYSTEM = (requestId: string, cause: string) => ({ actor: 'system', requestId, cause });

// ---- the reconciler: one project's repair (the shard workers of reconcile-shards.ts call it) ----

export interface ReconcileReport {
  checked: number;
  /** RUNNING projects whose recent poll showed their execution alive (no look-up made). */
  alive?: number;
  restarted: { projectId: string; run: number }[];
  /** RELEASING projects whose release was finished here (its stop or second write had failed). */
  released: string[];
  /** RUNNING projects whose background sync failed while no execution polled it (a gate, or only sync left): FAILED here. */
  failed?: { projectId: string; subtask: SubtaskType }[];
  errors: { projectId: string; error: string }[];
}


/**
 * How recent a recorded poll proves the execution alive: 5 grace periods (5 minutes by default, 10 missed
 * 30-second polls); a grace of 0 (boot, tests) trusts no poll and looks every execution up.
 */
export const pollFreshMs = (graceMs: number) => Math.min(graceMs * 5, 5 * 60_000);

/**
 * Repairs one RUNNING project a pass found, in a bounded number of calls: a background sync the engine
 * reports PAUSED or STOPPED is resumed (fenced on its run; one poll per continuous subtask) — and, while
 * no execution polls it (the run waits at an operator gate, or only sync is left), one the engine reports
 * FAILED fails the project as the run's poll would (run/background-failure.ts) —, an operator
 * gate opened while completing its task failed is completed (one call), and a run that needs an
 * execution but has none (it failed outside our Catch, was stopped by hand, or its start was lost) gets
 * a `restart-run` transition fenced on the run and version it was seen at (two reconcilers cannot both
 * restart) and a new execution (one look-up, one write, one start). Running it again changes nothing.
 */
export async function repairRun(deps: Deps, p: ProjectRecord, report: ReconcileReport, options: { graceMs: number; requestId: string }): Promise<void> {
  report.checked++;
  const logError = (e: unknown) => void report.errors.push({ projectId: p.id, error: (e as Error)?.message ?? String(e) });
  if (executionPollsNothing(p)) {
    // No execution polls the background sync (the run waits at a gate, or only sync is left): its failure is applied here.
    const failed = await failUnpolledBackgroundSync(deps, p).catch(logError);
    if (failed) {
      (report.failed ??= []).push({ projectId: p.id, subtask: failed });
      return;
    }
  } else await keepContinuousJobsRunning(deps, p).catch(logError);
  if (p.taskToken && p.awaiting) {
    // The operator opened the gate but completing the waiting task failed: complete it now.
    const plan = planNext(p);
    const stillWaits = plan.action === 'AWAIT' && plan.gate === p.awaiting && (plan.step ?? undefined) === (p.waitingStep ?? undefined);
    if (!stillWaits) {
      try {
        await deps.orchestrator.completeTask(p.taskToken, { gate: p.awaiting });
      } catch (e) {
        report.errors.push({ projectId: p.id, error: (e as Error)?.message ?? String(e) });
      }
    }
  }
  if (!needsExecution(p)) return;
  const now = deps.clock.nowMs();
  if (now - Date.parse(p.updatedAt) < options.graceMs) return;
  // An execution that recorded a poll lately lives: no look-up (most RUNNING projects, in steady state).
  if (!p.awaiting && p.polledAt !== undefined && now - Date.parse(p.polledAt) < pollFreshMs(options.graceMs)) {
    report.alive = (report.alive ?? 0) + 1;
    return;
  }
  try {
    if (await deps.orchestrator.isRunActive(p)) return;
    const { after } = await writeTransition(deps, 'restart-run', {
      operation: 'restart-run',
      projectId: p.id,
      run: p.run ?? 0,
      expectedVersion: p.version,
      detail: { previousRun: p.run ?? 0 },
      ctx: SYSTEM(options.requestId, 'execution-gone'),
    }, p);
    if (!after) return;
    await deps.orchestrator.startRun(after);
    report.restarted.push({ projectId: p.id, run: after.run ?? 0 });
  } catch (e) {
    if (e instanceof DomainError && e.status < 500) return; // the project moved on: nothing to restart
    report.errors.push({ projectId: p.id, error: (e as Error)?.message ?? String(e) });
  }
}

/** A release whose stop or second write failed stays RELEASING: stop everything again and finish it. */
export async function finishUnfinishedRelease(deps: Deps, p: ProjectRecord, report: ReconcileReport, options: { graceMs: number; requestId: string }): Promise<void> {
  if (deps.clock.nowMs() - Date.parse(p.updatedAt) < options.graceMs) return; // its own request may still be finishing it
  try {
    const done = await finishRelease(deps, p, { operation: 'release', projectId: p.id, ctx: SYSTEM(options.requestId, 'release-unfinished') });
    if (done !== undefined) report.released.push(p.id);
    else report.errors.push({ projectId: p.id, error: 'release could not be finished' });
  } catch (e) {
    if (!(e instanceof DomainError && e.status < 500)) report.errors.push({ projectId: p.id, error: (e as Error)?.message ?? String(e) });
  }
}

// ---- pauses ----

export interface PauseReconcileReport {
  /** PAUSED projects looked at. */
  checked: number;
  /** PAUSED projects whose expiry timer was missing and was created (with its warning). */
  timersCreated: string[];
  /** Timers of pauses that are over (the project was resumed, released or deleted since), deleted. */
  timersDeleted: string[];
  /** Projects whose jobs the engine still reported RUNNING under a PAUSED project, paused again. */
  jobsPaused: { projectId: string; subtasks: SubtaskType[] }[];
  /** Sources paused on their own (`<projectId>/<sourceId>`) whose missing expiry timer was created. */
  sourceTimersCreated: string[];
  /** Sources paused on their own past their deadline with no timer left to fire: expired here (the project FAILED). */
  sourcesExpired: string[];
  errors: { projectId: string; error: string }[];
}

const pauseKey = (projectId: string, pausedMs: number) => `${projectId}@${pausedMs}`;

/**
 * A pause commits first, then stops the run, pauses the jobs and creates its two timers; a resume or
 * release commits, then deletes them. A failure or a crash in between (a Lambda timing out, `npm start`
 * killed) leaves a PAUSED project without its timers — it would never expire —, a job still running, or
 * timers of a pause that is over. This sweep compares the timers that exist with the PAUSED projects:
 *  - the timers are listed FIRST, then the PAUSED projects: a pause that commits meanwhile has no timer
 *    in the list yet, so nothing of it can look stale;
 *  - a PAUSED project (not expired, deadline ahead) without its expiry timer gets its timers (creating
 *    one that exists is a no-op);
 *  - a listed timer whose pause is not among the PAUSED projects is deleted only after a consistent read
 *    of its project shows it no longer stands in that pause (the status index may lag behind);
 *  - jobs the engine still reports RUNNING under a PAUSED project are paused (checkpoints fenced on
 *    PAUSED, engine calls as the paused run). That asks the engine about every paused subtask, so only for
 *    pauses since `jobsPausedSinceMs` (the scheduled run: recent ones; at boot: all). A PAUSED subtask whose
 *    job runs is checked against a consistent read first: a resume since then owns its jobs.
 * Every step is idempotent; running it twice changes nothing the second time.
 */
export async function reconcilePauses(deps: Deps, options: { jobsPausedSinceMs?: number } = {}): Promise<PauseReconcileReport> {
  const report: PauseReconcileReport = { checked: 0, timersCreated: [], timersDeleted: [], jobsPaused: [], sourceTimersCreated: [], sourcesExpired: [], errors: [] };
  const timers = await deps.expiry.listPauseTimers();
  const existing = new Set(timers.map((t) => t.name));
  const live = new Set<string>();
  const now = deps.clock.nowMs();
  let nextToken: string | undefined;
  do {
    const page = await deps.projects.list({ status: 'PAUSED', limit: 100, ...(nextToken ? { nextToken } : {}) });
    for (const p of page.items) {
      report.checked++;
      if (!p.pausedAt) continue;
      live.add(pauseKey(p.id, Date.parse(p.pausedAt)));
      try {
        const expireTimer = pauseTimerNames(p).find((n) => n.startsWith('expire-')) as string;
        const deadlineAhead = p.pauseExpiresAt !== undefined && now < Date.parse(p.pauseExpiresAt);
        if (!p.expiredAt && deadlineAhead && !existing.has(expireTimer)) {
          await deps.expiry.schedulePauseExpiry(p);
          report.timersCreated.push(p.id);
        }
        if (options.jobsPausedSinceMs === undefined || Date.parse(p.pausedAt) >= options.jobsPausedSinceMs) await pauseJobsStillRunning(deps, p, report);
      } catch (e) {
        report.errors.push({ projectId: p.id, error: (e as Error)?.message ?? String(e) });
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  await enforceSourcePauses(deps, existing, now, report);
  await deleteTimersOfEndedPauses(deps, timers, existing, live, report);
  return report;
}

/**
 * A source paused on its own (pause-sources) has its own expiry timer; the project usually stays
 * RUNNING, so the PAUSED listing above never shows it. The sparse bySourcePause index lists exactly
 * the projects standing in such a pause, whatever their status (bounded: no scan of the RUNNING ones).
 * For each such source whose timer is not among the listed ones: deadline ahead, the timer is created
 * again (its alone; creating one that exists is a no-op); deadline passed, the expiry its timer would
 * have fired is applied now (expire-source-pause: a conditional write on that very pause, so a resume
 * since, or a duplicate, changes nothing).
 */
async function enforceSourcePauses(deps: Deps, existing: Set<string>, now: number, report: PauseReconcileReport): Promise<void> {
  let nextToken: string | undefined;
  do {
    const page = await deps.projects.listWithOpenSourcePause({ limit: 100, ...(nextToken ? { nextToken } : {}) });
    for (const p of page.items) {
      if (!hasOpenSourcePause(p)) continue;
      report.checked++;
      try {
        const sources = p.sources ?? [];
        for (let i = 0; i < sources.length; i++) {
          // That source's own timer alone (not the project's, which the PAUSED sweep above owns, nor another source's).
          const alone = { ...p, pausedAt: undefined, pauseExpiresAt: undefined, sources: sources.map((s, j) => (j === i ? s : { sourceId: s.sourceId })) };
          const [timer] = pauseTimers(alone, 0);
          if (!timer || existing.has(timer.name)) continue;
          const source = `${p.id}/${timer.input.sourceId ?? ''}`;
          if (now < Date.parse(timer.at)) {
            await deps.expiry.schedulePauseExpiry(alone);
            report.sourceTimersCreated.push(source);
          } else if ((await firePauseTimer(deps, timer.input, 'reconciler')).outcome === 'applied') {
            report.sourcesExpired.push(source);
          }
        }
      } catch (e) {
        report.errors.push({ projectId: p.id, error: (e as Error)?.message ?? String(e) });
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
}

async function pauseJobsStillRunning(deps: Deps, listed: ProjectRecord, report: PauseReconcileReport): Promise<void> {
  const stillRunning: SubtaskType[] = [];
  for (const s of listed.subtasks ?? []) {
    if (s.status !== 'PAUSED') continue;
    for (const j of jobsOf(listed, s.type, listed.run)) {
      const job = await deps.engine.pollJob(j.ref);
      if (job?.state === 'RUNNING' && !stillRunning.includes(s.type)) stillRunning.push(s.type);
    }
  }
  if (!stillRunning.length) return;
  // The status index may lag behind: a project resumed since runs its jobs under a newer run. Only the
  // pause a consistent read still shows is enforced, as its run (the engine refuses it on a job a newer run claimed).
  const p = await deps.projects.get(listed.id);
  if (p?.status !== 'PAUSED' || p.pausedAt !== listed.pausedAt || p.run !== listed.run) return;
  await pauseRun(deps, p, stillRunning);
  report.jobsPaused.push({ projectId: p.id, subtasks: stillRunning });
}

async function deleteTimersOfEndedPauses(deps: Deps, timers: PauseTimerRef[], existing: Set<string>, live: Set<string>, report: PauseReconcileReport): Promise<void> {
  const suspects = new Map<string, PauseTimerRef>();
  for (const t of timers) if (t.sourceIndex !== undefined || !live.has(pauseKey(t.projectId, t.pausedMs))) suspects.set(`${pauseKey(t.projectId, t.pausedMs)}.${t.sourceIndex ?? ''}`, t);
  for (const t of suspects.values()) {
    try {
      const p = await deps.projects.get(t.projectId);
      if (t.sourceIndex !== undefined) {
        // A source's own pause: live while that source still stands in it (not expired, project not ended).
        const s = p?.sources?.[t.sourceIndex];
        if (s?.pausedAt !== undefined && Date.parse(s.pausedAt) === t.pausedMs && !s.expiredAt && p && ['RUNNING', 'PAUSED', 'FAILED'].includes(p.status)) continue;
        const sources = Array.from({ length: t.sourceIndex + 1 }, (_, i) => (i === t.sourceIndex ? { sourceId: s?.sourceId ?? '', pausedAt: isoAt(t.pausedMs) } : { sourceId: '' }));
        const pause = { id: t.projectId, pausedAt: undefined, sources };
        await deps.expiry.cancelPauseExpiry(pause);
        report.timersDeleted.push(...pauseTimerNames(pause).filter((n) => existing.has(n)));
        continue;
      }
      if (p?.status === 'PAUSED' && p.pausedAt !== undefined && Date.parse(p.pausedAt) === t.pausedMs) continue; // a live pause after all
      const pause = { id: t.projectId, pausedAt: isoAt(t.pausedMs) };
      await deps.expiry.cancelPauseExpiry(pause);
      report.timersDeleted.push(...pauseTimerNames(pause).filter((n) => existing.has(n)));
    } catch (e) {
      report.errors.push({ projectId: t.projectId, error: (e as Error)?.message ?? String(e) });
    }
  }
}
