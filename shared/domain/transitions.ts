import type { ProjectRecord, ProjectStatus } from './project';
import { PROJECT_STATUSES } from './project';
import { readPath, type AttributePath } from './paths';

/**
 * THE operations table: one record per operation — the states it may start from and where it leads
 * (with its guards), the side effects it has on the ports after its write (shared/domain/effects.ts),
 * whether a batch may apply it, and its HTTP route and body. From these records come the DynamoDB
 * condition of every lifecycle write, `allowedActions` on every read, batch eligibility, the API routes,
 * the OpenAPI document, the problem codes of each route, the README tables, and each deployed function's
 * environment and IAM grants (infra/constructs/wiring.ts). Adding an operation is adding a record.
 */
import type { EffectName } from './effects';

/**
 * Named extra conditions a write must also satisfy; each has an in-memory form (GUARDS, below) and a
 * DynamoDB form (guardPieces in shared/adapters/dynamodb/conditions.ts) over the same attributes.
 */
export type GuardName =
  | 'pauseNotExpired'
  | 'pauseDeadlinePassed'
  | 'pauseNotWarned'
  | 'atFullVerification'
  | 'atForwardSwitchover'
  | 'switchoverNotEntered'
  | 'switchoverEnteredNotStarted'
  | 'stepWaiting'
  | 'precheckPassed';

export interface TransitionRule {
  readonly operation: string;
  /** States the operation may start from. */
  readonly from: readonly ProjectStatus[];
  /** Resulting state; 'UNCHANGED' keeps the status; 'DELETED' removes the project. */
  readonly to: ProjectStatus | 'UNCHANGED' | 'DELETED';
  /** A transient state the operation passes through before `to` (release → RELEASING → RELEASED). */
  readonly via?: ProjectStatus;
  readonly guards?: readonly GuardName[];
  /** Shown to users (allowedActions, README); system-only rows are driven by the platform. */
  readonly userFacing: boolean;
  readonly summary: string;
  /** Side effects on the ports after the write commits, in order (shared/usecases/effects.ts runs them). */
  readonly effects?: readonly EffectName[];
  /** Offered by POST /batch-operations. */
  readonly batch?: boolean;
  /** The HTTP route of a user-facing operation (POST /projects/{id}/<path> unless `method`/`path` say otherwise). */
  readonly http?: OperationHttp;
}

/** How a user-facing operation is offered over HTTPS. */
export interface OperationHttp {
  readonly method: 'POST' | 'PUT' | 'DELETE';
  /** Path template under the API root. */
  readonly path: string;
  /** The function folder under functions/ that serves it. */
  readonly fn: string;
  readonly operationId: string;
  /** Named body (shared/api/schemas.ts OPERATION_BODIES); absent = no body. */
  readonly body?: 'alertLevel' | 'step';
  /** Problem codes of its own beyond those of its guards and effects (shared/api/openapi.ts adds the common ones). */
  readonly problems?: readonly string[];
  readonly routeSummary: string;
}

const lifecycleRoute = (path: string, operationId: string, routeSummary: string, extra: Partial<OperationHttp> = {}): OperationHttp => ({
  method: 'POST',
  path: `/projects/{id}/${path}`,
  fn: 'project-lifecycle',
  operationId,
  routeSummary,
  ...extra,
});

export const TRANSITIONS = [
  {
    operation: 'start',
    from: ['NOT_STARTED'],
    to: 'RUNNING',
    guards: ['precheckPassed'],
    userFacing: true,
    summary: 'Start the migration project (once its precheck passed).',
    effects: ['start-run'],
    batch: true,
    http: lifecycleRoute('start', 'startProject', 'Start the project.'),
  },
  {
    operation: 'precheck',
    from: ['NOT_STARTED'],
    to: 'UNCHANGED',
    userFacing: true,
    summary: 'Run the precheck again (connections, tables and their primary keys, empty destination, change capture); start needs it PASSED.',
    effects: ['run-precheck'],
    http: lifecycleRoute('precheck', 'precheckProject', 'Run the precheck of a project that has not started.'),
  },
  {
    operation: 'record-precheck',
    from: ['NOT_STARTED'],
    to: 'UNCHANGED',
    userFacing: false,
    summary: 'The precheck finished: its items and overall status are recorded on the project.',
  },
  {
    operation: 'pause',
    from: ['RUNNING'],
    to: 'PAUSED',
    userFacing: true,
    summary: 'Pause running subtasks and stop scheduling later ones; records pausedAt and pauseExpiresAt.',
    effects: ['pause-run', 'schedule-pause-expiry'], batch: true, http: lifecycleRoute('pause', 'pauseProject', 'Pause the project.'),
  },
  {
    operation: 'resume',
    from: ['PAUSED', 'FAILED'],
    to: 'RUNNING',
    guards: ['pauseNotExpired'],
    userFacing: true,
    summary: 'Run the pending subtasks again; refused with PAUSE_EXPIRED once the pause deadline has passed.',
    effects: ['start-run', 'cancel-pause-expiry'], batch: true, http: lifecycleRoute('resume', 'resumeProject', 'Resume a paused or failed project.'),
  },
  {
    operation: 'release',
    from: ['PAUSED', 'FAILED', 'COMPLETED'],
    via: 'RELEASING',
    to: 'RELEASED',
    userFacing: true,
    summary: 'Stop every job and release the project (irreversible); frees its name.',
    effects: ['cancel-pause-expiry', 'finish-release'], batch: true, http: lifecycleRoute('release', 'releaseProject', 'Release the project (irreversible).'),
  },
  {
    operation: 'expire-pause',
    from: ['PAUSED'],
    to: 'UNCHANGED',
    guards: ['pauseDeadlinePassed'],
    userFacing: false,
    summary: 'Fired by the pause-expiry schedule: the pause outlived its deadline; the project can no longer be resumed.',
    effects: ['stop-run-and-jobs'],
  },
  {
    operation: 'warn-pause-expiring',
    from: ['PAUSED'],
    to: 'UNCHANGED',
    guards: ['pauseNotExpired', 'pauseNotWarned'],
    userFacing: false,
    summary: 'Fired by the warning schedule shortly before the pause deadline (pause expiring soon).',
  },
  {
    operation: 'complete-release',
    from: ['RELEASING'],
    to: 'RELEASED',
    userFacing: false,
    summary: 'Second half of release, once every job is stopped: RELEASED, name and data sources freed.',
    effects: [],
  },
  {
    operation: 'skip-full-verification',
    from: ['RUNNING', 'PAUSED', 'FAILED'],
    to: 'UNCHANGED',
    guards: ['atFullVerification'],
    userFacing: true,
    summary: 'Skip the full verification (its current subtask): a running verification job is stopped and the run moves on.',
    effects: ['stop-verification-job'], batch: true, http: lifecycleRoute('skip-full-verification', 'skipFullVerification', 'Skip the full verification while it is the current subtask (running, paused or failed).'),
  },
  {
    operation: 'enter-forward-switchover',
    from: ['RUNNING'],
    to: 'UNCHANGED',
    guards: ['atForwardSwitchover', 'switchoverNotEntered'],
    userFacing: true,
    summary: 'Enter the forward switchover stage, once full verification has succeeded or been skipped (or there is none).',
    effects: ['open-gate'], batch: true, http: lifecycleRoute('forward-switchover', 'enterForwardSwitchover', 'Enter the forward switchover stage (full verification succeeded, skipped or absent).'),
  },
  {
    operation: 'start-forward-switchover',
    from: ['RUNNING'],
    to: 'UNCHANGED',
    guards: ['atForwardSwitchover', 'switchoverEnteredNotStarted'],
    userFacing: true,
    summary: 'Start the steps of the forward switchover stage.',
    effects: ['open-gate'], batch: true, http: lifecycleRoute('forward-switchover/start', 'startForwardSwitchover', 'Start the forward switchover steps.'),
  },
  {
    operation: 'confirm-switchover-step',
    from: ['RUNNING'],
    to: 'UNCHANGED',
    guards: ['atForwardSwitchover', 'stepWaiting'],
    userFacing: true,
    summary: 'Confirm the manual switchover step that waits (before the forward switchover stage: NOT_AT_FORWARD_SWITCHOVER; any other step: STEP_NOT_WAITING); audited with the actor.',
    effects: ['switchover-step-work', 'open-gate'], http: lifecycleRoute('forward-switchover/confirm', 'confirmSwitchoverStep', 'Confirm the manual switchover step that waits: body {step}.', { body: 'step', problems: ['STEP_NOT_WAITING'] }),
  },
  {
    operation: 'complete',
    from: ['RUNNING'],
    to: 'COMPLETED',
    userFacing: false,
    summary: "The run's execution finished every subtask (nothing continuous left running).",
  },
  {
    operation: 'fail',
    from: ['RUNNING'],
    to: 'FAILED',
    userFacing: false,
    summary: 'A subtask failed, or the run could not go on (resume retries from the checkpoint).',
  },
  {
    operation: 'restart-run',
    from: ['RUNNING'],
    to: 'UNCHANGED',
    userFacing: false,
    summary: 'Reconciler: the execution of the run is gone; a new run continues from the pending subtasks.',
    effects: ['start-run'],
  },
  {
    operation: 'revert-start',
    from: ['RUNNING'],
    to: 'NOT_STARTED',
    userFacing: false,
    summary: 'Compensation: the execution of a start could not be started, so the start is undone.',
  },
  {
    operation: 'revert-resume',
    from: ['RUNNING'],
    to: 'PAUSED',
    userFacing: false,
    summary: 'Compensation: the execution of a resume from PAUSED could not be started, so the project is back in its pause (same deadline).',
  },
  {
    operation: 'delete',
    from: ['NOT_STARTED', 'RELEASED'],
    to: 'DELETED',
    userFacing: true,
    summary: "Delete the project; the caller repeats the project's exact name.",
    batch: true, http: { method: 'DELETE', path: '/projects/{id}', fn: 'delete-project', operationId: 'deleteProject', problems: ['CONFIRMATION_MISMATCH'], routeSummary: 'Delete a NOT_STARTED or RELEASED project (confirmName required).' },
  },
  {
    operation: 'modify-alert-config',
    from: ['NOT_STARTED', 'RUNNING', 'PAUSED', 'FAILED'],
    to: 'UNCHANGED',
    userFacing: true,
    summary: 'Change the alert level (NONE, LOW, MEDIUM, HIGH).',
    batch: true, http: lifecycleRoute('alert-config', 'modifyAlertConfig', 'Change the alert level.', { method: 'PUT', body: 'alertLevel' }),
  },
] as const satisfies readonly TransitionRule[];

export type Operation = (typeof TRANSITIONS)[number]['operation'];
/** Operations a caller may ask for (single or batch). */
export type UserOperation = Extract<(typeof TRANSITIONS)[number], { userFacing: true }>['operation'];
export const USER_OPERATIONS = TRANSITIONS.filter((t) => t.userFacing).map((t) => t.operation) as readonly UserOperation[];

/** Operations a batch may apply: the records marked `batch`. */
export type BatchOperation = Extract<(typeof TRANSITIONS)[number], { batch: true }>['operation'];
export const BATCH_OPERATIONS = TRANSITIONS.filter((t) => 'batch' in t && t.batch).map((t) => t.operation) as unknown as readonly [BatchOperation, ...BatchOperation[]];

/** User-facing operations with their HTTP route. */
export const HTTP_OPERATIONS = (TRANSITIONS as readonly TransitionRule[]).filter(
  (t): t is TransitionRule & { http: OperationHttp; operation: UserOperation } => t.userFacing && t.http !== undefined,
);

export function ruleFor(operation: Operation): TransitionRule {
  const rule = (TRANSITIONS as readonly TransitionRule[]).find((t) => t.operation === operation);
  if (!rule) throw new Error(`No transition rule for '${operation}'`);
  return rule;
}

/** The attributes the guards read (all optional: a record that lacks them fails the stage guards). */
export type GuardSubject = Pick<
  ProjectRecord,
  'pauseExpiresAt' | 'expiredAt' | 'pauseWarnedAt' | 'currentStage' | 'switchoverEnteredAt' | 'switchoverStartedAt' | 'waitingStep' | 'precheck'
>;

/**
 * A guard's condition, as data: written once, evaluated here against a record and the clock
 * (`conditionHolds`) and rendered by each store into its own condition language (DynamoDB:
 * shared/adapters/dynamodb/conditions.ts). Timestamps are ISO-8601 UTC strings of one format.
 */
export type GuardCondition =
  | { absent: AttributePath }
  | { present: AttributePath }
  | { equals: AttributePath; value: string }
  /** The timestamp at the path is after now (a deadline still ahead). */
  | { afterNow: AttributePath }
  /** The timestamp at the path is at or before now (a deadline reached). */
  | { notAfterNow: AttributePath }
  | { all: readonly GuardCondition[] }
  | { any: readonly GuardCondition[] };

/** Whether a guard condition holds for a record at an instant (the in-memory form of every store's condition). */
export function conditionHolds(c: GuardCondition, p: Partial<GuardSubject>, nowMs: number): boolean {
  if ('all' in c) return c.all.every((x) => conditionHolds(x, p, nowMs));
  if ('any' in c) return c.any.some((x) => conditionHolds(x, p, nowMs));
  if ('absent' in c) return readPath(p, c.absent) === undefined;
  if ('present' in c) return readPath(p, c.present) !== undefined;
  if ('equals' in c) return readPath(p, c.equals) === c.value;
  const at = readPath(p, 'afterNow' in c ? c.afterNow : c.notAfterNow);
  if (typeof at !== 'string') return false;
  return 'afterNow' in c ? nowMs < Date.parse(at) : nowMs >= Date.parse(at);
}

export interface Guard {
  /** When it holds, as data (every store renders the same condition). */
  condition: GuardCondition;
  holds(p: Partial<GuardSubject>, nowMs: number): boolean;
  failureCode: string;
  title: string;
  /** Why it does not hold, from the item as it was. */
  detail(p: Partial<GuardSubject>): string;
}

const deadlineDetail = (p: Partial<GuardSubject>) => `Refused by the pause deadline (${p.pauseExpiresAt ?? 'none'}, expired: ${p.expiredAt ?? 'no'}).`;

/** In-memory form of each guard, evaluated against a record and the clock. */
const GUARD_ROWS: Record<GuardName, Omit<Guard, 'holds'>> = {
  /** Resumable: not marked expired, and the clock is before the deadline. */
  pauseNotExpired: {
    condition: { all: [{ absent: ['expiredAt'] }, { any: [{ absent: ['pauseExpiresAt'] }, { afterNow: ['pauseExpiresAt'] }] }] },
    failureCode: 'PAUSE_EXPIRED',
    title: 'Pause deadline passed',
    detail: deadlineDetail,
  },
  /** Expirable: not marked yet, and the clock has reached the deadline. */
  pauseDeadlinePassed: {
    condition: { all: [{ absent: ['expiredAt'] }, { notAfterNow: ['pauseExpiresAt'] }] },
    failureCode: 'NOT_EXPIRABLE',
    title: 'Pause not expirable (deadline not reached, or already expired)',
    detail: deadlineDetail,
  },
  /** The warning of this pause has not been given yet: a duplicate or repeated firing warns (and alerts) no second time. */
  pauseNotWarned: {
    condition: { absent: ['pauseWarnedAt'] },
    failureCode: 'ALREADY_WARNED',
    title: 'Pause expiry already warned',
    detail: (p) => `The expiry of this pause was already warned at ${p.pauseWarnedAt ?? '?'}.`,
  },
  /** The full verification is the subtask the run stands at (running, paused or failed there). */
  atFullVerification: {
    condition: { equals: ['currentStage'], value: 'FULL_VERIFICATION' },
    failureCode: 'NOT_IN_FULL_VERIFICATION',
    title: 'Not in the full verification stage',
    detail: (p) => `The project is at stage ${p.currentStage ?? 'none'}, not FULL_VERIFICATION.`,
  },
  /** Everything before the forward switchover is done (full verification succeeded or skipped, or absent). */
  atForwardSwitchover: {
    condition: { equals: ['currentStage'], value: 'FORWARD_SWITCHOVER' },
    failureCode: 'NOT_AT_FORWARD_SWITCHOVER',
    title: 'Not at the forward switchover stage',
    detail: (p) => `The project is at stage ${p.currentStage ?? 'none'}: the forward switchover needs every earlier subtask (incl. full verification) succeeded or skipped.`,
  },
  switchoverNotEntered: {
    condition: { absent: ['switchoverEnteredAt'] },
    failureCode: 'SWITCHOVER_ALREADY_ENTERED',
    title: 'Forward switchover already entered',
    detail: (p) => `The forward switchover stage was entered at ${p.switchoverEnteredAt ?? '?'}.`,
  },
  switchoverEnteredNotStarted: {
    condition: { all: [{ present: ['switchoverEnteredAt'] }, { absent: ['switchoverStartedAt'] }] },
    failureCode: 'SWITCHOVER_NOT_STARTABLE',
    title: 'Forward switchover cannot be started',
    detail: (p) =>
      p.switchoverEnteredAt === undefined
        ? 'Enter the forward switchover stage first (POST /projects/{id}/forward-switchover).'
        : `The forward switchover was started at ${p.switchoverStartedAt ?? '?'}.`,
  },
  /** A manual switchover step waits for its confirmation (the request names which: see `equals.waitingStep`). */
  /** The project's precheck passed (a record from before prechecks has none and starts as it always did). */
  precheckPassed: {
    condition: { any: [{ absent: ['precheck'] }, { equals: ['precheck', 'status'], value: 'PASSED' }] },
    failureCode: 'PRECHECK_NOT_PASSED',
    title: 'Precheck not passed',
    detail: (p) =>
      p.precheck?.status === 'RUNNING'
        ? 'The precheck is still running.'
        : `The precheck failed: ${(p.precheck?.items ?? []).filter((i) => i.status === 'FAILED').map((i) => `${i.name}: ${i.message}`).join('; ') || 'see precheck.items'}. Fix it and run POST /projects/{id}/precheck again.`,
  },
  stepWaiting: {
    condition: { present: ['waitingStep'] },
    failureCode: 'STEP_NOT_WAITING',
    title: 'No switchover step waits for confirmation',
    detail: () => 'No manual switchover step is waiting for a confirmation right now.',
  },
};

/** The guards, each holding where its condition does. */
export const GUARDS: Record<GuardName, Guard> = Object.fromEntries(
  (Object.entries(GUARD_ROWS) as [GuardName, Omit<Guard, 'holds'>][]).map(([name, g]) => [name, { ...g, holds: (p: Partial<GuardSubject>, nowMs: number) => conditionHolds(g.condition, p, nowMs) }]),
) as Record<GuardName, Guard>;

/** The status a successful operation leaves the project in, or null when it deletes it. */
export function resultingStatus(rule: TransitionRule, current: ProjectStatus): ProjectStatus | null {
  if (rule.to === 'DELETED') return null;
  if (rule.to === 'UNCHANGED') return current;
  return rule.to;
}

export function isAllowed(rule: TransitionRule, p: Pick<ProjectRecord, 'status'> & Partial<GuardSubject>, nowMs: number): boolean {
  return rule.from.includes(p.status) && (rule.guards ?? []).every((g) => GUARDS[g].holds(p, nowMs));
}

/** User-facing operations the project allows right now (from the table and the clock). */
export function allowedActions(p: Pick<ProjectRecord, 'status'> & Partial<GuardSubject>, nowMs: number): Operation[] {
  return (TRANSITIONS as readonly TransitionRule[])
    .filter((rule) => rule.userFacing && isAllowed(rule, p, nowMs))
    .map((rule) => rule.operation as Operation);
}

/** Markdown state table for the README, generated from the same rows. */
export function stateTableMarkdown(): string {
  const rows = (TRANSITIONS as readonly TransitionRule[]).filter((t) => t.userFacing);
  const lines = [
    '| operation | allowed from | leads to | guard |',
    '| --- | --- | --- | --- |',
    ...rows.map((t) => {
      const to = t.to === 'UNCHANGED' ? '(status unchanged)' : t.to === 'DELETED' ? '(deleted)' : t.via ? `${t.via} → ${t.to}` : t.to;
      return `| \`${t.operation}\` | ${t.from.join(', ')} | ${to} | ${(t.guards ?? []).join(', ') || '—'} |`;
    }),
  ];
  const matrix = [
    '',
    `| status | ${rows.map((t) => `\`${t.operation}\``).join(' | ')} |`,
    `| --- | ${rows.map(() => '---').join(' | ')} |`,
    ...PROJECT_STATUSES.map((s) => `| ${s} | ${rows.map((t) => (t.from.includes(s) ? '✓' : '')).join(' | ')} |`),
  ];
  return [...lines, ...matrix].join('\n');
}
