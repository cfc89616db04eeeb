import { createHash } from 'node:crypto';
import type pg from 'pg';
import { keyColumns, regclassOf, type TableInfo } from './catalog';
import { ident, inTransaction, type Queryable } from './connections';
import { JobFailure } from './failure';
import { showKey } from './rows';

/**
 * Key ownership of a merged destination table (the sharded case: same-named tables of several sources
 * written into one). Per project and table, `_migration.own_<hash>` records which source each key came
 * from (the key columns with the destination's types, plus `_mig_source`). Every write of a source's
 * rows first claims their keys (INSERT … ON CONFLICT DO NOTHING); a key already owned by ANOTHER source
 * is a collision and fails the write (KEY_COLLISION) before any row is touched. A key the same source
 * owns is re-applied as usual, so a replayed chunk or transaction is no collision. Deletes and TRUNCATE
 * only touch the keys the source owns (and release them). Concurrent claims of one key wait on the
 * unique index, so two sources racing for a key cannot both win.
 *
 * Single-source projects never come here: their writes keep the fast path.
 */

export interface Owner {
  /** Qualified name of the ownership table. */
  rel: string;
  /** The source whose rows are written. */
  source: string;
  /** The destination table. */
  table: TableInfo;
}

export const SOURCE_COLUMN = '_mig_source';

type Value = string | null;

export class KeyCollision extends JobFailure {
  constructor(table: TableInfo, key: string[], source: string, owner: string) {
    super(
      'KEY_COLLISION',
      `table ${table.schema}.${table.table}: key ${showKey(key, table.key)} from source ${source} is already on the destination from source ${owner} (rows of several sources merged into one table must have distinct keys; nothing was overwritten)`,
    );
  }
}

const ownerRel = (projectId: string, t: { schema: string; table: string }) => `_migration.${ident(`own_${createHash('sha1').update(`${projectId}\u0000${t.schema}.${t.table}`).digest('hex').slice(0, 20)}`)}`;

const made = new WeakMap<pg.Pool, Set<string>>();

/** The ownership table of a merged destination table (made on first use). */
export async function ownerFor(dest: pg.Pool, projectId: string, table: TableInfo, source: string): Promise<Owner> {
  const rel = ownerRel(projectId, table);
  const seen = made.get(dest) ?? new Set<string>();
  made.set(dest, seen);
  if (!seen.has(rel)) {
    const key = keyColumns(table);
    await inTransaction(dest, async (c) => {
      await c.query("SELECT pg_advisory_xact_lock(hashtext('_migration.ddl'))");
      await c.query(`CREATE TABLE IF NOT EXISTS ${rel} (${key.map((k) => `${ident(k.name)} ${k.type} NOT NULL`).join(', ')}, ${SOURCE_COLUMN} text NOT NULL, PRIMARY KEY (${key.map((k) => ident(k.name)).join(', ')}))`);
      // Recorded with the project in the same transaction: its release finds every one it made.
      await c.query('INSERT INTO _migration.owner_tables (project_id, rel) VALUES ($1, $2) ON CONFLICT DO NOTHING', [projectId, rel]);
    });
    seen.add(rel);
  }
  return { rel, source, table };
}

const keyNames = (o: Owner) => o.table.key.map(ident);
const keyMatch = (o: Owner, a: string, b: string) => keyNames(o).map((k) => `${a}.${k} = ${b}.${k}`).join(' AND ');

/** Claims the keys selected (as `k0 … kn`, typed) by `select`; throws KeyCollision if another source owns one. */
async function claim(q: Queryable, o: Owner, select: string, values: unknown[]): Promise<void> {
  const names = keyNames(o).join(', ');
  const p = `$${values.length + 1}`;
  await q.query(`INSERT INTO ${o.rel} (${names}, ${SOURCE_COLUMN}) SELECT ${names}, ${p} FROM (${select}) x ON CONFLICT DO NOTHING`, [...values, o.source]);
  const r = await q.query<string[]>({
    text: `SELECT o.${SOURCE_COLUMN}, ${keyNames(o).map((k) => `o.${k}::text`).join(', ')} FROM ${o.rel} o JOIN (${select}) x ON ${keyMatch(o, 'o', 'x')} WHERE o.${SOURCE_COLUMN} <> ${p} LIMIT 1`,
    values: [...values, o.source],
    rowMode: 'array',
  });
  const hit = r.rows[0];
  if (hit) throw new KeyCollision(o.table, hit.slice(1) as string[], o.source, hit[0] as string);
}

const unnestKeys = (o: Owner, first = 1) => {
  const key = keyColumns(o.table);
  return `SELECT ${key.map((k, j) => `u.c${j}::${k.type} AS ${ident(k.name)}`).join(', ')} FROM unnest(${key.map((_, j) => `$${first + j}::text[]`).join(', ')}) AS u(${key.map((_, j) => `c${j}`).join(', ')})`;
};
const keyArrays = (o: Owner, keys: Value[][]) => o.table.key.map((_, j) => keys.map((k) => k[j] ?? null));

/** Claims keys given as text values in key order. */
export async function claimKeys(q: Queryable, o: Owner, keys: Value[][]): Promise<void> {
  if (keys.length) await claim(q, o, unnestKeys(o), keyArrays(o, keys));
}

/** Claims the keys of the rows in a staging table. */
export async function claimStaged(q: Queryable, o: Owner, stage: string): Promise<void> {
  await claim(q, o, `SELECT ${keyNames(o).join(', ')} FROM ${stage}`, []);
}

/** Deletes the rows of these keys that this source owns, and releases the keys. */
export async function deleteOwned(q: Queryable, o: Owner, keys: Value[][]): Promise<number> {
  if (!keys.length) return 0;
  const p = `$${o.table.key.length + 1}`;
  const r = await q.query(
    `WITH gone AS (DELETE FROM ${o.rel} o USING (${unnestKeys(o)}) x WHERE ${keyMatch(o, 'o', 'x')} AND o.${SOURCE_COLUMN} = ${p} RETURNING ${keyNames(o).map((k) => `o.${k}`).join(', ')})
     DELETE FROM ${regclassOf(o.table)} t USING gone g WHERE ${keyMatch(o, 't', 'g')}`,
    [...keyArrays(o, keys), o.source],
  );
  return r.rowCount ?? 0;
}

/** TRUNCATE of the source's table: only its own rows of the merged table go. */
export async function truncateOwned(q: Queryable, o: Owner): Promise<void> {
  await q.query(
    `WITH gone AS (DELETE FROM ${o.rel} o WHERE o.${SOURCE_COLUMN} = $1 RETURNING ${keyNames(o).map((k) => `o.${k}`).join(', ')})
     DELETE FROM ${regclassOf(o.table)} t USING gone g WHERE ${keyMatch(o, 't', 'g')}`,
    [o.source],
  );
}

/** SQL condition (on alias `t` of the destination table) that the row belongs to the source in parameter `param`. */
export const ownedBy = (o: Pick<Owner, 'rel' | 'table'>, alias: string, param: string) =>
  `EXISTS (SELECT 1 FROM ${o.rel} o WHERE ${keyMatch(o as Owner, 'o', alias)} AND o.${SOURCE_COLUMN} = ${param})`;

/** The ownership table of a merged table, if it exists (verification reads it). */
export async function existingOwner(q: Queryable, projectId: string, table: TableInfo): Promise<Pick<Owner, 'rel' | 'table'> | undefined> {
  const rel = ownerRel(projectId, table);
  const r = await q.query<{ oid: string | null }>('SELECT to_regclass($1)::text AS oid', [rel]);
  return r.rows[0]?.oid ? { rel, table } : undefined;
}

/**
 * Release of a project: drops every ownership table it made (recorded in `_migration.owner_tables`, and
 * the ones its tables' names give, for tables made before that record existed) and forgets them, in one
 * transaction. Idempotent: a retried release finds nothing left. Returns how many tables were dropped.
 */
export async function dropOwnersOf(dest: pg.Pool, projectId: string, tables: readonly { schema: string; table: string }[]): Promise<number> {
  const dropped = await inTransaction(dest, async (c) => {
    await c.query("SELECT pg_advisory_xact_lock(hashtext('_migration.ddl'))");
    const recorded = await c.query<{ rel: string }>('SELECT rel FROM _migration.owner_tables WHERE project_id = $1', [projectId]);
    const rels = new Set([...recorded.rows.map((r) => r.rel), ...tables.map((t) => ownerRel(projectId, t))]);
    let n = 0;
    for (const rel of rels) {
      const there = await c.query<{ oid: string | null }>('SELECT to_regclass($1)::text AS oid', [rel]);
      if (!there.rows[0]?.oid) continue;
      await c.query(`DROP TABLE ${rel}`);
      n++;
    }
    await c.query('DELETE FROM _migration.owner_tables WHERE project_id = $1', [projectId]);
    return { n, rels };
  });
  const seen = made.get(dest);
  for (const rel of dropped.rels) seen?.delete(rel);
  return dropped.n;
}
