import { isoAt } from '../domain/clock';
import { BATCH_REDRIVE_GRACE_MS, BATCH_REDRIVES_BEFORE_STALLED, isBatchComplete, isBatchStalled, nextRedriveAt, redrivesWithoutProgress } from '../domain/batch-jobs';
import { logger } from '../observability/telemetry';
import type { Deps } from './deps';

/**
 * The reconciler's batch sweep: a large batch whose work was lost — its first step never enqueued (the
 * send failed after the record was written: it stays ACCEPTED), or messages lost with the local in-memory
 * queue when `npm start` stopped (it stays EXPANDING or RUNNING) — is re-driven. A batch not completed
 * whose record has not moved for `graceMs` gets one `redrive` message: the worker sends again, page by
 * recorded page, the projects with no result, then continues the expansion from its recorded cursor
 * (shared/usecases/batch-jobs.ts redriveStep). Re-sending is safe: a project is applied at most once per
 * batch (claims, results written once), so a re-drive of a batch that was only slow changes nothing.
 *
 * Spaced out (shared/domain/batch-jobs.ts nextRedriveAt): a batch that does not move after a re-drive
 * is re-driven again after twice the wait each time, at most BATCH_REDRIVE_MAX_INTERVAL_MS apart, never
 * at every pass. Each re-drive is recorded on the batch first (a conditional write on the count seen:
 * of two sweeps, one re-drives). After BATCH_REDRIVES_BEFORE_STALLED without progress the batch is
 * stalled: the report lists it (the handler's BatchesStalled metric), an error is logged when it
 * becomes so, and GET /batch-operations/{id} shows it.
 *
 * Bounded: the newest `maxBatches` batches of the listing (BATCHES#ALL, newest first) are looked at, 100
 * a page; older ones are beyond a sweep's reach.
 */
export interface BatchReconcileReport {
  checked: number;
  redriven: string[];
  /** Batches re-driven BATCH_REDRIVES_BEFORE_STALLED times without progress (re-driven now or not). */
  stalled: string[];
  errors: { batchId: string; error: string }[];
}

export const MAX_BATCHES_SWEPT = 1000;

export async function reconcileBatches(
  deps: Deps,
  options: { graceMs?: number; maxBatches?: number; claimsDeadBefore?: string } = {},
): Promise<BatchReconcileReport> {
  const graceMs = options.graceMs ?? BATCH_REDRIVE_GRACE_MS;
  const max = options.maxBatches ?? MAX_BATCHES_SWEPT;
  const report: BatchReconcileReport = { checked: 0, redriven: [], stalled: [], errors: [] };
  const now = deps.clock.nowMs();
  let nextToken: string | undefined;
  do {
    const page = await deps.batches.list(Math.min(100, max - report.checked), nextToken);
    for (const b of page.items) {
      report.checked++;
      if (isBatchComplete(b)) continue;
      const due = nextRedriveAt(b, graceMs) as number;
      if (now < due) {
        if (isBatchStalled(b)) report.stalled.push(b.batchId);
        continue;
      }
      const redrives = redrivesWithoutProgress(b) + 1;
      try {
        // Recorded first: a sweep that saw the same record finds the count moved and leaves it.
        if (!(await deps.batches.noteRedrive(b.batchId, { ...(b.redrives !== undefined ? { seen: b.redrives } : {}), redrives, atIso: isoAt(now) }))) continue;
        await deps.batchQueue.send([{ kind: 'redrive', batchId: b.batchId, ...(options.claimsDeadBefore ? { claimsDeadBefore: options.claimsDeadBefore } : {}) }]);
        report.redriven.push(b.batchId);
        if (redrives >= BATCH_REDRIVES_BEFORE_STALLED) report.stalled.push(b.batchId);
        if (redrives === BATCH_REDRIVES_BEFORE_STALLED) {
          logger.error('batch stalled: re-driven without progress', { batchId: b.batchId, redrives, lastProgress: b.updatedAt, requested: b.requested, done: b.done });
        }
      } catch (e) {
        report.errors.push({ batchId: b.batchId, error: (e as Error)?.message ?? String(e) });
      }
    }
    nextToken = page.nextToken;
  } while (nextToken && report.checked < max);
  return report;
}

/** After a restart of the process that held the in-memory queue, every claim made before now is dead. */
export const claimsDeadAtBoot = (deps: Pick<Deps, 'clock'>): string => isoAt(deps.clock.nowMs());
