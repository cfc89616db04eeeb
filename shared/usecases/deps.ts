import type { Clock } from '../domain/clock';
import type { DataSourceStore, ExpiryScheduler, Orchestrator, ProjectStore } from '../ports';

/** Everything a use case needs, as ports. Built once per process (shared/runtime.ts) or by a test. */
export interface Deps {
  projects: ProjectStore;
  dataSources: DataSourceStore;
  orchestrator: Orchestrator;
  expiry: ExpiryScheduler;
  clock: Clock;
  newId: () => string;
  config: {
    /** How long a paused project stays resumable (OMS: 12 hours). */
    pauseDeadlineMs: number;
  };
}

export const DEFAULT_PAUSE_DEADLINE_SECONDS = 12 * 60 * 60;
