import { ProgressBar, shortTime, table } from './output';
import { emit, errorMsg, seconds, UsageError, type Ctx, type ItemResult } from './common';

/**
 * `migctl batch` for batches run as resources (202 from POST /batch-operations): wait with a progress
 * bar of the counters until COMPLETED, then the per-project results; `batch get <id> [--wait]`, `batch list`.
 */

interface BatchJobBody {
  batchId: string;
  operation: string;
  status: string;
  createdAt: string;
  completedAt?: string;
  actor: string;
  requested: number;
  succeeded: number;
  failed: number;
  skipped: number;
  pending: number;
}
interface BatchResultBody {
  projectId: string;
  disposition: 'succeeded' | 'failed' | 'skipped';
  name?: string;
  ok: boolean;
  status?: string;
  code?: string;
  message?: string;
}

const sleeper = (ctx: Ctx) => ctx.io.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
const countersText = (b: BatchJobBody) => `${b.succeeded} succeeded, ${b.failed} failed, ${b.skipped} skipped, ${b.pending} pending`;

function itemOf(r: BatchResultBody): ItemResult {
  const msg = r.ok ? '' : `${r.disposition === 'skipped' ? 'skipped: ' : ''}${r.code ?? 'FAILED'}${r.message ? `: ${r.message}` : ''}`;
  return { result: r.ok, msg, projectId: r.projectId, name: r.name ?? '', ...(r.status ? { status: r.status } : {}), ...(r.disposition === 'skipped' ? { skipped: true } : {}) };
}

/** Every per-project result of a batch, page by page. */
async function resultsOf(ctx: Ctx, batchId: string): Promise<{ batch: BatchJobBody; items: ItemResult[] }> {
  const items: ItemResult[] = [];
  let nextToken: string | undefined;
  let batch: BatchJobBody | undefined;
  do {
    const { body } = await ctx.api.request<BatchJobBody & { results: BatchResultBody[]; nextToken?: string }>(
      'GET',
      `/batch-operations/${encodeURIComponent(batchId)}?limit=100${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ''}`,
    );
    batch ??= body;
    items.push(...body.results.map(itemOf));
    nextToken = body.nextToken;
  } while (nextToken);
  return { batch: batch as BatchJobBody, items };
}

/**
 * Polls a batch until it is COMPLETED, its counters as a progress bar (of `expected` projects, else of those
 * requested so far), or until `timeoutS` has passed; returns the last read and whether it completed.
 */
async function untilCompleted(ctx: Ctx, batchId: string, label: string, expected: number | undefined, timeoutS: number): Promise<{ batch: BatchJobBody; completed: boolean }> {
  const intervalS = seconds(ctx.flags.interval, 1, '--interval');
  const bar = new ProgressBar(ctx.io.stderr, expected ?? 0, label);
  const started = Date.now();
  for (;;) {
    const { body } = await ctx.api.request<BatchJobBody>('GET', `/batch-operations/${encodeURIComponent(batchId)}?limit=1`);
    if (expected === undefined) bar.setTotal(body.requested);
    bar.update(body.succeeded + body.failed + body.skipped, `${countersText(body)} · ${body.status}`);
    const elapsed = (Date.now() - started) / 1000;
    if (body.status === 'COMPLETED' || elapsed >= timeoutS) {
      bar.finish();
      return { batch: body, completed: body.status === 'COMPLETED' };
    }
    await sleeper(ctx)(Math.min(intervalS, Math.max(0.05, timeoutS - elapsed)) * 1000);
  }
}

/** Waits for an accepted batch, its counters as a progress bar; then its results. */
export async function awaitBatch(ctx: Ctx, accepted: BatchJobBody, expected: number): Promise<ItemResult[]> {
  await untilCompleted(ctx, accepted.batchId, `${accepted.operation} (batch ${accepted.batchId})`, expected, Number.POSITIVE_INFINITY);
  return (await resultsOf(ctx, accepted.batchId)).items;
}

/**
 * `migctl batch get <id>`: status, counters and every per-project result. `--wait`: first until the batch
 * is COMPLETED (a progress bar of its counters), at most `--timeout` seconds (600; exit 1 when it passes).
 */
export async function batchGet(ctx: Ctx, batchId: string): Promise<number> {
  const op = `batch get ${batchId}`;
  try {
    if (ctx.flags.wait) {
      const timeoutS = seconds(ctx.flags.timeout, 600, '--timeout');
      const { body: first } = await ctx.api.request<BatchJobBody>('GET', `/batch-operations/${encodeURIComponent(batchId)}?limit=1`);
      const waited = await untilCompleted(ctx, batchId, `${first.operation} (batch ${batchId})`, undefined, timeoutS);
      if (!waited.completed) {
        const msg = `timed out after ${timeoutS} s (${waited.batch.status}: ${countersText(waited.batch)})`;
        return emit(ctx, { op, result: false, msg, projects: [] }, () => `${batchId}: ${msg}`);
      }
    }
    const { batch, items } = await resultsOf(ctx, batchId);
    const failed = items.filter((i) => !i.result && !i.skipped).length;
    return emit(ctx, { op, result: failed === 0, msg: `${batch.status}: ${countersText(batch)}`, projects: items }, () =>
      [`${batch.operation} by ${batch.actor}, ${shortTime(batch.createdAt)}: ${batch.status}`, `${batch.requested} requested: ${countersText(batch)}`, table(['NAME', 'ID', 'STATUS', 'RESULT'], items.map((i) => [i.name, i.projectId, String(i.status ?? ''), i.result ? 'ok' : i.msg]))].join('\n'),
    );
  } catch (e) {
    if (e instanceof UsageError) throw e;
    return emit(ctx, { op, result: false, msg: errorMsg(e), projects: [] }, () => errorMsg(e));
  }
}

/** `migctl batch list`: the batches run as resources, newest first. */
export async function batchList(ctx: Ctx): Promise<number> {
  const limit = ctx.flags.limit ? Number(ctx.flags.limit) : 20;
  const { body } = await ctx.api.request<{ items: BatchJobBody[] }>('GET', `/batch-operations?limit=${limit}`);
  if (ctx.json) {
    ctx.io.stdout.write(`${JSON.stringify(body.items)}\n`);
    return 0;
  }
  ctx.io.stdout.write(
    `${table(['ID', 'OPERATION', 'STATUS', 'CREATED', 'REQUESTED', 'OK', 'FAILED', 'SKIPPED', 'PENDING'], body.items.map((b) => [b.batchId, b.operation, b.status, shortTime(b.createdAt), b.requested, b.succeeded, b.failed, b.skipped, b.pending]))}\n`,
  );
  return 0;
}
