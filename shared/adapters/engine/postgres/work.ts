import type pg from 'pg';
import type { TableRef } from '../../../domain/project';
import type { JobSpec } from '../../../ports';
import { describeTable, listTables, planStructure, regclassOf, type TableInfo } from './catalog';
import { captureName, ensureCapture, forwardCapture, isSourcePart, syncPass, syncTables, type SyncContext } from './cdc';
import { inTransaction, lsnToBig, type Queryable } from './connections';
import { getJob, initTableRows, jobsOfProject, listTableRows, patchJob, patchTableRow, tableSources, type JobRow, type TableRow } from './registry';
import { ownerFor, type Owner } from './owners';
import { readChunk, writeChunk, type Chunk } from './copy';
import { writableColumns } from './rows';
import { compareRange } from './verify';
import { JobFailure } from './failure';
import { runStructureMerged, runVerificationMerged } from './work-sources';

/**
 * The work of each subtask, run by a job's background worker one unit at a time (a chunk, a range, a
 * sync pass) so that a pause or stop takes effect between units. Every unit's result is in the
 * registry before the next starts: a worker that dies loses at most the unit in flight, which is
 * replayed idempotently.
 */

export { JobFailure };

export interface WorkContext {
  job: JobRow;
  /** The (first) source the job reads: a per-source job's own source. */
  source: pg.Pool;
  /** Every source of the job: several for the project-wide jobs (structure, verification) of a multi-source project. */
  sources: { id: string; pool: pg.Pool }[];
  dest: pg.Pool;
  chunkRows: number;
  pollIntervalMs: number;
  chunkDelayMs: number;
  maxMismatchedKeys: number;
  now: () => number;
  /** True once a pause or stop asked the worker to end. */
  stopping: () => boolean;
  /** Sleeps, waking early on a stop (or a poll that wants a fresh sync pass). */
  sleep: (ms: number) => Promise<void>;
  /** Sync passes: called when a pass starts (returns its number) and once its result is recorded. */
  passStarted?: () => number;
  passRecorded?: (n: number) => void;
}

export const spec = (ctx: WorkContext): JobSpec => ctx.job.spec;

/** Rows the statistics estimate (planner's reltuples; a count where the table was never analysed). */
export async function estimateRows(q: Queryable, t: TableRef): Promise<number> {
  const r = await q.query<{ n: string }>('SELECT reltuples::bigint::text AS n FROM pg_class WHERE oid = to_regclass($1)', [regclassOf(t)]);
  const n = Number(r.rows[0]?.n ?? -1);
  if (n >= 0) return n;
  const c = await q.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${regclassOf(t)}`);
  return Number(c.rows[0]?.n ?? 0);
}

/** The job's tables (resolved once, then read back from the registry) described on the side they are read from. */
async function prepareTables(ctx: WorkContext, readSide: pg.Pool, estimate: boolean): Promise<{ rows: TableRow[]; infos: TableInfo[] }> {
  let rows = await listTableRows(ctx.dest, ctx.job.jobId);
  if (!rows.length) {
    const wanted = spec(ctx).tables ?? (await listTables(readSide));
    const infos: TableInfo[] = [];
    // One source's part of a multi-source project moves the listed tables its source has.
    const partial = isSourcePart(spec(ctx)) && readSide === ctx.source;
    for (const t of wanted) {
      const info = await describeTable(readSide, t);
      if (!info && partial) continue;
      if (!info) throw new JobFailure('TABLE_NOT_FOUND', `table ${t.schema}.${t.table} does not exist on the source`);
      if (!info.key.length) throw new JobFailure('NO_PRIMARY_KEY', `table ${t.schema}.${t.table} has no primary key: it cannot be migrated by key`);
      infos.push(info);
    }
    if (!infos.length) throw new JobFailure('TABLE_NOT_FOUND', `source ${spec(ctx).sourceIds[0]} has none of the project's tables`);
    const withEstimates = [];
    for (const i of infos) withEstimates.push({ schema: i.schema, table: i.table, rowsEstimated: estimate ? await estimateRows(readSide, i) : 0 });
    await initTableRows(ctx.dest, ctx.job.jobId, withEstimates);
    rows = await listTableRows(ctx.dest, ctx.job.jobId);
  }
  const infos: TableInfo[] = [];
  for (const r of rows) {
    const info = await describeTable(readSide, r);
    if (!info) throw new JobFailure('TABLE_NOT_FOUND', `table ${r.schema}.${r.table} does not exist on the source`);
    infos.push(info);
  }
  return { rows, infos };
}

export async function destInfo(q: Queryable, t: TableRef, side = 'destination'): Promise<TableInfo> {
  const info = await describeTable(q, t);
  if (!info) throw new JobFailure('DESTINATION_TABLE_MISSING', `table ${t.schema}.${t.table} does not exist on the ${side}`);
  if (!info.key.length) throw new JobFailure('NO_PRIMARY_KEY', `table ${t.schema}.${t.table} has no primary key on the ${side}`);
  return info;
}

/** Records progress while the job still runs; false when someone paused or stopped it meanwhile. */
export const report = (ctx: WorkContext, patch: Parameters<typeof patchJob>[2]) => patchJob(ctx.dest, ctx.job.jobId, patch, ['RUNNING']);

export async function runStructure(ctx: WorkContext): Promise<void> {
  if (ctx.sources.length > 1) return runStructureMerged(ctx);
  const { infos } = await prepareTables(ctx, ctx.source, false);
  const plan = await planStructure(ctx.source, infos);
  await inTransaction(ctx.dest, async (c) => {
    for (const s of plan.statements) await c.query(s);
  });
  for (const t of infos) await patchTableRow(ctx.dest, ctx.job.jobId, t, { done: true });
  await report(ctx, { progress: { percent: 100, objects: plan.objects, objectsTotal: plan.objects, tables: infos.length }, checkpoint: 'structure:done' });
}

/**
 * The key ownership of each table a source's part writes (multi-source projects): a table that several
 * sources have (as recorded by the structure migration; every table when nothing was recorded) is merged,
 * and its writes claim their keys. Single-source jobs: none (the fast path).
 */
async function ownersOf(ctx: WorkContext, dests: TableInfo[]): Promise<(Owner | undefined)[]> {
  if (!isSourcePart(spec(ctx))) return dests.map(() => undefined);
  const recorded = await tableSources(ctx.dest, ctx.job.projectId);
  const sourceId = spec(ctx).sourceIds[0] as string;
  const out: (Owner | undefined)[] = [];
  for (const d of dests) {
    const holders = recorded?.get(`${d.schema}.${d.table}`);
    out.push(!holders || holders.length > 1 ? await ownerFor(ctx.dest, ctx.job.projectId, d, sourceId) : undefined);
  }
  return out;
}

export function copyProgress(rows: TableRow[]) {
  const copied = rows.reduce((s, t) => s + t.rows, 0);
  const total = rows.reduce((s, t) => s + Math.max(t.rowsEstimated ?? 0, t.rows), 0);
  const done = rows.filter((t) => t.done).length;
  const allDone = done === rows.length;
  const percent = allDone ? 100 : Math.min(99, total ? Math.floor((copied / total) * 100) : 0);
  const rps = rows.reduce((s, t) => s + (t.done ? 0 : (t.rowsPerSecond ?? 0)), 0);
  return { percent, rows: copied, rowsTotal: total, tablesDone: done, tablesTotal: rows.length, rowsPerSecond: Math.round(rps) };
}

export async function runFullLoad(ctx: WorkContext): Promise<boolean> {
  const { rows, infos } = await prepareTables(ctx, ctx.source, true);
  if (spec(ctx).migrationType.incrementalSync) {
    // The forward slot (this source's own in a multi-source project) exists before the first chunk: every change made during the copy is captured.
    const { name } = forwardCapture(spec(ctx));
    const cap = await ensureCapture(ctx.source, name, infos);
    if (cap.created) await patchJob(ctx.dest, ctx.job.jobId, { detail: { slot: name, slotCreatedAt: cap.lsn } });
  }
  for (const [i, row] of rows.entries()) {
    if (row.done) continue;
    const src = infos[i] as TableInfo;
    const dst = await destInfo(ctx.dest, src);
    const [owner] = await ownersOf(ctx, [dst]);
    const cols = writableColumns(src, dst);
    // The next chunk is read from the source while the current one is written to the destination.
    let next: Promise<Chunk> | undefined = readChunk(ctx.source, src, cols, row.lastKey, ctx.chunkRows);
    while (!ctx.stopping() && next) {
      const t0 = ctx.now();
      const chunk: Chunk = await next;
      next = chunk.hi === null ? undefined : readChunk(ctx.source, src, cols, chunk.hi, ctx.chunkRows);
      next?.catch(() => {}); // a failed read is seen when awaited
      const done = chunk.hi === null;
      await inTransaction(ctx.dest, async (c) => {
        const rows = await writeChunk(c, dst, cols, chunk, owner);
        // The checkpoint commits with the rows it covers.
        const seconds = Math.max(0.001, (ctx.now() - t0) / 1000);
        await patchTableRow(c, ctx.job.jobId, src, { lastKey: chunk.hi ?? chunk.lo, addRows: rows, ...(rows ? { rowsPerSecond: rows / seconds } : {}), done });
      });
      const all = await listTableRows(ctx.dest, ctx.job.jobId);
      const progress = copyProgress(all);
      if (!(await report(ctx, { progress, checkpoint: `copy:${progress.tablesDone}/${progress.tablesTotal}:${progress.rows}` }))) return false;
      if (done) break;
      if (ctx.chunkDelayMs) await ctx.sleep(ctx.chunkDelayMs);
    }
    if (ctx.stopping()) return false;
  }
  return !ctx.stopping();
}

/** Forward (source → destination) or reverse (destination → source) change apply, until stopped. */
export async function runSync(ctx: WorkContext, direction: 'f' | 'r'): Promise<void> {
  const readSide = direction === 'f' ? ctx.source : ctx.dest;
  const writeSide = direction === 'f' ? ctx.dest : ctx.source;
  const { infos } = await prepareTables(ctx, readSide, false);
  if (direction === 'r' && spec(ctx).sourceIds.length > 1) {
    throw new JobFailure('REVERSE_MULTI_SOURCE', 'reverse incremental sync writes back to one source: a project with several sources cannot have it');
  }
  const dests: TableInfo[] = [];
  for (const info of infos) dests.push(await destInfo(writeSide, info, direction === 'f' ? 'destination' : 'source'));
  const owners = direction === 'f' ? await ownersOf(ctx, dests) : dests.map(() => undefined);
  const pairs = infos.map((info, i) => ({ source: info, dest: dests[i] as TableInfo, ...(owners[i] ? { owner: owners[i] } : {}) }));
  const name = direction === 'f' ? forwardCapture(spec(ctx)).name : captureName(ctx.job.projectId, 'r');
  const cap = await ensureCapture(readSide, name, infos);
  if (cap.created) await patchJob(ctx.dest, ctx.job.jobId, { detail: { slot: name, slotCreatedAt: cap.lsn } });
  const appliedLsn = ctx.job.checkpoint?.startsWith('pg-lsn:') ? ctx.job.checkpoint.slice('pg-lsn:'.length) : null;
  const startLsn = ((await getJob(ctx.dest, ctx.job.jobId))?.detail?.startLsn as string | undefined) ?? appliedLsn ?? cap.lsn ?? '0/0';
  const sync: SyncContext = {
    readPool: readSide,
    writePool: writeSide,
    slot: name,
    publication: name,
    tables: syncTables(pairs),
    relations: new Map(),
    appliedLsn,
    batchRows: Math.max(1000, ctx.chunkRows * 2),
    coalesce: direction === 'f',
    now: ctx.now,
    ...(direction === 'f'
      ? { checkpointInApply: async (c: pg.PoolClient, lsn: string) => void (await c.query('UPDATE _migration.jobs SET checkpoint = $2 WHERE job_id = $1', [ctx.job.jobId, `pg-lsn:${lsn}`])) }
      : {}),
  };
  let events = Number(ctx.job.progress.events ?? 0);
  let transactions = Number(ctx.job.progress.transactions ?? 0);
  await patchJob(ctx.dest, ctx.job.jobId, { detail: { ...(ctx.job.detail ?? {}), slot: name, startLsn } });
  while (!ctx.stopping()) {
    const n = ctx.passStarted?.() ?? 0;
    const pass = await syncPass(sync);
    events += pass.changes;
    transactions += pass.transactions;
    const done = pass.appliedLsn ? Number(lsnToBig(pass.appliedLsn) - lsnToBig(startLsn)) : 0;
    const percent = pass.caughtUp ? 100 : Math.min(99, Math.floor((100 * Math.max(0, done)) / Math.max(1, done + pass.lagBytes)));
    const ok = await report(ctx, {
      progress: { percent, events, transactions, lagSeconds: Math.round(pass.lagSeconds * 10) / 10, lagBytes: pass.lagBytes },
      caughtUp: pass.caughtUp,
      lag: { seconds: Math.round(pass.lagSeconds * 10) / 10, bytes: pass.lagBytes },
      ...(pass.appliedLsn ? { checkpoint: `pg-lsn:${pass.appliedLsn}` } : {}),
    });
    ctx.passRecorded?.(n);
    if (!ok) return;
    if (pass.caughtUp) await ctx.sleep(ctx.pollIntervalMs);
  }
}

/** Whether a forward sync of the project applies changes right now (differences may be in flight). */
export async function syncRunning(ctx: WorkContext): Promise<boolean> {
  const jobs = await jobsOfProject(ctx.dest, ctx.job.projectId);
  return jobs.some((j) => (j.subtask === 'INCREMENTAL_SYNC' || j.subtask === 'REVERSE_INCREMENTAL_SYNC') && j.state === 'RUNNING');
}

export async function runVerification(ctx: WorkContext): Promise<boolean> {
  if (ctx.sources.length > 1) return runVerificationMerged(ctx);
  const { rows, infos } = await prepareTables(ctx, ctx.source, true);
  for (const [i, row] of rows.entries()) {
    if (row.done) continue;
    const src = infos[i] as TableInfo;
    const dst = await destInfo(ctx.dest, src);
    const cols = writableColumns(src, dst).filter((c) => src.columns.some((s) => s.name === c.name));
    let lo = row.lastKey;
    let keys = [...row.mismatchedKeys];
    while (!ctx.stopping()) {
      let r = await compareRange(ctx.source, ctx.dest, src, dst, cols, lo, ctx.chunkRows, ctx.maxMismatchedKeys);
      // While a sync applies changes, a difference may be in flight: look again a few times before counting it.
      for (let retry = 0; r.mismatches > 0 && retry < 3 && (await syncRunning(ctx)); retry++) {
        await ctx.sleep(ctx.pollIntervalMs);
        r = await compareRange(ctx.source, ctx.dest, src, dst, cols, lo, ctx.chunkRows, ctx.maxMismatchedKeys);
      }
      keys = [...keys, ...r.mismatchedKeys].slice(0, ctx.maxMismatchedKeys);
      await patchTableRow(ctx.dest, ctx.job.jobId, src, { lastKey: r.hi, addRows: r.rows, addMismatches: r.mismatches, mismatchedKeys: keys, done: r.hi === null });
      lo = r.hi;
      const all = await listTableRows(ctx.dest, ctx.job.jobId);
      const p = copyProgress(all);
      const mismatches = all.reduce((s, t) => s + t.mismatches, 0);
      const progress = { percent: p.percent, rowsCompared: p.rows, rowsTotal: p.rowsTotal, mismatches, tablesDone: p.tablesDone, tablesTotal: p.tablesTotal };
      if (!(await report(ctx, { progress, checkpoint: `verify:${p.tablesDone}/${p.tablesTotal}:${p.rows}` }))) return false;
      if (r.hi === null) break;
      if (ctx.chunkDelayMs) await ctx.sleep(ctx.chunkDelayMs);
    }
    if (ctx.stopping()) return false;
  }
  return !ctx.stopping();
}
