import type { TableRef } from '../../../domain/project';
import { ident, qualified, type Queryable } from './connections';

/** What the engine needs to know about one table. */
export interface ColumnInfo {
  name: string;
  /** format_type(): the exact declared type, e.g. numeric(12,2), character varying(40), timestamp with time zone. */
  type: string;
  notNull: boolean;
  default: string | null;
  /** '' | 'a' (ALWAYS) | 'd' (BY DEFAULT) */
  identity: string;
  /** '' | 's' (stored generated column: never copied) */
  generated: string;
}

export interface TableInfo extends TableRef {
  columns: ColumnInfo[];
  /** Primary key columns, in key order (empty: the table has none). */
  key: string[];
}

const SYSTEM_SCHEMAS = ['pg_catalog', 'information_schema', 'pg_toast', '_migration'];

export const regclassOf = (t: TableRef) => qualified(t.schema, t.table);

/** Every ordinary table of the database outside the system schemas and ours. */
export async function listTables(q: Queryable): Promise<TableRef[]> {
  const r = await q.query<{ schema: string; table: string }>(
    `SELECT n.nspname AS schema, c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND NOT c.relispartition AND n.nspname <> ALL($1) AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast%'
      ORDER BY 1, 2`,
    [SYSTEM_SCHEMAS],
  );
  return r.rows;
}

/** Every table of several databases (several sources): each once, in schema and name order. */
export async function unionTables(qs: readonly Queryable[]): Promise<TableRef[]> {
  const all = new Map<string, TableRef>();
  for (const q of qs) for (const t of await listTables(q)) all.set(`${t.schema}\u0000${t.table}`, t);
  return [...all.values()].sort((a, b) => (a.schema === b.schema ? (a.table < b.table ? -1 : a.table > b.table ? 1 : 0) : a.schema < b.schema ? -1 : 1));
}

/**
 * Why two sources' tables of the same name cannot share one destination table (undefined: they can):
 * the same primary key and the same columns with the same types (order and defaults may differ).
 */
export function shapeDifference(a: TableInfo, b: TableInfo): string | undefined {
  if (a.key.join(',') !== b.key.join(',')) return `primary key (${a.key.join(', ')}) vs (${b.key.join(', ')})`;
  const cols = (t: TableInfo) => new Map(t.columns.filter((c) => c.generated !== 's').map((c) => [c.name, c.type]));
  const ca = cols(a);
  const cb = cols(b);
  for (const [name, type] of ca) {
    const other = cb.get(name);
    if (other === undefined) return `column ${name} missing`;
    if (other !== type) return `column ${name} ${type} vs ${other}`;
  }
  for (const name of cb.keys()) if (!ca.has(name)) return `extra column ${name}`;
  return undefined;
}

/** The table's columns and primary key; undefined when the table does not exist. */
export async function describeTable(q: Queryable, t: TableRef): Promise<TableInfo | undefined> {
  const exists = await q.query<{ oid: string | null }>('SELECT to_regclass($1)::oid::text AS oid', [regclassOf(t)]);
  const oid = exists.rows[0]?.oid;
  if (!oid) return undefined;
  const cols = await q.query<{ name: string; type: string; notnull: string; def: string | null; identity: string; generated: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull::text AS notnull,
            pg_get_expr(d.adbin, d.adrelid) AS def, a.attidentity::text AS identity, a.attgenerated::text AS generated
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [oid],
  );
  const key = await q.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = $1::oid AND i.indisprimary ORDER BY k.ord`,
    [oid],
  );
  return {
    schema: t.schema,
    table: t.table,
    columns: cols.rows.map((c) => ({ name: c.name, type: c.type, notNull: c.notnull === 'true', default: c.def, identity: c.identity, generated: c.generated })),
    key: key.rows.map((k) => k.name),
  };
}

/** Columns a copy writes (stored generated columns are computed by the destination). */
export const copiedColumns = (t: TableInfo) => t.columns.filter((c) => c.generated !== 's');

export const keyColumns = (t: TableInfo): ColumnInfo[] => t.key.map((k) => {
  const c = t.columns.find((x) => x.name === k);
  if (!c) throw new Error(`primary key column ${k} missing from ${t.schema}.${t.table}`);
  return c;
});

/** Sequences referenced by the tables' defaults and every sequence of their schemas (not identity-internal ones). */
async function sequencesFor(q: Queryable, tables: TableInfo[]): Promise<{ schema: string; name: string; ddl: string }[]> {
  const schemas = [...new Set(tables.map((t) => t.schema))];
  const r = await q.query<{ schema: string; name: string; type: string; start: string; min: string; max: string; inc: string; cache: string; cycle: string }>(
    `SELECT s.schemaname AS schema, s.sequencename AS name, format_type(q.seqtypid, NULL) AS type, s.start_value AS start, s.min_value AS min, s.max_value AS max,
            s.increment_by AS inc, s.cache_size AS cache, s.cycle::text AS cycle
       FROM pg_sequences s JOIN pg_class c ON c.relname = s.sequencename JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = s.schemaname
       JOIN pg_sequence q ON q.seqrelid = c.oid
      WHERE s.schemaname = ANY($1) AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'i')`,
    [schemas],
  );
  return r.rows.map((s) => ({
    schema: s.schema,
    name: s.name,
    ddl: `CREATE SEQUENCE IF NOT EXISTS ${qualified(s.schema, s.name)} AS ${s.type} INCREMENT BY ${s.inc} MINVALUE ${s.min} MAXVALUE ${s.max} START WITH ${s.start} CACHE ${s.cache}${s.cycle === 'true' ? ' CYCLE' : ''}`,
  }));
}

/** CREATE TABLE of a table: columns with exact types, NOT NULL, defaults, identity, generated, check constraints, primary key. */
async function createTableDdl(q: Queryable, t: TableInfo): Promise<string> {
  const checks = await q.query<{ name: string; def: string }>(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = to_regclass($1) AND contype = 'c' ORDER BY conname`,
    [regclassOf(t)],
  );
  const cols = t.columns.map((c) => {
    let d = `${ident(c.name)} ${c.type}`;
    if (c.generated === 's' && c.default) d += ` GENERATED ALWAYS AS (${c.default}) STORED`;
    else if (c.identity === 'a') d += ' GENERATED ALWAYS AS IDENTITY';
    else if (c.identity === 'd') d += ' GENERATED BY DEFAULT AS IDENTITY';
    else if (c.default !== null) d += ` DEFAULT ${c.default}`;
    if (c.notNull) d += ' NOT NULL';
    return d;
  });
  const parts = [...cols, ...checks.rows.map((c) => `CONSTRAINT ${ident(c.name)} ${c.def}`)];
  if (t.key.length) parts.push(`PRIMARY KEY (${t.key.map(ident).join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${regclassOf(t)} (\n  ${parts.join(',\n  ')}\n)`;
}

/** Sequences owned by a column of these tables (serial): OWNED BY is restored on the destination. */
async function ownedSequences(q: Queryable, tables: TableInfo[]): Promise<{ seq: string; table: TableInfo; column: string }[]> {
  const out: { seq: string; table: TableInfo; column: string }[] = [];
  for (const t of tables) {
    for (const c of t.columns) {
      if (c.identity) continue;
      const r = await q.query<{ seq: string | null }>('SELECT pg_get_serial_sequence($1, $2) AS seq', [regclassOf(t), c.name]);
      const seq = r.rows[0]?.seq;
      if (seq) out.push({ seq, table: t, column: c.name });
    }
  }
  return out;
}

export interface StructurePlan {
  statements: string[];
  objects: number;
}

/** The DDL that creates the tables on the destination (schemas, sequences, tables, sequence ownership); idempotent. */
export async function planStructure(source: Queryable, tables: TableInfo[]): Promise<StructurePlan> {
  const statements: string[] = [];
  for (const s of [...new Set(tables.map((t) => t.schema))]) statements.push(`CREATE SCHEMA IF NOT EXISTS ${ident(s)}`);
  const seqs = await sequencesFor(source, tables);
  statements.push(...seqs.map((s) => s.ddl));
  for (const t of tables) statements.push(await createTableDdl(source, t));
  for (const o of await ownedSequences(source, tables)) statements.push(`ALTER SEQUENCE ${o.seq} OWNED BY ${regclassOf(o.table)}.${ident(o.column)}`);
  return { statements, objects: seqs.length + tables.length };
}

export interface DeferredObject {
  kind: 'index' | 'constraint';
  table: TableRef;
  name: string;
  ddl: string;
  /** Tables this object refers to (a foreign key's referenced table). */
  references?: TableRef;
}

/** Secondary indexes and unique/foreign/exclusion constraints: created after the data (PROCESS_DATABASE_OBJECTS). */
export async function deferredObjects(source: Queryable, tables: TableInfo[]): Promise<DeferredObject[]> {
  const out: DeferredObject[] = [];
  for (const t of tables) {
    const idx = await source.query<{ name: string; def: string }>(
      `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = to_regclass($1) AND NOT i.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
        ORDER BY 1`,
      [regclassOf(t)],
    );
    for (const i of idx.rows) out.push({ kind: 'index', table: t, name: i.name, ddl: i.def.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX IF NOT EXISTS ') });
    const cons = await source.query<{ name: string; def: string; contype: string; ref_schema: string | null; ref_table: string | null }>(
      `SELECT k.conname AS name, pg_get_constraintdef(k.oid) AS def, k.contype::text AS contype, rn.nspname AS ref_schema, rc.relname AS ref_table
         FROM pg_constraint k LEFT JOIN pg_class rc ON rc.oid = k.confrelid LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
        WHERE k.conrelid = to_regclass($1) AND k.contype IN ('u', 'f', 'x') ORDER BY k.contype DESC, k.conname`,
      [regclassOf(t)],
    );
    for (const c of cons.rows) {
      out.push({
        kind: 'constraint',
        table: t,
        name: c.name,
        ddl: `ALTER TABLE ${regclassOf(t)} ADD CONSTRAINT ${ident(c.name)} ${c.def}`,
        ...(c.ref_schema && c.ref_table ? { references: { schema: c.ref_schema, table: c.ref_table } } : {}),
      });
    }
  }
  // unique constraints before foreign keys that may rely on them
  return out.sort((a, b) => Number(a.kind === 'constraint' && a.references !== undefined) - Number(b.kind === 'constraint' && b.references !== undefined));
}

export async function constraintExists(q: Queryable, t: TableRef, name: string): Promise<boolean> {
  const r = await q.query('SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass($1) AND conname = $2', [regclassOf(t), name]);
  return (r.rowCount ?? 0) > 0;
}

export async function tableExists(q: Queryable, t: TableRef): Promise<boolean> {
  const r = await q.query<{ oid: string | null }>('SELECT to_regclass($1)::text AS oid', [regclassOf(t)]);
  return Boolean(r.rows[0]?.oid);
}

/** Sequences of the tables' schemas with the source's position, to set on the destination at switchover. */
export async function sequenceValues(source: Queryable, schemas: string[]): Promise<{ schema: string; name: string; lastValue: string | null; isCalled: boolean }[]> {
  const r = await source.query<{ schema: string; name: string }>('SELECT schemaname AS schema, sequencename AS name FROM pg_sequences WHERE schemaname = ANY($1) ORDER BY 1, 2', [schemas]);
  const out = [];
  for (const s of r.rows) {
    const v = await source.query<{ last_value: string; is_called: string }>(`SELECT last_value::text, is_called::text FROM ${qualified(s.schema, s.name)}`);
    out.push({ schema: s.schema, name: s.name, lastValue: v.rows[0]?.last_value ?? null, isCalled: v.rows[0]?.is_called === 'true' });
  }
  return out;
}
