import type { ProjectRecord, ProjectStatus } from './project';
import { PROJECT_STATUSES } from './project';

/**
 * THE transitions table. One row per operation: the states it may start from and where it leads.
 * It drives the DynamoDB condition of every lifecycle write, `allowedActions` on every read,
 * batch eligibility and the README state table. Adding an operation is adding a row.
 */

/** Named extra conditions a write must also satisfy; each has an in-memory and a DynamoDB form. */
export type GuardName = 'pauseNotExpired' | 'pauseDeadlinePassed';

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
}

export const TRANSITIONS = [
  { operation: 'start', from: ['NOT_STARTED'], to: 'RUNNING', userFacing: true, summary: 'Start the migration project.' },
  {
    operation: 'pause',
    from: ['RUNNING'],
    to: 'PAUSED',
    userFacing: true,
    summary: 'Pause running subtasks and stop scheduling later ones; records pausedAt and pauseExpiresAt.',
  },
  {
    operation: 'resume',
    from: ['PAUSED', 'FAILED'],
    to: 'RUNNING',
    guards: ['pauseNotExpired'],
    userFacing: true,
    summary: 'Run the pending subtasks again; refused with PAUSE_EXPIRED once the pause deadline has passed.',
  },
  {
    operation: 'release',
    from: ['PAUSED', 'FAILED', 'COMPLETED'],
    via: 'RELEASING',
    to: 'RELEASED',
    userFacing: true,
    summary: 'Stop every job and release the project (irreversible); frees its name.',
  },
  {
    operation: 'expire-pause',
    from: ['PAUSED'],
    to: 'UNCHANGED',
    guards: ['pauseDeadlinePassed'],
    userFacing: false,
    summary: 'Fired by the pause-expiry schedule: the pause outlived its deadline; the project can no longer be resumed.',
  },
  {
    operation: 'warn-pause-expiring',
    from: ['PAUSED'],
    to: 'UNCHANGED',
    guards: ['pauseNotExpired'],
    userFacing: false,
    summary: 'Fired by the warning schedule shortly before the pause deadline (pause expiring soon).',
  },
  {
    operation: 'complete-release',
    from: ['RELEASING'],
    to: 'RELEASED',
    userFacing: false,
    summary: 'Second half of release, once every job is stopped: RELEASED, name and data sources freed.',
  },
  {
    operation: 'delete',
    from: ['NOT_STARTED', 'RELEASED'],
    to: 'DELETED',
    userFacing: true,
    summary: "Delete the project; the caller repeats the project's exact name.",
  },
  {
    operation: 'modify-alert-config',
    from: ['NOT_STARTED', 'RUNNING', 'PAUSED', 'FAILED'],
    to: 'UNCHANGED',
    userFacing: true,
    summary: 'Change the alert level (NONE, LOW, MEDIUM, HIGH).',
  },
] as const satisfies readonly TransitionRule[];

export type Operation = (typeof TRANSITIONS)[number]['operation'];
/** Operations a caller may ask for (single or batch). */
export type UserOperation = Extract<(typeof TRANSITIONS)[number], { userFacing: true }>['operation'];
export const USER_OPERATIONS = TRANSITIONS.filter((t) => t.userFacing).map((t) => t.operation) as readonly UserOperation[];

export function ruleFor(operation: Operation): TransitionRule {
  const rule = (TRANSITIONS as readonly TransitionRule[]).find((t) => t.operation === operation);
  if (!rule) throw new Error(`No transition rule for '${operation}'`);
  return rule;
}

/** In-memory form of each guard, evaluated against a record and the clock. */
type GuardSubject = Pick<ProjectRecord, 'pauseExpiresAt' | 'expiredAt'>;
export const GUARDS: Record<GuardName, { holds(p: GuardSubject, nowMs: number): boolean; failureCode: string; title: string }> = {
  /** Resumable: not marked expired, and the clock is before the deadline. */
  pauseNotExpired: {
    holds: (p, nowMs) => p.expiredAt === undefined && (p.pauseExpiresAt === undefined || nowMs < Date.parse(p.pauseExpiresAt)),
    failureCode: 'PAUSE_EXPIRED',
    title: 'Pause deadline passed',
  },
  /** Expirable: not marked yet, and the clock has reached the deadline. */
  pauseDeadlinePassed: {
    holds: (p, nowMs) => p.expiredAt === undefined && p.pauseExpiresAt !== undefined && nowMs >= Date.parse(p.pauseExpiresAt),
    failureCode: 'NOT_EXPIRABLE',
    title: 'Pause not expirable (deadline not reached, or already expired)',
  },
};

/** The status a successful operation leaves the project in, or null when it deletes it. */
export function resultingStatus(rule: TransitionRule, current: ProjectStatus): ProjectStatus | null {
  if (rule.to === 'DELETED') return null;
  if (rule.to === 'UNCHANGED') return current;
  return rule.to;
}

export function isAllowed(rule: TransitionRule, p: Pick<ProjectRecord, 'status' | 'pauseExpiresAt' | 'expiredAt'>, nowMs: number): boolean {
  return rule.from.includes(p.status) && (rule.guards ?? []).every((g) => GUARDS[g].holds(p, nowMs));
}

/** User-facing operations the project allows right now (from the table and the clock). */
export function allowedActions(p: Pick<ProjectRecord, 'status' | 'pauseExpiresAt' | 'expiredAt'>, nowMs: number): Operation[] {
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
