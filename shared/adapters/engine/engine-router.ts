import type { EngineKind, JobRef, JobSpec, JobStatus, MigrationEngine } from '../../ports';
import type { SwitchoverStepName } from '../../domain/subtasks';

/**
 * One MigrationEngine over the engines a deployment has: each call goes to the engine the job names
 * (the project's `engine`). A job of an engine that is not configured here is refused loudly: never
 * run by another engine, never dropped.
 */
export class EngineRouter implements MigrationEngine {
  constructor(private readonly engines: Partial<Record<EngineKind, MigrationEngine>>) {}

  /** The engine kinds this router serves. */
  get kinds(): EngineKind[] {
    return Object.keys(this.engines) as EngineKind[];
  }

  engineFor(job: Pick<JobRef, 'engine' | 'jobId'>): MigrationEngine {
    const engine = this.engines[job.engine];
    if (!engine) throw new Error(`no '${job.engine}' engine is configured here for job ${job.jobId} (configured: ${this.kinds.join(', ') || 'none'})`);
    return engine;
  }

  startJob(spec: JobSpec): Promise<JobStatus> {
    return this.engineFor(spec).startJob(spec);
  }
  pollJob(job: JobRef): Promise<JobStatus | undefined> {
    return this.engineFor(job).pollJob(job);
  }
  pauseJob(job: JobRef): Promise<JobStatus | undefined> {
    return this.engineFor(job).pauseJob(job);
  }
  resumeJob(job: JobRef, fromCheckpoint?: string): Promise<JobStatus> {
    return this.engineFor(job).resumeJob(job, fromCheckpoint);
  }
  stopJob(job: JobRef): Promise<JobStatus | undefined> {
    return this.engineFor(job).stopJob(job);
  }
  async switchoverStep(spec: JobSpec, step: SwitchoverStepName): Promise<{ done: boolean; detail?: Record<string, unknown> }> {
    const engine = this.engineFor(spec);
    return engine.switchoverStep ? engine.switchoverStep(spec, step) : { done: true };
  }
}
