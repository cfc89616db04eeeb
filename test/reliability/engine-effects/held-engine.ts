import { AsyncLocalStorage } from 'node:async_hooks';
import type { JobRef, JobSpec, JobStatus, MigrationEngine } from '../../../shared/ports';

/**
 * The engine as the side effects of concurrent operations reach it: every call made inside an
 * operation started with `held` (an AsyncLocalStorage context) waits in `held` until the suite
 * delivers it, in whatever order it chooses, so a pause's pauseJob can land after a resume and the
 * next run's claim, a run's resumeJob after a pause, a release's stopJob after anything. Calls made
 * outside such an operation go straight through. `unfenced` strips the run from every call (the
 * engine as it was before issue 20): the self-test shows the suite then finds the race.
 */
export interface HeldCall {
  id: number;
  /** The operation the call belongs to (e.g. "pause p1", "drive p0-2"). */
  label: string;
  method: 'startJob' | 'pollJob' | 'pauseJob' | 'resumeJob' | 'stopJob';
  job: JobRef;
  deliver: () => void;
}

export class HeldEngine implements MigrationEngine {
  readonly held: HeldCall[] = [];
  delivered = 0;
  /** Calls held back so far. */
  heldTotal = 0;
  private readonly context = new AsyncLocalStorage<string>();
  private nextId = 0;

  constructor(
    private readonly inner: MigrationEngine,
    private readonly unfenced = false,
  ) {}

  /** Runs `body` as a held operation: its engine calls wait for delivery. */
  holding<T>(label: string, body: () => Promise<T>): Promise<T> {
    return this.context.run(label, body);
  }

  /** Lets the held call at `index` (taken modulo the number held) go on; false when none is held. */
  deliver(index: number): HeldCall | undefined {
    if (!this.held.length) return undefined;
    const [call] = this.held.splice(index % this.held.length, 1);
    call?.deliver();
    this.delivered++;
    return call;
  }

  startJob(spec: JobSpec): Promise<JobStatus> {
    return this.gate('startJob', spec, (s) => this.inner.startJob(s));
  }
  pollJob(job: JobRef): Promise<JobStatus | undefined> {
    return this.gate('pollJob', job, (j) => this.inner.pollJob(j));
  }
  observeJob(job: JobRef): Promise<JobStatus | undefined> {
    return this.inner.observeJob(job);
  }
  pauseJob(job: JobRef): Promise<JobStatus | undefined> {
    return this.gate('pauseJob', job, (j) => this.inner.pauseJob(j));
  }
  resumeJob(job: JobRef, fromCheckpoint?: string): Promise<JobStatus> {
    return this.gate('resumeJob', job, (j) => this.inner.resumeJob(j, fromCheckpoint));
  }
  stopJob(job: JobRef): Promise<JobStatus | undefined> {
    return this.gate('stopJob', job, (j) => this.inner.stopJob(j));
  }

  private async gate<R extends JobRef, T>(method: HeldCall['method'], ref: R, call: (ref: R) => Promise<T>): Promise<T> {
    const label = this.context.getStore();
    if (label !== undefined) {
      this.heldTotal++;
      await new Promise<void>((deliver) => this.held.push({ id: this.nextId++, label, method, job: ref, deliver }));
    }
    if (!this.unfenced) return call(ref);
    const { run: _dropped, ...runless } = ref;
    return call(runless as R);
  }
}
