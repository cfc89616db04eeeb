import type pg from 'pg';
import { constraintExists, deferredObjects, sequenceValues, tableExists, type TableInfo } from './catalog';
import { qualified } from './connections';

/**
 * The switchover's PROCESS_DATABASE_OBJECTS on the destination: the secondary indexes and the unique,
 * foreign-key and exclusion constraints left out while the data was loaded, and every sequence set to
 * the source's position (`raiseOnly`, for several sources: only ever moved up). Idempotent: what exists is left alone, a sequence is set again.
 */
export async function processDatabaseObjects(source: pg.Pool, dest: pg.Pool, tables: TableInfo[], raiseOnly = false): Promise<Record<string, unknown>> {
  const objects = await deferredObjects(source, tables);
  let indexes = 0;
  let constraints = 0;
  const skipped: string[] = [];
  for (const o of objects) {
    if (!(await tableExists(dest, o.table))) {
      skipped.push(`${o.name} (table ${o.table.schema}.${o.table.table} is not on the destination)`);
      continue;
    }
    if (o.kind === 'index') {
      await dest.query(o.ddl);
      indexes++;
      continue;
    }
    if (o.references && !(await tableExists(dest, o.references))) {
      skipped.push(`${o.name} (references ${o.references.schema}.${o.references.table}, not migrated)`);
      continue;
    }
    if (!(await constraintExists(dest, o.table, o.name))) await dest.query(o.ddl);
    constraints++;
  }
  let sequences = 0;
  const schemas = [...new Set(tables.map((t) => t.schema))];
  for (const s of await sequenceValues(source, schemas)) {
    const there = await dest.query<{ oid: string | null }>('SELECT to_regclass($1)::text AS oid', [qualified(s.schema, s.name)]);
    if (!there.rows[0]?.oid || s.lastValue === null) continue;
    if (raiseOnly) {
      // Several sources share the sequence: it ends at the highest position any of them reached.
      const cur = await dest.query<{ v: string; called: string }>(`SELECT last_value::text AS v, is_called::text AS called FROM ${qualified(s.schema, s.name)}`);
      const row = cur.rows[0];
      if (row && row.called === 'true' && BigInt(row.v) >= BigInt(s.lastValue)) continue;
    }
    await dest.query('SELECT setval($1::regclass, $2::bigint, $3::boolean)', [qualified(s.schema, s.name), s.lastValue, s.isCalled]);
    sequences++;
  }
  return { indexes, constraints, sequences, ...(skipped.length ? { skipped } : {}) };
}
