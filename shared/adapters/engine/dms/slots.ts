import type { DataSourceRecord } from '../../../domain/data-source';

/**
 * The position reader of the DMS adapter: DMS cannot say where a PostgreSQL database's log stands, and a
 * PostgreSQL source endpoint takes no cdc start *time*, only a native start point (an LSN) on a logical
 * replication slot made beforehand (endpoint setting `SlotName`). So when the forward sync has stopped,
 * the adapter makes that slot on the destination (the reverse sync's source) through this port and
 * starts the reverse task at the slot's consistent point; a release drops it.
 * Implementations: `PgReplicationSlots` (pg-slots.ts, the `pg` driver), `MemoryReplicationSlots` (tests).
 */
export interface ReplicationSlots {
  /**
   * Makes the logical slot `slotName` (plugin test_decoding) on the data source's database, or finds
   * it; answers its start position: the LSN from which it decodes (`XXX/XXXXXXXX`, as DMS takes it).
   */
  ensure(dataSource: DataSourceRecord, slotName: string): Promise<{ lsn: string; created: boolean }>;
  /** Drops the slot: `absent` when there is none, `in-use` while a consumer is still connected to it (try later). */
  drop(dataSource: DataSourceRecord, slotName: string): Promise<'dropped' | 'absent' | 'in-use'>;
}

/** The decoding plugin of the slots made here (built into PostgreSQL; DMS's PluginName `test-decoding`). */
export const SLOT_PLUGIN = 'test_decoding';

/** A PostgreSQL slot name (lower-case letters, digits, underscores, at most 63) from a DMS identifier. */
export const slotNameOf = (dmsId: string): string => dmsId.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 63);

/** A PostgreSQL LSN in its text form, e.g. `0/16B3748`. */
export const isLsn = (position: string): boolean => /^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/i.test(position);

/**
 * In-memory slots for tests: each data source has a log position that moves on with `write()`; a slot
 * starts at the position when it is made. Mirrors the rules the pg implementation meets (a made slot
 * keeps its start; a slot in use cannot be dropped).
 */
export class MemoryReplicationSlots implements ReplicationSlots {
  readonly slots = new Map<string, { dataSourceId: string; lsn: string; active: boolean }>();
  private readonly positions = new Map<string, number>();
  readonly calls: { op: 'ensure' | 'drop'; dataSourceId: string; slotName: string }[] = [];

  /** Writes on a data source move its log on. */
  write(dataSourceId: string, bytes = 0x100): void {
    this.positions.set(dataSourceId, (this.positions.get(dataSourceId) ?? 0x16b3748) + bytes);
  }

  async ensure(ds: DataSourceRecord, slotName: string) {
    this.calls.push({ op: 'ensure', dataSourceId: ds.id, slotName });
    const found = this.slots.get(slotName);
    if (found) return { lsn: found.lsn, created: false };
    const at = this.positions.get(ds.id) ?? 0x16b3748;
    const lsn = `${Math.floor(at / 2 ** 32).toString(16).toUpperCase()}/${(at % 2 ** 32).toString(16).toUpperCase()}`;
    this.slots.set(slotName, { dataSourceId: ds.id, lsn, active: false });
    return { lsn, created: true };
  }

  async drop(ds: DataSourceRecord, slotName: string) {
    this.calls.push({ op: 'drop', dataSourceId: ds.id, slotName });
    const found = this.slots.get(slotName);
    if (!found) return 'absent' as const;
    if (found.active) return 'in-use' as const;
    this.slots.delete(slotName);
    return 'dropped' as const;
  }
}
