import type { ColumnInfo, TableInfo } from './catalog';
import { keyColumns, regclassOf } from './catalog';
import { ident, type Queryable } from './connections';
import { upperKey } from './copy';
import { keyCompare, orderByKey, showKey } from './rows';

/**
 * Full verification by primary-key range: the source cuts the table into ranges of `chunkRows` keys;
 * each range is summarised on both sides as count + md5 of the rows' text forms in key order. A range
 * whose summaries differ is drilled into: per-row md5 on both sides, compared by key, which gives the
 * exact number of differing rows (missing, extra or changed) and their keys.
 */

export interface RangeResult {
  /** Upper key of the range (null: open-ended, the table's last range). */
  hi: string[] | null;
  rows: number;
  mismatches: number;
  mismatchedKeys: string[];
}

/** Text of a row, the same on both servers for equal values (same session settings). */
const rowText = (cols: ColumnInfo[]) => `md5(ROW(${cols.map((c) => ident(c.name)).join(', ')})::text)`;

/**
 * A restriction of one side's rows (a merged destination table compared with one source: only the rows
 * that source owns): SQL on alias `t` given its first parameter's number, and the parameters.
 */
export interface RowFilter {
  sql: (param: string) => string;
  value: string;
}

function rangeWhere(key: ColumnInfo[], lo: string[] | null, hi: string[] | null, filter?: RowFilter): { sql: string; values: string[] } {
  const parts: string[] = [];
  const values: string[] = [];
  if (filter) {
    values.push(filter.value);
    parts.push(filter.sql('$1'));
  }
  if (lo) {
    parts.push(keyCompare(key, '>', values.length + 1));
    values.push(...lo);
  }
  if (hi) {
    parts.push(keyCompare(key, '<=', values.length + 1));
    values.push(...hi);
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', values };
}

async function summary(q: Queryable, t: TableInfo, cols: ColumnInfo[], lo: string[] | null, hi: string[] | null, filter?: RowFilter): Promise<{ count: number; hash: string | null }> {
  const key = keyColumns(t);
  const w = rangeWhere(key, lo, hi, filter);
  const r = await q.query<{ n: string; h: string | null }>({
    text: `SELECT count(*)::text AS n, md5(string_agg(${rowText(cols)}, '' ORDER BY ${orderByKey(key)})) AS h FROM ${regclassOf(t)} t ${w.sql}`,
    values: w.values,
  });
  return { count: Number(r.rows[0]?.n ?? 0), hash: r.rows[0]?.h ?? null };
}

async function rowHashes(q: Queryable, t: TableInfo, cols: ColumnInfo[], lo: string[] | null, hi: string[] | null, filter?: RowFilter): Promise<Map<string, string>> {
  const key = keyColumns(t);
  const w = rangeWhere(key, lo, hi, filter);
  const r = await q.query<string[]>({
    text: `SELECT ${rowText(cols)} AS _h, ${key.map((k, i) => `${ident(k.name)}::text AS _k${i}`).join(', ')} FROM ${regclassOf(t)} t ${w.sql} ORDER BY ${orderByKey(key)}`,
    values: w.values,
    rowMode: 'array',
  });
  return new Map(r.rows.map((row) => [JSON.stringify(row.slice(1)), row[0] ?? '']));
}

/** Compares one range after `lo`; `maxKeys` bounds the keys listed; `destFilter` restricts the destination's rows. */
export async function compareRange(
  source: Queryable,
  dest: Queryable,
  src: TableInfo,
  dst: TableInfo,
  cols: ColumnInfo[],
  lo: string[] | null,
  chunkRows: number,
  maxKeys: number,
  destFilter?: RowFilter,
): Promise<RangeResult> {
  const hi = await upperKey(source, src, lo, chunkRows);
  const [a, b] = await Promise.all([summary(source, src, cols, lo, hi), summary(dest, dst, cols, lo, hi, destFilter)]);
  if (a.count === b.count && a.hash === b.hash) return { hi, rows: a.count, mismatches: 0, mismatchedKeys: [] };
  const [ra, rb] = await Promise.all([rowHashes(source, src, cols, lo, hi), rowHashes(dest, dst, cols, lo, hi, destFilter)]);
  const differing: string[] = [];
  for (const [k, h] of ra) if (rb.get(k) !== h) differing.push(k);
  for (const k of rb.keys()) if (!ra.has(k)) differing.push(k);
  differing.sort();
  return {
    hi,
    rows: a.count,
    mismatches: differing.length,
    mismatchedKeys: differing.slice(0, maxKeys).map((k) => showKey(JSON.parse(k) as string[], src.key)),
  };
}
