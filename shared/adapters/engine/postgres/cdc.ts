import { createHash } from 'node:crypto';
import pg from 'pg';
import type { TableRef } from '../../../domain/project';
import { sourceJobIdFor, type JobRef } from '../../../domain/orchestration';
import type { ColumnInfo, TableInfo } from './catalog';
import { regclassOf } from './catalog';
import { ident, lsnToBig, type Queryable } from './connections';
import { decode, type Change, type RelationMsg, type Transaction } from './pgoutput';
import { deleteKeys, updateColumns, upsertRows, writableColumns } from './rows';
import { claimKeys, deleteOwned, ownedBy, truncateOwned, type Owner } from './owners';

/**
 * Change capture with a logical replication slot (pgoutput, read through the SQL interface) and a
 * publication of the job's tables. A pass: read the flush LSN, peek whole transactions up to it,
 * apply them in commit order in ONE destination transaction (with the checkpoint when the registry
 * lives there), then advance the slot to the last applied transaction's commit end. Replaying a
 * transaction again is harmless: rows are upserted and deleted by primary key.
 */

/**
 * Slot and publication name of a project's forward (f) or reverse (r) capture: valid, deterministic, ≤ 63
 * chars. With `sourceId` (a source's own stream in a multi-source project) a hash of the source id is
 * added: `mig_f_<project, 30 chars>_<hash of project>_<hash of source>` (≤ 56 chars).
 */
export function captureName(projectId: string, direction: 'f' | 'r', sourceId?: string): string {
  const clean = projectId.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, sourceId === undefined ? 40 : 30);
  const hash = createHash('sha1').update(projectId).digest('hex').slice(0, 8);
  if (sourceId === undefined) return `mig_${direction}_${clean}_${hash}`;
  const sh = createHash('sha1').update(`${projectId}\u0000${sourceId}`).digest('hex').slice(0, 10);
  return `mig_${direction}_${clean}_${hash}_${sh}`;
}

/** Whether a job is one source's part of a per-source subtask (its id names the source: `${projectId}.${subtask}.${sourceId}`). */
export const isSourcePart = (ref: Pick<JobRef, 'jobId' | 'projectId' | 'subtask' | 'sourceIds'>): boolean =>
  ref.sourceIds.length === 1 && ref.jobId === sourceJobIdFor(ref.projectId, ref.subtask, ref.sourceIds[0] as string);

/**
 * The forward change stream a job reads or owns: the project's one stream for a single-source project
 * (name unchanged), the source's own stream for one source's part of a multi-source project.
 */
export function forwardCapture(ref: Pick<JobRef, 'jobId' | 'projectId' | 'subtask' | 'sourceIds'>): { sourceId: string; name: string } {
  const sourceId = ref.sourceIds[0] as string;
  return { sourceId, name: captureName(ref.projectId, 'f', isSourcePart(ref) ? sourceId : undefined) };
}

export async function slotInfo(q: Queryable, slot: string): Promise<{ confirmed: string | null; active: boolean } | undefined> {
  const r = await q.query<{ confirmed: string | null; active: string }>('SELECT confirmed_flush_lsn::text AS confirmed, active::text AS active FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  const row = r.rows[0];
  return row ? { confirmed: row.confirmed, active: row.active === 'true' } : undefined;
}

/** Creates the publication (first: pgoutput reads it with the snapshot of the change) and the slot; keeps them if they exist. */
export async function ensureCapture(pool: pg.Pool, name: string, tables: readonly TableRef[]): Promise<{ created: boolean; lsn: string | null }> {
  const pub = await pool.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [name]);
  if (!pub.rowCount) {
    try {
      await pool.query(`CREATE PUBLICATION ${ident(name)} FOR TABLE ${tables.map(regclassOf).join(', ')}`);
    } catch (e) {
      if ((e as { code?: string }).code !== '42710') throw e; // made meanwhile
    }
  }
  const existing = await slotInfo(pool, name);
  if (existing) return { created: false, lsn: existing.confirmed };
  try {
    const r = await pool.query<{ lsn: string }>("SELECT lsn::text AS lsn FROM pg_create_logical_replication_slot($1, 'pgoutput')", [name]);
    return { created: true, lsn: r.rows[0]?.lsn ?? null };
  } catch (e) {
    if ((e as { code?: string }).code !== '42710') throw e;
    return { created: false, lsn: (await slotInfo(pool, name))?.confirmed ?? null };
  }
}

/** Drops the slot (the source stops keeping WAL for it) and the publication; absent ones are fine. */
export async function dropCapture(pool: pg.Pool, name: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await pool.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [name]);
      break;
    } catch (e) {
      // 55006: the slot is in use by a peek that is finishing
      if ((e as { code?: string }).code !== '55006' || attempt >= 50) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await pool.query(`DROP PUBLICATION IF EXISTS ${ident(name)}`);
}

export interface SyncTable {
  source: TableInfo;
  dest: TableInfo;
  columns: ColumnInfo[];
  /** A merged destination table (several sources): writes claim keys, deletes touch only the source's own rows. */
  owner?: Owner;
}

/** Upserts full rows (claiming their keys first in a merged table). */
async function putRows(c: pg.PoolClient, st: SyncTable, columns: ColumnInfo[], rows: (string | null)[][]): Promise<void> {
  if (st.owner) await claimKeys(c, st.owner, rows.map((r) => st.dest.key.map((k) => r[columns.findIndex((x) => x.name === k)] ?? null)));
  await upsertRows(c, st.dest, columns, rows);
}

const removeKeys = (c: pg.PoolClient, st: SyncTable, keys: (string | null)[][]) => (st.owner ? deleteOwned(c, st.owner, keys) : deleteKeys(c, st.dest, keys));

const updateSome = (c: pg.PoolClient, st: SyncTable, set: { column: ColumnInfo; value: string | null }[], key: (string | null)[]) => {
  const o = st.owner;
  return updateColumns(c, st.dest, set, key, o ? { where: (param) => ownedBy(o, 't', param), value: o.source } : undefined);
};

export interface SyncContext {
  /** Where the slot lives (the source of the changes). */
  readPool: pg.Pool;
  /** Where the changes go. */
  writePool: pg.Pool;
  slot: string;
  publication: string;
  tables: Map<string, SyncTable>;
  relations: Map<number, RelationMsg>;
  /** End LSN of the last transaction applied (transactions at or before it are skipped). */
  appliedLsn: string | null;
  /** Max rows one peek returns (whole transactions: a big one may exceed it). */
  batchRows: number;
  /**
   * Forward: the batch is applied as its net effect per key (one DELETE and one upsert per table), as
   * the destination has no secondary constraints yet. Reverse: change by change, in order (the source
   * has its unique and foreign keys).
   */
  coalesce?: boolean;
  /** Written in the apply transaction (forward: the registry is on the destination). */
  checkpointInApply?: (c: pg.PoolClient, lsn: string) => Promise<void>;
  now: () => number;
}

export interface PassResult {
  transactions: number;
  changes: number;
  caughtUp: boolean;
  lagBytes: number;
  lagSeconds: number;
  appliedLsn: string | null;
}

const tableKey = (schema: string, table: string) => `${schema}.${table}`;

export async function syncPass(ctx: SyncContext): Promise<PassResult> {
  // Trap: decoding only sees flushed WAL; the flush LSN read BEFORE the peek bounds what "caught up" means.
  const flush = await flushedLsn(ctx.readPool);
  const peek = await ctx.readPool.query<{ lsn: string; data: Buffer }>({
    text: "SELECT lsn::text AS lsn, data FROM pg_logical_slot_peek_binary_changes($1, $2::pg_lsn, $3, 'proto_version', '1', 'publication_names', $4)",
    values: [ctx.slot, flush, ctx.batchRows, ctx.publication],
    types: pg.types,
  });
  const all = decode(peek.rows, ctx.relations);
  const applied = ctx.appliedLsn ? lsnToBig(ctx.appliedLsn) : -1n;
  const todo = all.filter((t) => lsnToBig(t.endLsn) > applied);
  let changes = 0;
  const last = all[all.length - 1];
  if (todo.length) {
    const c = await ctx.writePool.connect();
    try {
      await c.query('BEGIN');
      if (ctx.coalesce) changes += await applyNet(c, ctx, todo);
      else for (const t of todo) changes += await applyTransaction(c, ctx, t);
      if (ctx.checkpointInApply && last) await ctx.checkpointInApply(c, last.endLsn);
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }
  if (last) {
    // Trap: advance to the transaction's commit (end) LSN, or it is delivered again forever.
    await ctx.readPool.query('SELECT pg_replication_slot_advance($1, $2::pg_lsn)', [ctx.slot, last.endLsn]);
    ctx.appliedLsn = last.endLsn;
  }
  const caughtUp = peek.rows.length < ctx.batchRows;
  const lagBytes = caughtUp ? 0 : Math.max(0, Number(lsnToBig(flush) - (ctx.appliedLsn ? lsnToBig(ctx.appliedLsn) : 0n)));
  const lagSeconds = caughtUp || !last ? 0 : Math.max(0, (ctx.now() - last.commitTime.getTime()) / 1000);
  return { transactions: todo.length, changes, caughtUp, lagBytes, lagSeconds, appliedLsn: ctx.appliedLsn };
}

/**
 * The flush LSN, once every transaction committed so far is flushed: with asynchronous commit
 * (synchronous_commit = off) a committed transaction may sit in unflushed WAL, invisible to decoding,
 * and "caught up" would lie. A tiny transaction that writes WAL, committed synchronously, flushes all WAL before it.
 */
async function flushedLsn(pool: pg.Pool): Promise<string> {
  const r = await pool.query<{ ins: string; fl: string }>('SELECT pg_current_wal_insert_lsn()::text AS ins, pg_current_wal_flush_lsn()::text AS fl');
  const row = r.rows[0];
  if (row && lsnToBig(row.ins) > lsnToBig(row.fl)) {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('SET LOCAL synchronous_commit = on');
      // It must write WAL to be flushed at commit (an xid alone does not): a transactional logical message, which pgoutput ignores.
      await c.query("SELECT pg_logical_emit_message(true, 'migration-engine', 'flush')");
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }
  return (await pool.query<{ lsn: string }>('SELECT pg_current_wal_flush_lsn()::text AS lsn')).rows[0]?.lsn ?? '0/0';
}

type Pending = { table: SyncTable; kind: 'upsert'; columns: ColumnInfo[]; rows: Map<string, (string | null)[]> } | { table: SyncTable; kind: 'delete'; keys: (string | null)[][] };

/** TRUNCATE of source relations: the job's tables among them are truncated on the destination too. */
async function truncateTargets(c: pg.PoolClient, ctx: SyncContext, relids: readonly number[]): Promise<void> {
  const sts = relids.flatMap((id) => {
    const rel = ctx.relations.get(id);
    const st = rel && ctx.tables.get(tableKey(rel.schema, rel.table));
    return st ? [st] : [];
  });
  // A merged table keeps the other sources' rows: only this source's own go.
  for (const st of sts) if (st.owner) await truncateOwned(c, st.owner);
  const targets = sts.filter((st) => !st.owner).map((st) => regclassOf(st.dest));
  if (targets.length) await c.query(`TRUNCATE ${targets.join(', ')}`);
}

/** The relation a change names, and the job's table for it (undefined: not one of the job's tables). */
function tableOfChange(ctx: SyncContext, relid: number) {
  const rel = ctx.relations.get(relid);
  if (!rel) throw new Error(`pgoutput: change for unknown relation ${relid}`);
  return { rel, st: ctx.tables.get(tableKey(rel.schema, rel.table)) };
}

async function applyTransaction(c: pg.PoolClient, ctx: SyncContext, t: Transaction): Promise<number> {
  let pending: Pending | undefined;
  const flushPending = async () => {
    if (!pending) return;
    const p = pending;
    pending = undefined;
    if (p.kind === 'upsert') await putRows(c, p.table, p.columns, [...p.rows.values()]);
    else await removeKeys(c, p.table, p.keys);
  };
  let n = 0;
  for (const ch of t.changes) {
    n++;
    if (ch.kind === 'truncate') {
      await flushPending();
      await truncateTargets(c, ctx, ch.relids);
      continue;
    }
    const { rel, st } = tableOfChange(ctx, ch.relid);
    if (!st) continue; // not one of the job's tables
    const valueOf = (tuple: (string | null | undefined)[], name: string) => tuple[rel.columns.findIndex((x) => x.name === name)];
    const keyFrom = (tuple: (string | null | undefined)[]) => st.dest.key.map((k) => valueOf(tuple, k) ?? null);
    if (ch.kind === 'delete') {
      if (pending?.kind !== 'delete' || pending.table !== st) {
        await flushPending();
        pending = { table: st, kind: 'delete', keys: [] };
      }
      pending.keys.push(keyFrom(ch.old));
      continue;
    }
    const tuple = ch.tuple;
    const newKey = keyFrom(tuple);
    const oldKey = ch.kind === 'update' && ch.old ? keyFrom(ch.old) : undefined;
    const keyChanged = oldKey !== undefined && JSON.stringify(oldKey) !== JSON.stringify(newKey);
    const unchangedToast = st.columns.some((col) => rel.columns.some((x) => x.name === col.name) && valueOf(tuple, col.name) === undefined);
    if (unchangedToast) {
      // Only the sent columns change (an unchanged TOAST value is not in the change): update in place.
      await flushPending();
      const set = st.columns.flatMap((col) => {
        const v = valueOf(tuple, col.name);
        return v === undefined || !rel.columns.some((x) => x.name === col.name) ? [] : [{ column: col, value: v }];
      });
      await updateSome(c, st, set, oldKey ?? newKey);
      continue;
    }
    if (keyChanged && oldKey) {
      // A primary key that changes: the old row goes, the new one comes.
      await flushPending();
      await removeKeys(c, st, [oldKey]);
    }
    const columns = st.columns.filter((col) => rel.columns.some((x) => x.name === col.name));
    if (pending?.kind !== 'upsert' || pending.table !== st || pending.columns.length !== columns.length) {
      await flushPending();
      pending = { table: st, kind: 'upsert', columns, rows: new Map() };
    }
    const row = columns.map((col) => valueOf(tuple, col.name) ?? null);
    const k = JSON.stringify(newKey);
    pending.rows.delete(k); // the later version of a row wins (and keeps its place at the end)
    pending.rows.set(k, row);
  }
  await flushPending();
  return n;
}

type NetOp = { op: 'upsert'; columns: ColumnInfo[]; row: (string | null)[] } | { op: 'delete'; key: (string | null)[] };

/**
 * Applies transactions, in one destination transaction, as their net effect: per table and key only the
 * last state counts (the upsert of the final row, or its delete). Equivalent to applying them one by one
 * when nothing but primary keys constrains the destination. A change that cannot be folded (an update
 * leaving a TOAST value unsent with no full row before it in the batch, a TRUNCATE) first applies what was
 * folded so far, then itself.
 */
async function applyNet(c: pg.PoolClient, ctx: SyncContext, txns: Transaction[]): Promise<number> {
  const net = new Map<SyncTable, Map<string, NetOp>>();
  const flush = async () => {
    for (const [st, ops] of net) {
      const deletes = [...ops.values()].flatMap((o) => (o.op === 'delete' ? [o.key] : []));
      await removeKeys(c, st, deletes);
      const groups = new Map<string, { columns: ColumnInfo[]; rows: (string | null)[][] }>();
      for (const o of ops.values()) {
        if (o.op !== 'upsert') continue;
        const sig = o.columns.map((x) => x.name).join(',');
        const g = groups.get(sig) ?? { columns: o.columns, rows: [] };
        g.rows.push(o.row);
        groups.set(sig, g);
      }
      for (const g of groups.values()) await putRows(c, st, g.columns, g.rows);
    }
    net.clear();
  };
  const opsOf = (st: SyncTable) => {
    let m = net.get(st);
    if (!m) net.set(st, (m = new Map()));
    return m;
  };
  let n = 0;
  for (const t of txns) {
    for (const ch of t.changes) {
      n++;
      if (ch.kind === 'truncate') {
        await flush();
        await truncateTargets(c, ctx, ch.relids);
        continue;
      }
      const { rel, st } = tableOfChange(ctx, ch.relid);
      if (!st) continue;
      const index = new Map(rel.columns.map((x, i) => [x.name, i]));
      const valueOf = (tuple: (string | null | undefined)[], name: string) => {
        const i = index.get(name);
        return i === undefined ? undefined : tuple[i];
      };
      const keyFrom = (tuple: (string | null | undefined)[]) => st.dest.key.map((k) => valueOf(tuple, k) ?? null);
      const ops = opsOf(st);
      if (ch.kind === 'delete') {
        const key = keyFrom(ch.old);
        ops.set(JSON.stringify(key), { op: 'delete', key });
        continue;
      }
      const newKey = keyFrom(ch.tuple);
      const oldKey = ch.kind === 'update' && ch.old ? keyFrom(ch.old) : undefined;
      const nk = JSON.stringify(newKey);
      const ok = oldKey ? JSON.stringify(oldKey) : nk;
      const columns = st.columns.filter((col) => index.has(col.name));
      const missing = columns.filter((col) => valueOf(ch.tuple, col.name) === undefined);
      if (missing.length) {
        // Unchanged TOAST values: fold into the full row of the batch when there is one, else apply in place.
        const prior = ops.get(ok);
        if (prior?.op === 'upsert' && prior.columns.length === columns.length) {
          const row = columns.map((col, j) => {
            const v = valueOf(ch.tuple, col.name);
            return v === undefined ? (prior.row[j] ?? null) : v;
          });
          if (ok !== nk) ops.set(ok, { op: 'delete', key: oldKey ?? newKey });
          ops.set(nk, { op: 'upsert', columns, row });
          continue;
        }
        await flush();
        const set = columns.flatMap((col) => {
          const v = valueOf(ch.tuple, col.name);
          return v === undefined ? [] : [{ column: col, value: v }];
        });
        await updateSome(c, st, set, oldKey ?? newKey);
        continue;
      }
      if (ok !== nk && oldKey) ops.set(ok, { op: 'delete', key: oldKey }); // a key that changes: old row goes
      ops.set(nk, { op: 'upsert', columns, row: columns.map((col) => valueOf(ch.tuple, col.name) ?? null) });
    }
  }
  await flush();
  return n;
}

/** The job's tables as the apply needs them. */
export function syncTables(pairs: { source: TableInfo; dest: TableInfo; owner?: Owner }[]): Map<string, SyncTable> {
  return new Map(pairs.map((p) => [tableKey(p.source.schema, p.source.table), { ...p, columns: writableColumns(p.source, p.dest) }]));
}

export type { Change };
