import { CLAIM_LEASE_MS, type BatchJobRecord, type BatchMessage, type BatchPage } from '../../domain/batch-jobs';
import type { BatchClaim, BatchQueue, BatchStore, Page, StoredBatchItem } from '../../ports';
import { openPageToken, sealPageToken, invalidNextToken } from '../page-tokens';

interface Item {
  owner: string;
  claimedAt: string;
  result?: StoredBatchItem;
}

/** In-memory BatchStore with the DynamoDB adapter's semantics (conditional claims, results written once). */
export class InMemoryBatchStore implements BatchStore {
  private readonly batches = new Map<string, BatchJobRecord>();
  private readonly items = new Map<string, Map<string, Item>>();
  private readonly pages = new Map<string, Map<number, string[]>>();

  async create(batch: BatchJobRecord): Promise<void> {
    if (this.batches.has(batch.batchId)) throw new Error(`batch ${batch.batchId} exists`);
    this.batches.set(batch.batchId, structuredClone(batch));
    this.items.set(batch.batchId, new Map());
  }

  async get(batchId: string): Promise<BatchJobRecord | undefined> {
    const b = this.batches.get(batchId);
    return b ? structuredClone(b) : undefined;
  }

  async list(limit: number, nextToken?: string): Promise<Page<BatchJobRecord>> {
    const all = [...this.batches.values()].sort((a, b) => (b.createdAt + b.batchId).localeCompare(a.createdAt + a.batchId));
    const after = nextToken === undefined ? undefined : openPageToken('batches', nextToken);
    if (after !== undefined && typeof after !== 'string') throw invalidNextToken();
    const start = after === undefined ? 0 : all.findIndex((b) => b.createdAt + b.batchId < after);
    const page = start < 0 ? [] : all.slice(start, start + limit);
    const last = page.at(-1);
    const more = last && start + limit < all.length;
    return { items: page.map((b) => structuredClone(b)), ...(more ? { nextToken: sealPageToken('batches', last.createdAt + last.batchId) } : {}) };
  }

  async advanceExpansion(batchId: string, step: { from?: string; to?: string; added: number; nowIso: string }): Promise<boolean> {
    const b = this.batches.get(batchId);
    if (!b || b.expanded || b.cursor !== step.from) return false;
    b.requested += step.added;
    b.updatedAt = step.nowIso;
    if (step.to === undefined) {
      delete b.cursor;
      b.expanded = true;
      b.status = 'RUNNING';
    } else {
      b.cursor = step.to;
      b.status = 'EXPANDING';
    }
    return true;
  }

  async noteRedrive(batchId: string, r: { seen?: number; redrives: number; atIso: string }): Promise<boolean> {
    const b = this.batches.get(batchId);
    if (!b || b.status === 'COMPLETED' || b.redrives !== r.seen) return false;
    b.redrives = r.redrives;
    b.redrivenAt = r.atIso;
    return true;
  }

  async claim(batchId: string, projectIds: readonly string[], owner: string, nowIso: string, options: { claimsDeadBefore?: string } = {}): Promise<BatchClaim> {
    const items = this.itemsOf(batchId);
    const out: BatchClaim = { claimed: [], reclaimed: [], done: new Map(), taken: [] };
    const deadBefore = options.claimsDeadBefore ?? new Date(Date.parse(nowIso) - CLAIM_LEASE_MS).toISOString();
    for (const id of projectIds) {
      const item = items.get(id);
      if (item?.result) out.done.set(id, structuredClone(item.result));
      else if (item && item.owner !== owner && item.claimedAt < deadBefore) {
        // Its message is gone: taken over, and it may have applied the operation.
        items.set(id, { owner, claimedAt: nowIso });
        out.reclaimed.push(id);
        out.claimed.push(id);
      } else if (item && item.owner !== owner) out.taken.push(id);
      else {
        if (item) out.reclaimed.push(id);
        else items.set(id, { owner, claimedAt: nowIso });
        out.claimed.push(id);
      }
    }
    return out;
  }

  async recordResults(batchId: string, results: readonly StoredBatchItem[], owner: string, nowIso: string): Promise<string[]> {
    const items = this.itemsOf(batchId);
    const b = this.batches.get(batchId);
    if (!b) throw new Error(`no batch ${batchId}`);
    const recorded: string[] = [];
    for (const r of results) {
      const item = items.get(r.projectId);
      if (!item || item.owner !== owner || item.result) continue;
      item.result = structuredClone(r);
      b[r.disposition] += 1;
      b.done += 1;
      recorded.push(r.projectId);
    }
    if (recorded.length) b.updatedAt = nowIso;
    return recorded;
  }

  async completeIfDone(batchId: string, nowIso: string): Promise<boolean> {
    const b = this.batches.get(batchId);
    if (!b || !b.expanded || b.status === 'COMPLETED' || b.requested !== b.done) return false;
    b.status = 'COMPLETED';
    b.completedAt = nowIso;
    b.updatedAt = nowIso;
    return true;
  }

  async listResults(batchId: string, limit: number, nextToken?: string): Promise<Page<StoredBatchItem>> {
    const listing = `batch-results|${batchId}`;
    const after = nextToken === undefined ? undefined : openPageToken(listing, nextToken);
    if (after !== undefined && typeof after !== 'string') throw invalidNextToken();
    const done = [...this.itemsOf(batchId)].filter(([id, i]) => i.result && (after === undefined || id > after)).sort(([a], [b]) => a.localeCompare(b));
    const page = done.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(([, i]) => structuredClone(i.result as StoredBatchItem)),
      ...(last && done.length > limit ? { nextToken: sealPageToken(listing, last[0]) } : {}),
    };
  }

  async recordPage(batchId: string, page: BatchPage): Promise<string[]> {
    const pages = this.pages.get(batchId) ?? this.pages.set(batchId, new Map()).get(batchId)!;
    const stored = pages.get(page.at);
    if (stored) return [...stored];
    pages.set(page.at, [...page.projectIds]);
    return [...page.projectIds];
  }

  async nextPage(batchId: string, after?: number): Promise<BatchPage | undefined> {
    const ats = [...(this.pages.get(batchId)?.keys() ?? [])].filter((at) => after === undefined || at > after).sort((a, b) => a - b);
    const at = ats[0];
    return at === undefined ? undefined : { at, projectIds: [...(this.pages.get(batchId)?.get(at) ?? [])] };
  }

  async unrecorded(batchId: string, projectIds: readonly string[]): Promise<string[]> {
    const items = this.itemsOf(batchId);
    return projectIds.filter((id) => !items.get(id)?.result);
  }

  private itemsOf(batchId: string): Map<string, Item> {
    let items = this.items.get(batchId);
    if (!items) this.items.set(batchId, (items = new Map()));
    return items;
  }
}

/** A queue that only holds what was sent: tests deliver its messages by hand (twice, out of order, ...). */
export class InMemoryBatchQueue implements BatchQueue {
  readonly sent: BatchMessage[] = [];
  async send(messages: readonly BatchMessage[]): Promise<void> {
    this.sent.push(...structuredClone(messages));
  }
  /** Takes every message sent so far. */
  take(): BatchMessage[] {
    return this.sent.splice(0, this.sent.length);
  }
}
