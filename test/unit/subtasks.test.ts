import { describe, expect, it } from 'vitest';
import { buildSubtasks } from '../../shared/domain/subtasks';

const none = { structureMigration: false, fullMigration: false, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false };

describe('orchestration list built from the migration type', () => {
  it('structure + full only: two subtasks, no switchover', () => {
    expect(buildSubtasks({ ...none, structureMigration: true, fullMigration: true }).map((s) => s.type)).toEqual(['STRUCTURE_MIGRATION', 'FULL_MIGRATION']);
  });

  it('incremental sync is continuous and brings the forward switchover without the reverse step', () => {
    const list = buildSubtasks({ ...none, fullMigration: true, incrementalSync: true, fullVerification: true });
    expect(list.map((s) => [s.type, s.continuous])).toEqual([
      ['FULL_MIGRATION', false],
      ['INCREMENTAL_SYNC', true],
      ['FULL_VERIFICATION', false],
      ['FORWARD_SWITCHOVER', false],
    ]);
    expect(list[3]?.steps?.map((s) => s.name)).not.toContain('START_REVERSE_INCREMENTAL');
    expect(list[3]?.steps?.filter((s) => s.manual).map((s) => s.name)).toEqual(['CONFIRM_SOURCE_WRITES_STOPPED', 'PROCESS_DATABASE_OBJECTS']);
  });

  it('all five components: six subtasks, reverse step and reverse sync last', () => {
    const list = buildSubtasks({ structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: true, reverseIncrementalSync: true });
    expect(list.map((s) => s.type)).toEqual(['STRUCTURE_MIGRATION', 'FULL_MIGRATION', 'INCREMENTAL_SYNC', 'FULL_VERIFICATION', 'FORWARD_SWITCHOVER', 'REVERSE_INCREMENTAL_SYNC']);
    expect(list[4]?.steps?.at(-1)).toEqual({ name: 'START_REVERSE_INCREMENTAL', manual: true, status: 'PENDING' });
    expect(list.every((s) => s.status === 'PENDING')).toBe(true);
  });
});
