import type { PauseTimerRef } from './domain/pause-timers';
import type { AttributePath, PathValue } from './domain/paths';
import type { AuditEvent, EngineKind, PrecheckItem, ProjectRecord, ProjectStatus } from './domain/project';
export { ENGINE_KINDS, type EngineKind } from './domain/project';
import type { JobRef, JobSpec, ProjectSpec } from './domain/orchestration';
export type { JobRef, JobSpec, ProjectSpec } from './domain/orchestration';
import type { SubtaskProgress, SubtaskType, SwitchoverStepName } from './domain/subtasks';
import type { GuardName } from './domain/transitions';
import type { DataSourceRecord } from './domain/data-source';
import type { Alert } from './domain/alerts';
import type { AlertEvent } from './events/alert-events';
import type { BatchItemOutcome, BatchJobRecord, BatchMessage, BatchPage } from './domain/batch-jobs';
import type { BatchItemResult } from './domain/batch';
import type { DomainEvent } from './events/domain-events';
import type { ProgressWrite, ProjectProgress } from './domain/progress';
export type { ProgressWrite, ProjectProgress } from './domain/progress';

/**
 * Ports: what the use cases need from the outside world. Adapters (DynamoDB, Step Functions,
 * EventBridge Scheduler, migration engines) implement them; each has an in-memory fake.
 */

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/**
 * One conditional write that moves a project. The store turns it into a single DynamoDB transaction:
 * the project update (or delete) guarded by `status IN from`, `version = expectedVersion`, the named
 * guards and the `equals` pieces, plus the audit event and any bookkeeping items (name reservation,
 * data source references). The store sets version = expectedVersion + 1 and updatedAt.
 */
export interface TransitionWrite {
  projectId: string;
  from: readonly ProjectStatus[];
  /** New status (may equal the current one), or null to delete the project item. */
  to: ProjectStatus | null;
  expectedVersion: number;
  guards: readonly GuardName[];
  /** Attribute equality the write also requires (the typed name on delete, the run of an execution, the waiting step). */
  equals?: Partial<Pick<ProjectRecord, 'name' | 'pausedAt' | 'run' | 'waitingStep'>>;
  set: Partial<ProjectRecord>;
  remove: readonly (keyof ProjectRecord)[];
  /** Changes inside the item (one subtask or step), never overlapping `set`. */
  setPaths?: readonly PathValue[];
  removePaths?: readonly AttributePath[];
  /** Values inside the item the write also requires (e.g. the status of the subtask it changes). */
  expect?: readonly PathValue[];
  nowMs: number;
  /** The audit event, written in the same transaction (its version is expectedVersion + 1). */
  event: AuditEvent;
  /** Free the name reservation of this project (release, delete before start). */
  freeName?: string;
  /** Give back the references this project holds on its data sources. */
  releaseDataSources?: readonly string[];
}

/** The write's condition did not hold. `current` is the item as it was (ALL_OLD), absent if there is none. */
export class TransitionConflict extends Error {
  constructor(readonly current: ProjectRecord | undefined) {
    super('transition condition failed');
    this.name = 'TransitionConflict';
  }
}

/**
 * A write by a run's execution (subtask progress, results, the task token): not a transition, so no
 * version bump and no audit event, but fenced: it holds only while the project is at run `run` and in
 * one of `statuses` (default RUNNING), so a paused, stopped or superseded execution changes nothing.
 */
export interface RunWrite {
  projectId: string;
  run: number;
  /**
   * The leg of the execution writing (shared/domain/orchestration.ts currentLeg): the write holds only
   * while that execution owns the run (a continued run refuses its earlier executions). Absent: not fenced on it.
   */
  leg?: number;
  statuses?: readonly ProjectStatus[];
  set: readonly PathValue[];
  remove?: readonly AttributePath[];
  /** Values the item must also hold (e.g. the subtask is still RUNNING). */
  expect?: readonly PathValue[];
}

/** A run write's condition failed. `current` is the item as it was (ALL_OLD), absent if there is none. */
export class RunWriteRefused extends Error {
  constructor(readonly current: ProjectRecord | undefined) {
    super('run write refused');
    this.name = 'RunWriteRefused';
  }
}

/** A progress write of an older run, or an older leg of the run, than the progress item holds. */
export class ProgressWriteRefused extends Error {
  constructor(readonly current: { run: number; leg: number } | undefined) {
    super('progress write refused');
    this.name = 'ProgressWriteRefused';
  }
}

export class CreateConflict extends Error {
  constructor(readonly reason: 'NAME_TAKEN' | 'UNKNOWN_DATA_SOURCE' | 'ID_TAKEN', readonly dataSourceId?: string) {
    super(reason);
    this.name = 'CreateConflict';
  }
}

export interface ListProjectsQuery {
  status?: ProjectStatus;
  label?: string;
  limit: number;
  nextToken?: string;
}

/**
 * Where a background worker stands in its pass (one item per worker in the table): the pass it is in,
 * the cursor it resumes from, how many projects it visited. `version` fences two invocations of the same
 * worker: a save with a stale version is refused.
 */
export interface SweepCheckpoint {
  worker: string;
  /** When the pass began (ISO); a new pass begins when the last one finished. */
  passStartedAt: string;
  cursor?: string;
  /** The pass finished: the next invocation begins a new one. */
  done: boolean;
  visited: number;
  /** Invocations this pass took so far. */
  invocations: number;
  updatedAt: string;
  version: number;
}

/** One page of one shard's listing (shared/domain/shards.ts). */
export interface ShardPageQuery {
  limit: number;
  nextToken?: string;
}

export interface ProjectStore {
  /** Creates the project, reserves its name and takes a reference on both data sources, atomically. */
  create(project: ProjectRecord, event: AuditEvent): Promise<void>;
  get(id: string): Promise<ProjectRecord | undefined>;
  /**
   * The project item and its progress item, in one consistent read (they share the project's partition):
   * what readProject (shared/usecases/project-read.ts) merges into the whole record. Both absent when
   * there is no project; a project that never ran has no progress item.
   */
  getWithProgress(id: string): Promise<{ project?: ProjectRecord; progress?: ProjectProgress }>;
  /**
   * Consistent reads of many projects at once (BatchGetItem, 100 keys a request, unprocessed keys
   * retried). Ids with no project are absent from the map; duplicates are read once.
   */
  getMany(ids: readonly string[]): Promise<Map<string, ProjectRecord>>;
  /**
   * Newest first; the page merges the index shards (about 1.5 x limit + SHARD_COUNT items read, a
   * filtered page stops at a read budget). Records are as the indexes project them (shared/table.ts
   * LIST_VIEW_ATTRIBUTES: no precheck, no subtask progress or checkpoints): read getMany for whole ones.
   */
  list(query: ListProjectsQuery): Promise<Page<ProjectRecord>>;
  /**
   * The projects of one status in ONE shard (shardOf(id) === shard), newest first, paged: for work
   * fanned out per shard (the reconciler). Records as list() gives them; tokens are bound to (status, shard).
   */
  listByStatusShard(status: ProjectStatus, shard: number, query: ShardPageQuery): Promise<Page<ProjectRecord>>;
  /**
   * The projects that stand in a source's own pause (hasOpenSourcePause, shared/domain/sources.ts),
   * whatever their status, paged, from a sparse index (never a scan): for the reconciler's pause sweep.
   * Records as list() gives them (the index may lag a moment behind a transition).
   */
  listWithOpenSourcePause(query: ShardPageQuery): Promise<Page<ProjectRecord>>;
  /** A background worker's checkpoint, or undefined before its first pass. */
  getCheckpoint(worker: string): Promise<SweepCheckpoint | undefined>;
  /**
   * Saves the checkpoint if the stored one still has version `checkpoint.version - 1` (absent for version 1);
   * false when another invocation saved first (this one must stop).
   */
  saveCheckpoint(checkpoint: SweepCheckpoint): Promise<boolean>;
  /** Applies a transition; throws TransitionConflict with the current item when the condition fails. */
  transition(write: TransitionWrite): Promise<void>;
  /**
   * Optional: a view of this store whose transition writes made at the same time are committed together
   * (fewer requests for a batch), each with its own condition and outcome, as if it were alone.
   */
  combineTransitions?(): ProjectStore;
  /** Applies a fenced run write and returns the item after it; throws RunWriteRefused when the condition fails. */
  updateRun(write: RunWrite): Promise<ProjectRecord>;
  /** The project's progress item (shared/domain/progress.ts: run measurements, no index key), undefined before any. */
  getProgress(projectId: string): Promise<ProjectProgress | undefined>;
  /** Progress items of many projects (consistent reads, 100 keys a request); ids with none are absent. */
  getProgressMany(projectIds: readonly string[]): Promise<Map<string, ProjectProgress>>;
  /**
   * Writes the measurements the write names (others stay), its run and leg, and its polledAt (as `polled`,
   * with that run and leg; absent: the one held stays), on condition the
   * item holds no newer run or leg (progressWriteHolds); throws ProgressWriteRefused otherwise. Never touches
   * the project item. Deleting the project (a transition to null) deletes its progress item.
   */
  writeProgress(write: ProgressWrite): Promise<void>;
  /** The whole audit trail, oldest first. */
  listEvents(projectId: string): Promise<AuditEvent[]>;
  /** One page of the audit trail, oldest first (bounded reads, tokens bound to the project's trail). */
  listEventsPage(projectId: string, limit: number, nextToken?: string): Promise<Page<AuditEvent>>;
  /**
   * How many projects stand in a status in each shard, counted from the status index page by page
   * (reads every index entry of the status: the repair path, not the gauge's).
   */
  recountStatus(status: ProjectStatus): Promise<number[]>;
  /**
   * Counts one committed status change (an audit event: project, version, from, to) into the per-status
   * counters, once: a change already counted (a redelivered or replayed stream record) changes nothing
   * and answers false.
   */
  countStatusChange(change: StatusChange): Promise<boolean>;
  /** The counters per status (summed over shards), or undefined while they were never set by a recount. */
  readStatusCounts(): Promise<Record<ProjectStatus, number> | undefined>;
  /** Sets the counters (per status, one number per shard) and marks them ready. */
  writeStatusCounts(perShard: Record<ProjectStatus, readonly number[]>): Promise<void>;
}

export interface StatusChange {
  projectId: string;
  /** The version the change created (its audit event's). */
  version: number;
  from: ProjectStatus | null;
  to: ProjectStatus | null;
}

export class DataSourceInUse extends Error {
  constructor(readonly refCount: number) {
    super('data source in use');
    this.name = 'DataSourceInUse';
  }
}

export interface DataSourceStore {
  create(ds: DataSourceRecord): Promise<void>;
  get(id: string): Promise<DataSourceRecord | undefined>;
  list(limit: number, nextToken?: string): Promise<Page<DataSourceRecord>>;
  /** Deletes only when no live project refers to it: throws DataSourceInUse, or returns false when absent. */
  delete(id: string): Promise<boolean>;
}

/**
 * Runs a project's subtasks: one execution per run, named `<projectId>-<run>` (Step Functions when
 * deployed, aws-local-stepfunctions under `npm start`).
 */
export interface Orchestrator {
  /**
   * Starts the execution of the project's current run — of its current leg (currentExecutionName), with
   * the position a continued run carries (project.execution) —; starting the same one twice is harmless.
   */
  startRun(project: ProjectRecord): Promise<void>;
  /** Stops the current execution of the project's run (its current leg), if it still runs. */
  stopRun(project: ProjectRecord, reason: string): Promise<void>;
  /** Whether the execution of the project's current run is running. */
  isRunActive(project: ProjectRecord): Promise<boolean>;
  /** Completes a waiting task (SendTaskSuccess); a token that no longer waits is ignored. */
  completeTask(taskToken: string, output?: Record<string, unknown>): Promise<void>;
  /** The id the service gives the named execution (its ARN when deployed). Absent: the name is the id. */
  executionId?(executionName: string): string;
}

/** The execution could not be started (the adapter already retried what it could). */
export class OrchestratorUnavailable extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'OrchestratorUnavailable';
  }
}

/** State of a migration engine job. */
export type JobState = 'RUNNING' | 'PAUSED' | 'SUCCEEDED' | 'FAILED' | 'STOPPED';

/** Progress of one table of a job (real engines; the simulated engine reports none). */
export interface TableProgress {
  schema: string;
  table: string;
  /** Rows copied, compared or applied so far. */
  rows: number;
  /** Rows the source's statistics estimate (copy, verification). */
  rowsEstimated?: number;
  /** Rows per second over the last measurement. */
  rowsPerSecond?: number;
  done?: boolean;
  /** Verification: rows that differ between source and destination, and the first keys of them. */
  mismatches?: number;
  mismatchedKeys?: string[];
}

export interface JobStatus {
  jobId: string;
  state: JobState;
  progress: SubtaskProgress;
  /** Where a resumed job continues from. */
  checkpoint?: string;
  /** Continuous jobs: true once the job has caught up with the source (no lag). */
  caughtUp?: boolean;
  /** Continuous jobs: how far the apply is behind the source. */
  lag?: { seconds: number; bytes: number };
  /** Per-table detail (kept out of the project item's hot attributes). */
  tables?: TableProgress[];
  error?: { code: string; message: string };
}

/**
 * The data plane: the engine that moves the data of one subtask as a job. Small on purpose: what the
 * orchestration needs and a real engine (DMS, DM, OMS) offers. Job ids are chosen by the caller
 * (one per project and subtask), so every call is idempotent.
 */
export interface MigrationEngine {
  /**
   * Creates and starts the job; a job that exists already is left as it is, except that `spec.run`
   * becomes its newest run (a run that finds its job running claims it so: a late pause or stop of an
   * older run is then refused, see JobRef.run).
   */
  startJob(spec: JobSpec): Promise<JobStatus>;
  /** Current state, progress and checkpoint; undefined for an unknown job. */
  pollJob(job: JobRef): Promise<JobStatus | undefined>;
  /**
   * What pollJob would answer, without the engine acting on the job: nothing started, stopped, created
   * or tagged (AWS DMS: a task waiting for its deferred start is not started here). For a function that
   * may only look (engine-notices, capability `jobs:poll`).
   */
  observeJob(job: JobRef): Promise<JobStatus | undefined>;
  /** Pauses a running job, keeping its checkpoint; a job that does not run is left as it is. */
  pauseJob(job: JobRef): Promise<JobStatus | undefined>;
  /** Runs a paused or failed job again from its checkpoint (or the one given). */
  resumeJob(job: JobRef, fromCheckpoint?: string): Promise<JobStatus>;
  /** Stops a job for good (a continuous sync at switchover, every job at release). */
  stopJob(job: JobRef): Promise<JobStatus | undefined>;
  /**
   * Engine work of a switchover step (e.g. PROCESS_DATABASE_OBJECTS: deferred indexes, foreign keys and
   * sequences); idempotent. Absent, or `done: true` at once, where the engine has nothing to do for it.
   */
  switchoverStep?(spec: JobSpec, step: SwitchoverStepName): Promise<{ done: boolean; detail?: Record<string, unknown> }>;
  /**
   * Frees what the engine keeps for a RELEASED project on its data sources (bookkeeping it made there,
   * e.g. the key-ownership tables of merged tables). Called at release only, once every job is stopped
   * (never at a pause or a failure, which may still resume); idempotent: a retried or resumed release
   * calls it again. Absent: the engine keeps nothing per project.
   */
  releaseProject?(project: ProjectSpec): Promise<void>;
  /** The checks a project must pass before it starts (connections, tables, keys, change capture). Absent: nothing to check. */
  precheck?(spec: JobSpec): Promise<PrecheckItem[]>;
  /** Connects to a data source the way its jobs would, and says what it found. Absent: the engine connects to nothing. */
  testConnection?(dataSource: Pick<DataSourceRecord, 'id' | 'engine'>): Promise<ConnectionTest>;
  /** The engine kinds it serves (a router: every kind it routes to). Absent: the simulated engine alone. */
  readonly kinds?: readonly EngineKind[];
  /**
   * Reads a notification the engine's own service published about one of its jobs (deployed: an
   * EventBridge event on the control plane's bus, e.g. a DMS task state change). Undefined: not one of
   * this engine's. A failure names the project its job belongs to when the engine can tell. Absent: the
   * engine publishes nothing (its jobs are only ever polled).
   */
  readNotice?(event: unknown): Promise<EngineNotice | undefined>;
}

/** What an engine's notification says: which of its resources changed, whether it failed, and (for a failure) whose it is. */
export interface EngineNotice {
  engine: EngineKind;
  /** The engine's resource the notice is about (e.g. a DMS task ARN). */
  resource: string;
  /** A failure: the project should learn it now, not at the run's next poll. */
  failed: boolean;
  /** The project of the job (failures only; undefined when the resource is not tagged as one of ours). */
  projectId?: string;
  /** The engine's own words, for the log. */
  detail?: string;
}

/** What a connection test found (POST /data-sources/{id}/test-connection). */
export interface ConnectionTest {
  /** False when no engine of this deployment connects to this kind of data source (nothing was tried). */
  checked: boolean;
  reachable?: boolean;
  authenticated?: boolean;
  serverVersion?: string;
  /** For a source: whether it can serve change capture (PostgreSQL: wal_level=logical, replication privilege, a free slot). */
  changeCapture?: { ok: boolean; detail: Record<string, unknown> };
  message: string;
}

/** Schedules the expiry of a pause (EventBridge Scheduler when deployed). */
export interface ExpiryScheduler {
  schedulePauseExpiry(project: ProjectRecord): Promise<void>;
  /** Deletes the timers of that pause (they are named after the project and its pausedAt). */
  cancelPauseExpiry(project: Pick<ProjectRecord, 'id' | 'pausedAt'> & Partial<Pick<ProjectRecord, 'sources'>>): Promise<void>;
  /** Every pause timer that exists now (the reconciler's sweep compares them with the PAUSED projects). */
  listPauseTimers(): Promise<PauseTimerRef[]>;
}

/** What goes on the bus: transition events and "Project Alert Raised". */
export type BusEvent = DomainEvent | AlertEvent;

/** The domain event bus (EventBridge when deployed). `publish` succeeds only when every event was accepted. */
export interface EventBus {
  publish(events: readonly BusEvent[]): Promise<void>;
}

/**
 * What recording an alert found: `recorded` (first time: notify it), `pending` (recorded by an earlier
 * delivery whose notification failed: notify it now), `notified` (nothing to do).
 */
export type AlertRecordOutcome = 'recorded' | 'pending' | 'notified';

/** Alerts, stored under their project (DynamoDB when deployed). */
export interface AlertStore {
  /** Stores the alert unless one with its id exists (one conditional write). */
  record(alert: Alert): Promise<AlertRecordOutcome>;
  /** Marks a stored alert as notified. */
  markNotified(alert: Alert, notifiedAt: string): Promise<void>;
  /** The project's alerts, newest first. */
  list(projectId: string, limit: number, nextToken?: string): Promise<Page<Alert>>;
}

/** Sends an alert out (the bus and the SNS topic when deployed). Succeeds only when every channel accepted it. */
export interface AlertNotifier {
  notify(alert: Alert): Promise<void>;
}

/**
 * A project's result in a batch, as stored (one item per project and batch, written once): the item's
 * result as the operation answered it (a multi-source project's per-source `outcome` included), what
 * became of it in the batch (`disposition`), and when it was recorded (its presence marks a result).
 */
export type StoredBatchItem = BatchItemResult & { disposition: BatchItemOutcome; recordedAt: string };

/** What a claim found: the projects now this owner's, those already done, those another message holds. */
export interface BatchClaim {
  claimed: string[];
  /** Claimed by this owner before (an earlier delivery of the same message): it may have applied the operation. */
  reclaimed: string[];
  done: Map<string, StoredBatchItem>;
  taken: string[];
}

/**
 * Batches as resources (DynamoDB when deployed): the record with its counters and expansion cursor, and
 * one result item per project. Results are recorded exactly once: a result that exists already is never
 * written nor counted again, and the counters move in the same transaction as the results.
 */
export interface BatchStore {
  /** Creates the record (and its place in the newest-first listing). */
  create(batch: BatchJobRecord): Promise<void>;
  get(batchId: string): Promise<BatchJobRecord | undefined>;
  /** Batches, newest first. */
  list(limit: number, nextToken?: string): Promise<Page<BatchJobRecord>>;
  /**
   * One expansion step: moves the cursor from `from` (undefined: the start) to `to` (undefined: done),
   * adds `added` to `requested`. Conditional on the cursor still being `from`: returns false when another
   * delivery of the same step got there first (nothing changed then).
   */
  advanceExpansion(batchId: string, step: { from?: string; to?: string; added: number; nowIso: string }): Promise<boolean>;
  /**
   * Claims projects of the batch for one message (`owner`: the queue message's id, the same on every
   * redelivery of it), each with a conditional write: a project is claimed when it has no item yet, or
   * when this owner claimed it and recorded no result. `done` are the results already recorded; `taken`
   * the projects another message holds (that message finishes them, or its redelivery does). A claim with
   * no result made before `claimsDeadBefore` (default: CLAIM_LEASE_MS before `nowIso`) is taken over
   * (conditional on its owner) and reported `reclaimed`: its message may have applied the operation.
   */
  claim(batchId: string, projectIds: readonly string[], owner: string, nowIso: string, options?: { claimsDeadBefore?: string }): Promise<BatchClaim>;
  /**
   * Records an expansion page (written once: a page already recorded at `at` wins, and its ids are returned),
   * so a re-drive knows every project enqueued even when the messages carrying them were lost.
   */
  recordPage(batchId: string, page: BatchPage): Promise<string[]>;
  /** The first recorded page after `after` (by `at`; undefined: the first), or undefined when there is none. */
  nextPage(batchId: string, after?: number): Promise<BatchPage | undefined>;
  /** The ids among these with no recorded result (absent, or claimed without one). */
  unrecorded(batchId: string, projectIds: readonly string[]): Promise<string[]>;
  /**
   * Records the results of projects this owner claimed, each only if it has none yet, and moves the
   * counters by exactly those, atomically (one transaction). Returns the projects recorded by this call.
   */
  recordResults(batchId: string, results: readonly StoredBatchItem[], owner: string, nowIso: string): Promise<string[]>;
  /**
   * Records a re-drive (`redrives`, `redrivenAt`; updatedAt, the last progress, stays), on condition the
   * stored `redrives` is still `seen` (absent: none yet) and the batch is not COMPLETED: of two sweeps that
   * saw the same record, one re-drives it. False when the condition failed (nothing written).
   */
  noteRedrive(batchId: string, redrive: { seen?: number; redrives: number; atIso: string }): Promise<boolean>;
  /** Marks the batch COMPLETED when it is expanded and every result is in (conditional; no-op otherwise). */
  completeIfDone(batchId: string, nowIso: string): Promise<boolean>;
  /** The recorded results, by project id, paged. */
  listResults(batchId: string, limit: number, nextToken?: string): Promise<Page<StoredBatchItem>>;
}

/**
 * Where batch work waits for a worker (SQS with a Lambda consumer when deployed; run in-process by the
 * local runtime). Delivery is at least once: every consumer is idempotent (see BatchStore).
 */
export interface BatchQueue {
  send(messages: readonly BatchMessage[]): Promise<void>;
}
