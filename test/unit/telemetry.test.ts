import { DynamoDBDocumentClient, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { setDocumentClient } from '../../shared/adapters/dynamodb/client';
import { logger, metrics } from '../../shared/observability/telemetry';
import { resetDeps } from '../../shared/runtime';
import { call } from '../support/harness';

/** Every request leaves its identity in the logs and its outcome in the metrics. */
const ddb = mockClient(DynamoDBDocumentClient);

describe('request telemetry (Powertools)', () => {
  beforeAll(() => {
    process.env.TABLE_NAME = 'projects';
    setDocumentClient(undefined);
    resetDeps();
  });
  afterAll(() => ddb.restore());
  beforeEach(() => {
    ddb.reset();
    vi.restoreAllMocks();
  });

  it('a refused pause logs requestId, operation and projectId and counts a Conflict by result code', async () => {
    // Prepare
    const current = { pk: 'PROJECT#p-42', sk: 'PROJECT', id: 'p-42', status: 'PAUSED', version: 7 };
    ddb.on(QueryCommand).resolves({ Items: [current] }); // the project read whole (item and progress item)
    ddb.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({ message: 'x', $metadata: {}, CancellationReasons: [{ Code: 'ConditionalCheckFailed', Item: marshall(current) }, { Code: 'None' }] as never }),
    );
    const appendKeys = vi.spyOn(logger, 'appendKeys');
    const addDimensions = vi.spyOn(metrics, 'addDimensions');
    const addMetric = vi.spyOn(metrics, 'addMetric');

    // Act
    const r = await call('POST', '/projects/p-42/pause');

    // Assess
    expect(r.status).toBe(409);
    expect(appendKeys).toHaveBeenCalledWith(expect.objectContaining({ operation: 'pause', projectId: 'p-42', requestId: expect.any(String) }));
    expect(addDimensions).toHaveBeenCalledWith({ operation: 'pause', result: 'INVALID_STATE' });
    expect(addMetric.mock.calls.map((c) => c[0])).toEqual(['Requests', 'Conflicts']);
  });

  it('a successful read counts one ok request and no conflict', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ pk: 'PROJECT#p-1', sk: 'PROJECT', id: 'p-1', status: 'RUNNING', version: 2, subtasks: [] }] });
    const addDimensions = vi.spyOn(metrics, 'addDimensions');
    const addMetric = vi.spyOn(metrics, 'addMetric');

    const r = await call('GET', '/projects/p-1');

    expect(r.status).toBe(200);
    expect(addDimensions).toHaveBeenCalledWith({ operation: 'GET /projects/{id}', result: 'ok' });
    expect(addMetric.mock.calls.map((c) => c[0])).toEqual(['Requests']);
  });
});
