import { beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../../shared/runtime';
import { countProjectsByStatus } from '../../shared/usecases/status-counts';
import { call, createDataSources, createProject, useLocalTable } from '../support/harness';

describe('projects by status (dashboard gauge) on DynamoDB Local', () => {
  beforeAll(async () => {
    await useLocalTable();
  });

  it('counts every status from the status index, zeros included', async () => {
    // Prepare: 3 not started, 2 running, 1 paused
    const ds = await createDataSources('counts');
    const ps = await Promise.all(Array.from({ length: 6 }, () => createProject(ds)));
    for (const p of ps.slice(0, 3)) await call('POST', `/projects/${p.id}/start`);
    await call('POST', `/projects/${ps[0]?.id}/pause`);

    // Act
    const counts = await countProjectsByStatus(getDeps());

    // Assess
    expect(counts).toEqual({ NOT_STARTED: 3, RUNNING: 2, PAUSED: 1, FAILED: 0, RELEASING: 0, RELEASED: 0, COMPLETED: 0 });
  });
});
