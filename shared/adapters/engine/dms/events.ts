/**
 * DMS state-change events as the EventBridge rule of infra/constructs/dms-engine.ts forwards them: a
 * replication task's ("DMS Replication Task State Change", resources = the task ARN) or a DMS Serverless
 * replication's ("DMS Replication State Change", resources = the replication config ARN). Both are read
 * into one shape; which project a replication belongs to is in its `migctl-project` tag
 * (DmsMigrationEngine.projectOfStateChange).
 * Detail types: https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-dms.html
 */
export const DMS_TASK_STATE_CHANGE = 'DMS Replication Task State Change';
export const DMS_REPLICATION_STATE_CHANGE = 'DMS Replication State Change';

export interface DmsStateChange {
  /** `task` (replication instance mode) or `replication` (DMS Serverless). */
  kind: 'task' | 'replication';
  /** The task or replication config ARN. */
  arn: string;
  /** DMS's event type, e.g. REPLICATION_TASK_FAILED. */
  eventType?: string;
  message?: string;
  /** A failure (category Failure, or an event type that says so): the project should learn it now, not at the next poll. */
  failed: boolean;
}

interface EventLike {
  source?: unknown;
  'detail-type'?: unknown;
  resources?: unknown;
  detail?: unknown;
}

/** The state change an event carries; undefined for anything else (another source or detail type, no DMS ARN). */
export function dmsStateChangeOf(event: EventLike): DmsStateChange | undefined {
  if (event.source !== 'aws.dms') return undefined;
  const kind = event['detail-type'] === DMS_TASK_STATE_CHANGE ? 'task' : event['detail-type'] === DMS_REPLICATION_STATE_CHANGE ? 'replication' : undefined;
  if (!kind) return undefined;
  const type = kind === 'task' ? 'task' : 'replication-config';
  const arn = (Array.isArray(event.resources) ? event.resources : []).find((r): r is string => typeof r === 'string' && new RegExp(`^arn:aws[\\w-]*:dms:[\\w-]+:\\d{12}:${type}:`).test(r));
  if (!arn) return undefined;
  const detail = (typeof event.detail === 'object' && event.detail !== null ? event.detail : {}) as Record<string, unknown>;
  const text = (k: string) => (typeof detail[k] === 'string' ? (detail[k] as string) : undefined);
  const eventType = text('eventType');
  const message = text('detailMessage');
  const failed = text('category')?.toLowerCase() === 'failure' || /FAIL/i.test(eventType ?? '');
  return { kind, arn, ...(eventType ? { eventType } : {}), ...(message ? { message } : {}), failed };
}
