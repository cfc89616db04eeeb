import type pg from 'pg';
import type { SwitchoverStepName } from '../../../domain/subtasks';
import type { ConnectionTest, JobRef, JobSpec, JobState, JobStatus, MigrationEngine, ProjectSpec } from '../../../ports';
import type { PrecheckItem } from '../../../domain/project';
import type { DataSourceRecord } from '../../../domain/data-source';
import { precheck, testConnection } from './checks';
import { captureName, dropCapture, ensureCapture, forwardCapture } from './cdc';
import { Pools, type PgConnectionConfig } from './connections';
import { createJob, ensureMetaSchema, forgetTableSources, getJob, jobsOfProject, listTableRows, patchJob, tableSources, toStatus, type JobRow } from './registry';
import { dropOwnersOf } from './owners';
import { processDatabaseObjects } from './objects';
import { JobFailure, runFullLoad, runStructure, runSync, runVerification, type WorkContext } from './work';
import { describeTable, listTables, unionTables } from './catalog';

export interface PostgresEngineOptions {
  resolveConnection(dataSourceId: string): Promise<PgConnectionConfig>;
  /** Idle wait of a caught-up sync between passes (and between verification re-checks). Default 1000 ms. */
  pollIntervalMs?: number;
  /** Rows per copy chunk and per verification range. Default 5000. */
  chunkRows?: number;
  /** Pause between chunks (throttling; tests use it to catch a copy mid-way). Default 0. */
  chunkDelayMs?: number;
  /** Keys listed per table by the verification. Default 20. */
  maxMismatchedKeys?: number;
  now?: () => number;
}

const CONTINUOUS = new Set(['INCREMENTAL_SYNC', 'REVERSE_INCREMENTAL_SYNC']);

interface Worker {
  stopping: boolean;
  /** A wake-up asked while the worker was not sleeping: its next sleep returns at once. */
  wakePending: boolean;
  wake: () => void;
  done: Promise<void>;
  /** Sync passes started and recorded, and polls waiting for a pass to be recorded. */
  passes: { started: number; recorded: number; waiters: { after: number; resolve: () => void }[] };
}

/** Errors other than a JobFailure (a lost connection, a deadlock) are retried this many times before the job fails. */
const ATTEMPTS = 3;

/**
 * A real PostgreSQL → PostgreSQL engine (like AWS DMS, TiDB DM or OMS in shape): structure, chunked
 * full load with per-table checkpoints, change apply from a logical replication slot, verification by
 * key range. The job registry and its checkpoints live on the destination (schema `_migration`), so
 * any process continues any job: a poll that finds a RUNNING job without a worker here starts one
 * (a session advisory lock on the destination keeps it to one worker across processes).
 *
 * Verification: differences do not fail the job. It SUCCEEDS with `progress.mismatches` > 0 and the
 * per-table counts and first keys in `tables` (the control plane raises VERIFICATION_MISMATCHES); only
 * an error that prevents comparing fails it.
 */
export class PostgresEngine implements MigrationEngine {
  private readonly pools: Pools;
  private readonly workers = new Map<string, Worker>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly opts: Required<Omit<PostgresEngineOptions, 'resolveConnection'>>;

  private readonly resolveConnection: (dataSourceId: string) => Promise<PgConnectionConfig>;

  constructor(options: PostgresEngineOptions) {
    this.resolveConnection = options.resolveConnection;
    this.pools = new Pools(options.resolveConnection);
    this.opts = {
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      chunkRows: options.chunkRows ?? 5000,
      chunkDelayMs: options.chunkDelayMs ?? 0,
      maxMismatchedKeys: options.maxMismatchedKeys ?? 20,
      now: options.now ?? Date.now,
    };
  }

  async startJob(spec: JobSpec): Promise<JobStatus> {
    return this.serial(spec.jobId, async () => {
      const dest = await this.registry(spec);
      await createJob(dest, stripRef(spec), 'RUNNING');
      const job = await getJob(dest, spec.jobId);
      if (job?.state === 'RUNNING') this.ensureWorker(job);
      return this.status(dest, spec.jobId) as Promise<JobStatus>;
    });
  }

  async pollJob(ref: JobRef): Promise<JobStatus | undefined> {
    const dest = await this.registry(ref);
    const job = await getJob(dest, ref.jobId);
    if (!job) return undefined;
    if (job.state === 'RUNNING' && !this.workers.has(job.jobId)) this.ensureWorker(job); // restart safety
    if (job.state === 'RUNNING' && CONTINUOUS.has(job.subtask)) await this.freshPass(job.jobId);
    return this.status(dest, ref.jobId);
  }

  /** pollJob without restarting the job's worker or running a pass: the job's row as it is. */
  async observeJob(ref: JobRef): Promise<JobStatus | undefined> {
    const dest = await this.registry(ref);
    return (await getJob(dest, ref.jobId)) ? this.status(dest, ref.jobId) : undefined;
  }

  async pauseJob(ref: JobRef): Promise<JobStatus | undefined> {
    return this.serial(ref.jobId, async () => {
      const dest = await this.registry(ref);
      const job = await getJob(dest, ref.jobId);
      if (!job) return undefined;
      if (fenced(ref, job)) return this.status(dest, ref.jobId);
      if (job.state === 'RUNNING') {
        await patchJob(dest, ref.jobId, { state: 'PAUSED', ...hold(ref, job) }, ['RUNNING']);
        await this.stopWorker(ref.jobId);
      } else if (Object.keys(hold(ref, job)).length > 0) {
        // Already paused (this run's resume never reached us): the pause still holds the job against its run.
        await patchJob(dest, ref.jobId, hold(ref, job));
      }
      return this.status(dest, ref.jobId);
    });
  }

  /** Resumes from the engine's own checkpoints (kept with the data on the destination); `fromCheckpoint` is informative only. */
  async resumeJob(ref: JobRef, _fromCheckpoint?: string): Promise<JobStatus> {
    return this.serial(ref.jobId, async () => {
      const dest = await this.registry(ref);
      const job = await getJob(dest, ref.jobId);
      if (!job) throw new Error(`postgres engine: no job ${ref.jobId}`);
      // A resume from an older run, or from the run that paused or stopped the job, is a stale execution's.
      if (fenced(ref, job) || heldAgainst(ref, job)) return this.status(dest, ref.jobId) as Promise<JobStatus>;
      if (job.state === 'PAUSED' || job.state === 'FAILED' || job.state === 'STOPPED') {
        await patchJob(dest, ref.jobId, { state: 'RUNNING', run: Math.max(job.run, ref.run ?? job.run), error: null }, ['PAUSED', 'FAILED', 'STOPPED']);
      }
      const now = await getJob(dest, ref.jobId);
      if (now?.state === 'RUNNING') this.ensureWorker(now);
      return this.status(dest, ref.jobId) as Promise<JobStatus>;
    });
  }

  async stopJob(ref: JobRef): Promise<JobStatus | undefined> {
    return this.serial(ref.jobId, async () => {
      const dest = await this.registry(ref);
      const job = await getJob(dest, ref.jobId);
      if (!job) {
        // A sync that never started may still have a slot (made by the full load, or at START_DESTINATION_STORE): a release drops it.
        if (CONTINUOUS.has(ref.subtask)) await this.dropCaptureOf(ref);
        return undefined;
      }
      if (fenced(ref, job)) return this.status(dest, ref.jobId);
      const continuous = CONTINUOUS.has(job.subtask);
      if (job.state === 'RUNNING' || job.state === 'PAUSED') {
        // A continuous sync stopped (switchover, release) has done its work; a finite job stopped early has not.
        const state: JobState = continuous ? 'SUCCEEDED' : 'STOPPED';
        await patchJob(dest, ref.jobId, { state, caughtUp: null, ...hold(ref, job) }, ['RUNNING', 'PAUSED']);
        await this.stopWorker(ref.jobId);
      }
      if (continuous) await this.dropCaptureOf(job.spec);
      else if (job.subtask === 'FULL_MIGRATION') {
        // Released before the forward sync (of this source) ever started: its slot (made by the full load) goes too.
        const cap = forwardCapture(job.spec);
        const jobs = await jobsOfProject(dest, job.projectId);
        if (!jobs.some((j) => j.subtask === 'INCREMENTAL_SYNC' && forwardCapture(j.spec).name === cap.name)) await dropCapture(await this.pools.get(cap.sourceId), cap.name);
      }
      return this.status(dest, ref.jobId);
    });
  }

  /**
   * Release of the project (every job stopped): the key-ownership tables of its merged tables and the
   * record of which source has which table go from the destination's `_migration` schema. Its job rows
   * stay (the engine's record of what ran). Idempotent: a retried release finds nothing left.
   */
  async releaseProject(project: ProjectSpec): Promise<void> {
    const dest = await this.registry(project);
    const recorded = await tableSources(dest, project.projectId);
    const tables = [...(project.tables ?? []), ...[...(recorded?.keys() ?? [])].map(splitQualified)];
    await dropOwnersOf(dest, project.projectId, tables);
    await forgetTableSources(dest, project.projectId);
  }

  /** The checks a project on this engine must pass before it starts (shared/adapters/engine/postgres/checks.ts). */
  async precheck(spec: JobSpec): Promise<PrecheckItem[]> {
    return precheck(spec, this.resolveConnection);
  }

  /** Connects to a PostgreSQL data source as its jobs would. */
  async testConnection(dataSource: Pick<DataSourceRecord, 'id' | 'engine'>): Promise<ConnectionTest> {
    const report = await testConnection(await this.resolveConnection(dataSource.id));
    const cc = report.changeCapture;
    return {
      checked: true,
      reachable: report.reachable,
      authenticated: report.authenticated,
      ...(report.serverVersion ? { serverVersion: report.serverVersion } : {}),
      ...(cc ? { changeCapture: { ok: cc.ok, detail: { walLevel: cc.walLevel, replicationPrivilege: cc.replicationPrivilege, freeSlots: cc.freeSlots } } } : {}),
      message: report.error ?? (cc?.ok ? 'Connected; change capture available.' : 'Connected; change capture NOT available (needs wal_level=logical, the replication privilege and a free slot).'),
    };
  }

  async switchoverStep(spec: JobSpec, step: SwitchoverStepName): Promise<{ done: boolean; detail?: Record<string, unknown> }> {
    const dest = await this.registry(spec);
    if (step === 'PROCESS_DATABASE_OBJECTS') {
      // Every source's deferred objects (the first to have a table creates them; the others find them) and sequences (highest wins).
      const many = spec.sourceIds.length > 1;
      const details: Record<string, unknown>[] = [];
      for (const id of spec.sourceIds) {
        const pool = await this.pools.get(id);
        const wanted = spec.tables ?? (await listTables(pool));
        const infos = [];
        for (const t of wanted) {
          const i = await describeTable(pool, t);
          if (i) infos.push(i);
        }
        details.push({ ...(many ? { source: id } : {}), ...(await processDatabaseObjects(pool, dest, infos, many)) });
      }
      return { done: true, detail: many ? { sources: details } : (details[0] ?? {}) };
    }
    if (step === 'START_DESTINATION_STORE' && spec.migrationType.reverseIncrementalSync) {
      // The reverse slot exists before the application writes to the destination: nothing is missed.
      const wanted = spec.tables ?? (await unionTables(await Promise.all(spec.sourceIds.map((id) => this.pools.get(id)))));
      const cap = await ensureCapture(dest, captureName(spec.projectId, 'r'), wanted);
      return { done: true, detail: { reverseSlot: captureName(spec.projectId, 'r'), created: cap.created } };
    }
    return { done: true };
  }

  /** Ends this process's workers (jobs stay as the registry says: another process continues them) and the pools. */
  async close(): Promise<void> {
    await Promise.all([...this.workers.keys()].map((id) => this.stopWorker(id)));
    await this.pools.end();
  }

  // ---- internals ----

  private async registry(ref: Pick<JobRef, 'destinationId'>): Promise<pg.Pool> {
    const pool = await this.pools.get(ref.destinationId);
    await ensureMetaSchema(pool);
    return pool;
  }

  private async status(dest: pg.Pool, jobId: string): Promise<JobStatus | undefined> {
    const job = await getJob(dest, jobId);
    if (!job) return undefined;
    return toStatus(job, await listTableRows(dest, jobId));
  }

  private serial<T>(jobId: string, body: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(jobId) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(body);
    this.queues.set(jobId, next);
    void next.finally(() => {
      if (this.queues.get(jobId) === next) this.queues.delete(jobId);
    }).catch(() => {});
    return next;
  }

  /** Drops the change stream of a continuous job: its source's forward stream, or the project's reverse one. */
  private async dropCaptureOf(ref: JobRef): Promise<void> {
    if (ref.subtask === 'INCREMENTAL_SYNC') {
      const cap = forwardCapture(ref);
      await dropCapture(await this.pools.get(cap.sourceId), cap.name);
    } else await dropCapture(await this.pools.get(ref.destinationId), captureName(ref.projectId, 'r'));
  }

  /**
   * A continuous job's poll waits (bounded) for a sync pass that STARTS after the poll: its flush LSN
   * covers every write committed before the poll, so `caughtUp` is never stale (CONFIRM_WRITE_STOP_TIMESTAMP).
   */
  private async freshPass(jobId: string): Promise<void> {
    const w = this.workers.get(jobId);
    if (!w || w.stopping) return;
    const after = w.passes.started + 1;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, this.opts.pollIntervalMs * 3 + 10_000);
      w.passes.waiters.push({ after, resolve: () => (clearTimeout(t), resolve()) });
      w.wake();
    });
  }

  private async stopWorker(jobId: string): Promise<void> {
    const w = this.workers.get(jobId);
    if (!w) return;
    w.stopping = true;
    w.wake();
    await w.done;
  }

  private ensureWorker(job: JobRow): void {
    if (this.workers.has(job.jobId)) return;
    let wake = () => {};
    const worker: Worker = { stopping: false, wakePending: false, wake: () => ((worker.wakePending = true), wake()), done: Promise.resolve(), passes: { started: 0, recorded: 0, waiters: [] } };
    this.workers.set(job.jobId, worker);
    worker.done = this.work(job, worker, (w) => (wake = w)).finally(() => {
      if (this.workers.get(job.jobId) === worker) this.workers.delete(job.jobId);
      for (const w of worker.passes.waiters.splice(0)) w.resolve();
    });
  }

  private async work(job: JobRow, worker: Worker, onWake: (w: () => void) => void): Promise<void> {
    let lease: pg.Client | undefined;
    let dest: pg.Pool | undefined;
    let attempt = 1;
    try {
      for (; ; attempt++) {
        try {
          lease ??= await this.lease(job);
          if (!lease) return; // another process runs this job
          dest = await this.registry(job.spec);
          await this.runOnce(job, worker, onWake, dest);
          return;
        } catch (e) {
          if (e instanceof JobFailure || attempt >= ATTEMPTS || worker.stopping) throw e;
          await new Promise((r) => setTimeout(r, 500 * attempt)); // every unit is idempotent: run again from the checkpoints
        }
      }
    } catch (e) {
      const err = e instanceof JobFailure ? { code: e.code, message: e.message } : { code: 'ENGINE_ERROR', message: String((e as Error)?.message ?? e).slice(0, 1000) };
      dest ??= await this.registry(job.spec).catch(() => undefined);
      if (dest) await patchJob(dest, job.jobId, { state: 'FAILED', error: err }, ['RUNNING']).catch(() => {});
    } finally {
      if (lease) await lease.end().catch(() => {}); // ending the session releases the advisory lock
    }
  }

  /** A session advisory lock on the destination: one worker per job across processes. */
  private async lease(job: JobRow): Promise<pg.Client | undefined> {
    const lease = await this.pools.client(job.spec.destinationId, `migration-worker:${job.jobId}`.slice(0, 63));
    const got = await lease.query<{ ok: string }>("SELECT pg_try_advisory_lock(hashtext('migration-job'), hashtext($1))::text AS ok", [job.jobId]);
    if (got.rows[0]?.ok === 'true') return lease;
    await lease.end().catch(() => {});
    return undefined;
  }

  private async runOnce(job: JobRow, worker: Worker, onWake: (w: () => void) => void, dest: pg.Pool): Promise<void> {
    const fresh = await getJob(dest, job.jobId);
    if (!fresh || fresh.state !== 'RUNNING' || worker.stopping) return;
    const sources = [];
    for (const id of fresh.spec.sourceIds) sources.push({ id, pool: await this.pools.get(id) });
    const ctx: WorkContext = {
      job: fresh,
      source: (sources[0] as { pool: pg.Pool }).pool,
      sources,
      dest,
      chunkRows: this.opts.chunkRows,
      pollIntervalMs: this.opts.pollIntervalMs,
      chunkDelayMs: this.opts.chunkDelayMs,
      maxMismatchedKeys: this.opts.maxMismatchedKeys,
      now: this.opts.now,
      stopping: () => worker.stopping,
      sleep: (ms) =>
        new Promise<void>((resolve) => {
          if (worker.stopping || worker.wakePending) {
            worker.wakePending = false;
            return resolve();
          }
          const t = setTimeout(resolve, ms);
          onWake(() => {
            worker.wakePending = false;
            clearTimeout(t);
            resolve();
          });
        }),
      passStarted: () => ++worker.passes.started,
      passRecorded: (n) => {
        worker.passes.recorded = n;
        const ready = worker.passes.waiters.filter((w) => w.after <= n);
        worker.passes.waiters = worker.passes.waiters.filter((w) => w.after > n);
        for (const w of ready) w.resolve();
      },
    };
    let finished = false;
    switch (fresh.subtask) {
      case 'STRUCTURE_MIGRATION':
        await runStructure(ctx);
        finished = true;
        break;
      case 'FULL_MIGRATION':
        finished = await runFullLoad(ctx);
        break;
      case 'FULL_VERIFICATION':
        finished = await runVerification(ctx);
        break;
      case 'INCREMENTAL_SYNC':
        await runSync(ctx, 'f');
        break;
      case 'REVERSE_INCREMENTAL_SYNC':
        await runSync(ctx, 'r');
        break;
      default: // FORWARD_SWITCHOVER has no data work here: its steps are switchoverStep()
        finished = true;
    }
    if (finished) await patchJob(dest, job.jobId, { state: 'SUCCEEDED' }, ['RUNNING']);
  }
}

/** Whether a pause or stop comes from a run older than the one that last started or resumed the job. */
const fenced = (ref: JobRef, job: JobRow) => ref.run !== undefined && ref.run < job.run;
/** A resume from the run that paused or stopped the job, or an older one. */
const heldAgainst = (ref: JobRef, job: JobRow) => ref.run !== undefined && job.heldBy !== null && ref.run <= job.heldBy;
/** What a pause or stop of `ref`'s run records: that run holds the job (and owns it, when newer). */
const hold = (ref: JobRef, job: JobRow): { heldBy?: number; run?: number } =>
  ref.run === undefined || (job.heldBy !== null && ref.run <= job.heldBy) ? {} : { heldBy: ref.run, ...(ref.run > job.run ? { run: ref.run } : {}) };

/** `schema.table` as recorded in `_migration.table_sources` (the schema is the part before the first dot). */
const splitQualified = (name: string) => ({ schema: name.slice(0, name.indexOf('.')), table: name.slice(name.indexOf('.') + 1) });

const stripRef = (spec: JobSpec): JobSpec => ({ ...spec, tables: spec.tables ? spec.tables.map((t) => ({ schema: t.schema, table: t.table })) : null });
