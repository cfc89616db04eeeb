/**
 * Migration project: the stored record and the view returned by the API.
 * Pure domain types: no AWS SDK here.
 */
export const PROJECT_STATUSES = [
  'NOT_STARTED',
  'RUNNING',
  'PAUSED',
  'FAILED',
  'RELEASING',
  'RELEASED',
  'COMPLETED',
] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

export const ALERT_LEVELS = ['NONE', 'LOW', 'MEDIUM', 'HIGH'] as const;
export type AlertLevel = (typeof ALERT_LEVELS)[number];

/** Which engine runs a project's jobs: data on the project, chosen at creation from its data sources. */
export const ENGINE_KINDS = ['simulated', 'postgresql', 'aws-dms'] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];

export interface MigrationType {
  structureMigration: boolean;
  fullMigration: boolean;
  incrementalSync: boolean;
  fullVerification: boolean;
  reverseIncrementalSync: boolean;
}

export interface TableRef {
  schema: string;
  table: string;
}

import type { Subtask, SubtaskType, SwitchoverStepName } from './subtasks';
import type { OperationOutcome, ProjectSource, SourceView } from './sources';

/** One check of a project's precheck (OMS runs one before a project can start). */
export interface PrecheckItem {
  name: string;
  status: 'PASSED' | 'FAILED';
  message: string;
}

/** The precheck of a project: run at creation and on POST /projects/{id}/precheck; start needs PASSED. */
export interface ProjectPrecheck {
  status: 'RUNNING' | 'PASSED' | 'FAILED';
  items: PrecheckItem[];
  checkedAt: string;
}

/** What the current run's execution waits for from an operator (set while it waits). */
export type AwaitedGate = 'SWITCHOVER_ENTRY' | 'SWITCHOVER_START' | 'STEP_CONFIRMATION';

/** What DynamoDB holds for a project (without key attributes). */
/** A continued run's current execution: its leg, its ARN (id locally) and the position it carries on from. */
export interface RunExecution {
  run: number;
  leg: number;
  arn: string;
  /** The work item the previous leg stood at (the new one waits and polls it first). */
  carried?: { action: string; subtask?: SubtaskType; step?: SwitchoverStepName; gate?: AwaitedGate; outcome?: string };
}

export interface ProjectRecord {
  id: string;
  name: string;
  description?: string;
  /** The first (or only) source: the shorthand older clients read and write. */
  sourceId: string;
  /** Every source, in order (1..MAX_SOURCES, shared/domain/sources.ts); absent on records made before multi-source projects. */
  sourceIds?: string[];
  /** Per-source state of a multi-source project (paused on its own, its deadline); absent with one source. */
  sources?: ProjectSource[];
  destinationId: string;
  migrationType: MigrationType;
  /** null = every table of the source */
  tables: TableRef[] | null;
  labels: string[];
  alertLevel: AlertLevel;
  /** The engine that runs the project's jobs (absent on records made before engines were data: simulated). */
  engine?: EngineKind;
  /** Its precheck (absent on records made before prechecks: they start as before). */
  precheck?: ProjectPrecheck;
  status: ProjectStatus;
  version: number;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  pausedAt?: string;
  pauseExpiresAt?: string;
  /** Set by the pause-expiry schedule once the deadline passed: the project can no longer be resumed. */
  expiredAt?: string;
  /** When the "pause expiring soon" warning was raised for the current pause. */
  pauseWarnedAt?: string;
  releasedAt?: string;
  /** The orchestration list (shared/domain/subtasks.ts). */
  subtasks: Subtask[];
  /** Run number: each start/resume begins a new run; orchestration writes are fenced by it. */
  run?: number;
  /** The subtask the run stands at (the first one not SUCCEEDED/SKIPPED, ignoring running continuous ones). */
  currentStage?: SubtaskType | null;
  /** When the forward switchover stage was entered (POST .../forward-switchover). */
  switchoverEnteredAt?: string;
  /** When its steps were started (POST .../forward-switchover/start). */
  switchoverStartedAt?: string;
  /** The manual switchover step waiting for POST .../forward-switchover/confirm, if any. */
  waitingStep?: SwitchoverStepName;
  /** What the execution of the current run waits for, if it waits for an operator. */
  awaiting?: AwaitedGate;
  /** Step Functions task token of that wait (never shown by the API). */
  taskToken?: string;
  /**
   * The execution that owns the run since it continued as a new execution (history limit), written by
   * the hand-over (a fenced run write); absent, or of an older run: the run's first execution. Internal.
   */
  execution?: RunExecution;
  /**
   * When the run's execution last recorded a poll of a running job (every 30 s while it polls): the
   * reconciler takes a recent one as proof the execution lives and looks nothing up. Internal.
   */
  polledAt?: string;
  completedAt?: string;
  failedAt?: string;
}

/** The API view of a project: the record plus what is derived from the clock and the transitions table. */
export interface ProjectView extends Omit<ProjectRecord, 'tables' | 'taskToken' | 'sources' | 'sourceIds' | 'execution' | 'polledAt'> {
  tables: TableRef[] | null;
  /** Multi-source projects only (a single-source view shows sourceId alone). */
  sourceIds?: string[];
  /** Multi-source projects only: each source's status, pause time and deadline. */
  sources?: SourceView[];
  /** On a lifecycle answer of a multi-source project: the outcome per source (dmctl-shaped). */
  outcome?: OperationOutcome;
  resumable: boolean;
  allowedActions: string[];
}

export interface AuditEvent {
  at: string;
  operation: string;
  from: ProjectStatus | null;
  to: ProjectStatus | null;
  actor: string;
  requestId: string;
  version: number;
  cause?: string;
  batchId?: string;
  detail?: Record<string, unknown>;
}

/** Who asks, and under which request id: carried into every audit event. */
export interface RequestContext {
  actor: string;
  requestId: string;
}
