/**
 * Decoder of the pgoutput logical replication protocol (version 1) as returned by
 * pg_logical_slot_peek_binary_changes: one message per row. Values arrive in their text output form.
 */

export interface RelationMsg {
  relid: number;
  schema: string;
  table: string;
  columns: { name: string; typeOid: number; key: boolean }[];
}

/** A tuple: per column a text value, null, or `undefined` = unchanged TOAST value (not sent). */
export type Tuple = (string | null | undefined)[];

export type Change =
  | { kind: 'insert'; relid: number; tuple: Tuple }
  | { kind: 'update'; relid: number; old?: Tuple; tuple: Tuple }
  | { kind: 'delete'; relid: number; old: Tuple }
  | { kind: 'truncate'; relids: number[] };

export interface Transaction {
  xid: number;
  /** LSN of the commit record (from Begin). */
  finalLsn: string;
  /** LSN the SQL interface reports for the Commit row (the end of the commit record): advance the slot here. */
  endLsn: string;
  commitTime: Date;
  changes: Change[];
}

const PG_EPOCH_MS = Date.UTC(2000, 0, 1);

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  byte(): number {
    return this.buf.readUInt8(this.pos++);
  }
  char(): string {
    return String.fromCharCode(this.byte());
  }
  int16(): number {
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  uint32(): number {
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): bigint {
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  lsn(): string {
    const hi = this.uint32();
    const lo = this.uint32();
    return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`;
  }
  cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }
  bytes(n: number): Buffer {
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

function tuple(r: Reader): Tuple {
  const n = r.int16();
  const out: Tuple = [];
  for (let i = 0; i < n; i++) {
    const kind = r.char();
    if (kind === 'n') out.push(null);
    else if (kind === 'u') out.push(undefined);
    else if (kind === 't') out.push(r.bytes(r.int32()).toString('utf8'));
    else throw new Error(`pgoutput: unexpected tuple column kind ${kind}`);
  }
  return out;
}

const timestamp = (micros: bigint) => new Date(PG_EPOCH_MS + Number(micros / 1000n));

/**
 * Groups the rows of one peek into complete transactions, updating `relations` with the Relation
 * messages seen (each decoding call sends them again before a relation's first change).
 */
export function decode(rows: { lsn: string; data: Buffer }[], relations: Map<number, RelationMsg>): Transaction[] {
  const out: Transaction[] = [];
  let current: Transaction | undefined;
  for (const row of rows) {
    const r = new Reader(row.data);
    const type = r.char();
    switch (type) {
      case 'B': {
        const finalLsn = r.lsn();
        const ts = r.int64();
        const xid = r.int32();
        current = { xid, finalLsn, endLsn: finalLsn, commitTime: timestamp(ts), changes: [] };
        break;
      }
      case 'C': {
        r.byte(); // flags
        r.lsn(); // commit lsn
        r.lsn(); // end lsn
        if (!current) throw new Error('pgoutput: Commit without Begin');
        current.endLsn = row.lsn;
        out.push(current);
        current = undefined;
        break;
      }
      case 'R': {
        const relid = r.uint32();
        const schema = r.cstring() || 'pg_catalog';
        const table = r.cstring();
        r.byte(); // replica identity
        const n = r.int16();
        const columns = [];
        for (let i = 0; i < n; i++) {
          const flags = r.byte();
          const name = r.cstring();
          const typeOid = r.uint32();
          r.int32(); // typmod
          columns.push({ name, typeOid, key: (flags & 1) === 1 });
        }
        relations.set(relid, { relid, schema, table, columns });
        break;
      }
      case 'I': {
        const relid = r.uint32();
        r.char(); // 'N'
        current?.changes.push({ kind: 'insert', relid, tuple: tuple(r) });
        break;
      }
      case 'U': {
        const relid = r.uint32();
        let marker = r.char();
        let old: Tuple | undefined;
        if (marker === 'K' || marker === 'O') {
          old = tuple(r);
          marker = r.char();
        }
        current?.changes.push({ kind: 'update', relid, ...(old ? { old } : {}), tuple: tuple(r) });
        break;
      }
      case 'D': {
        const relid = r.uint32();
        r.char(); // 'K' or 'O'
        current?.changes.push({ kind: 'delete', relid, old: tuple(r) });
        break;
      }
      case 'T': {
        const n = r.int32();
        r.byte(); // options
        const relids = [];
        for (let i = 0; i < n; i++) relids.push(r.uint32());
        current?.changes.push({ kind: 'truncate', relids });
        break;
      }
      default: // 'Y' type, 'O' origin, 'M' message: nothing to apply
        break;
    }
  }
  return out;
}
