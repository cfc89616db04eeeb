import * as z from 'zod';
import { ALERT_CONDITIONS, ALERT_SEVERITIES } from '../domain/alerts';
import { DATA_SOURCE_ENGINES } from '../domain/data-source';
import { SUBTASK_STATUSES, SUBTASK_TYPES, SWITCHOVER_STEPS } from '../domain/subtasks';
import { BATCH_OPERATIONS } from '../domain/batch';
import { BATCH_ITEM_OUTCOMES, BATCH_JOB_STATUSES } from '../domain/batch-jobs';
import { USER_OPERATIONS } from '../domain/transitions';
import { AlertLevel, Id, ProjectStatus } from './schemas';

/**
 * Response schemas: what the API returns, documented in the OpenAPI document and checked against
 * real responses in the tests. Objects are open (clients must tolerate new members).
 */

const Timestamp = z.iso.datetime({ offset: false }).meta({ description: 'ISO-8601 UTC timestamp' });

export const MigrationTypeView = z.object({
  structureMigration: z.boolean(),
  fullMigration: z.boolean(),
  incrementalSync: z.boolean(),
  fullVerification: z.boolean(),
  reverseIncrementalSync: z.boolean(),
});

const SubtaskStatus = z.enum(SUBTASK_STATUSES);
const SubtaskType = z.enum(SUBTASK_TYPES);

export const SubtaskView = z
  .object({
    type: SubtaskType,
    status: SubtaskStatus,
    continuous: z.boolean().meta({ description: 'Keeps running in the background while later subtasks run (incremental sync).' }),
    startedAt: Timestamp.optional(),
    finishedAt: Timestamp.optional(),
    progress: z.looseObject({ percent: z.number() }).optional(),
    lastError: z.object({ code: z.string(), message: z.string(), at: Timestamp }).optional(),
    checkpoint: z.string().optional(),
    jobId: z.string().optional(),
    startPosition: z
      .string()
      .optional()
      .meta({ description: 'REVERSE_INCREMENTAL_SYNC: where its change capture starts (the write-stop position the engine recorded at STOP_FORWARD_SYNC, e.g. a PostgreSQL LSN or a time).' }),
    steps: z
      .array(
        z.object({
          name: z.enum(SWITCHOVER_STEPS.map((s) => s.name) as unknown as [string, ...string[]]),
          manual: z.boolean(),
          status: SubtaskStatus,
          waitingForConfirmation: z.boolean().optional(),
          startedAt: Timestamp.optional(),
          finishedAt: Timestamp.optional(),
          confirmedBy: z.string().optional(),
          confirmedAt: Timestamp.optional(),
        }),
      )
      .optional()
      .meta({ description: 'FORWARD_SWITCHOVER only.' }),
    sources: z
      .array(
        z.object({
          sourceId: Id,
          status: SubtaskStatus,
          jobId: z.string().optional(),
          startedAt: Timestamp.optional(),
          finishedAt: Timestamp.optional(),
          progress: z.looseObject({ percent: z.number() }).optional(),
          checkpoint: z.string().optional(),
          lastError: z.object({ code: z.string(), message: z.string(), at: Timestamp }).optional(),
        }),
      )
      .optional()
      .meta({ description: 'FULL_MIGRATION and INCREMENTAL_SYNC of a multi-source project: one part (one job, its progress, checkpoint and lag) per source.' }),
  })
  .meta({ id: 'Subtask' });

const SOURCE_STATUSES = ['NOT_STARTED', 'RUNNING', 'PAUSED', 'EXPIRED', 'FAILED', 'COMPLETED', 'RELEASING', 'RELEASED'] as const;

export const SourceStatusView = z
  .object({
    sourceId: Id,
    status: z.enum(SOURCE_STATUSES),
    pausedAt: Timestamp.optional().meta({ description: 'Paused on its own, or with the whole project.' }),
    pauseExpiresAt: Timestamp.optional().meta({ description: 'It can be resumed until this time.' }),
    expiredAt: Timestamp.optional().meta({ description: 'Its own pause passed the deadline: its change stream is released; the project is FAILED for good.' }),
    resumable: z.boolean(),
  })
  .meta({ id: 'SourceStatus' });

export const OperationOutcomeView = z
  .object({
    op: z.string(),
    result: z.boolean(),
    msg: z.string(),
    sources: z.array(z.object({ source: Id, result: z.boolean(), msg: z.string() })),
  })
  .meta({ id: 'OperationOutcome', description: 'dmctl-shaped outcome of a lifecycle operation on a multi-source project, one entry per source it was meant for.' });

export const ProjectView = z
  .object({
    id: Id,
    name: z.string(),
    description: z.string().optional(),
    sourceId: Id.meta({ description: 'The first (or only) source.' }),
    sourceIds: z.array(Id).optional().meta({ description: 'Every source of the project, in order.' }),
    sources: z.array(SourceStatusView).optional().meta({ description: "Each source's status, pause time and deadline." }),
    outcome: OperationOutcomeView.optional().meta({ description: 'Lifecycle answers of a multi-source project: the outcome per source.' }),
    destinationId: Id,
    migrationType: MigrationTypeView,
    tables: z.array(z.object({ schema: z.string(), table: z.string() })).nullable().meta({ description: 'null = every table of the source' }),
    labels: z.array(z.string()),
    alertLevel: AlertLevel,
    engine: z
      .enum(['simulated', 'postgresql', 'aws-dms'])
      .optional()
      .meta({ description: 'The engine that runs its jobs: postgresql (real, the embedded default), aws-dms (deployed), or simulated (SIMULATED: no data moves).' }),
    precheck: z
      .object({
        status: z.enum(['RUNNING', 'PASSED', 'FAILED']),
        items: z.array(z.object({ name: z.string(), status: z.enum(['PASSED', 'FAILED']), message: z.string() })),
        checkedAt: Timestamp,
      })
      .optional()
      .meta({ description: 'The precheck (at creation and on POST /projects/{id}/precheck); start needs it PASSED.' }),
    status: ProjectStatus,
    version: z.number().int().min(1).meta({ description: 'Optimistic-concurrency version; also the ETag.' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    startedAt: Timestamp.optional(),
    pausedAt: Timestamp.optional(),
    pauseExpiresAt: Timestamp.optional().meta({ description: 'A paused project can be resumed until this time.' }),
    expiredAt: Timestamp.optional().meta({ description: 'Set once the pause deadline passed.' }),
    pauseWarnedAt: Timestamp.optional(),
    releasedAt: Timestamp.optional(),
    completedAt: Timestamp.optional(),
    failedAt: Timestamp.optional(),
    subtasks: z.array(SubtaskView).meta({ description: 'The orchestration list, in order.' }),
    run: z.number().int().optional().meta({ description: 'Run number: each start or resume begins a new run.' }),
    currentStage: SubtaskType.nullable().optional().meta({ description: 'The subtask the run stands at (started continuous ones run in the background); null when none is left.' }),
    switchoverEnteredAt: Timestamp.optional().meta({ description: 'When the forward switchover stage was entered.' }),
    switchoverStartedAt: Timestamp.optional().meta({ description: 'When its steps were started.' }),
    waitingStep: z
      .enum(SWITCHOVER_STEPS.map((s) => s.name) as unknown as [string, ...string[]])
      .optional()
      .meta({ description: 'The manual switchover step waiting for POST /projects/{id}/forward-switchover/confirm.' }),
    awaiting: z
      .enum(['SWITCHOVER_ENTRY', 'SWITCHOVER_START', 'STEP_CONFIRMATION'])
      .optional()
      .meta({ description: 'What the run waits for from an operator, while it waits.' }),
    resumable: z.boolean(),
    allowedActions: z.array(z.enum(USER_OPERATIONS as unknown as [string, ...string[]])),
  })
  .meta({ id: 'Project' });

export const DataSourceView = z
  .object({
    id: Id,
    name: z.string(),
    engine: z.enum(DATA_SOURCE_ENGINES),
    host: z.string(),
    port: z.number().int(),
    username: z.string(),
    database: z.string().optional(),
    secretArn: z.string().optional(),
    createdAt: Timestamp,
    inUse: z.boolean().meta({ description: 'A project that is not released uses it.' }),
  })
  .meta({ id: 'DataSource' });

export const ConnectionTestView = z
  .object({
    dataSourceId: Id,
    engine: z.enum(DATA_SOURCE_ENGINES),
    checked: z.boolean().meta({ description: 'False when no engine of this deployment connects to this kind of data source (nothing was tried).' }),
    reachable: z.boolean().optional(),
    authenticated: z.boolean().optional(),
    serverVersion: z.string().optional(),
    changeCapture: z.object({ ok: z.boolean(), detail: z.record(z.string(), z.unknown()) }).optional(),
    message: z.string(),
  })
  .meta({ id: 'ConnectionTest' });

export const AuditEventView = z
  .object({
    at: Timestamp,
    operation: z.string(),
    from: ProjectStatus.nullable(),
    to: ProjectStatus.nullable(),
    actor: z.string(),
    requestId: z.string(),
    version: z.number().int(),
    cause: z.string().optional(),
    batchId: z.string().optional(),
    detail: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'AuditEvent' });

export const AlertView = z
  .object({
    id: z.string().meta({ description: 'Unique within the project: <condition>@v<event version>, or <condition>@<window start> for a measurement.' }),
    projectId: Id,
    projectName: z.string().optional(),
    condition: z.enum(ALERT_CONDITIONS),
    severity: z.enum(ALERT_SEVERITIES),
    level: z.enum(['LOW', 'MEDIUM', 'HIGH']).meta({ description: "The project's alert level when the alert was raised." }),
    at: Timestamp.meta({ description: 'The audit event that raised it, or the start of the measurement window; orders the list.' }),
    message: z.string(),
    operation: z.string().optional().meta({ description: 'Event alerts: the operation of the audit event.' }),
    eventVersion: z.number().int().optional().meta({ description: 'Event alerts: the version of the audit event.' }),
    measuredAt: Timestamp.optional(),
    value: z.number().optional().meta({ description: 'Measurement alerts: the measured value.' }),
    threshold: z.number().optional().meta({ description: 'Measurement alerts: the threshold of the level (alert when value > threshold).' }),
    unit: z.enum(['seconds', 'rows']).optional(),
    notifiedAt: Timestamp.optional().meta({ description: 'When the bus and the SNS topic accepted it.' }),
  })
  .meta({ id: 'Alert' });

const NextToken = z.string().optional().meta({ description: 'Present when there are more items: pass it as nextToken.' });
export const ProjectList = z.object({ items: z.array(ProjectView), nextToken: NextToken }).meta({ id: 'ProjectList' });
export const DataSourceList = z.object({ items: z.array(DataSourceView), nextToken: NextToken }).meta({ id: 'DataSourceList' });
export const AuditEventList = z.object({ items: z.array(AuditEventView), nextToken: NextToken }).meta({ id: 'AuditEventList' });
export const AlertList = z.object({ items: z.array(AlertView), nextToken: NextToken }).meta({ id: 'AlertList' });

const ITEM_CODES =
  'Why this project was refused: a problem code of the single call (INVALID_STATE, VERSION_MISMATCH, PAUSE_EXPIRED, PROJECT_NOT_FOUND, CONCURRENT_MODIFICATION, ...), MIXED_SWITCHOVER_STEPS, OPERATION_NOT_AVAILABLE, or INTERNAL_ERROR / SERVICE_UNAVAILABLE for an unexpected failure of this item.';

/** POST /batch-operations with dryRun: who can take the operation, and why the others cannot. */
export const BatchPreviewView = z
  .object({
    operation: z.enum(BATCH_OPERATIONS),
    eligible: z.array(z.object({ projectId: Id, name: z.string(), status: ProjectStatus, updatedAt: Timestamp, version: z.number().int() })),
    ineligible: z.array(
      z.object({
        projectId: z.string(),
        name: z.string().optional(),
        status: ProjectStatus.optional(),
        code: z.string().meta({ description: ITEM_CODES }),
        reason: z.string(),
      }),
    ),
    nextToken: NextToken,
  })
  .meta({ id: 'BatchPreview' });

/** POST /batch-operations executed: one result per requested project, in request order. */
export const BatchExecutionView = z
  .object({
    operation: z.enum(BATCH_OPERATIONS),
    batchId: z.string().meta({ description: 'Also on the audit event of every project the batch changed.' }),
    requested: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    results: z.array(
      z.object({
        projectId: z.string(),
        name: z.string().optional(),
        ok: z.boolean(),
        status: ProjectStatus.optional().meta({ description: 'After the operation (ok), or the status that refused it.' }),
        deleted: z.boolean().optional(),
        code: z.string().optional().meta({ description: ITEM_CODES }),
        message: z.string().optional(),
        updatedAt: Timestamp.optional().meta({ description: 'The latest timestamp of the project.' }),
        version: z.number().int().optional(),
        outcome: OperationOutcomeView.optional().meta({ description: 'A multi-source project: the outcome per source.' }),
      }),
    ),
    nextToken: NextToken,
  })
  .meta({ id: 'BatchExecution' });

export const BatchOperationResult = z.union([BatchPreviewView, BatchExecutionView]).meta({ id: 'BatchOperationResult' });

/** A batch run as a resource (202 from POST /batch-operations; GET /batch-operations[/{id}]). */
export const BatchJobView = z
  .object({
    batchId: z.string(),
    operation: z.enum(BATCH_OPERATIONS),
    status: z.enum(BATCH_JOB_STATUSES).meta({ description: 'ACCEPTED → EXPANDING (a selector being enqueued page by page) → RUNNING (every project enqueued) → COMPLETED (every result in).' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    completedAt: Timestamp.optional(),
    actor: z.string(),
    selector: z.object({ status: ProjectStatus.optional(), label: z.string().optional() }).optional(),
    projectCount: z.number().int().optional().meta({ description: 'How many ids the request listed (a batch by ids).' }),
    requested: z.number().int().meta({ description: 'Projects enqueued so far (grows while a selector is expanded).' }),
    succeeded: z.number().int(),
    failed: z.number().int().meta({ description: 'Attempted and refused (with its code) or errored.' }),
    skipped: z.number().int().meta({ description: 'Not attempted: ineligible when its worker read it (its code says why).' }),
    pending: z.number().int().meta({ description: 'requested − (succeeded + failed + skipped).' }),
    redrive: z
      .object({
        attempts: z.number().int().meta({ description: 'Re-drives since the batch last progressed.' }),
        lastAt: Timestamp,
        nextAt: Timestamp.optional().meta({ description: 'When the reconciler re-drives it again if it has not progressed by then.' }),
        stalled: z.boolean().meta({ description: 'Re-driven 5 times without progress: something a re-drive cannot fix holds it (also the BatchesStalled metric); re-drives go on every 4 h.' }),
      })
      .optional()
      .meta({
        description:
          'Present while the batch has not progressed since the reconciler re-drove it (its work was lost): re-drives are spaced out, 15 min after the last progress, then twice as long each time, at most 4 h apart.',
      }),
  })
  .meta({ id: 'BatchJob' });

export const BatchJobResult = z
  .object({
    projectId: z.string(),
    disposition: z.enum(BATCH_ITEM_OUTCOMES).meta({ description: 'What became of the project in the batch: succeeded, failed (refused or errored, with its code) or skipped (ineligible when read).' }),
    outcome: OperationOutcomeView.optional().meta({ description: 'A multi-source project: the outcome per source, as the lifecycle operation answered it.' }),
    name: z.string().optional(),
    ok: z.boolean(),
    status: ProjectStatus.optional(),
    deleted: z.boolean().optional(),
    code: z.string().optional().meta({ description: ITEM_CODES }),
    message: z.string().optional(),
    updatedAt: Timestamp.optional(),
    version: z.number().int().optional(),
    recordedAt: Timestamp,
  })
  .meta({ id: 'BatchJobResult' });

export const BatchJobDetail = BatchJobView.extend({
  results: z.array(BatchJobResult).meta({ description: 'One page of the per-project results, by project id.' }),
  nextToken: NextToken,
}).meta({ id: 'BatchJobDetail' });

export const BatchJobList = z.object({ items: z.array(BatchJobView), nextToken: NextToken }).meta({ id: 'BatchJobList' });

/** RFC 9457 problem document with the stable `code`; members below 500 may add details (issues, currentStatus, …). */
export const Problem = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string(),
    instance: z.string().optional(),
  })
  .meta({ id: 'Problem' });

export interface ProblemCodeDoc {
  status: number;
  title: string;
  detail: string;
  /** Members the problem document carries besides the standard ones, as an example. */
  extra?: Record<string, unknown>;
}

/**
 * Every problem `code` the code base raises. The tests check that it raises no other. NOT_EXPIRABLE,
 * ALREADY_WARNED and PAUSE_SUPERSEDED come from the platform's pause timers, not from an API route.
 */
export const PROBLEM_CODES = {
  VALIDATION_FAILED: {
    status: 400,
    title: 'Request validation failed',
    detail: 'The request does not match the API schema; see issues.',
    extra: { issues: [{ path: ['body', 'name'], code: 'too_small', message: 'Too small: expected string to have >=1 characters' }] },
  },
  MALFORMED_JSON: { status: 400, title: 'Malformed JSON', detail: 'The body is not valid JSON.' },
  CONFIRMATION_MISMATCH: { status: 400, title: 'Confirmation does not match', detail: 'confirmName must repeat the project name exactly.' },
  INVALID_NEXT_TOKEN: { status: 400, title: 'Invalid page token', detail: 'nextToken is not a token this API returned for this listing.' },
  PROJECT_NOT_FOUND: { status: 404, title: 'Project not found', detail: "No project with id 'p-123'.", extra: { id: 'p-123' } },
  BATCH_NOT_FOUND: { status: 404, title: 'Batch not found', detail: "No batch with id 'b-1'.", extra: { id: 'b-1' } },
  DATA_SOURCE_NOT_FOUND: { status: 404, title: 'Data source not found', detail: "No data source with id 'ds-1'.", extra: { id: 'ds-1' } },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route', detail: 'There is no route GET /nowhere.' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed', detail: 'PATCH is not supported on /projects.' },
  FORBIDDEN_HOST: { status: 403, title: 'Forbidden host', detail: 'The local API answers only loopback host names (localhost, 127.0.0.1, [::1]).' },
  FORBIDDEN_ORIGIN: { status: 403, title: 'Forbidden origin', detail: 'The local API refuses requests sent by pages of another origin.' },
  INVALID_STATE: {
    status: 409,
    title: 'Operation not allowed in the current state',
    detail: 'Cannot pause a project that is NOT_STARTED; allowed from RUNNING.',
    extra: { currentStatus: 'NOT_STARTED', allowedFrom: ['RUNNING'], operation: 'pause' },
  },
  PAUSE_EXPIRED: {
    status: 409,
    title: 'Pause deadline passed',
    detail: 'The project was paused too long to be resumed (deadline 2026-01-01T12:00:00.000Z).',
    extra: { currentStatus: 'PAUSED', pauseExpiresAt: '2026-01-01T12:00:00.000Z' },
  },
  NOT_MULTI_SOURCE: {
    status: 409,
    title: 'Not a multi-source project',
    detail: 'The project reads one source: pause or resume the whole project (no sources in the body).',
    extra: { currentStatus: 'RUNNING' },
  },
  SOURCE_NOT_RUNNING: {
    status: 409,
    title: 'Source not running',
    detail: 'Source a1f0e9d8-c7b6-4a59-8e7d-6c5b4a392817 is paused on its own since 2026-01-01T00:00:00.000Z.',
    extra: { currentStatus: 'RUNNING', sourceId: 'a1f0e9d8-c7b6-4a59-8e7d-6c5b4a392817' },
  },
  SOURCE_NOT_PAUSED: {
    status: 409,
    title: 'Source not paused',
    detail: 'Source a1f0e9d8-c7b6-4a59-8e7d-6c5b4a392817 is not paused on its own.',
    extra: { currentStatus: 'RUNNING', sourceId: 'a1f0e9d8-c7b6-4a59-8e7d-6c5b4a392817' },
  },
  NO_SOURCE_RESUMABLE: {
    status: 409,
    title: 'No source to resume',
    detail: 'No source is paused on its own and resumable.',
    extra: { currentStatus: 'RUNNING' },
  },
  SOURCE_PAUSE_EXPIRED: {
    status: 409,
    title: "A source's pause deadline passed",
    detail: 'Source a1f0e9d8-c7b6-4a59-8e7d-6c5b4a392817 paused past its deadline: its change stream is released, the project cannot resume; release it.',
    extra: { currentStatus: 'FAILED' },
  },
  NAME_TAKEN: { status: 409, title: 'Project name taken', detail: "A project named 'orders' exists and is not released.", extra: { name: 'orders' } },
  DATA_SOURCE_IN_USE: {
    status: 409,
    title: 'Data source in use',
    detail: '2 project(s) that are not released use this data source.',
    extra: { projectCount: 2 },
  },
  NOT_EXPIRABLE: {
    status: 409,
    title: 'Pause not expirable (deadline not reached, or already expired)',
    detail: 'Refused by the pause deadline (2026-01-01T12:00:00.000Z, expired: no).',
    extra: { currentStatus: 'PAUSED', pauseExpiresAt: '2026-01-01T12:00:00.000Z' },
  },
  ALREADY_WARNED: {
    status: 409,
    title: 'Pause expiry already warned',
    detail: 'The expiry of this pause was already warned at 2026-01-01T11:30:00.000Z.',
    extra: { currentStatus: 'PAUSED', currentStage: 'STRUCTURE_MIGRATION' },
  },
  PAUSE_SUPERSEDED: {
    status: 409,
    title: 'Another pause',
    detail: 'The project is no longer in the pause this request was made for.',
    extra: { currentStatus: 'RUNNING' },
  },
  NOT_IN_FULL_VERIFICATION: {
    status: 409,
    title: 'Not in the full verification stage',
    detail: 'The project is at stage FULL_MIGRATION, not FULL_VERIFICATION.',
    extra: { currentStatus: 'RUNNING', currentStage: 'FULL_MIGRATION' },
  },
  NOT_AT_FORWARD_SWITCHOVER: {
    status: 409,
    title: 'Not at the forward switchover stage',
    detail: 'The project is at stage FULL_VERIFICATION: the forward switchover needs every earlier subtask (incl. full verification) succeeded or skipped.',
    extra: { currentStatus: 'RUNNING', currentStage: 'FULL_VERIFICATION' },
  },
  SWITCHOVER_ALREADY_ENTERED: {
    status: 409,
    title: 'Forward switchover already entered',
    detail: 'The forward switchover stage was entered at 2026-01-01T10:00:00.000Z.',
    extra: { currentStatus: 'RUNNING', currentStage: 'FORWARD_SWITCHOVER' },
  },
  SWITCHOVER_NOT_STARTABLE: {
    status: 409,
    title: 'Forward switchover cannot be started',
    detail: 'Enter the forward switchover stage first (POST /projects/{id}/forward-switchover).',
    extra: { currentStatus: 'RUNNING', currentStage: 'FORWARD_SWITCHOVER' },
  },
  STEP_NOT_WAITING: {
    status: 409,
    title: 'Step not waiting',
    detail: 'PROCESS_DATABASE_OBJECTS is not the step waiting for confirmation (CONFIRM_SOURCE_WRITES_STOPPED).',
    extra: { currentStatus: 'RUNNING', waitingStep: 'CONFIRM_SOURCE_WRITES_STOPPED' },
  },
  NOT_SIMULATED: {
    status: 409,
    title: 'Not on the simulated engine',
    detail: 'Local server only (POST /local/projects/{id}/fail-subtask): failures are injected into the SIMULATED engine only.',
  },
  NO_SUCH_SUBTASK: {
    status: 409,
    title: 'No such subtask',
    detail: 'Local server only (POST /local/projects/{id}/fail-subtask): the project has no such subtask to fail.',
  },
  PRECHECK_NOT_PASSED: {
    status: 409,
    title: 'Precheck not passed',
    detail: 'The precheck failed: source table shop.notes: has no primary key. Fix it and run POST /projects/{id}/precheck again.',
    extra: { currentStatus: 'NOT_STARTED', currentStage: 'STRUCTURE_MIGRATION' },
  },
  ENGINE_NOT_AVAILABLE: {
    status: 400,
    title: 'No engine for these data sources',
    detail: 'No engine of this deployment migrates mysql to oceanbase-mysql.',
  },
  RUN_SUPERSEDED: {
    status: 409,
    title: 'Run superseded',
    detail: 'The project is at run 3, not 2.',
    extra: { currentStatus: 'RUNNING' },
  },
  CONCURRENT_MODIFICATION: { status: 409, title: 'Concurrent modification', detail: 'The project kept changing while this request was applied; retry.' },
  IDEMPOTENCY_IN_PROGRESS: {
    status: 409,
    title: 'Request in progress',
    detail: 'A request with this Idempotency-Key is still being processed; retry in a second to get its response.',
  },
  VERSION_MISMATCH: {
    status: 412,
    title: 'Version mismatch',
    detail: 'The project is at version 4, not 3.',
    extra: { currentVersion: 4, currentStatus: 'RUNNING' },
  },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large', detail: 'The body must be at most 1048576 bytes.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type', detail: 'Send the body as application/json.' },
  IDEMPOTENCY_RESPONSE_UNAVAILABLE: {
    status: 409,
    title: 'Stored response unavailable',
    detail:
      'The request with this Idempotency-Key was executed (status 200) but its response could not be stored; it is not executed again. Read the current state instead of retrying.',
    extra: { originalStatus: 200 },
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    title: 'Idempotency key reused',
    detail: 'This Idempotency-Key was used for a different request (path, query, body or If-Match); use a new key for a new request.',
  },
  INTERNAL_ERROR: {
    status: 500,
    title: 'Internal error',
    detail: 'The request could not be completed. It is safe to retry; the request id identifies it in our logs.',
  },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable', detail: 'A dependency is busy; retry with backoff.' },
  ORCHESTRATION_UNAVAILABLE: {
    status: 503,
    title: 'Orchestration unavailable',
    detail: 'The run could not be started; the project is NOT_STARTED. Retry later.',
    extra: { projectStatus: 'NOT_STARTED' },
  },
} as const satisfies Record<string, ProblemCodeDoc>;

export type ProblemCode = keyof typeof PROBLEM_CODES;

/** The problem document a code produces (same shape as shared/http/problem.ts renders). */
export function problemExample(code: ProblemCode): Record<string, unknown> {
  const doc: ProblemCodeDoc = PROBLEM_CODES[code];
  return {
    type: `urn:migration-control-plane:problem:${code.toLowerCase().replace(/_/g, '-')}`,
    title: doc.title,
    status: doc.status,
    code,
    detail: doc.detail,
    instance: '2f1c4a8e-7d1b-4c55-9a0e-3b7f0d6c9e21',
    ...(doc.extra ?? {}),
  };
}

const EXAMPLE_PROJECT: z.input<typeof ProjectView> = {
  id: '3b0c8f5e-1d2a-4e6b-9c7d-2a1f0e9d8c7b',
  name: 'orders-to-oceanbase',
  description: 'Move the orders schema',
  sourceId: 'a1f0e9d8-c7b6-4a59-8e7d-6c5b4a392817',
  destinationId: 'b2e1d0c9-b8a7-4968-9d8c-7b6a59483726',
  migrationType: { structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: true, reverseIncrementalSync: false },
  tables: [{ schema: 'shop', table: 'orders' }],
  labels: ['team:payments'],
  alertLevel: 'MEDIUM',
  status: 'RUNNING',
  version: 2,
  createdAt: '2026-01-01T09:00:00.000Z',
  updatedAt: '2026-01-01T09:05:00.000Z',
  startedAt: '2026-01-01T09:05:00.000Z',
  subtasks: [
    { type: 'STRUCTURE_MIGRATION', status: 'RUNNING', continuous: false, startedAt: '2026-01-01T09:05:00.000Z', progress: { percent: 40 } },
    { type: 'FULL_MIGRATION', status: 'PENDING', continuous: false },
  ],
  run: 1,
  currentStage: 'STRUCTURE_MIGRATION',
  resumable: false,
  allowedActions: ['pause', 'modify-alert-config'],
};

const EXAMPLE_DATA_SOURCE: z.input<typeof DataSourceView> = {
  id: 'a1f0e9d8-c7b6-4a59-8e7d-6c5b4a392817',
  name: 'src-mysql',
  engine: 'mysql',
  host: '10.0.0.5',
  port: 3306,
  username: 'migrator',
  secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:src-mysql-AbCdEf',
  createdAt: '2026-01-01T08:00:00.000Z',
  inUse: true,
};

/** Examples for the document; the tests parse each with its schema, so they cannot drift from it. */
export const RESPONSE_EXAMPLES = {
  project: EXAMPLE_PROJECT,
  connectionTest: {
    dataSourceId: 'a1f0e9d8-c7b6-4a59-8e7d-6c5b4a392817',
    engine: 'postgresql',
    checked: true,
    reachable: true,
    authenticated: true,
    serverVersion: '15.18',
    changeCapture: { ok: true, detail: { walLevel: 'logical', replicationPrivilege: true, freeSlots: 9 } },
    message: 'Connected; change capture available.',
  },
  newProject: { ...EXAMPLE_PROJECT, status: 'NOT_STARTED', version: 1, updatedAt: EXAMPLE_PROJECT.createdAt, startedAt: undefined, run: undefined, currentStage: undefined, subtasks: EXAMPLE_PROJECT.subtasks.map((t) => ({ type: t.type, status: 'PENDING' as const, continuous: t.continuous })), allowedActions: ['start', 'delete', 'modify-alert-config'] },
  projectList: { items: [EXAMPLE_PROJECT], nextToken: 'eyJwayI6IlBST0pFQ1QjMy4uLiJ9' },
  dataSource: EXAMPLE_DATA_SOURCE,
  dataSourceList: { items: [EXAMPLE_DATA_SOURCE] },
  auditEventList: {
    items: [
      { at: '2026-01-01T09:00:00.000Z', operation: 'create', from: null, to: 'NOT_STARTED', actor: 'arn:aws:iam::123456789012:user/ana', requestId: 'r-1', version: 1 },
      { at: '2026-01-01T09:05:00.000Z', operation: 'start', from: 'NOT_STARTED', to: 'RUNNING', actor: 'arn:aws:iam::123456789012:user/ana', requestId: 'r-2', version: 2 },
    ],
  },
  alertList: {
    items: [
      {
        id: 'SYNC_LATENCY_HIGH@2026-01-01T10:00:00.000Z',
        projectId: '3b0c8f5e-1d2a-4e6b-9c7d-2a1f0e9d8c7b',
        projectName: 'orders-to-oceanbase',
        condition: 'SYNC_LATENCY_HIGH',
        severity: 'WARNING',
        level: 'MEDIUM',
        at: '2026-01-01T10:00:00.000Z',
        message: "Incremental sync of project 'orders-to-oceanbase' (3b0c8f5e-1d2a-4e6b-9c7d-2a1f0e9d8c7b) lags 754 s behind the source (MEDIUM level: alert above 600 s).",
        measuredAt: '2026-01-01T10:12:30.000Z',
        value: 754,
        threshold: 600,
        unit: 'seconds',
        notifiedAt: '2026-01-01T10:12:30.420Z',
      },
      {
        id: 'PROJECT_FAILED@v5',
        projectId: '3b0c8f5e-1d2a-4e6b-9c7d-2a1f0e9d8c7b',
        projectName: 'orders-to-oceanbase',
        condition: 'PROJECT_FAILED',
        severity: 'CRITICAL',
        level: 'MEDIUM',
        at: '2026-01-01T09:40:00.000Z',
        message: "Project 'orders-to-oceanbase' (3b0c8f5e-1d2a-4e6b-9c7d-2a1f0e9d8c7b) failed (FULL_MIGRATION: source unreachable); resume it once the cause is fixed, or release it.",
        operation: 'fail',
        eventVersion: 5,
        notifiedAt: '2026-01-01T09:40:01.150Z',
      },
    ],
  },
  batchPreview: {
    operation: 'pause',
    eligible: [{ projectId: '3b0c8f5e-1d2a-4e6b-9c7d-2a1f0e9d8c7b', name: 'orders-to-oceanbase', status: 'RUNNING', updatedAt: '2026-01-01T09:05:00.000Z', version: 2 }],
    ineligible: [
      {
        projectId: '5d2e0a7f-3c4b-4d8e-8f9a-4c3b2a1f0e9d',
        name: 'users-to-oceanbase',
        status: 'PAUSED',
        code: 'INVALID_STATE',
        reason: 'Cannot pause a project that is PAUSED; allowed from RUNNING.',
      },
    ],
  },
  batchExecution: {
    operation: 'pause',
    batchId: '9f448056-7b08-4a14-b46f-39187fe7a8ba',
    requested: 2,
    succeeded: 1,
    failed: 1,
    results: [
      { projectId: '3b0c8f5e-1d2a-4e6b-9c7d-2a1f0e9d8c7b', name: 'orders-to-oceanbase', ok: true, status: 'PAUSED', updatedAt: '2026-01-01T10:00:00.000Z', version: 3 },
      {
        projectId: '5d2e0a7f-3c4b-4d8e-8f9a-4c3b2a1f0e9d',
        name: 'users-to-oceanbase',
        ok: false,
        status: 'PAUSED',
        code: 'VERSION_MISMATCH',
        message: 'The project is at version 4, not 3.',
        updatedAt: '2026-01-01T09:58:00.000Z',
      },
    ],
  },
} satisfies {
  alertList: z.input<typeof AlertList>;
  batchPreview: z.input<typeof BatchPreviewView>;
  batchExecution: z.input<typeof BatchExecutionView>;
  project: z.input<typeof ProjectView>;
  newProject: z.input<typeof ProjectView>;
  projectList: z.input<typeof ProjectList>;
  dataSource: z.input<typeof DataSourceView>;
  connectionTest: z.input<typeof ConnectionTestView>;
  dataSourceList: z.input<typeof DataSourceList>;
  auditEventList: z.input<typeof AuditEventList>;
};
