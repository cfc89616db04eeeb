import { parsePauseTimerName, pauseTimerNames, pauseTimers, type PauseTimer, type PauseTimerRef } from '../../domain/pause-timers';
import type { ProjectRecord } from '../../domain/project';
import type { ExpiryScheduler } from '../../ports';

/** In-memory pause timers: what is scheduled, and which timers are due at a given instant. */
export class InMemoryExpiryScheduler implements ExpiryScheduler {
  readonly timers = new Map<string, PauseTimer>();

  constructor(private readonly warningLeadMs: number) {}

  async schedulePauseExpiry(project: ProjectRecord): Promise<void> {
    for (const t of pauseTimers(project, this.warningLeadMs)) if (!this.timers.has(t.name)) this.timers.set(t.name, t);
  }

  async cancelPauseExpiry(project: Pick<ProjectRecord, 'id' | 'pausedAt'> & Partial<Pick<ProjectRecord, 'sources'>>): Promise<void> {
    for (const name of pauseTimerNames(project)) this.timers.delete(name);
  }

  async listPauseTimers(): Promise<PauseTimerRef[]> {
    return [...this.timers.keys()].map(parsePauseTimerName).filter((t): t is PauseTimerRef => t !== undefined);
  }

  /** Removes and returns the timers due at `nowMs` (ActionAfterCompletion DELETE), earliest first. */
  takeDue(nowMs: number): PauseTimer[] {
    const due = [...this.timers.values()].filter((t) => Date.parse(t.at) <= nowMs).sort((a, b) => a.at.localeCompare(b.at));
    for (const t of due) this.timers.delete(t.name);
    return due;
  }
}
