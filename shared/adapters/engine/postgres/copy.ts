import { createHash } from 'node:crypto';
import type pg from 'pg';
import { keyColumns, regclassOf, type ColumnInfo, type TableInfo } from './catalog';
import { ident, literal } from './connections';
import { claimStaged, type Owner } from './owners';

/**
 * COPY through the `pg` client without an extra package: a Submittable that sends the COPY statement,
 * collects the CopyData of COPY … TO STDOUT, or sends given chunks to COPY … FROM STDIN. The bytes are
 * passed through untouched (the server's text format), so a chunk moves from one server to the other
 * without being parsed in JavaScript.
 */
const PIECE = 1 << 20;

class CopyQuery {
  readonly chunks: Buffer[] = [];
  rowCount = 0;
  private error: unknown;
  readonly done: Promise<CopyQuery>;
  private settle!: { resolve: (q: CopyQuery) => void; reject: (e: unknown) => void };

  constructor(
    readonly text: string,
    private readonly input?: readonly Buffer[],
  ) {
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
  }

  submit(connection: CopyConnection): void {
    connection.query(this.text);
  }
  handleCopyInResponse(connection: CopyConnection): void {
    if (!this.input) return connection.sendCopyFail('no input for COPY FROM STDIN');
    // One CopyData per row would be one socket write per row: send the data in large pieces instead
    // (COPY FROM STDIN does not need messages to follow row boundaries).
    const all = Buffer.concat(this.input as Buffer[]);
    for (let at = 0; at < all.length; at += PIECE) connection.sendCopyFromChunk(all.subarray(at, at + PIECE));
    connection.endCopyFrom();
  }
  handleCopyData(msg: { chunk: Buffer }): void {
    this.chunks.push(Buffer.from(msg.chunk)); // the parser's buffer is reused: keep a copy
  }
  handleCommandComplete(msg: { text?: string }): void {
    const m = /^COPY (\d+)/.exec(msg.text ?? '');
    if (m) this.rowCount = Number(m[1]);
  }
  handleError(err: unknown): void {
    this.error = err;
  }
  handleReadyForQuery(): void {
    if (this.error) this.settle.reject(this.error);
    else this.settle.resolve(this);
  }
  handleEmptyQuery(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handlePortalSuspended(): void {}
}

interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(msg: string): void;
}

type QueryClient = Pick<pg.ClientBase, 'query'>;

/** Runs `COPY (…) TO STDOUT` and returns the data and the row count. */
export async function copyOut(client: QueryClient, sql: string): Promise<{ data: Buffer[]; rows: number }> {
  const q = new CopyQuery(sql);
  void (client.query as unknown as (s: CopyQuery) => unknown)(q);
  await q.done;
  return { data: q.chunks, rows: q.rowCount };
}

/** Runs `COPY … FROM STDIN` with the given data; returns the rows written. */
export async function copyIn(client: QueryClient, sql: string, data: readonly Buffer[]): Promise<number> {
  const q = new CopyQuery(sql, data);
  void (client.query as unknown as (s: CopyQuery) => unknown)(q);
  await q.done;
  return q.rowCount;
}

/** `(k1, k2) op ('v1'::t1, 'v2'::t2)` with the values inlined (COPY takes no parameters). */
function keyLiteral(key: ColumnInfo[], op: '>' | '<=', values: readonly string[]): string {
  return `(${key.map((k) => ident(k.name)).join(', ')}) ${op} (${key.map((k, i) => `${literal(values[i] ?? '')}::${k.type}`).join(', ')})`;
}

function rangeSql(key: ColumnInfo[], lo: readonly string[] | null, hi: readonly string[] | null): string {
  const parts = [...(lo ? [keyLiteral(key, '>', lo)] : []), ...(hi ? [keyLiteral(key, '<=', hi)] : [])];
  return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
}

/** The key `chunkRows` rows after `lo` in key order (null: fewer rows are left, the range is open-ended). */
export async function upperKey(q: QueryClient, t: TableInfo, lo: readonly string[] | null, chunkRows: number): Promise<string[] | null> {
  const key = keyColumns(t);
  // Aliased: an output column named like the key column would make ORDER BY sort by its text.
  const r = await q.query<string[]>({
    text: `SELECT ${key.map((k, i) => `${ident(k.name)}::text AS _k${i}`).join(', ')} FROM ${regclassOf(t)} ${rangeSql(key, lo, null)} ORDER BY ${key.map((k) => ident(k.name)).join(', ')} OFFSET ${Math.max(0, chunkRows - 1)} LIMIT 1`,
    rowMode: 'array',
  });
  return r.rows[0] ?? null;
}

/** A chunk read from the source: the rows of the key range (lo, hi] in COPY text format. */
export interface Chunk {
  lo: string[] | null;
  hi: string[] | null;
  data: Buffer[];
  rows: number;
}

/** Reads the next chunk after `lo` with COPY TO STDOUT (the source side of a full-load chunk). */
export async function readChunk(source: pg.Pool, src: TableInfo, columns: ColumnInfo[], lo: string[] | null, chunkRows: number): Promise<Chunk> {
  const key = keyColumns(src);
  const hi = await upperKey(source, src, lo, chunkRows);
  const names = columns.map((c) => ident(c.name)).join(', ');
  const s = await source.connect();
  try {
    const out = await copyOut(s, `COPY (SELECT ${names} FROM ${regclassOf(src)} ${rangeSql(key, lo, hi)} ORDER BY ${key.map((k) => ident(k.name)).join(', ')}) TO STDOUT`);
    return { lo, hi, data: out.data, rows: out.rows };
  } finally {
    s.release();
  }
}

/**
 * Writes a chunk with COPY FROM STDIN inside the caller's destination transaction. Idempotent: when
 * the destination already holds rows of that range (a replayed chunk), the data goes through a staging
 * table and INSERT … ON CONFLICT (pk) DO UPDATE instead (always for a merged table, after claiming the keys).
 */
export async function writeChunk(dest: pg.PoolClient, dst: TableInfo, columns: ColumnInfo[], chunk: Chunk, owner?: Owner): Promise<number> {
  if (chunk.rows === 0) return 0;
  const names = columns.map((c) => ident(c.name)).join(', ');
  // ORDER BY the key: an index probe even when a freshly loaded table has no statistics yet
  const dkey = keyColumns(dst);
  // A merged table (several sources) always takes the staged path: the keys are claimed before any row is written.
  const present = owner ? { rowCount: 1 } : await dest.query(`SELECT 1 FROM ${regclassOf(dst)} ${rangeSql(dkey, chunk.lo, chunk.hi)} ORDER BY ${dkey.map((k) => ident(k.name)).join(', ')} LIMIT 1`);
  if (!present.rowCount) {
    await copyIn(dest, `COPY ${regclassOf(dst)} (${names}) FROM STDIN`, chunk.data);
    return chunk.rows;
  }
  const stage = ident(`_mig_stage_${createHash('sha1').update(`${dst.schema}.${dst.table}`).digest('hex').slice(0, 12)}`);
  await dest.query(`CREATE TEMP TABLE IF NOT EXISTS ${stage} (LIKE ${regclassOf(dst)}) ON COMMIT DELETE ROWS`);
  await copyIn(dest, `COPY ${stage} (${names}) FROM STDIN`, chunk.data);
  if (owner) await claimStaged(dest, owner, stage);
  const nonKey = columns.filter((c) => !dst.key.includes(c.name));
  const conflict = nonKey.length
    ? `DO UPDATE SET ${nonKey.map((c) => `${ident(c.name)} = EXCLUDED.${ident(c.name)}`).join(', ')}`
    : 'DO NOTHING';
  await dest.query(`INSERT INTO ${regclassOf(dst)} (${names}) OVERRIDING SYSTEM VALUE SELECT ${names} FROM ${stage} ON CONFLICT (${dst.key.map(ident).join(', ')}) ${conflict}`);
  await dest.query(`TRUNCATE ${stage}`);
  return chunk.rows;
}
