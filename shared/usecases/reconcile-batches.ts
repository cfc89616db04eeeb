import { isoAt } from '../domain/clock';
import { BATCH_REDRIVE_GRACE_MS, isBatchComplete } from '../domain/batch-jobs';
import type { Deps } from './deps';

/**
 * The reconciler's batch sweep: a large batch whose work was lost — its first step never enqueued (the
 * send failed after the record was written: it stays ACCEPTED), or messages lost with the local in-memory
 * queue when `npm start` stopped (it stays EXPANDING or RUNNING) — is re-driven. Every batch not completed
 * whose record has not moved for `graceMs` gets one `redrive` message: the worker sends again, page by
 * recorded page, the projects with no result, then continues the expansion from its recorded cursor
 * (shared/usecases/batch-jobs.ts redriveStep). Re-sending is safe: a project is applied at most once per
 * batch (claims, results written once), so a re-drive of a batch that was only slow changes nothing.
 *
 * Bounded: the newest `maxBatches` batches of the listing (BATCHES#ALL, newest first) are looked at, 100
 * a page; older ones are beyond a sweep's reach.
 */
export interface BatchReconcileReport {
  checked: number;
  redriven: string[];
  errors: { batchId: string; error: string }[];
}

export const MAX_BATCHES_SWEPT = 1000;

export async function reconcileBatches(
  deps: Deps,
  options: { graceMs?: number; maxBatches?: number; claimsDeadBefore?: string } = {},
): Promise<BatchReconcileReport> {
  const graceMs = options.graceMs ?? BATCH_REDRIVE_GRACE_MS;
  const max = options.maxBatches ?? MAX_BATCHES_SWEPT;
  const report: BatchReconcileReport = { checked: 0, redriven: [], errors: [] };
  const now = deps.clock.nowMs();
  let nextToken: string | undefined;
  do {
    const page = await deps.batches.list(Math.min(100, max - report.checked), nextToken);
    for (const b of page.items) {
      report.checked++;
      if (isBatchComplete(b) || now - Date.parse(b.updatedAt) < graceMs) continue;
      try {
        await deps.batchQueue.send([{ kind: 'redrive', batchId: b.batchId, ...(options.claimsDeadBefore ? { claimsDeadBefore: options.claimsDeadBefore } : {}) }]);
        report.redriven.push(b.batchId);
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
