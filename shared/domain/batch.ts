import { PROJECT_STATUSES, type MigrationType, type ProjectRecord, type ProjectStatus } from './project';
import type { SwitchoverStepName } from './subtasks';
import type { OperationOutcome } from './sources';
import { BATCH_OPERATIONS, TRANSITIONS, type TransitionRule } from './transitions';

/**
 * Batch operations (the OMS "Migration Projects" page): one operation of the transitions table applied
 * to many projects. Which project may take it is the table's own `isAllowed` (states + guards), so
 * nothing here is per operation except the rules the seeds put on the *selection as a whole*
 * (`BATCH_RULES`). Pure domain: no AWS SDK.
 */
/** The operations a batch may apply: the records of the operations table marked `batch`. */
export { BATCH_OPERATIONS, type BatchOperation } from './transitions';
import type { BatchOperation } from './transitions';

/** Most projects one call acts on (ids given, or one selector page). */
export const MAX_BATCH_SIZE = 1000;

/** One project's result in a batch (answered by a synchronous batch, stored per project by an asynchronous one). */
export interface BatchItemResult {
  projectId: string;
  name?: string;
  ok: boolean;
  /** The status after the operation (ok), or the status that refused it. Absent once deleted or unknown. */
  status?: ProjectStatus;
  /** True when the operation deleted the project. */
  deleted?: boolean;
  code?: string;
  message?: string;
  /** The project's latest timestamp: after the change (ok), or as last read (refused). */
  updatedAt?: string;
  version?: number;
  /** A multi-source project: the outcome per source (dmctl-shaped). */
  outcome?: OperationOutcome;
}


/**
 * The user-facing row of the transitions table for a batch operation, or undefined while the table has
 * none (the item is then ineligible with OPERATION_NOT_AVAILABLE). Adding the row is all it takes.
 */
export function batchRuleFor(operation: string): TransitionRule | undefined {
  return (TRANSITIONS as readonly TransitionRule[]).find((t) => t.operation === operation && t.userFacing);
}

/** A project the batch would act on, and why a selection-wide rule refuses some. */
export interface BatchRefusal {
  projectId: string;
  code: string;
  reason: string;
}

/**
 * A rule on the selection as a whole, run over the projects the table already allows: returns the
 * ones it refuses (with code and reason). Registered per operation in BATCH_RULES.
 */
export interface BatchRule {
  /** One line for the README. */
  readonly description: string;
  check(eligible: readonly ProjectRecord[]): BatchRefusal[];
}

/** The FORWARD_SWITCHOVER step a project stands at: the first step neither SUCCEEDED nor SKIPPED. */
export function currentSwitchoverStep(p: Pick<ProjectRecord, 'subtasks'>): SwitchoverStepName | undefined {
  const switchover = (p.subtasks ?? []).find((s) => s.type === 'FORWARD_SWITCHOVER');
  return switchover?.steps?.find((s) => s.status !== 'SUCCEEDED' && s.status !== 'SKIPPED')?.name;
}

const MIGRATION_TYPE_KEYS: readonly (keyof MigrationType)[] = [
  'structureMigration',
  'fullMigration',
  'incrementalSync',
  'fullVerification',
  'reverseIncrementalSync',
];

/** A short, stable label of a migration type, e.g. "structure+full+incremental". */
export function migrationTypeLabel(m: MigrationType): string {
  const short: Record<keyof MigrationType, string> = {
    structureMigration: 'structure',
    fullMigration: 'full',
    incrementalSync: 'incremental',
    fullVerification: 'verification',
    reverseIncrementalSync: 'reverse',
  };
  return MIGRATION_TYPE_KEYS.filter((k) => m[k]).map((k) => short[k]).join('+') || 'none';
}

const PRECHECK: SwitchoverStepName = 'SWITCHOVER_PRECHECK';

/**
 * Seeds, "Batch start forward switchover": the selected projects have the same migration type and are
 * in the same step of the forward switchover stage, except the switchover precheck step. Otherwise
 * every one of them is ineligible with MIXED_SWITCHOVER_STEPS (the reason says which groups were found).
 */
export const sameSwitchoverStep: BatchRule = {
  description: 'same migration type and same switchover step, not the precheck step, across the selection',
  check: (eligible) => {
    if (eligible.length === 0) return [];
    const groups = new Map<string, number>();
    for (const p of eligible) {
      const key = `${migrationTypeLabel(p.migrationType)} at ${currentSwitchoverStep(p) ?? 'no switchover step'}`;
      groups.set(key, (groups.get(key) ?? 0) + 1);
    }
    const step = currentSwitchoverStep(eligible[0] as ProjectRecord);
    let reason: string | undefined;
    if (groups.size > 1) {
      const found = [...groups].map(([k, n]) => `${n} ${k}`).join('; ');
      reason = `Batch start forward switchover needs every selected project to have the same migration type and stand at the same switchover step; found: ${found}.`;
    } else if (step === undefined) {
      reason = 'The selected projects stand at no forward switchover step.';
    } else if (step === PRECHECK) {
      reason = `The selected projects stand at ${PRECHECK}, which cannot be started as a batch (the seeds exclude the precheck step).`;
    }
    if (reason === undefined) return [];
    const text = reason;
    return eligible.map((p) => ({ projectId: p.id, code: 'MIXED_SWITCHOVER_STEPS', reason: text }));
  },
};

/**
 * Selection-wide rules of the seeds, by operation. A hook: another rule is one more entry
 * (or `registerBatchRule`), with no change to the batch use case.
 */
export const BATCH_RULES: Partial<Record<BatchOperation, BatchRule[]>> = {
  'start-forward-switchover': [sameSwitchoverStep],
};

export function registerBatchRule(operation: BatchOperation, rule: BatchRule): void {
  (BATCH_RULES[operation] ??= []).push(rule);
}

/** Markdown: which status allows which batch operation, generated from the transitions table. */
export function batchTableMarkdown(): string {
  const missing = BATCH_OPERATIONS.filter((op) => !batchRuleFor(op));
  const conditional = (op: BatchOperation) => (batchRuleFor(op)?.guards ?? []).length > 0 || (BATCH_RULES[op]?.length ?? 0) > 0;
  const cell = (op: BatchOperation, status: (typeof PROJECT_STATUSES)[number]) => {
    const rule = batchRuleFor(op);
    if (!rule) return 'n/a¹';
    if (!rule.from.includes(status)) return '';
    return conditional(op) ? '✓²' : '✓';
  };
  const notes: string[] = [];
  if (missing.length > 0) {
    notes.push(`¹ no row in the transitions table yet: every item is ineligible with \`OPERATION_NOT_AVAILABLE\`.`);
  }
  const guarded = BATCH_OPERATIONS.filter((op) => batchRuleFor(op) && conditional(op));
  if (guarded.length > 0) {
    notes.push(
      '² only when these also hold: ' +
        guarded
          .map((op) => `\`${op}\` (${[...(batchRuleFor(op)?.guards ?? []), ...(BATCH_RULES[op] ?? []).map((r) => r.description)].join(', ')})`)
          .join('; ') +
        '.',
    );
  }
  return [
    `| status | ${BATCH_OPERATIONS.map((op) => `\`${op}\``).join(' | ')} |`,
    `| --- | ${BATCH_OPERATIONS.map(() => '---').join(' | ')} |`,
    ...PROJECT_STATUSES.map((s) => `| ${s} | ${BATCH_OPERATIONS.map((op) => cell(op, s)).join(' | ')} |`),
    ...(notes.length ? ['', notes.join('  \n')] : []),
  ].join('\n');
}
