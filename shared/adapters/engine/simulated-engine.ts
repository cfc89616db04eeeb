import type { SubtaskProgress, SubtaskType } from '../../domain/subtasks';
import type { JobRef, JobSpec, JobState, JobStatus, MigrationEngine } from '../../ports';

/**
 * A SIMULATED migration engine: no data moves. Its jobs progress with the clock (times a configurable
 * time scale), keep checkpoints, pause and resume from them, and fail on request (per project and
 * subtask), so the orchestration's paths can be run end to end without a database. Job state lives
 * in a SimulatedJobStore: in memory for one process, or in the projects table so it survives across
 * Lambda invocations and restarts of `npm start`. Real engines implement the same MigrationEngine port.
 * Fenced by run: each job records the newest run that started, resumed, paused or stopped it; a call
 * from an older run leaves it as it is, and a job paused or stopped by run n is resumed only by a newer run.
 */

/** Simulated work per subtask (before the time scale): finite jobs run for `workMs`; continuous ones catch up in it. */
export const SIMULATED_WORK: Record<SubtaskType, { workMs: number; continuous: boolean; unit: string; total: number }> = {
  STRUCTURE_MIGRATION: { workMs: 60_000, continuous: false, unit: 'objects', total: 240 },
  FULL_MIGRATION: { workMs: 600_000, continuous: false, unit: 'rows', total: 12_000_000 },
  INCREMENTAL_SYNC: { workMs: 120_000, continuous: true, unit: 'events', total: 0 },
  FULL_VERIFICATION: { workMs: 300_000, continuous: false, unit: 'rowsCompared', total: 12_000_000 },
  FORWARD_SWITCHOVER: { workMs: 1_000, continuous: false, unit: 'steps', total: 1 },
  REVERSE_INCREMENTAL_SYNC: { workMs: 60_000, continuous: true, unit: 'events', total: 0 },
};

/** Continuous jobs apply this many change events per simulated second. */
const EVENTS_PER_SECOND = 250;

export interface SimulatedJob {
  jobId: string;
  projectId: string;
  subtask: SubtaskType;
  state: JobState;
  /** Simulated milliseconds of work done up to `runningSince` (the checkpoint). */
  doneMs: number;
  /** Wall-clock start of the current running segment. */
  runningSince?: number;
  /** Each start or resume, with the work already done when it began: proof that nothing restarts from zero. */
  segments: { at: string; fromPercent: number }[];
  error?: { code: string; message: string };
  /**
   * The newest run that started, resumed, paused or stopped the job (absent: no caller named one).
   * A call from an older run leaves the job as it is: a pause that lands after a resume never undoes it.
   */
  run?: number;
  /** The run whose pause or stop holds the job: only a newer run resumes it (that run's own executions are stale). */
  heldBy?: number;
}

/** A put whose job a newer run changed meanwhile (the stored run is above the written one): read again. */
export class SimulatedJobRaced extends Error {
  constructor(readonly jobId: string) {
    super(`simulated job ${jobId} was changed by a newer run meanwhile`);
    this.name = 'SimulatedJobRaced';
  }
}

export interface SimulatedFailure {
  projectId: string;
  subtask: SubtaskType;
  /** The job fails when its progress reaches this percent (continuous jobs: of their catch-up). */
  atPercent: number;
  message: string;
}

export interface SimulatedJobStore {
  get(jobId: string): Promise<SimulatedJob | undefined>;
  /** Stores the job unless the stored one names a newer run (or a run while this one names none): SimulatedJobRaced. */
  put(job: SimulatedJob): Promise<void>;
  getFailure(projectId: string, subtask: SubtaskType): Promise<SimulatedFailure | undefined>;
  putFailure(f: SimulatedFailure): Promise<void>;
  deleteFailure(projectId: string, subtask: SubtaskType): Promise<void>;
}

export class InMemorySimulatedJobStore implements SimulatedJobStore {
  readonly jobs = new Map<string, SimulatedJob>();
  readonly failures = new Map<string, SimulatedFailure>();
  async get(jobId: string) {
    const j = this.jobs.get(jobId);
    return j && structuredClone(j);
  }
  async put(job: SimulatedJob) {
    const stored = this.jobs.get(job.jobId)?.run;
    if (stored !== undefined && (job.run === undefined || stored > job.run)) throw new SimulatedJobRaced(job.jobId);
    this.jobs.set(job.jobId, structuredClone(job));
  }
  async getFailure(projectId: string, subtask: SubtaskType) {
    return this.failures.get(`${projectId}#${subtask}`);
  }
  async putFailure(f: SimulatedFailure) {
    this.failures.set(`${f.projectId}#${f.subtask}`, f);
  }
  async deleteFailure(projectId: string, subtask: SubtaskType) {
    this.failures.delete(`${projectId}#${subtask}`);
  }
}

export interface SimulatedEngineOptions {
  store?: SimulatedJobStore;
  /** 1 = real time; 60 = a simulated minute per second. */
  timeScale?: number;
  now?: () => number;
}

export class SimulatedMigrationEngine implements MigrationEngine {
  readonly store: SimulatedJobStore;
  readonly timeScale: number;
  private readonly now: () => number;

  constructor(options: SimulatedEngineOptions = {}) {
    this.store = options.store ?? new InMemorySimulatedJobStore();
    this.timeScale = options.timeScale ?? 1;
    this.now = options.now ?? Date.now;
    if (!Number.isFinite(this.timeScale) || this.timeScale <= 0) throw new Error(`timeScale must be positive, got ${this.timeScale}`);
  }

  /** Simulation control: the job of this project's subtask fails once its progress reaches `atPercent`. */
  async injectFailure(f: Omit<SimulatedFailure, 'message' | 'atPercent'> & Partial<Pick<SimulatedFailure, 'message' | 'atPercent'>>): Promise<void> {
    await this.store.putFailure({ atPercent: 50, message: 'simulated engine failure', ...f });
  }

  async startJob(spec: Pick<JobSpec, 'jobId' | 'projectId' | 'subtask' | 'run'>): Promise<JobStatus> {
    return this.raced(async () => {
      const existing = await this.settle(spec.jobId);
      if (existing) {
        // A job that exists is left as it is; a newer run that finds it running claims it.
        if (claims(existing, spec.run)) await this.store.put({ ...existing, run: spec.run });
        return this.status(existing);
      }
      const job: SimulatedJob = {
        jobId: spec.jobId,
        projectId: spec.projectId,
        subtask: spec.subtask,
        state: 'RUNNING',
        doneMs: 0,
        runningSince: this.now(),
        segments: [{ at: new Date(this.now()).toISOString(), fromPercent: 0 }],
        ...(spec.run !== undefined ? { run: spec.run } : {}),
      };
      await this.store.put(job);
      return this.status(job);
    });
  }

  async pollJob({ jobId }: Pick<JobRef, 'jobId'>): Promise<JobStatus | undefined> {
    return this.raced(async () => {
      const job = await this.settle(jobId);
      return job && this.status(job);
    });
  }

  /** A simulated job does nothing but keep time: observing it settles it as a poll does (its own bookkeeping, no action). */
  observeJob(ref: Pick<JobRef, 'jobId'>): Promise<JobStatus | undefined> {
    return this.pollJob(ref);
  }

  async pauseJob(ref: Pick<JobRef, 'jobId' | 'run'>): Promise<JobStatus | undefined> {
    return this.raced(async () => {
      const job = await this.settle(ref.jobId);
      if (!job) return undefined;
      if (outdated(job, ref.run)) return this.status(job);
      if (job.state === 'RUNNING') {
        job.doneMs = this.doneAt(job);
        delete job.runningSince;
        job.state = 'PAUSED';
        hold(job, ref.run);
        await this.store.put(job);
      } else if (ref.run !== undefined && (job.heldBy === undefined || ref.run > job.heldBy)) {
        // Already paused (this run's resume never reached us): the pause still holds the job against its run.
        hold(job, ref.run);
        await this.store.put(job);
      }
      return this.status(job);
    });
  }

  async resumeJob(ref: Pick<JobRef, 'jobId' | 'run'>, fromCheckpoint?: string): Promise<JobStatus> {
    return this.raced(async () => {
      const job = await this.settle(ref.jobId);
      if (!job) throw new Error(`simulated engine: no job ${ref.jobId}`);
      if (outdated(job, ref.run) || heldAgainst(job, ref.run)) return this.status(job);
      if (job.state === 'PAUSED' || job.state === 'FAILED' || job.state === 'STOPPED') {
        const checkpointMs = fromCheckpoint === undefined ? undefined : parseCheckpoint(fromCheckpoint);
        // The engine's own checkpoint is authoritative; an older one given by the caller is never ahead of it.
        job.doneMs = checkpointMs === undefined ? job.doneMs : Math.min(job.doneMs, checkpointMs);
        job.state = 'RUNNING';
        job.runningSince = this.now();
        delete job.error;
        delete job.heldBy;
        job.segments.push({ at: new Date(this.now()).toISOString(), fromPercent: this.percentOf(job, job.doneMs) });
        adopt(job, ref.run);
        await this.store.put(job);
      } else if (claims(job, ref.run)) {
        adopt(job, ref.run);
        await this.store.put(job);
      }
      return this.status(job);
    });
  }

  async stopJob(ref: Pick<JobRef, 'jobId' | 'run'>): Promise<JobStatus | undefined> {
    return this.raced(async () => {
      const job = await this.settle(ref.jobId);
      if (!job) return undefined;
      if ((job.state === 'RUNNING' || job.state === 'PAUSED') && !outdated(job, ref.run)) {
        job.doneMs = this.doneAt(job);
        delete job.runningSince;
        // A continuous sync stopped at its switchover has done its work; a finite job stopped early has not.
        job.state = SIMULATED_WORK[job.subtask].continuous ? 'SUCCEEDED' : 'STOPPED';
        hold(job, ref.run);
        await this.store.put(job);
      }
      return this.status(job);
    });
  }

  /** Runs a read-modify-write again when a newer run changed the job between its read and its write. */
  private async raced<T>(body: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await body();
      } catch (e) {
        if (!(e instanceof SimulatedJobRaced) || attempt >= 5) throw e;
      }
    }
  }

  /** Reads a job and records what the clock made of it since (finished, or failed as injected). */
  private async settle(jobId: string): Promise<SimulatedJob | undefined> {
    const job = await this.store.get(jobId);
    if (!job || job.state !== 'RUNNING') return job;
    const work = SIMULATED_WORK[job.subtask];
    const done = this.doneAt(job);
    const failure = await this.store.getFailure(job.projectId, job.subtask);
    const failAtMs = failure ? (failure.atPercent / 100) * work.workMs : undefined;
    if (failure && failAtMs !== undefined && done >= failAtMs) {
      job.doneMs = Math.max(job.doneMs, failAtMs);
      delete job.runningSince;
      job.state = 'FAILED';
      job.error = { code: 'SIMULATED_FAILURE', message: failure.message };
      await this.store.deleteFailure(job.projectId, job.subtask); // one failure per injection: a retry goes on
      await this.store.put(job);
    } else if (!work.continuous && done >= work.workMs) {
      job.doneMs = work.workMs;
      delete job.runningSince;
      job.state = 'SUCCEEDED';
      await this.store.put(job);
    }
    return job;
  }

  private doneAt(job: SimulatedJob): number {
    const running = job.state === 'RUNNING' && job.runningSince !== undefined ? (this.now() - job.runningSince) * this.timeScale : 0;
    return job.doneMs + running;
  }

  private percentOf(job: SimulatedJob, doneMs: number): number {
    return Math.min(100, Math.floor((doneMs / SIMULATED_WORK[job.subtask].workMs) * 100));
  }

  private status(job: SimulatedJob): JobStatus {
    const work = SIMULATED_WORK[job.subtask];
    const done = this.doneAt(job);
    const percent = this.percentOf(job, done);
    let progress: SubtaskProgress;
    if (work.continuous) {
      const lagSeconds = Math.max(0, Math.ceil((work.workMs - done) / 1000));
      progress = { percent, lagSeconds, [work.unit]: Math.floor((done / 1000) * EVENTS_PER_SECOND) };
    } else {
      progress = { percent, [work.unit]: Math.floor((work.total * percent) / 100), [`${work.unit}Total`]: work.total };
    }
    return {
      jobId: job.jobId,
      state: job.state,
      progress,
      checkpoint: `simulated:${Math.floor(job.state === 'RUNNING' ? done : job.doneMs)}`,
      ...(work.continuous ? { caughtUp: done >= work.workMs } : {}),
      ...(job.error ? { error: job.error } : {}),
    };
  }
}

/** A call from a run older than the job's newest one changes nothing (a call naming no run is not fenced). */
const outdated = (job: SimulatedJob, run: number | undefined): boolean => run !== undefined && job.run !== undefined && run < job.run;

/** A call from a run newer than the job's: the job is that run's from now on. */
const claims = (job: SimulatedJob, run: number | undefined): run is number => run !== undefined && (job.run === undefined || run > job.run);

function adopt(job: SimulatedJob, run: number | undefined): void {
  if (claims(job, run)) job.run = run;
}

/** A pause or stop naming its run: the job is that run's, and that run cannot resume it any more. */
function hold(job: SimulatedJob, run: number | undefined): void {
  adopt(job, run);
  if (run !== undefined) job.heldBy = run;
}

/** A resume from the run that paused or stopped the job (or an older one): a stale execution of it. */
const heldAgainst = (job: SimulatedJob, run: number | undefined): boolean => run !== undefined && job.heldBy !== undefined && run <= job.heldBy;

function parseCheckpoint(checkpoint: string): number | undefined {
  const m = /^simulated:(\d+)$/.exec(checkpoint);
  return m ? Number(m[1]) : undefined;
}
