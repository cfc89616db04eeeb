import { CreateEndpointCommand, StartReplicationTaskCommand } from '@aws-sdk/client-database-migration-service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DmsMigrationEngine } from '../../shared/adapters/engine/dms/dms-engine';
import { FakeDms } from '../../shared/adapters/engine/dms/fake-dms';
import { fakeDmsClients } from '../../shared/adapters/engine/dms/fake-dms-mock';
import { PgReplicationSlots } from '../../shared/adapters/engine/dms/pg-slots';
import type { DataSourceRecord } from '../../shared/domain/data-source';
import type { MigrationType } from '../../shared/domain/project';
import type { JobSpec } from '../../shared/ports';
import { startPgPair, type PgPair } from '../support/pg-clusters';

/**
 * The DMS adapter's position reader on a real PostgreSQL cluster (the project's destination, the reverse
 * sync's source): the slot it makes decodes every write after its LSN and none before, and that LSN is
 * what the reverse task's DMS start request carries.
 */
let pair: PgPair;
const dataSource = (id: string, engine: DataSourceRecord['engine']): DataSourceRecord => ({
  id,
  name: id,
  engine,
  host: '127.0.0.1',
  port: 5432,
  username: 'postgres',
  database: 'dmsslots',
  secretArn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${id}-AbCdEf`,
  createdAt: '2026-05-01T00:00:00Z',
  refCount: 1,
});
const dst = dataSource('dst', 'postgresql');
const src = dataSource('src', 'mysql');
const slots = () => new PgReplicationSlots(async (ds) => pair.conn(ds.id === 'dst' ? 'dst' : 'src'));
/** A write committed with a WAL flush (the test clusters commit asynchronously, and decoding reads flushed WAL only). */
const write = (sql: string) => pair.sql('dst', `BEGIN; SET LOCAL synchronous_commit = on; ${sql}; COMMIT;`);
const decoded = async (slot: string) => (await pair.sql('dst', 'SELECT data FROM pg_logical_slot_peek_changes($1, NULL, NULL)', [slot])).map((r) => r.data ?? '');

beforeAll(async () => {
  pair = await startPgPair('dmsslots');
  await pair.sql('dst', 'CREATE TABLE orders (id integer PRIMARY KEY, note text)');
});

afterAll(async () => {
  await pair?.stop();
});

describe('PgReplicationSlots (real PostgreSQL)', () => {
  it('makes a test_decoding slot whose LSN is its start: writes after it are decoded, writes before are not; a second call keeps it', async () => {
    // Prepare
    await write("INSERT INTO orders VALUES (1, 'before the slot')");

    // Act
    const made = await slots().ensure(dst, 'mig_slot_a');
    await write("INSERT INTO orders VALUES (2, 'after the slot')");
    const again = await slots().ensure(dst, 'mig_slot_a');
    const row = (await pair.sql('dst', "SELECT plugin, slot_type, confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = 'mig_slot_a'"))[0];
    const changes = await decoded('mig_slot_a');

    // Assess
    expect(made.created).toBe(true);
    expect(made.lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(again).toEqual({ lsn: made.lsn, created: false });
    expect(row).toEqual({ plugin: 'test_decoding', slot_type: 'logical', lsn: made.lsn });
    expect(changes.some((c) => c.includes("'after the slot'"))).toBe(true);
    expect(changes.some((c) => c.includes("'before the slot'"))).toBe(false);
  });

  it('drops the slot, and answers absent when there is none', async () => {
    // Prepare
    await slots().ensure(dst, 'mig_slot_b');

    // Act
    const first = await slots().drop(dst, 'mig_slot_b');
    const second = await slots().drop(dst, 'mig_slot_b');
    const left = await pair.sql('dst', "SELECT slot_name FROM pg_replication_slots WHERE slot_name = 'mig_slot_b'");

    // Assess
    expect(first).toBe('dropped');
    expect(second).toBe('absent');
    expect(left).toEqual([]);
  });

  it('the DMS adapter makes the slot on the destination at STOP_FORWARD_SYNC and starts the reverse task at its LSN', async () => {
    // Prepare: a project from a MySQL source to this PostgreSQL destination, its forward sync running in a fake DMS
    const fake = new FakeDms();
    const clients = fakeDmsClients(fake);
    const engine = new DmsMigrationEngine(
      { replicationInstanceArn: 'arn:aws:dms:eu-west-1:123456789012:rep:migration-instance', replicationInstanceId: 'migration-instance', accessRoleArn: 'arn:aws:iam::123456789012:role/dms-secrets' },
      { resolveDataSource: async (id) => ({ src, dst })[id], dms: () => clients.dms, cloudwatch: () => clients.cloudwatch, slots: slots() },
    );
    const migrationType: MigrationType = { structureMigration: false, fullMigration: false, incrementalSync: true, fullVerification: false, reverseIncrementalSync: true };
    const spec = (subtask: JobSpec['subtask'], over: Partial<JobSpec> = {}): JobSpec => ({ jobId: `p-dms.${subtask}`, projectId: 'p-dms', subtask, engine: 'aws-dms', sourceIds: ['src'], destinationId: 'dst', run: 1, tables: null, migrationType, ...over });
    await engine.startJob(spec('INCREMENTAL_SYNC'));
    fake.advance(2);
    await engine.pollJob(spec('INCREMENTAL_SYNC'));

    // Act
    await engine.switchoverStep(spec('FORWARD_SWITCHOVER'), 'STOP_FORWARD_SYNC');
    fake.advance(); // the forward task stops
    const step = await engine.switchoverStep(spec('FORWARD_SWITCHOVER'), 'STOP_FORWARD_SYNC');
    await write("INSERT INTO orders VALUES (3, 'written on the destination after the switchover')");
    const position = String(step.detail?.reverseStartPosition);
    await engine.startJob(spec('REVERSE_INCREMENTAL_SYNC', { startPosition: position }));
    fake.advance();
    await engine.resumeJob(spec('REVERSE_INCREMENTAL_SYNC', { startPosition: position }));
    const slotName = engine.slotOf('p-dms');
    const slot = (await pair.sql('dst', 'SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [slotName]))[0];
    const start = clients.dmsMock.commandCalls(StartReplicationTaskCommand).map((c) => c.args[0].input).at(-1);
    const reverseSource = clients.dmsMock.commandCalls(CreateEndpointCommand).map((c) => c.args[0].input).find((e) => e.EndpointIdentifier === engine.idOf('p-dms', 'rsrc'));

    // Assess
    expect(slot?.lsn).toBe(position);
    expect(start).toEqual({ ReplicationTaskArn: expect.stringMatching(/:task:mig-[0-9a-f]{20}-rev$/), StartReplicationTaskType: 'start-replication', CdcStartPosition: position });
    expect(reverseSource?.PostgreSQLSettings).toMatchObject({ SlotName: slotName, PluginName: 'test-decoding' });
    expect((await decoded(slotName)).some((c) => c.includes('after the switchover'))).toBe(true);
  });
});
