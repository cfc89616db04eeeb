import type { AlertLevel, ProjectStatus } from './project';
import type { BatchOperation } from './transitions';

/**
 * A batch as a resource: what `POST /batch-operations` creates when a batch is too large to finish
 * within one request. The record holds the request (operation, ids or selector), where the server-side
 * expansion stands (its cursor) and the counters; each project's result is its own item, written once.
 * Pure domain: no AWS SDK.
 */

/**
 * Most projects a batch executes within the request (200, as before): explicit ids up to this many,
 * or a selector whose first listing page holds every match. Anything larger is accepted (202) and runs
 * on the batch queue. Chosen so a synchronous batch stays far below API Gateway's 29 s even on the
 * slowest operation (release: ~17 AWS calls a project, 16 at a time → about 2 s for 100).
 */
export const ASYNC_BATCH_THRESHOLD = 100;

/** Projects one expansion step reads (one listing page within the store's read budget) and enqueues. */
export const EXPAND_PAGE_SIZE = 1000;

/** Projects one queue message carries to a worker (its results are recorded in one transaction). */
export const ITEMS_PER_MESSAGE = 25;

export const BATCH_JOB_STATUSES = ['ACCEPTED', 'EXPANDING', 'RUNNING', 'COMPLETED'] as const;
export type BatchJobStatus = (typeof BATCH_JOB_STATUSES)[number];

/** How one project of a batch ended: changed, refused or errored, or not attempted (ineligible when read). */
export const BATCH_ITEM_OUTCOMES = ['succeeded', 'failed', 'skipped'] as const;
export type BatchItemOutcome = (typeof BATCH_ITEM_OUTCOMES)[number];

export interface BatchJobSelector {
  status?: ProjectStatus;
  label?: string;
}

export interface BatchJobCounters {
  /** Projects enqueued so far (grows while the selector is expanded). */
  requested: number;
  succeeded: number;
  failed: number;
  skipped: number;
  /** succeeded + failed + skipped: results recorded (each exactly once). */
  done: number;
}

export interface BatchJobRecord extends BatchJobCounters {
  batchId: string;
  operation: BatchOperation;
  status: BatchJobStatus;
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
  actor: string;
  requestId: string;
  /** Explicit ids (at most MAX_BATCH_SIZE), or the selector expanded server-side. */
  projectIds?: string[];
  selector?: BatchJobSelector;
  parameters?: { level?: AlertLevel };
  expectedVersions?: Record<string, number>;
  /** Where the expansion continues: an index into projectIds, or the selector listing's page token. */
  cursor?: string;
  /** Every project of the batch has been enqueued. */
  expanded: boolean;
  /** The reconciler's re-drives of this batch (shared/usecases/reconcile-batches.ts): how many, and the last one's instant. */
  redrives?: number;
  redrivenAt?: string;
}

/** A batch whose every enqueued project has its result, and nothing is left to enqueue. */
export function isBatchComplete(b: Pick<BatchJobRecord, 'expanded' | 'requested' | 'done' | 'status'>): boolean {
  return b.status === 'COMPLETED' || (b.expanded && b.done >= b.requested);
}

/** Projects not yet done (never negative while a page's results race its counters). */
export function pendingOf(b: Pick<BatchJobRecord, 'requested' | 'done'>): number {
  return Math.max(0, b.requested - b.done);
}

/**
 * A claim with no result older than this belongs to a message no worker holds any more (deployed: longer
 * than the queue's 720 s visibility timeout, itself six worker timeouts): another message may take it over.
 */
export const CLAIM_LEASE_MS = 15 * 60_000;

/** A batch not completed whose record has not moved for this long is re-driven by the reconciler. */
export const BATCH_REDRIVE_GRACE_MS = 15 * 60_000;

/**
 * Re-drives of a batch that does not move are spaced out: the first BATCH_REDRIVE_GRACE_MS after its
 * last progress, each next one twice as long after the one before (30 min, 1 h, 2 h, ...), at most this
 * far apart. Progress (a result, an expansion step: the record's updatedAt) starts the count again.
 */
export const BATCH_REDRIVE_MAX_INTERVAL_MS = 4 * 3600_000;

/**
 * After this many re-drives with no progress since the first, the batch is shown stalled (its `redrive`
 * on GET /batch-operations/{id}, the reconciler's BatchesStalled metric and an error log): something a
 * re-drive cannot fix holds it. Re-drives go on at the longest interval (a cause fixed later lets it finish).
 */
export const BATCH_REDRIVES_BEFORE_STALLED = 5;

type RedriveFields = Pick<BatchJobRecord, 'expanded' | 'requested' | 'done' | 'status' | 'updatedAt' | 'redrives' | 'redrivenAt'>;

/** Re-drives since the batch last progressed (a re-drive itself leaves updatedAt as it was); 0 once it is complete. */
export function redrivesWithoutProgress(b: RedriveFields): number {
  if (isBatchComplete(b)) return 0;
  return b.redrives !== undefined && b.redrivenAt !== undefined && b.redrivenAt >= b.updatedAt ? b.redrives : 0;
}

/** When the reconciler re-drives the batch next (epoch ms), or undefined once it is complete. */
export function nextRedriveAt(b: RedriveFields, graceMs: number = BATCH_REDRIVE_GRACE_MS): number | undefined {
  if (isBatchComplete(b)) return undefined;
  const n = redrivesWithoutProgress(b);
  if (n === 0) return Date.parse(b.updatedAt) + graceMs;
  return Date.parse(b.redrivenAt as string) + Math.min(graceMs * 2 ** n, BATCH_REDRIVE_MAX_INTERVAL_MS);
}

/** Re-driven BATCH_REDRIVES_BEFORE_STALLED times without progress, and not complete. */
export function isBatchStalled(b: RedriveFields): boolean {
  return !isBatchComplete(b) && redrivesWithoutProgress(b) >= BATCH_REDRIVES_BEFORE_STALLED;
}

/** What travels on the batch queue: an expansion step, some projects to apply the operation to, or a re-drive step. */
export type BatchMessage =
  | { kind: 'expand'; batchId: string }
  | {
      kind: 'items';
      batchId: string;
      projectIds: string[];
      /** Refusals of the selection-wide rules (BATCH_RULES), judged by the expander over its whole page. */
      refused?: Record<string, { code: string; reason: string }>;
      /** A re-drive's: claims without a result made before this instant are dead and may be taken over (default: CLAIM_LEASE_MS ago). */
      claimsDeadBefore?: string;
    }
  | {
      /** Re-sends what a stalled batch has left, one expansion page a step (after: the page before), then its expansion. */
      kind: 'redrive';
      batchId: string;
      after?: number;
      claimsDeadBefore?: string;
    };

/** One expansion page as recorded before its projects are enqueued: where it starts (requested before it) and its ids. */
export interface BatchPage {
  at: number;
  projectIds: string[];
}
