import { describe, expect, it } from 'vitest';
import type { InMemoryAlertNotifier, InMemoryAlertStore } from '../../shared/adapters/memory/alerts';
import type { AlertLevel, AuditEvent, ProjectRecord } from '../../shared/domain/project';
import type { ProjectStore } from '../../shared/ports';
import { listProjectAlerts, raiseAuditEventAlerts, raiseMeasurementAlerts } from '../../shared/usecases/alerts';
import { applyOperation } from '../../shared/usecases/lifecycle';
import { createProject } from '../../shared/usecases/projects';
import { memoryDeps } from '../support/memory-deps';

const ctx = { actor: 'tester', requestId: 'r-1' };

async function setup() {
  const deps = memoryDeps();
  const notifier = deps.alertNotifier as InMemoryAlertNotifier;
  const store = deps.alerts as InMemoryAlertStore;
  let reads = 0;
  const projects: ProjectStore = deps.projects;
  const get = projects.get.bind(projects);
  projects.get = async (id) => {
    reads++;
    return get(id);
  };
  for (const id of ['src', 'dst']) {
    await deps.dataSources.create({ id, name: id, engine: 'mysql', host: 'h', port: 3306, username: 'u', createdAt: '2026-01-01T00:00:00.000Z', refCount: 0 });
  }
  const make = async (alertLevel: AlertLevel, name = `p-${alertLevel}-${Math.random().toString(36).slice(2, 8)}`) =>
    createProject(
      deps,
      {
        name,
        sourceId: 'src',
        destinationId: 'dst',
        migrationType: { structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: true, reverseIncrementalSync: false },
        alertLevel,
      },
      ctx,
    );
  return { deps, notifier, store, make, reads: () => reads };
}

const failEvent = (p: ProjectRecord, version = p.version + 1): AuditEvent => ({
  at: '2026-01-01T01:00:00.000Z',
  operation: 'fail',
  from: 'RUNNING',
  to: 'FAILED',
  actor: 'system',
  requestId: 'orchestration',
  version,
  cause: 'FULL_MIGRATION: source unreachable',
});

describe('alerts from audit events (the stream publisher)', () => {
  it('a transition into FAILED raises one alert for LOW, MEDIUM and HIGH projects and none for NONE', async () => {
    // Prepare
    const { deps, notifier, make } = await setup();
    const projects = await Promise.all((['NONE', 'LOW', 'MEDIUM', 'HIGH'] as const).map((level) => make(level)));

    // Act
    const raised = await raiseAuditEventAlerts(
      deps,
      projects.map((p) => ({ projectId: p.id, event: failEvent(p) })),
    );

    // Assess
    expect(raised.map((a) => [a.level, a.condition, a.severity])).toEqual([
      ['LOW', 'PROJECT_FAILED', 'CRITICAL'],
      ['MEDIUM', 'PROJECT_FAILED', 'CRITICAL'],
      ['HIGH', 'PROJECT_FAILED', 'CRITICAL'],
    ]);
    expect(notifier.sent.map((a) => a.projectId)).toEqual(projects.slice(1).map((p) => p.id));
    for (const p of projects) {
      const { items } = await listProjectAlerts(deps, p.id, 10);
      expect(items.map((a) => a.id), p.alertLevel).toEqual(p.alertLevel === 'NONE' ? [] : [`PROJECT_FAILED@v${p.version + 1}`]);
      expect(items.every((a) => a.notifiedAt === '2026-01-01T00:00:00.000Z')).toBe(true);
    }
  });

  it('a redelivered event raises nothing again', async () => {
    // Prepare
    const { deps, notifier, make } = await setup();
    const p = await make('HIGH');
    const records = [{ projectId: p.id, event: failEvent(p) }];
    await raiseAuditEventAlerts(deps, records);

    // Act
    const again = await raiseAuditEventAlerts(deps, [...records, ...records]);

    // Assess
    expect(again).toEqual([]);
    expect(notifier.sent).toHaveLength(1);
    expect((await listProjectAlerts(deps, p.id, 10)).items).toHaveLength(1);
  });

  it('when notifying fails after the alert was stored, the retry notifies it once', async () => {
    // Prepare
    const { deps, notifier, store, make } = await setup();
    const p = await make('LOW');
    const records = [{ projectId: p.id, event: failEvent(p) }];
    notifier.failNext = 1;

    // Act
    const failure = await raiseAuditEventAlerts(deps, records).then(() => undefined, (e: Error) => e.message);
    const stored = (await store.list(p.id, 10)).items;
    const retried = await raiseAuditEventAlerts(deps, records);
    const redelivered = await raiseAuditEventAlerts(deps, records);

    // Assess
    expect(failure).toBe('notification channel unavailable');
    expect(stored.map((a) => [a.id, a.notifiedAt])).toEqual([[`PROJECT_FAILED@v${p.version + 1}`, undefined]]);
    expect(retried.map((a) => a.id)).toEqual([`PROJECT_FAILED@v${p.version + 1}`]);
    expect(redelivered).toEqual([]);
    expect(notifier.sent).toHaveLength(1);
  });

  it('reads the project only for events that may raise an alert, once per batch and project', async () => {
    // Prepare
    const { deps, make, reads } = await setup();
    const p = await make('MEDIUM');
    const before = reads();
    const quiet: AuditEvent = { ...failEvent(p), operation: 'pause', from: 'RUNNING', to: 'PAUSED' };
    const warn: AuditEvent = { ...failEvent(p, p.version + 2), operation: 'warn-pause-expiring', from: 'PAUSED', to: 'PAUSED' };

    // Act
    const raised = await raiseAuditEventAlerts(deps, [
      { projectId: p.id, event: quiet },
      { projectId: p.id, event: failEvent(p) },
      { projectId: p.id, event: warn },
    ]);

    // Assess
    expect(reads() - before).toBe(1);
    expect(raised.map((a) => a.condition)).toEqual(['PROJECT_FAILED', 'PAUSE_EXPIRING_SOON']);
  });

  it('the level in force applies: a project set to NONE raises nothing, a project gone raises nothing', async () => {
    // Prepare
    const { deps, notifier, make } = await setup();
    const silenced = await make('HIGH');
    await applyOperation(deps, { operation: 'modify-alert-config', projectId: silenced.id, parameters: { level: 'NONE' }, ctx });
    const gone = await make('HIGH');
    await applyOperation(deps, { operation: 'delete', projectId: gone.id, confirmName: gone.name, ctx });

    // Act
    const raised = await raiseAuditEventAlerts(deps, [
      { projectId: silenced.id, event: failEvent(silenced) },
      { projectId: gone.id, event: failEvent(gone) },
    ]);

    // Assess
    expect(raised).toEqual([]);
    expect(notifier.sent).toEqual([]);
  });
});

describe('raiseMeasurementAlerts (called by the orchestration when it polls the engine)', () => {
  it('raises per the level, once per window; a new window raises again', async () => {
    // Prepare
    const { deps, notifier, make } = await setup();
    const medium = await make('MEDIUM');
    const low = await make('LOW');
    deps.clock.ms = Date.parse('2026-01-01T10:05:00.000Z');

    // Act
    const first = await raiseMeasurementAlerts(deps, medium.id, { syncLatencySeconds: 601, verificationMismatches: 100 });
    deps.clock.advance(30 * 60_000);
    const sameWindow = await raiseMeasurementAlerts(deps, medium.id, { syncLatencySeconds: 1200 });
    const lowAlerts = await raiseMeasurementAlerts(deps, low.id, { syncLatencySeconds: 1200, verificationMismatches: 1001 });
    deps.clock.advance(30 * 60_000);
    const nextWindow = await raiseMeasurementAlerts(deps, medium.id, { syncLatencySeconds: 601 });

    // Assess
    expect(first.map((a) => [a.id, a.value, a.threshold])).toEqual([['SYNC_LATENCY_HIGH@2026-01-01T10:00:00.000Z', 601, 600]]);
    expect(sameWindow).toEqual([]);
    expect(lowAlerts.map((a) => a.condition)).toEqual(['VERIFICATION_MISMATCHES']);
    expect(nextWindow.map((a) => a.id)).toEqual(['SYNC_LATENCY_HIGH@2026-01-01T11:00:00.000Z']);
    expect(notifier.sent).toHaveLength(3);
    expect((await listProjectAlerts(deps, medium.id, 10)).items.map((a) => a.id)).toEqual([
      'SYNC_LATENCY_HIGH@2026-01-01T11:00:00.000Z',
      'SYNC_LATENCY_HIGH@2026-01-01T10:00:00.000Z',
    ]);
  });

  it('takes the measurement instant when the caller gives one', async () => {
    // Prepare
    const { deps, make } = await setup();
    const p = await make('HIGH');

    // Act
    const raised = await raiseMeasurementAlerts(deps, p.id, { verificationMismatches: 1 }, Date.parse('2026-02-01T08:20:00.000Z'));

    // Assess
    expect(raised.map((a) => [a.id, a.measuredAt])).toEqual([['VERIFICATION_MISMATCHES@2026-02-01T08:15:00.000Z', '2026-02-01T08:20:00.000Z']]);
  });

  it('an unknown project is PROJECT_NOT_FOUND; a bad measurement VALIDATION_FAILED', async () => {
    // Prepare
    const { deps, make } = await setup();
    const p = await make('HIGH');

    // Act / Assess
    await expect(raiseMeasurementAlerts(deps, 'nope', { syncLatencySeconds: 5 })).rejects.toMatchObject({ status: 404, code: 'PROJECT_NOT_FOUND' });
    await expect(raiseMeasurementAlerts(deps, p.id, { syncLatencySeconds: -5 })).rejects.toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });
});

describe('listProjectAlerts', () => {
  it('an id that never was a project is PROJECT_NOT_FOUND; a deleted project keeps its alerts readable', async () => {
    // Prepare
    const { deps, make } = await setup();
    const p = await make('HIGH');
    await raiseMeasurementAlerts(deps, p.id, { verificationMismatches: 3 });
    await applyOperation(deps, { operation: 'delete', projectId: p.id, confirmName: p.name, ctx });

    // Act
    const kept = await listProjectAlerts(deps, p.id, 10);
    const missing = listProjectAlerts(deps, 'never-was', 10);

    // Assess
    expect(kept.items.map((a) => a.condition)).toEqual(['VERIFICATION_MISMATCHES']);
    await expect(missing).rejects.toMatchObject({ status: 404, code: 'PROJECT_NOT_FOUND' });
  });
});
