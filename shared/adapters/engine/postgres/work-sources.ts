import type pg from 'pg';
import { describeTable, listTables, planStructure, regclassOf, shapeDifference, type TableInfo } from './catalog';
import { ident, inTransaction } from './connections';
import { JobFailure } from './failure';
import { existingOwner, ownedBy } from './owners';
import { initTableRows, listTableRows, patchTableRow, recordTableSources } from './registry';
import { showKey, writableColumns } from './rows';
import { compareRange, type RowFilter } from './verify';
import { copyProgress, destInfo, estimateRows, report, spec, syncRunning, type WorkContext } from './work';

/**
 * The project-wide work of a multi-source project (its structure and verification jobs read every
 * source); a source's own parts (full load, sync) are the ordinary work of work.ts with key ownership.
 */

/**
 * Every source's tables, each once: the first source to have a table (in the job's source order) gives
 * its shape; another source's table of the same name must have the same key and columns (types included)
 * to merge into it. A listed table must be on at least one source. Returns, per table, its
 * description (from the first source) and the sources that have it.
 */
async function sourcesOfTables(ctx: WorkContext): Promise<Map<string, { info: TableInfo; first: { id: string; pool: pg.Pool }; sources: string[] }>> {
  const out = new Map<string, { info: TableInfo; first: { id: string; pool: pg.Pool }; sources: string[] }>();
  for (const s of ctx.sources) {
    const wanted = spec(ctx).tables ?? (await listTables(s.pool));
    for (const t of wanted) {
      const name = `${t.schema}.${t.table}`;
      const info = await describeTable(s.pool, t);
      if (!info) continue; // a listed table may be on some sources only
      if (!info.key.length) throw new JobFailure('NO_PRIMARY_KEY', `table ${name} of source ${s.id} has no primary key: it cannot be migrated by key`);
      const seen = out.get(name);
      if (!seen) {
        out.set(name, { info, first: s, sources: [s.id] });
        continue;
      }
      const diff = shapeDifference(seen.info, info);
      if (diff) throw new JobFailure('INCOMPATIBLE_TABLES', `table ${name}: source ${s.id}'s table cannot merge into the destination table made from source ${seen.first.id} (${diff})`);
      seen.sources.push(s.id);
    }
  }
  const missing = (spec(ctx).tables ?? []).filter((t) => !out.has(`${t.schema}.${t.table}`));
  if (missing.length) throw new JobFailure('TABLE_NOT_FOUND', `table ${missing.map((t) => `${t.schema}.${t.table}`).join(', ')} does not exist on any source`);
  return out;
}

/** Structure of a multi-source project: each table created once, from the first source that has it; which sources have which table is recorded. */
export async function runStructureMerged(ctx: WorkContext): Promise<void> {
  const tables = await sourcesOfTables(ctx);
  const all = [...tables.values()];
  await initTableRows(ctx.dest, ctx.job.jobId, all.map((t) => ({ schema: t.info.schema, table: t.info.table, rowsEstimated: 0 })));
  const statements: string[] = [];
  let objects = 0;
  for (const s of ctx.sources) {
    const infos = all.filter((t) => t.first.id === s.id).map((t) => t.info);
    if (!infos.length) continue;
    const plan = await planStructure(s.pool, infos);
    statements.push(...plan.statements);
    objects += plan.objects;
  }
  await inTransaction(ctx.dest, async (c) => {
    for (const st of statements) await c.query(st);
    await recordTableSources(c, ctx.job.projectId, new Map(all.map((t) => [`${t.info.schema}.${t.info.table}`, { schema: t.info.schema, table: t.info.table, sources: t.sources }])));
  });
  for (const t of all) await patchTableRow(ctx.dest, ctx.job.jobId, t.info, { done: true });
  const merged = all.filter((t) => t.sources.length > 1).length;
  await report(ctx, { progress: { percent: 100, objects, objectsTotal: objects, tables: all.length, mergedTables: merged }, checkpoint: 'structure:done' });
}

/**
 * Verification of a multi-source project, per source over its own key set: each table is compared with
 * every source that has it, one source after the other (`sourceOrd` and the range checkpoint `lastKey`
 * per table). A merged table's destination side is restricted to the rows that source owns; once every
 * source is compared, rows of the merged table that no source owns are counted as extra. Mismatched keys
 * are listed with their source (`<source>:id=5`).
 */
export async function runVerificationMerged(ctx: WorkContext): Promise<boolean> {
  let rows = await listTableRows(ctx.dest, ctx.job.jobId);
  if (!rows.length) {
    const tables = [...(await sourcesOfTables(ctx)).values()];
    const withEstimates = [];
    for (const t of tables) {
      let n = 0;
      for (const s of ctx.sources) if (t.sources.includes(s.id)) n += await estimateRows(s.pool, t.info);
      withEstimates.push({ schema: t.info.schema, table: t.info.table, rowsEstimated: n });
    }
    await initTableRows(ctx.dest, ctx.job.jobId, withEstimates);
    rows = await listTableRows(ctx.dest, ctx.job.jobId);
  }
  for (const row of rows) {
    if (row.done) continue;
    const dst = await destInfo(ctx.dest, row);
    const holders: { ord: number; id: string; pool: pg.Pool; info: TableInfo }[] = [];
    for (const [ord, s] of ctx.sources.entries()) {
      const info = await describeTable(s.pool, row);
      if (info) holders.push({ ord, ...s, info });
    }
    const owner = holders.length > 1 ? await existingOwner(ctx.dest, ctx.job.projectId, dst) : undefined;
    if (holders.length > 1 && !owner) throw new JobFailure('OWNERSHIP_MISSING', `table ${row.schema}.${row.table} merges several sources but no source's rows were copied into it`);
    let lo = row.lastKey;
    let keys = [...row.mismatchedKeys];
    for (const h of holders) {
      if (h.ord < row.sourceOrd) continue;
      const filter: RowFilter | undefined = owner ? { sql: (param) => ownedBy(owner, 't', param), value: h.id } : undefined;
      const cols = writableColumns(h.info, dst).filter((c) => h.info.columns.some((x) => x.name === c.name));
      while (!ctx.stopping()) {
        let r = await compareRange(h.pool, ctx.dest, h.info, dst, cols, lo, ctx.chunkRows, ctx.maxMismatchedKeys, filter);
        for (let retry = 0; r.mismatches > 0 && retry < 3 && (await syncRunning(ctx)); retry++) {
          await ctx.sleep(ctx.pollIntervalMs);
          r = await compareRange(h.pool, ctx.dest, h.info, dst, cols, lo, ctx.chunkRows, ctx.maxMismatchedKeys, filter);
        }
        keys = [...keys, ...r.mismatchedKeys.map((k) => `${h.id}:${k}`)].slice(0, ctx.maxMismatchedKeys);
        const next = r.hi === null ? holders.find((x) => x.ord > h.ord)?.ord : h.ord;
        await patchTableRow(ctx.dest, ctx.job.jobId, row, { lastKey: r.hi, addRows: r.rows, addMismatches: r.mismatches, mismatchedKeys: keys, sourceOrd: next ?? ctx.sources.length });
        lo = r.hi;
        if (!(await reportVerification(ctx))) return false;
        if (r.hi === null) break;
        if (ctx.chunkDelayMs) await ctx.sleep(ctx.chunkDelayMs);
      }
      if (ctx.stopping()) return false;
    }
    const extra = owner ? await unownedRows(ctx.dest, dst, owner.rel, ctx.maxMismatchedKeys) : { count: 0, keys: [] };
    await patchTableRow(ctx.dest, ctx.job.jobId, row, { addMismatches: extra.count, mismatchedKeys: [...keys, ...extra.keys.map((k) => `(no source):${k}`)].slice(0, ctx.maxMismatchedKeys), done: true });
    if (!(await reportVerification(ctx))) return false;
  }
  return !ctx.stopping();
}

async function reportVerification(ctx: WorkContext): Promise<boolean> {
  const all = await listTableRows(ctx.dest, ctx.job.jobId);
  const p = copyProgress(all);
  const mismatches = all.reduce((s, t) => s + t.mismatches, 0);
  const progress = { percent: p.percent, rowsCompared: p.rows, rowsTotal: p.rowsTotal, mismatches, tablesDone: p.tablesDone, tablesTotal: p.tablesTotal };
  return report(ctx, { progress, checkpoint: `verify:${p.tablesDone}/${p.tablesTotal}:${p.rows}` });
}

/** Rows of a merged destination table that no source owns (written by something else than the migration). */
async function unownedRows(dest: pg.Pool, dst: TableInfo, ownerRel: string, maxKeys: number): Promise<{ count: number; keys: string[] }> {
  const key = dst.key.map(ident);
  const where = `NOT EXISTS (SELECT 1 FROM ${ownerRel} o WHERE ${key.map((k) => `o.${k} = t.${k}`).join(' AND ')})`;
  const n = await dest.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${regclassOf(dst)} t WHERE ${where}`);
  const count = Number(n.rows[0]?.n ?? 0);
  if (!count) return { count, keys: [] };
  const r = await dest.query<string[]>({ text: `SELECT ${key.map((k) => `t.${k}::text`).join(', ')} FROM ${regclassOf(dst)} t WHERE ${where} ORDER BY ${key.map((k) => `t.${k}`).join(', ')} LIMIT ${maxKeys}`, rowMode: 'array' });
  return { count, keys: r.rows.map((k) => showKey(k, dst.key)) };
}
