import type { Clock } from '../domain/clock';
import type { IdempotencyStore } from '../idempotency/port';
import type { AlertNotifier, AlertStore, BatchQueue, BatchStore, DataSourceStore, EventBus, ExpiryScheduler, MigrationEngine, Orchestrator, ProjectStore } from '../ports';

/** Everything a use case needs, as ports. Built once per process (shared/runtime.ts) or by a test. */
export interface Deps {
  projects: ProjectStore;
  dataSources: DataSourceStore;
  orchestrator: Orchestrator;
  /** The data plane (the simulated engine until real ones are wired). */
  engine: MigrationEngine;
  expiry: ExpiryScheduler;
  /** Domain events (only the stream publisher uses it). */
  events: EventBus;
  /** Alerts raised for projects, stored under each project. */
  alerts: AlertStore;
  /** Where alerts go: the bus and the SNS topic (the stream publisher and the measurement use case). */
  alertNotifier: AlertNotifier;
  /** Batches as resources: records, counters and per-project results. */
  batches: BatchStore;
  /** Where batch work waits for a worker (SQS deployed, in-process locally). */
  batchQueue: BatchQueue;
  clock: Clock;
  /** Idempotency-Key records, for single and batch calls alike. */
  idempotency: IdempotencyStore;
  newId: () => string;
  config: {
    /** How long a paused project stays resumable (OMS: 12 hours). */
    pauseDeadlineMs: number;
    /** How long before the deadline the "pause expiring soon" warning fires (default 30 minutes). */
    pauseWarningLeadMs: number;
  };
}

export const DEFAULT_PAUSE_DEADLINE_SECONDS = 12 * 60 * 60;
export const DEFAULT_PAUSE_WARNING_SECONDS = 30 * 60;
