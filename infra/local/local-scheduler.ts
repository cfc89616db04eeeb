import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parsePauseTimerName, pauseTimerNames, pauseTimers, type PauseTimer, type PauseTimerInput, type PauseTimerRef } from '../../shared/domain/pause-timers';
import type { ProjectRecord } from '../../shared/domain/project';
import type { ExpiryScheduler } from '../../shared/ports';

/**
 * The embedded default's EventBridge Scheduler: one-time timers kept in a JSON file (so a restart of
 * `npm start` loses none), fired on time by invoking the same pause-timer handler the schedule targets.
 * A timer whose handler fails is retried (like the schedule's retry policy); a fired one is deleted.
 * The file is written asynchronously, one write at a time, and changes made while a write is under way
 * share the next one: a synchronous write per pause blocked the event loop for every other request
 * (bench/RESULTS.md, throughput). schedulePauseExpiry/cancelPauseExpiry resolve once their change is on disk.
 */
export class LocalScheduler implements ExpiryScheduler {
  private readonly timers = new Map<string, PauseTimer>();
  private readonly armed = new Map<string, NodeJS.Timeout>();
  private stopped = false;
  /** The write under way, if any. */
  private writing: Promise<void> | undefined;
  /** The next write, not started yet: every change made meanwhile is in it. */
  private queued: Promise<void> | undefined;

  constructor(
    private readonly file: string,
    private readonly fire: (input: PauseTimerInput) => Promise<unknown>,
    private readonly warningLeadMs: number,
    private readonly log: (line: string) => void = (l) => console.log(l),
  ) {}

  /** Loads the persisted timers and arms them; overdue ones fire at once. */
  start(): number {
    try {
      const saved = JSON.parse(readFileSync(this.file, 'utf8')) as PauseTimer[];
      for (const t of saved) this.timers.set(t.name, t);
    } catch {
      // no file yet
    }
    for (const t of this.timers.values()) this.arm(t);
    return this.timers.size;
  }

  stop(): void {
    this.stopped = true;
    for (const handle of this.armed.values()) clearTimeout(handle);
    this.armed.clear();
  }

  list(): PauseTimer[] {
    return [...this.timers.values()];
  }

  async schedulePauseExpiry(project: ProjectRecord): Promise<void> {
    for (const t of pauseTimers(project, this.warningLeadMs)) {
      if (this.timers.has(t.name)) continue;
      this.timers.set(t.name, t);
      this.arm(t);
    }
    await this.save();
  }

  async cancelPauseExpiry(project: Pick<ProjectRecord, 'id' | 'pausedAt'>): Promise<void> {
    for (const name of pauseTimerNames(project)) this.remove(name);
    await this.save();
  }

  private remove(name: string): void {
    this.timers.delete(name);
    const handle = this.armed.get(name);
    if (handle) clearTimeout(handle);
    this.armed.delete(name);
  }

  private arm(t: PauseTimer, delayMs = Math.max(0, Date.parse(t.at) - Date.now())): void {
    if (this.stopped) return;
    const handle = setTimeout(() => void this.run(t, 1), Math.min(delayMs, 2 ** 31 - 1));
    handle.unref();
    this.armed.set(t.name, handle);
  }

  private async run(t: PauseTimer, attempt: number): Promise<void> {
    if (Date.parse(t.at) > Date.now()) return this.arm(t); // a long timer re-armed in steps
    try {
      const outcome = await this.fire(t.input);
      this.log(`[scheduler] ${t.name} fired: ${JSON.stringify(outcome)}`);
      this.remove(t.name);
      await this.save();
    } catch (e) {
      const delay = Math.min(60_000, 500 * 2 ** attempt);
      this.log(`[scheduler] ${t.name} failed (attempt ${attempt}): ${(e as Error).message}; retrying in ${delay} ms`);
      if (this.stopped) return;
      const handle = setTimeout(() => void this.run(t, attempt + 1), delay);
      handle.unref();
      this.armed.set(t.name, handle);
    }
  }

  async listPauseTimers(): Promise<PauseTimerRef[]> {
    return [...this.timers.keys()].map(parsePauseTimerName).filter((t): t is PauseTimerRef => t !== undefined);
  }

  /** Resolves when a write that includes every change made so far has completed. */
  save(): Promise<void> {
    this.queued ??= (async () => {
      await this.writing?.catch(() => undefined);
      this.queued = undefined;
      const json = JSON.stringify([...this.timers.values()], null, 2);
      const write = (async () => {
        await mkdir(dirname(this.file), { recursive: true });
        const tmp = `${this.file}.tmp`;
        await writeFile(tmp, json);
        await rename(tmp, this.file);
      })();
      this.writing = write;
      try {
        await write;
      } finally {
        if (this.writing === write) this.writing = undefined;
      }
    })();
    return this.queued;
  }

}
