import type { EngineNotice, JobRef, JobStatus, MigrationEngine } from '../../ports';

/**
 * The engine of a function that may only look at jobs (capability `jobs:poll`, e.g. engine-notices):
 * it reads notices and observes jobs; every call that would act on a job is refused with an error that
 * names the function, the same locally and deployed (its grants allow only the reads).
 */
export class ObserveOnlyEngine implements MigrationEngine {
  constructor(
    private readonly engine: MigrationEngine,
    private readonly fn: string,
  ) {}

  get kinds() {
    return this.engine.kinds;
  }

  observeJob(job: JobRef): Promise<JobStatus | undefined> {
    return this.engine.observeJob(job);
  }

  readNotice(event: unknown): Promise<EngineNotice | undefined> {
    return this.engine.readNotice ? this.engine.readNotice(event) : Promise.resolve(undefined);
  }

  private refuse(call: string): never {
    throw new Error(`${this.fn} may only observe engine jobs (capability jobs:poll): ${call} is not allowed here`);
  }

  async startJob(): Promise<JobStatus> {
    this.refuse('startJob');
  }
  async pollJob(): Promise<JobStatus | undefined> {
    this.refuse('pollJob (it may act on the job; observeJob only looks)');
  }
  async pauseJob(): Promise<JobStatus | undefined> {
    this.refuse('pauseJob');
  }
  async resumeJob(): Promise<JobStatus> {
    this.refuse('resumeJob');
  }
  async stopJob(): Promise<JobStatus | undefined> {
    this.refuse('stopJob');
  }
  async switchoverStep(): Promise<{ done: boolean }> {
    this.refuse('switchoverStep');
  }
  async releaseProject(): Promise<void> {
    this.refuse('releaseProject');
  }
  async precheck(): Promise<never[]> {
    this.refuse('precheck');
  }
  async testConnection(): Promise<never> {
    this.refuse('testConnection');
  }
}
