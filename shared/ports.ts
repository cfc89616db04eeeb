import type { AuditEvent, ProjectRecord, ProjectStatus } from './domain/project';
import type { GuardName } from './domain/transitions';
import type { DataSourceRecord } from './domain/data-source';
import type { Alert } from './domain/alerts';
import type { AlertEvent } from './events/alert-events';
import type { DomainEvent } from './events/domain-events';

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
  /** Attribute equality the write also requires (e.g. the typed name on delete). */
  equals?: Partial<Pick<ProjectRecord, 'name' | 'pausedAt'>>;
  set: Partial<ProjectRecord>;
  remove: readonly (keyof ProjectRecord)[];
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

export interface ProjectStore {
  /** Creates the project, reserves its name and takes a reference on both data sources, atomically. */
  create(project: ProjectRecord, event: AuditEvent): Promise<void>;
  get(id: string): Promise<ProjectRecord | undefined>;
  /**
   * Consistent reads of many projects at once (BatchGetItem, 100 keys a request, unprocessed keys
   * retried). Ids with no project are absent from the map; duplicates are read once.
   */
  getMany(ids: readonly string[]): Promise<Map<string, ProjectRecord>>;
  list(query: ListProjectsQuery): Promise<Page<ProjectRecord>>;
  /** Applies a transition; throws TransitionConflict with the current item when the condition fails. */
  transition(write: TransitionWrite): Promise<void>;
  /** The whole audit trail, oldest first. */
  listEvents(projectId: string): Promise<AuditEvent[]>;
  /** How many projects stand in a status (an index count, no items read). */
  countByStatus(status: ProjectStatus): Promise<number>;
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

/** Runs a project's subtasks (Step Functions when deployed). Filled in by the orchestration work. */
export interface Orchestrator {
  startRun(project: ProjectRecord): Promise<void>;
  stopRun(project: ProjectRecord, reason: string): Promise<void>;
}

/** Schedules the expiry of a pause (EventBridge Scheduler when deployed). */
export interface ExpiryScheduler {
  schedulePauseExpiry(project: ProjectRecord): Promise<void>;
  cancelPauseExpiry(project: ProjectRecord): Promise<void>;
}

/** Adapters that do nothing yet: the orchestration and expiry work replace them. Named for what they are. */
export const noopOrchestrator: Orchestrator = { startRun: async () => {}, stopRun: async () => {} };
export const noopExpiryScheduler: ExpiryScheduler = {
  schedulePauseExpiry: async () => {},
  cancelPauseExpiry: async () => {},
};

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
