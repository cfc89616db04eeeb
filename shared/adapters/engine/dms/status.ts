import type { ReplicationTask, TableStatistics } from '@aws-sdk/client-database-migration-service';
import type { SubtaskProgress, SubtaskType } from '../../../domain/subtasks';
import type { JobState, JobStatus, TableProgress } from '../../../ports';

/**
 * A job's status read from its DMS task: the task's status and stop reason, the adapter's own tags
 * (DMS has no pause: the tags say whether a stop was ours, and why), its statistics and the CDC lag.
 * Pure: the adapter reads, this decides.
 */

/** Tags the adapter keeps on its tasks and endpoints. */
export const TAG = {
  project: 'migctl-project',
  /** The run that last started or resumed the task: a pause or stop from an older run is ignored. */
  run: 'migctl-run',
  /** The newest run that paused the task: a start or resume from it (or an older run) is a stale execution's. */
  held: 'migctl-held',
  /** Why the task was stopped by us: `pause` (resumable), `final` (stopped for good), `none`. */
  stop: 'migctl-stop',
  /** `yes`: a start was asked while the task was still being created; the next call starts it. */
  autostart: 'migctl-autostart',
  /** Forward task: whether the project has a reverse sync (which starts at this task's write stop). */
  reverse: 'migctl-reverse',
  /** Forward task: where its cdc was stopped for good at switchover (the write-stop position the reverse starts from). */
  writeStop: 'migctl-write-stop',
  /** Reverse task: the CdcStartPosition of its first run (the forward task's write stop, copied at creation). */
  startPosition: 'migctl-start-position',
  /**
   * Forward task and destination endpoint: the logical replication slot made on a PostgreSQL destination
   * at STOP_FORWARD_SYNC (the reverse task reads it; a release drops it).
   */
  reverseSlot: 'migctl-reverse-slot',
  /** Endpoint: the data source it was made from. */
  dataSource: 'migctl-data-source',
} as const;

export type Tags = Record<string, string>;

/**
 * What the task itself says, before the subtask's view of it. STARTING: a start was asked while the
 * task could not start (creating, stopping); the next call that finds it idle starts it.
 */
export type TaskPhase = 'RUNNING' | 'STARTING' | 'READY' | 'PAUSED' | 'FINAL' | 'FINISHED' | 'STOPPED' | 'FAILED';

const ACTIVE = new Set(['creating', 'starting', 'running', 'modifying', 'moving', 'testing']);

export const isActive = (t: ReplicationTask) => ACTIVE.has(t.Status ?? '');
/** Running (or about to): a stop request applies. */
export const isStoppable = (t: ReplicationTask) => t.Status === 'running' || t.Status === 'starting';
/** Not running and not changing: it can be started or deleted. */
export const isIdle = (t: ReplicationTask) => t.Status === 'stopped' || t.Status === 'failed' || t.Status === 'ready';
/** Whether the task ever ran (StartReplicationTask only with `start-replication` before that). */
export const hasRun = (t: ReplicationTask) =>
  t.ReplicationTaskStats?.StartDate !== undefined || t.ReplicationTaskStats?.FreshStartDate !== undefined || ['running', 'stopping', 'stopped'].includes(t.Status ?? '');

export function phaseOf(t: ReplicationTask, tags: Tags): TaskPhase {
  const stop = tags[TAG.stop];
  const reason = t.StopReason ?? '';
  switch (t.Status) {
    case 'failed':
    case 'failed-move':
      return 'FAILED';
    case 'deleting':
      return 'FINAL';
    case 'creating':
      return tags[TAG.autostart] === 'yes' ? 'STARTING' : 'RUNNING';
    case 'ready':
      if (tags[TAG.autostart] === 'yes') return 'STARTING';
      return stop === 'pause' ? 'PAUSED' : 'READY';
    case 'stopping':
      if (stop === 'pause') return 'PAUSED';
      if (stop === 'final') return 'FINAL';
      return tags[TAG.autostart] === 'yes' ? 'STARTING' : 'RUNNING';
    case 'stopped':
      if (reason.includes('FULL_LOAD_ONLY_FINISHED')) return 'FINISHED';
      if (tags[TAG.autostart] === 'yes') return 'STARTING';
      if (stop === 'pause') return 'PAUSED';
      if (stop === 'final') return 'FINAL';
      if (reason.includes('FATAL_ERROR')) return 'FAILED';
      return 'STOPPED'; // stopped by someone else, a recoverable error, low memory or disk: resumable
    default:
      return 'RUNNING';
  }
}

/** The full load is over (every table loaded or errored). */
export function fullLoadDone(t: ReplicationTask): boolean {
  const s = t.ReplicationTaskStats;
  if (!s) return false;
  if (s.FullLoadFinishDate !== undefined) return true;
  return s.FullLoadProgressPercent === 100 && (s.TablesLoading ?? 0) === 0 && (s.TablesQueued ?? 0) === 0;
}

export interface Lag {
  sourceSeconds: number;
  targetSeconds: number;
}

export interface StatusInput {
  jobId: string;
  subtask: SubtaskType;
  task: ReplicationTask;
  tags: Tags;
  tables: readonly TableStatistics[];
  lag?: Lag;
  caughtUpLagSeconds: number;
}

const sum = (tables: readonly TableStatistics[], f: (t: TableStatistics) => number | undefined) => tables.reduce((n, t) => n + (f(t) ?? 0), 0);
const failure = (t: ReplicationTask, code: string) => ({ code, message: t.LastFailureMessage ?? t.StopReason ?? `DMS task ${t.ReplicationTaskIdentifier} ${t.Status}` });

/** Validation states after which a table is not validated further (until it changes again). */
const VALIDATION_SETTLED = new Set(['Validated', 'Mismatched records', 'Suspended records', 'No primary key', 'Table error', 'Error']);
const VALIDATION_BROKEN = new Set(['Table error', 'Error']);

export function jobStatusOf(input: StatusInput): JobStatus {
  const { task: t, tags, tables } = input;
  const phase = phaseOf(t, tags);
  const base = { jobId: input.jobId, ...(t.RecoveryCheckpoint ? { checkpoint: t.RecoveryCheckpoint } : {}) };
  switch (input.subtask) {
    case 'STRUCTURE_MIGRATION': {
      // The task that creates the tables exists (it creates each one as its load starts: DROP_AND_CREATE).
      if (phase === 'FAILED' && !hasRun(t)) return { ...base, state: 'FAILED', progress: { percent: 0 }, error: failure(t, 'DMS_TASK_FAILED') };
      const created = t.Status !== 'creating';
      return { ...base, state: created ? 'SUCCEEDED' : 'RUNNING', progress: { percent: created ? 100 : 0 } };
    }
    case 'FULL_MIGRATION':
      return fullLoadStatus(input, phase, base);
    case 'FULL_VERIFICATION':
      return verificationStatus(input, phase, base);
    default:
      return cdcStatus(input, phase, base);
  }
}

function stateFor(phase: TaskPhase, whenFinal: JobState): JobState {
  switch (phase) {
    case 'RUNNING':
      return 'RUNNING';
    case 'READY':
      return 'STOPPED'; // created, never started: the orchestration resumes it (start-replication)
    case 'STARTING':
      // Asked to run but not running yet (being created, or still stopping): not RUNNING, so the
      // orchestration keeps polling and resuming (a continuous job would otherwise go to the
      // background before its task ever started); the call that finds the task idle starts it.
      return 'STOPPED';
    case 'PAUSED':
      return 'PAUSED';
    case 'FAILED':
      return 'FAILED';
    case 'FINISHED':
      return 'SUCCEEDED';
    case 'FINAL':
      return whenFinal;
    default:
      return 'STOPPED';
  }
}

function fullLoadStatus(input: StatusInput, phase: TaskPhase, base: { jobId: string; checkpoint?: string }): JobStatus {
  const { task: t, tables } = input;
  const s = t.ReplicationTaskStats ?? {};
  const progress: SubtaskProgress = {
    percent: s.FullLoadProgressPercent ?? 0,
    rows: sum(tables, (x) => x.FullLoadRows),
    tablesLoaded: s.TablesLoaded ?? 0,
    tablesLoading: s.TablesLoading ?? 0,
    tablesQueued: s.TablesQueued ?? 0,
    tablesErrored: s.TablesErrored ?? 0,
  };
  const perTable: TableProgress[] = tables.map((x) => ({ schema: x.SchemaName ?? '', table: x.TableName ?? '', rows: x.FullLoadRows ?? 0, done: x.TableState === 'Table completed' }));
  const withTables = { ...base, progress, ...(perTable.length ? { tables: perTable } : {}) };
  const done = phase === 'FINISHED' || (phase !== 'FAILED' && fullLoadDone(t));
  if (done && (s.TablesErrored ?? 0) > 0) {
    return { ...withTables, state: 'FAILED', error: { code: 'DMS_TABLES_ERRORED', message: `${s.TablesErrored} table(s) failed to load` } };
  }
  if (done) return { ...withTables, progress: { ...progress, percent: 100 }, state: 'SUCCEEDED' };
  const state = stateFor(phase, 'STOPPED');
  return { ...withTables, state, ...(state === 'FAILED' ? { error: failure(t, 'DMS_TASK_FAILED') } : {}) };
}

function cdcStatus(input: StatusInput, phase: TaskPhase, base: { jobId: string; checkpoint?: string }): JobStatus {
  const { task: t, tables, lag } = input;
  const inCdc = t.MigrationType === 'cdc' || fullLoadDone(t);
  const lagSeconds = lag ? Math.max(lag.sourceSeconds, lag.targetSeconds) : undefined;
  const caughtUp = phase === 'RUNNING' && t.Status === 'running' && inCdc && lagSeconds !== undefined && lagSeconds <= input.caughtUpLagSeconds;
  const events = sum(tables, (x) => (x.AppliedInserts ?? x.Inserts ?? 0) + (x.AppliedUpdates ?? x.Updates ?? 0) + (x.AppliedDeletes ?? x.Deletes ?? 0));
  const progress: SubtaskProgress = {
    percent: caughtUp ? 100 : 0,
    events,
    ...(lagSeconds !== undefined ? { lagSeconds, sourceLatencySeconds: lag!.sourceSeconds, targetLatencySeconds: lag!.targetSeconds } : {}),
  };
  const perTable: TableProgress[] = tables.map((x) => ({
    schema: x.SchemaName ?? '',
    table: x.TableName ?? '',
    rows: (x.AppliedInserts ?? x.Inserts ?? 0) + (x.AppliedUpdates ?? x.Updates ?? 0) + (x.AppliedDeletes ?? x.Deletes ?? 0),
  }));
  // A continuous sync stopped for good (switchover, release) has done its work.
  const state = stateFor(phase, 'SUCCEEDED');
  return {
    ...base,
    state,
    progress,
    caughtUp,
    // DMS measures lag in time only (CDCLatencySource/Target): no byte figure exists, so none is claimed.
    ...(lagSeconds !== undefined ? { lag: { seconds: lagSeconds, bytes: 0 } } : {}),
    ...(perTable.length ? { tables: perTable } : {}),
    ...(state === 'FAILED' ? { error: failure(t, 'DMS_TASK_FAILED') } : {}),
  };
}

function verificationStatus(input: StatusInput, phase: TaskPhase, base: { jobId: string; checkpoint?: string }): JobStatus {
  const { task: t, tables } = input;
  const settled = tables.filter((x) => VALIDATION_SETTLED.has(x.ValidationState ?? ''));
  const mismatched = tables.filter((x) => (x.ValidationFailedRecords ?? 0) > 0 || x.ValidationState === 'Mismatched records');
  const broken = tables.filter((x) => VALIDATION_BROKEN.has(x.ValidationState ?? ''));
  const progress: SubtaskProgress = {
    percent: phase === 'FINISHED' ? 100 : tables.length ? Math.floor((settled.length / tables.length) * 100) : 0,
    tables: tables.length,
    tablesValidated: tables.filter((x) => x.ValidationState === 'Validated').length,
    tablesMismatched: mismatched.length,
    mismatches: sum(tables, (x) => x.ValidationFailedRecords),
    pendingRecords: sum(tables, (x) => x.ValidationPendingRecords),
    suspendedRecords: sum(tables, (x) => x.ValidationSuspendedRecords),
  };
  const perTable: TableProgress[] = tables.map((x) => ({
    schema: x.SchemaName ?? '',
    table: x.TableName ?? '',
    rows: x.FullLoadRows ?? 0,
    done: VALIDATION_SETTLED.has(x.ValidationState ?? ''),
    mismatches: x.ValidationFailedRecords ?? 0,
  }));
  const withTables = { ...base, progress, ...(perTable.length ? { tables: perTable } : {}) };
  if (phase === 'FINISHED' && broken.length > 0) {
    const names = broken.map((x) => `${x.SchemaName}.${x.TableName} (${x.ValidationState})`).join(', ');
    return { ...withTables, state: 'FAILED', error: { code: 'DMS_VALIDATION_ERROR', message: `validation could not check ${names}` } };
  }
  const state = stateFor(phase, 'STOPPED');
  return { ...withTables, state, ...(state === 'FAILED' ? { error: failure(t, 'DMS_TASK_FAILED') } : {}) };
}
