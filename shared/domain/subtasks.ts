import type { MigrationType } from './project';

/**
 * The orchestration list of a project (OMS: "the orchestration task list"), built at creation from the
 * migration type and stored on the project item: DynamoDB is the source of truth for where a run stands.
 */
export const SUBTASK_TYPES = [
  'STRUCTURE_MIGRATION',
  'FULL_MIGRATION',
  'INCREMENTAL_SYNC',
  'FULL_VERIFICATION',
  'FORWARD_SWITCHOVER',
  'REVERSE_INCREMENTAL_SYNC',
] as const;
export type SubtaskType = (typeof SUBTASK_TYPES)[number];

export const SUBTASK_STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'PAUSED', 'SKIPPED'] as const;
export type SubtaskStatus = (typeof SUBTASK_STATUSES)[number];

/** Forward switchover steps, in order; `manual` ones wait for POST .../forward-switchover/confirm. */
export const SWITCHOVER_STEPS = [
  { name: 'START_FORWARD_SWITCHOVER', manual: false },
  { name: 'SWITCHOVER_PRECHECK', manual: false },
  { name: 'START_DESTINATION_STORE', manual: false },
  { name: 'CONFIRM_SOURCE_WRITES_STOPPED', manual: true },
  { name: 'CONFIRM_WRITE_STOP_TIMESTAMP', manual: false },
  { name: 'STOP_FORWARD_SYNC', manual: false },
  { name: 'PROCESS_DATABASE_OBJECTS', manual: true },
  { name: 'START_REVERSE_INCREMENTAL', manual: true },
] as const;
export type SwitchoverStepName = (typeof SWITCHOVER_STEPS)[number]['name'];

export interface SubtaskProgress {
  percent: number;
  [counter: string]: number;
}

export interface SubtaskError {
  code: string;
  message: string;
  at: string;
}

export interface SwitchoverStep {
  name: SwitchoverStepName;
  manual: boolean;
  status: SubtaskStatus;
  /** True while this manual step waits for a confirmation. */
  waitingForConfirmation?: boolean;
  startedAt?: string;
  finishedAt?: string;
  confirmedBy?: string;
  confirmedAt?: string;
}

/** The part of a per-source subtask (full migration, incremental sync) that reads one source: its own job. */
export interface SourcePart {
  sourceId: string;
  status: SubtaskStatus;
  jobId?: string;
  startedAt?: string;
  finishedAt?: string;
  progress?: SubtaskProgress;
  checkpoint?: string;
  lastError?: SubtaskError;
}

export interface Subtask {
  type: SubtaskType;
  status: SubtaskStatus;
  /** Continuous subtasks keep running in the background while later ones run (incremental sync). */
  continuous: boolean;
  startedAt?: string;
  finishedAt?: string;
  progress?: SubtaskProgress;
  lastError?: SubtaskError;
  /** Engine checkpoint to resume from. */
  checkpoint?: string;
  /** Engine job id of the current attempt. */
  jobId?: string;
  /**
   * REVERSE_INCREMENTAL_SYNC: where its change capture starts, as the engine recorded it when the
   * forward sync stopped (STOP_FORWARD_SYNC): e.g. a PostgreSQL LSN, or a time. Passed on its job spec.
   */
  startPosition?: string;
  /** FORWARD_SWITCHOVER only. */
  steps?: SwitchoverStep[];
  /** FULL_MIGRATION and INCREMENTAL_SYNC of a multi-source project: one part per source (progress, checkpoint, lag each). */
  sources?: SourcePart[];
}

export function buildSubtasks(m: MigrationType, sourceIds: readonly string[] = []): Subtask[] {
  const list: Subtask[] = [];
  const perSource = (type: SubtaskType) => sourceIds.length > 1 && (type === 'FULL_MIGRATION' || type === 'INCREMENTAL_SYNC');
  const add = (type: SubtaskType, continuous = false) =>
    list.push({ type, status: 'PENDING', continuous, ...(perSource(type) ? { sources: sourceIds.map((sourceId) => ({ sourceId, status: 'PENDING' as const })) } : {}) });
  if (m.structureMigration) add('STRUCTURE_MIGRATION');
  if (m.fullMigration) add('FULL_MIGRATION');
  if (m.incrementalSync) add('INCREMENTAL_SYNC', true);
  if (m.fullVerification) add('FULL_VERIFICATION');
  if (m.incrementalSync) {
    list.push({
      type: 'FORWARD_SWITCHOVER',
      status: 'PENDING',
      continuous: false,
      steps: SWITCHOVER_STEPS.filter((s) => s.name !== 'START_REVERSE_INCREMENTAL' || m.reverseIncrementalSync).map((s) => ({
        name: s.name,
        manual: s.manual,
        status: 'PENDING' as const,
      })),
    });
  }
  if (m.reverseIncrementalSync) add('REVERSE_INCREMENTAL_SYNC', true);
  return list;
}
