import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { measurementsOf } from '../../shared/adapters/dynamodb/stream-records';
import { keys } from '../../shared/table';

/** A MODIFY record of a project item carrying these subtasks (what a run's progress write streams). */
function modified(projectId: string, subtasks: unknown[], seq = '1'): DynamoDBRecord {
  const image = marshall({ ...keys.project(projectId), id: projectId, subtasks }, { removeUndefinedValues: true });
  return { eventName: 'MODIFY', dynamodb: { SequenceNumber: seq, NewImage: image as never } } as DynamoDBRecord;
}

describe('measurements on the table stream (SYNC_LATENCY_HIGH, VERIFICATION_MISMATCHES)', () => {
  it('reads the largest lag of a running continuous subtask and the mismatches of the verification', () => {
    // Prepare
    const records = [
      modified('p1', [
        { type: 'INCREMENTAL_SYNC', status: 'RUNNING', continuous: true, progress: { percent: 100, lagSeconds: 42 } },
        { type: 'REVERSE_INCREMENTAL_SYNC', status: 'RUNNING', continuous: true, progress: { percent: 100, lagSeconds: 7 } },
        { type: 'FULL_VERIFICATION', status: 'SUCCEEDED', continuous: false, progress: { percent: 100, mismatches: 3 } },
      ]),
      // A paused sync's lag and a verification without differences measure nothing.
      modified('p2', [
        { type: 'INCREMENTAL_SYNC', status: 'PAUSED', continuous: true, progress: { percent: 100, lagSeconds: 900 } },
        { type: 'FULL_VERIFICATION', status: 'SUCCEEDED', continuous: false, progress: { percent: 100, mismatches: 0 } },
      ], '2'),
    ];

    // Act
    const out = measurementsOf(records);

    // Assess
    expect(out).toEqual([{ sequenceNumber: '1', projectId: 'p1', syncLatencySeconds: 42, verificationMismatches: 3 }]);
  });

  it('ignores inserts, audit events and items of other kinds', () => {
    const event = { eventName: 'INSERT', dynamodb: { SequenceNumber: '3', NewImage: marshall({ pk: 'PROJECT#p1', sk: 'EVENT#0002', operation: 'pause' }) as never } } as DynamoDBRecord;
    expect(measurementsOf([event])).toEqual([]);
  });
});
