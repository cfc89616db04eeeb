import type { ConnectionTest, EngineKind, EngineNotice, JobRef, JobSpec, JobStatus, MigrationEngine, ProjectSpec } from '../../ports';
import type { PrecheckItem } from '../../domain/project';
import type { DataSourceRecord } from '../../domain/data-source';
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

  /** The engine configured for a kind (a router inside a router is looked through), if any. */
  configured(kind: EngineKind): MigrationEngine | undefined {
    const engine = this.engines[kind];
    return engine instanceof EngineRouter ? engine.configured(kind) : engine;
  }

  /** The engine that connects to data sources of this kind (a data source engine name), if any. */
  private readonly connectors: Partial<Record<string, EngineKind>> = { postgresql: 'postgresql' };

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
  observeJob(job: JobRef): Promise<JobStatus | undefined> {
    return this.engineFor(job).observeJob(job);
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
  async releaseProject(project: ProjectSpec): Promise<void> {
    const engine = this.engineFor({ engine: project.engine, jobId: `${project.projectId} (release)` });
    if (engine.releaseProject) await engine.releaseProject(project);
  }
  async precheck(spec: JobSpec): Promise<PrecheckItem[]> {
    const engine = this.engineFor(spec);
    return engine.precheck ? engine.precheck(spec) : [];
  }

  /** Tests the connection with the engine that would connect to the data source (by its engine name). */
  async testConnection(dataSource: Pick<DataSourceRecord, 'id' | 'engine'>): Promise<ConnectionTest> {
    const kind = this.connectors[dataSource.engine];
    const engine = kind ? this.engines[kind] : undefined;
    if (!engine?.testConnection) {
      return { checked: false, message: `No engine of this deployment connects to ${dataSource.engine} data sources: its projects run on the SIMULATED engine, which connects to nothing.` };
    }
    return engine.testConnection(dataSource);
  }

  async switchoverStep(spec: JobSpec, step: SwitchoverStepName): Promise<{ done: boolean; detail?: Record<string, unknown> }> {
    const engine = this.engineFor(spec);
    return engine.switchoverStep ? engine.switchoverStep(spec, step) : { done: true };
  }

  /** The notice as the configured engine that recognises it reads it (undefined: none does). */
  async readNotice(event: unknown): Promise<EngineNotice | undefined> {
    for (const engine of Object.values(this.engines)) {
      const notice = await engine?.readNotice?.(event);
      if (notice) return notice;
    }
    return undefined;
  }
}
