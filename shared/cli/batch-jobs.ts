import { ProgressBar, shortTime, table } from './output';
import { emit, errorMsg, seconds, type Ctx, type ItemResult } from './common';

/**
 * `migctl batch` for batches run as resources (202 from POST /batch-operations): wait with a progress
 * bar of the counters until COMPLETED, then the per-project results; `batch get <id>`, `batch list`.
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

/** Waits for an accepted batch, its counters as a progress bar; then its results. */
export async function awaitBatch(ctx: Ctx, accepted: BatchJobBody, expected: number): Promise<ItemResult[]> {
  const intervalS = seconds(ctx.flags.interval, 1, '--interval');
  const bar = new ProgressBar(ctx.io.stderr, expected, `${accepted.operation} (batch ${accepted.batchId})`);
  for (;;) {
    const { body } = await ctx.api.request<BatchJobBody>('GET', `/batch-operations/${encodeURIComponent(accepted.batchId)}?limit=1`);
    bar.update(body.succeeded + body.failed + body.skipped, `${countersText(body)} · ${body.status}`);
    if (body.status === 'COMPLETED') break;
    await sleeper(ctx)(intervalS * 1000);
  }
  bar.finish();
  return (await resultsOf(ctx, accepted.batchId)).items;
}

/** `migctl batch get <id>`: status, counters and every per-project result. */
export async function batchGet(ctx: Ctx, batchId: string): Promise<number> {
  try {
    const { batch, items } = await resultsOf(ctx, batchId);
    const failed = items.filter((i) => !i.result && !i.skipped).length;
    return emit(ctx, { op: `batch get ${batchId}`, result: failed === 0, msg: `${batch.status}: ${countersText(batch)}`, projects: items }, () =>
      [`${batch.operation} by ${batch.actor}, ${shortTime(batch.createdAt)}: ${batch.status}`, `${batch.requested} requested: ${countersText(batch)}`, table(['NAME', 'ID', 'STATUS', 'RESULT'], items.map((i) => [i.name, i.projectId, String(i.status ?? ''), i.result ? 'ok' : i.msg]))].join('\n'),
    );
  } catch (e) {
    return emit(ctx, { op: `batch get ${batchId}`, result: false, msg: errorMsg(e), projects: [] }, () => errorMsg(e));
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
