import type { ColumnInfo, TableInfo } from './catalog';
import { copiedColumns, keyColumns, regclassOf } from './catalog';
import { ident, type Queryable } from './connections';

/**
 * Row writes of the change apply (and of verification's key ranges). Values travel as the server's text forms and
 * are cast to the destination column's type, so nothing is reinterpreted by JavaScript on the way.
 */

type Value = string | null;

/** `(k1, k2) op ($n::t1, $n+1::t2)`: a row comparison on the primary key. */
export function keyCompare(key: ColumnInfo[], op: '>' | '<=' | '=', firstParam: number): string {
  return `(${key.map((k) => ident(k.name)).join(', ')}) ${op} (${key.map((k, i) => `$${firstParam + i}::${k.type}`).join(', ')})`;
}

export const orderByKey = (key: ColumnInfo[]) => key.map((k) => ident(k.name)).join(', ');

/** Columns written to the destination: the source's copied columns that the destination has, typed as the destination's. */
export function writableColumns(source: TableInfo, dest: TableInfo): ColumnInfo[] {
  return copiedColumns(source).flatMap((c) => {
    const d = dest.columns.find((x) => x.name === c.name && x.generated !== 's');
    return d ? [d] : [];
  });
}

/** Idempotent write of many full rows: INSERT … SELECT FROM unnest(text arrays) ON CONFLICT (pk) DO UPDATE. */
export async function upsertRows(q: Queryable, dest: TableInfo, columns: ColumnInfo[], rows: Value[][]): Promise<number> {
  if (!rows.length) return 0;
  const arrays = columns.map((_, j) => rows.map((r) => r[j] ?? null));
  const names = columns.map((c) => ident(c.name)).join(', ');
  const casts = columns.map((c, j) => `u.c${j}::${c.type}`).join(', ');
  const unnest = columns.map((_, j) => `$${j + 1}::text[]`).join(', ');
  const alias = columns.map((_, j) => `c${j}`).join(', ');
  const nonKey = columns.filter((c) => !dest.key.includes(c.name));
  const conflict = nonKey.length
    ? `ON CONFLICT (${dest.key.map(ident).join(', ')}) DO UPDATE SET ${nonKey.map((c) => `${ident(c.name)} = EXCLUDED.${ident(c.name)}`).join(', ')}`
    : `ON CONFLICT (${dest.key.map(ident).join(', ')}) DO NOTHING`;
  const sql = `INSERT INTO ${regclassOf(dest)} (${names}) OVERRIDING SYSTEM VALUE SELECT ${casts} FROM unnest(${unnest}) AS u(${alias}) ${conflict}`;
  const r = await q.query(sql, arrays);
  return r.rowCount ?? rows.length;
}

/** Deletes rows by primary key (text key values in key order). */
export async function deleteKeys(q: Queryable, dest: TableInfo, keys: Value[][]): Promise<number> {
  if (!keys.length) return 0;
  const key = keyColumns(dest);
  const arrays = key.map((_, j) => keys.map((k) => k[j] ?? null));
  const alias = key.map((_, j) => `c${j}`).join(', ');
  const match = key.map((k, j) => `t.${ident(k.name)} = u.c${j}::${k.type}`).join(' AND ');
  const sql = `DELETE FROM ${regclassOf(dest)} t USING unnest(${key.map((_, j) => `$${j + 1}::text[]`).join(', ')}) AS u(${alias}) WHERE ${match}`;
  const r = await q.query(sql, arrays);
  return r.rowCount ?? 0;
}

/**
 * Updates some columns of one row found by its (old) key: changes that carry unchanged TOAST values.
 * With `owned` (a merged table), only a row that source owns (`owned.where` on alias `t`, its value last).
 */
export async function updateColumns(q: Queryable, dest: TableInfo, set: { column: ColumnInfo; value: Value }[], key: Value[], owned?: { where: (param: string) => string; value: string }): Promise<void> {
  if (!set.length) return;
  const keyCols = keyColumns(dest);
  const assignments = set.map((s, i) => `${ident(s.column.name)} = $${i + 1}::${s.column.type}`).join(', ');
  const own = owned ? ` AND ${owned.where(`$${set.length + keyCols.length + 1}`)}` : '';
  const sql = `UPDATE ${regclassOf(dest)} t SET ${assignments} WHERE ${keyCompare(keyCols, '=', set.length + 1)}${own}`;
  await q.query(sql, [...set.map((s) => s.value), ...key, ...(owned ? [owned.value] : [])]);
}

/** How a key is shown in a verification report: `id=5` or `order_id=1000,line=2`. */
export const showKey = (key: string[], names: string[]) => names.map((n, i) => `${n}=${key[i] ?? 'NULL'}`).join(',');
