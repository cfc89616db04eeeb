import type pg from 'pg';
import type { DataSourceRecord } from '../../../domain/data-source';
import type { PgConnectionConfig } from '../postgres/connections';
import { SLOT_PLUGIN, type ReplicationSlots } from './slots';

/**
 * ReplicationSlots on PostgreSQL through the `pg` driver (loaded on first use): one short connection
 * per call, made with what `connect` says for the data source (deployed: host, port, database and
 * credentials from the data source's secret).
 */
export class PgReplicationSlots implements ReplicationSlots {
  constructor(readonly connect: (dataSource: DataSourceRecord) => Promise<PgConnectionConfig>) {}

  async ensure(ds: DataSourceRecord, slotName: string): Promise<{ lsn: string; created: boolean }> {
    return this.session(ds, async (c) => {
      const found = await this.find(c, slotName);
      if (found) return { lsn: found, created: false };
      try {
        // The slot decodes every transaction that commits after its consistent point, which is the LSN answered here.
        const made = await c.query<{ lsn: string }>('SELECT lsn::text AS lsn FROM pg_create_logical_replication_slot($1, $2)', [slotName, SLOT_PLUGIN]);
        const lsn = made.rows[0]?.lsn;
        if (!lsn) throw new Error(`PostgreSQL made slot ${slotName} without answering its LSN`);
        return { lsn, created: true };
      } catch (e) {
        if (pgCode(e) !== '42710') throw e; // duplicate_object: a concurrent call made it first
        const again = await this.find(c, slotName);
        if (!again) throw e;
        return { lsn: again, created: false };
      }
    });
  }

  async drop(ds: DataSourceRecord, slotName: string): Promise<'dropped' | 'absent' | 'in-use'> {
    return this.session(ds, async (c) => {
      const found = await c.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slotName]);
      const slot = found.rows[0];
      if (!slot) return 'absent';
      if (slot.active) return 'in-use';
      try {
        await c.query('SELECT pg_drop_replication_slot($1)', [slotName]);
        return 'dropped';
      } catch (e) {
        if (pgCode(e) === '42704') return 'absent'; // undefined_object: dropped meanwhile
        if (pgCode(e) === '55006') return 'in-use'; // object_in_use: a consumer connected meanwhile
        throw e;
      }
    });
  }

  /** The slot's start (confirmed flush LSN): only a logical slot of our plugin on this database counts. */
  private async find(c: pg.Client, slotName: string): Promise<string | undefined> {
    const r = await c.query<{ lsn: string | null; plugin: string | null; database: string | null; here: string }>(
      'SELECT confirmed_flush_lsn::text AS lsn, plugin, database, current_database() AS here FROM pg_replication_slots WHERE slot_name = $1',
      [slotName],
    );
    const slot = r.rows[0];
    if (!slot) return undefined;
    if (slot.plugin !== SLOT_PLUGIN || slot.database !== slot.here || !slot.lsn) {
      throw new Error(`replication slot ${slotName} exists but is not a ${SLOT_PLUGIN} slot of database ${slot.here} (plugin ${slot.plugin}, database ${slot.database})`);
    }
    return slot.lsn;
  }

  private async session<T>(ds: DataSourceRecord, body: (c: pg.Client) => Promise<T>): Promise<T> {
    const { default: driver } = await import('pg');
    const conn = await this.connect(ds);
    const c = new driver.Client({ host: conn.host, port: conn.port, database: conn.database, user: conn.user, ...(conn.password !== undefined ? { password: conn.password } : {}), application_name: 'migration-dms-slots', connectionTimeoutMillis: 10_000 });
    c.on('error', () => {});
    await c.connect();
    try {
      return await body(c);
    } finally {
      await c.end().catch(() => {});
    }
  }
}

const pgCode = (e: unknown): string | undefined => (e as { code?: string } | undefined)?.code;
