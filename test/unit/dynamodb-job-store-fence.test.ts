import { describe, expect, it } from 'vitest';
import { localDocumentClient } from '../../infra/local/dynamodb-local';
import { DynamoSimulatedJobStore } from '../../shared/adapters/engine/dynamodb-job-store';
import { SimulatedJobRaced, SimulatedMigrationEngine } from '../../shared/adapters/engine/simulated-engine';
import { useLocalTable } from '../support/harness';

/** The SIMULATED engine's jobs in the projects table keep the run that owns them, and a put never replaces a newer run's job. */
describe('DynamoSimulatedJobStore: jobs fenced by run (DynamoDB Local)', () => {
  it('persists the run; an older run\'s pause and stop leave the job claimed by a newer run as it is', async () => {
    // Prepare: a job started by run 1, paused by run 1, resumed by run 2 (two engines on one table: two Lambda invocations)
    const { tableName, endpoint } = await useLocalTable();
    let now = Date.parse('2026-01-01T00:00:00.000Z');
    const engine = () => new SimulatedMigrationEngine({ store: new DynamoSimulatedJobStore(localDocumentClient(endpoint), tableName), now: () => now });
    const ref = (run: number) => ({ jobId: 'p1.INCREMENTAL_SYNC', projectId: 'p1', subtask: 'INCREMENTAL_SYNC' as const, run });
    await engine().startJob(ref(1));
    await engine().pauseJob(ref(1));
    await engine().resumeJob(ref(2));
    now += 1_000;

    // Act
    const latePause = await engine().pauseJob(ref(1));
    const lateStop = await engine().stopJob(ref(1));
    const stored = await engine().store.get('p1.INCREMENTAL_SYNC');

    // Assess
    expect(latePause?.state).toBe('RUNNING');
    expect(lateStop?.state).toBe('RUNNING');
    expect(stored).toMatchObject({ run: 2, state: 'RUNNING' });
    expect(stored?.segments).toHaveLength(2);
  });

  it('refuses a put whose run is older than the stored one (or names none while the stored one does)', async () => {
    // Prepare
    const { tableName, endpoint } = await useLocalTable();
    const store = new DynamoSimulatedJobStore(localDocumentClient(endpoint), tableName);
    const job = { jobId: 'j1', projectId: 'p', subtask: 'INCREMENTAL_SYNC' as const, state: 'RUNNING' as const, doneMs: 5, segments: [], run: 3 };
    await store.put(job);

    // Act
    const older = store.put({ ...job, state: 'PAUSED', run: 2 }).catch((e: unknown) => e);
    const runless = store.put({ ...job, state: 'PAUSED', run: undefined }).catch((e: unknown) => e);
    await store.put({ ...job, doneMs: 7, run: 3 });
    await store.put({ ...job, doneMs: 9, run: 4 });

    // Assess
    expect(await older).toBeInstanceOf(SimulatedJobRaced);
    expect(await runless).toBeInstanceOf(SimulatedJobRaced);
    expect(await store.get('j1')).toMatchObject({ state: 'RUNNING', doneMs: 9, run: 4 });
  });
});
