import { randomUUID } from 'node:crypto';
import { InMemoryAlertNotifier, InMemoryAlertStore } from '../../shared/adapters/memory/alerts';
import { InMemoryBatchQueue, InMemoryBatchStore } from '../../shared/adapters/memory/batch-store';
import { InMemoryEventBus } from '../../shared/adapters/memory/event-bus';
import { MemoryIdempotencyStore } from '../../shared/adapters/memory/idempotency-store';
import { InMemoryDataSourceStore, InMemoryProjectStore, InMemoryTable } from '../../shared/adapters/memory/stores';
import { SimulatedMigrationEngine } from '../../shared/adapters/engine/simulated-engine';
import { InMemoryOrchestrator } from '../../shared/adapters/memory/orchestrator';
import { InMemoryExpiryScheduler } from '../../shared/adapters/memory/scheduler';
import { DEFAULT_PAUSE_DEADLINE_SECONDS, DEFAULT_PAUSE_WARNING_SECONDS, type Deps } from '../../shared/usecases/deps';
import { ManualClock } from './harness';

/** Use-case dependencies on the in-memory fakes, with a hand-moved clock. */
export function memoryDeps(overrides: Partial<Deps> = {}): Deps & { clock: ManualClock; table: InMemoryTable } {
  const table = new InMemoryTable();
  const clock = new ManualClock();
  return {
    projects: new InMemoryProjectStore(table),
    dataSources: new InMemoryDataSourceStore(table),
    orchestrator: new InMemoryOrchestrator(),
    engine: new SimulatedMigrationEngine({ now: () => clock.nowMs() }),
    expiry: new InMemoryExpiryScheduler(DEFAULT_PAUSE_WARNING_SECONDS * 1000),
    events: new InMemoryEventBus(),
    alerts: new InMemoryAlertStore(),
    alertNotifier: new InMemoryAlertNotifier(),
    batches: new InMemoryBatchStore(),
    batchQueue: new InMemoryBatchQueue(),
    clock,
    idempotency: new MemoryIdempotencyStore(),
    newId: randomUUID,
    config: { pauseDeadlineMs: DEFAULT_PAUSE_DEADLINE_SECONDS * 1000, pauseWarningLeadMs: DEFAULT_PAUSE_WARNING_SECONDS * 1000 },
    table,
    ...overrides,
  } as Deps & { clock: ManualClock; table: InMemoryTable };
}
