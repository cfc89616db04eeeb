import { beforeAll, describe, expect, it } from 'vitest';
import { subtaskPath } from '../../shared/domain/orchestration';
import { getDeps } from '../../shared/runtime';
import { applyOperation } from '../../shared/usecases/lifecycle';
import { call, createDataSources, createProject, useLocalTable } from '../support/harness';

/**
 * A pause (a batch pause especially, which passes its own earlier read) races the run's execution
 * starting the next subtask. Run writes bump no version, so the pause's status + version condition
 * alone does not see that write. Found by the restart-safety suite (a PAUSED project with a RUNNING
 * subtask after a batch pause).
 */
describe('pause racing the start of the next subtask', () => {
  let ds: { sourceId: string; destinationId: string };

  beforeAll(async () => {
    await useLocalTable();
    ds = await createDataSources('pause-race');
  });

  it('a pause that read the project before the run claimed a subtask leaves no subtask RUNNING under PAUSED', async () => {
    // Prepare: a running project, read (as the batch does), then the execution claims the first subtask.
    const p = await createProject(ds);
    await call('POST', `/projects/${p.id}/start`);
    const deps = getDeps();
    const read = await deps.projects.get(p.id);
    if (!read) throw new Error('project not found');
    await deps.projects.updateRun({
      projectId: p.id,
      run: read.run ?? 1,
      set: [{ path: subtaskPath(read, 'STRUCTURE_MIGRATION', 'status'), value: 'RUNNING' }],
    });

    // Act
    const paused = await applyOperation(deps, { operation: 'pause', projectId: p.id, current: read, ctx: { actor: 'tester', requestId: 'race' } });

    // Assess
    expect(paused?.status).toBe('PAUSED');
    expect(paused?.subtasks.filter((s) => s.status === 'RUNNING')).toEqual([]);
    expect(paused?.subtasks.find((s) => s.type === 'STRUCTURE_MIGRATION')?.status).toBe('PAUSED');
    const stored = await deps.projects.get(p.id);
    expect(stored?.subtasks.filter((s) => s.status === 'RUNNING')).toEqual([]);
  });
});
