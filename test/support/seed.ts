import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { localDocumentClient } from '../../infra/local/dynamodb-local';
import type { ProjectStatus } from '../../shared/domain/project';
import { keys } from '../../shared/table';
import { call, createProject } from './harness';
import { shardOf } from '../../shared/domain/shards';

/**
 * Puts a project created through the API into a status the lifecycle API alone cannot reach yet
 * (FAILED, COMPLETED and RELEASING are set by the orchestration): a test fixture, written directly.
 */
export async function forceStatus(projectId: string, status: ProjectStatus): Promise<void> {
  const client = localDocumentClient(inject('dynamoEndpoint'));
  await client.send(
    new UpdateCommand({
      TableName: process.env.TABLE_NAME,
      Key: keys.project(projectId),
      UpdateExpression: 'SET #s = :s, gsi2pk = :g',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': status, ':g': keys.statusPartition(status, shardOf(projectId)) },
    }),
  );
  client.destroy();
}

/** A project in the given status, reached through the API wherever the API can reach it. */
export async function projectIn(status: ProjectStatus, ds: { sourceId: string; destinationId: string }) {
  const p = await createProject(ds);
  const step = async (op: string) => {
    const r = await call('POST', `/projects/${p.id}/${op}`);
    if (r.status !== 200) throw new Error(`${op}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  switch (status) {
    case 'NOT_STARTED':
      break;
    case 'RUNNING':
      await step('start');
      break;
    case 'PAUSED':
      await step('start');
      await step('pause');
      break;
    case 'RELEASED':
      await step('start');
      await step('pause');
      await step('release');
      break;
    case 'FAILED':
    case 'COMPLETED':
      await step('start');
      await forceStatus(p.id, status);
      break;
    case 'RELEASING':
      await step('start');
      await step('pause');
      await forceStatus(p.id, status);
      break;
  }
  const now = await call('GET', `/projects/${p.id}`);
  return now.body as { id: string; name: string; version: number; status: ProjectStatus };
}
