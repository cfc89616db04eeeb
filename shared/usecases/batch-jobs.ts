import { isoAt } from '../domain/clock';
import { BATCH_RULES, batchRuleFor } from '../domain/batch';
import {
  ASYNC_BATCH_THRESHOLD,
  EXPAND_PAGE_SIZE,
  ITEMS_PER_MESSAGE,
  isBatchComplete,
  isBatchStalled,
  nextRedriveAt,
  pendingOf,
  redrivesWithoutProgress,
  type BatchJobRecord,
  type BatchMessage,
} from '../domain/batch-jobs';
import { DomainError } from '../domain/errors';
import type { RequestContext } from '../domain/project';
import { isAllowed } from '../domain/transitions';
import { logger } from '../observability/telemetry';
import type { StoredBatchItem } from '../ports';
import { DEFAULT_BATCH_CONCURRENCY, assess, combinedDeps, executeAssessed, runBatch, validateBatchRequest, type Assessment, type BatchExecution, type BatchPreview, type BatchRequest } from './batch';
import { mapWithConcurrency } from './concurrency';
import { readProjects } from './project-read';
import type { Deps } from './deps';

/**
 * Batches of any size. A small batch runs within the request as before (runBatch, 200); a larger one
 * becomes a resource (202): a record with counters, expanded server-side page by page onto the batch
 * queue, each project applied by a worker exactly as the single call would, its result recorded once.
 *
 * Exactly once per project and batch, across redeliveries, retries and timeouts:
 * - a worker claims its projects first (conditional write, owner = the message's id, stable across its
 *   redeliveries); a project another message holds is left to that message;
 * - a project whose result exists is never applied again, and results and counters move in one
 *   transaction, each result only if absent;
 * - a redelivered message may have applied the operation before it died (after the write, before the
 *   result): for a project it had claimed, the project's audit trail is read first, and an event of
 *   this batch there means it was applied: its result is recorded from the project as it is, not re-applied.
 */

export type BatchSubmission = { kind: 'done'; result: BatchPreview | BatchExecution } | { kind: 'accepted'; batch: BatchJobRecord };

export async function submitBatch(deps: Deps, req: BatchRequest, ctx: RequestContext): Promise<BatchSubmission> {
  // Preview, a selector page continued by the caller, or a small list of ids: within the request, as before.
  if (req.dryRun || req.nextToken !== undefined || (req.projectIds && req.projectIds.length <= ASYNC_BATCH_THRESHOLD)) {
    return { kind: 'done', result: await runBatch(deps, req, ctx) };
  }
  validateBatchRequest(req);
  if (req.selector) {
    // A selector whose first page holds every match is small: run it now (one bounded listing to tell).
    const probe = await deps.projects.list({ ...req.selector, limit: ASYNC_BATCH_THRESHOLD });
    if (!probe.nextToken) return { kind: 'done', result: await runBatch(deps, req, ctx, { maxPerCall: ASYNC_BATCH_THRESHOLD }) };
  }
  return { kind: 'accepted', batch: await acceptBatch(deps, req, ctx) };
}

/** Creates the batch record and enqueues its first expansion step. */
export async function acceptBatch(deps: Deps, req: BatchRequest, ctx: RequestContext): Promise<BatchJobRecord> {
  const now = isoAt(deps.clock.nowMs());
  const batch: BatchJobRecord = {
    batchId: deps.newId(),
    operation: req.operation,
    status: 'ACCEPTED',
    createdAt: now,
    updatedAt: now,
    actor: ctx.actor,
    requestId: ctx.requestId,
    ...(req.projectIds ? { projectIds: [...req.projectIds] } : {}),
    ...(req.selector ? { selector: { ...req.selector } } : {}),
    ...(req.parameters ? { parameters: { ...req.parameters } } : {}),
    ...(req.expectedVersions ? { expectedVersions: { ...req.expectedVersions } } : {}),
    expanded: false,
    requested: 0,
    succeeded: 0,
    failed: 0,
    skipped: 0,
    done: 0,
  };
  await deps.batches.create(batch);
  await deps.batchQueue.send([{ kind: 'expand', batchId: batch.batchId }]);
  logger.info('batch accepted', { batchId: batch.batchId, operation: batch.operation, ids: req.projectIds?.length, selector: req.selector });
  return batch;
}

/** What a worker knows of the delivery: the message's id (stable across redeliveries) and its attempt. */
export interface Delivery {
  messageId: string;
  attempt: number;
}

/** A worker's handling of one message; throwing makes the queue deliver it again. */
export async function handleBatchMessage(deps: Deps, message: BatchMessage, delivery: Delivery): Promise<void> {
  if (message.kind === 'expand') return expandStep(deps, message.batchId);
  if (message.kind === 'redrive') return redriveStep(deps, message);
  return processItems(deps, message, delivery);
}

/**
 * One expansion step, bounded: one page of the ids or of the selector's listing (EXPAND_PAGE_SIZE, the
 * store's read budget), enqueued in messages of ITEMS_PER_MESSAGE, then the cursor advanced (conditional
 * on where it stood) and the next step enqueued. A repeated step enqueues the same projects again,
 * which the claims make harmless, and cannot advance the cursor twice.
 */
export async function expandStep(deps: Deps, batchId: string): Promise<void> {
  const b = await deps.batches.get(batchId);
  if (!b) {
    logger.error('batch message for an unknown batch', { batchId });
    return;
  }
  if (b.expanded) {
    await deps.batches.completeIfDone(batchId, isoAt(deps.clock.nowMs()));
    return;
  }
  let ids: string[];
  let next: string | undefined;
  if (b.projectIds) {
    const start = Number(b.cursor ?? 0);
    ids = b.projectIds.slice(start, start + EXPAND_PAGE_SIZE);
    next = start + EXPAND_PAGE_SIZE < b.projectIds.length ? String(start + EXPAND_PAGE_SIZE) : undefined;
  } else {
    const page = await deps.projects.list({ ...(b.selector ?? {}), limit: EXPAND_PAGE_SIZE, ...(b.cursor ? { nextToken: b.cursor } : {}) });
    ids = page.items.map((p) => p.id);
    next = page.nextToken;
  }
  // The page is recorded before its messages go out (a re-drive sends it again if they are lost); a repeated
  // step at the same place sends the page recorded first, not a listing that changed since.
  if (ids.length) ids = await deps.batches.recordPage(batchId, { at: b.requested, projectIds: ids });
  const messages = await itemMessages(deps, b, ids);
  if (messages.length) await deps.batchQueue.send(messages);
  const nowIso = isoAt(deps.clock.nowMs());
  const advanced = await deps.batches.advanceExpansion(batchId, { ...(b.cursor !== undefined ? { from: b.cursor } : {}), ...(next !== undefined ? { to: next } : {}), added: ids.length, nowIso });
  if (!advanced) return; // another delivery of this step advanced it, and continues
  if (next !== undefined) await deps.batchQueue.send([{ kind: 'expand', batchId }]);
  else await deps.batches.completeIfDone(batchId, nowIso);
}

/** The messages that carry these projects (ITEMS_PER_MESSAGE each), with the selection-wide refusals of the page. */
async function itemMessages(deps: Deps, b: BatchJobRecord, ids: readonly string[], claimsDeadBefore?: string): Promise<BatchMessage[]> {
  const refused = await selectionRefusals(deps, b, ids);
  const messages: BatchMessage[] = [];
  for (let i = 0; i < ids.length; i += ITEMS_PER_MESSAGE) {
    const chunk = ids.slice(i, i + ITEMS_PER_MESSAGE);
    const own = Object.fromEntries(chunk.filter((id) => refused[id]).map((id) => [id, refused[id] as { code: string; reason: string }]));
    messages.push({ kind: 'items', batchId: b.batchId, projectIds: chunk, ...(Object.keys(own).length ? { refused: own } : {}), ...(claimsDeadBefore ? { claimsDeadBefore } : {}) });
  }
  return messages;
}

/**
 * One re-drive step of a stalled batch (shared/usecases/reconcile-batches.ts sends the first): the next
 * recorded expansion page's projects with no result are enqueued again (the claims make a project that
 * is done, or held by a live message, harmless to send; one held by a dead message is taken over), then
 * the next step; after the last page, the expansion continues from its recorded cursor (or the batch
 * completes). Bounded: one page (EXPAND_PAGE_SIZE ids) a step.
 */
export async function redriveStep(deps: Deps, message: Extract<BatchMessage, { kind: 'redrive' }>): Promise<void> {
  const b = await deps.batches.get(message.batchId);
  if (!b || isBatchComplete(b)) return;
  const page = await deps.batches.nextPage(b.batchId, message.after);
  if (page) {
    const left = await deps.batches.unrecorded(b.batchId, page.projectIds);
    const messages = await itemMessages(deps, b, left, message.claimsDeadBefore);
    await deps.batchQueue.send([...messages, { ...message, after: page.at }]);
    logger.info('batch re-driven', { batchId: b.batchId, page: page.at, resent: left.length });
    return;
  }
  if (!b.expanded) await deps.batchQueue.send([{ kind: 'expand', batchId: b.batchId }]);
  else await deps.batches.completeIfDone(b.batchId, isoAt(deps.clock.nowMs()));
}

/**
 * The seeds' selection-wide rules (BATCH_RULES) over one expansion page, which is the selection a
 * synchronous selector call judges too. Only for operations that have such rules (one consistent read).
 */
async function selectionRefusals(deps: Deps, b: BatchJobRecord, ids: readonly string[]): Promise<Record<string, { code: string; reason: string }>> {
  const rules = BATCH_RULES[b.operation] ?? [];
  const row = batchRuleFor(b.operation);
  if (rules.length === 0 || !row || ids.length === 0) return {};
  const now = deps.clock.nowMs();
  const found = await deps.projects.getMany(ids);
  const eligible = [...found.values()].filter((p) => isAllowed(row, p, now));
  const refused: Record<string, { code: string; reason: string }> = {};
  for (const rule of rules) for (const r of rule.check(eligible.filter((p) => !refused[p.id]))) refused[r.projectId] ??= { code: r.code, reason: r.reason };
  return refused;
}

/** Applies the batch's operation to the projects of one message, each exactly once (see the top). */
export async function processItems(deps: Deps, message: Extract<BatchMessage, { kind: 'items' }>, delivery: Delivery): Promise<void> {
  const { batchId } = message;
  const b = await deps.batches.get(batchId);
  if (!b) {
    logger.error('batch message for an unknown batch', { batchId });
    return;
  }
  const claim = await deps.batches.claim(batchId, message.projectIds, delivery.messageId, isoAt(deps.clock.nowMs()), message.claimsDeadBefore ? { claimsDeadBefore: message.claimsDeadBefore } : {});
  if (claim.claimed.length > 0) {
    const found = await readProjects(deps, claim.claimed); // whole records: the writes are computed from them
    const reclaimed = new Set(claim.reclaimed);
    const req = { operation: b.operation, ...(b.expectedVersions ? { expectedVersions: b.expectedVersions } : {}), ...(b.parameters ? { parameters: b.parameters } : {}) };
    const assessed = assess(req, claim.claimed.map((projectId) => ({ projectId, record: found.get(projectId) })), deps.clock.nowMs(), batchRuleFor).map((a): Assessment => {
      const refusal = message.refused?.[a.projectId];
      return refusal && !a.refusal ? { projectId: a.projectId, record: a.record, refusal } : a;
    });
    const ctx = { actor: b.actor, requestId: b.requestId, batchId };
    const itemDeps = combinedDeps(deps);
    const results = await mapWithConcurrency(assessed, DEFAULT_BATCH_CONCURRENCY, async (a): Promise<StoredBatchItem> => {
      const recordedAt = isoAt(deps.clock.nowMs());
      // Claimed by an earlier delivery of this message: it may have applied the operation and died before its result.
      if (reclaimed.has(a.projectId) && (await appliedBefore(deps, a.projectId, batchId))) {
        const p = a.record;
        return p
          ? { projectId: p.id, name: p.name, ok: true, status: p.status, updatedAt: p.updatedAt, version: p.version, disposition: 'succeeded', recordedAt }
          : { projectId: a.projectId, ok: true, deleted: true, disposition: 'succeeded', recordedAt };
      }
      const r = await executeAssessed(itemDeps, req, a, ctx);
      return { ...r, disposition: a.refusal ? 'skipped' : r.ok ? 'succeeded' : 'failed', recordedAt };
    });
    await deps.batches.recordResults(batchId, results, delivery.messageId, isoAt(deps.clock.nowMs()));
  }
  if (claim.taken.length) logger.info('batch projects held by another message', { batchId, taken: claim.taken.length });
  await deps.batches.completeIfDone(batchId, isoAt(deps.clock.nowMs()));
}

/** Whether a transition of this batch is in the project's audit trail (it stays readable after a delete). */
async function appliedBefore(deps: Deps, projectId: string, batchId: string): Promise<boolean> {
  const events = await deps.projects.listEvents(projectId);
  return events.some((e) => e.batchId === batchId);
}

/** GET /batch-operations/{batchId}: the record and one page of its results. */
export async function getBatch(deps: Deps, batchId: string, limit: number, nextToken?: string): Promise<{ batch: BatchJobRecord; results: StoredBatchItem[]; nextToken?: string }> {
  const batch = await deps.batches.get(batchId);
  if (!batch) throw new DomainError(404, 'BATCH_NOT_FOUND', 'Batch not found', `No batch with id '${batchId}'.`, { id: batchId });
  const page = await deps.batches.listResults(batchId, limit, nextToken);
  return { batch, results: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
}

export async function listBatches(deps: Deps, limit: number, nextToken?: string) {
  return deps.batches.list(limit, nextToken);
}


/** The API's view of a batch record: counters with `pending`, the request, no expansion internals. */
export function batchJobView(b: BatchJobRecord) {
  return {
    batchId: b.batchId,
    operation: b.operation,
    status: isBatchComplete(b) ? ('COMPLETED' as const) : b.status,
    createdAt: b.createdAt,
    updatedAt: b.updatedAt,
    ...(b.completedAt ? { completedAt: b.completedAt } : {}),
    actor: b.actor,
    ...(b.selector ? { selector: b.selector } : {}),
    ...(b.projectIds ? { projectCount: b.projectIds.length } : {}),
    requested: b.requested,
    succeeded: b.succeeded,
    failed: b.failed,
    skipped: b.skipped,
    pending: pendingOf(b),
    ...redriveView(b),
  };
}

/** The reconciler's re-drives since the batch last progressed, when there were any (shared/usecases/reconcile-batches.ts). */
function redriveView(b: BatchJobRecord) {
  const attempts = redrivesWithoutProgress(b);
  if (attempts === 0 || !b.redrivenAt) return {};
  const next = nextRedriveAt(b);
  return { redrive: { attempts, lastAt: b.redrivenAt, ...(next !== undefined ? { nextAt: isoAt(next) } : {}), stalled: isBatchStalled(b) } };
}
