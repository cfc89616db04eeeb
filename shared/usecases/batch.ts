import { isoAt } from '../domain/clock';
import {
  BATCH_RULES,
  MAX_BATCH_SIZE,
  batchRuleFor,
  type BatchOperation,
} from '../domain/batch';
import { DomainError, isTransientError, validationFailed } from '../domain/errors';
import type { AlertLevel, ProjectRecord, ProjectStatus, RequestContext } from '../domain/project';
import { isAllowed, type TransitionRule, type UserOperation } from '../domain/transitions';
import { logger } from '../observability/telemetry';
import { isMultiSource, sourceIdsOf } from '../domain/sources';
import type { BatchItemResult } from '../domain/batch';
export type { BatchItemResult } from '../domain/batch';
import { lifecycleView } from './project-view';
import { readProjects } from './project-read';
import type { Deps } from './deps';
import { mapWithConcurrency } from './concurrency';
import { applyOperation, explainConflict } from './lifecycle';

/**
 * Batch operations: one operation of the transitions table on up to 1000 projects, previewed (dry run)
 * or executed. Eligibility is the table's `isAllowed` (states + guards) plus the selection-wide rules of
 * the seeds (BATCH_RULES); execution changes each project with `applyOperation`, exactly as the single
 * call does (one conditional write + its side effects), so a project that changed since the preview is
 * reported with its own code rather than overwritten. Every requested project gets one result.
 */

export interface BatchSelector {
  status?: ProjectStatus;
  label?: string;
  /** Every project that reads this data source (combinable with status and label). */
  sourceId?: string;
}

export interface BatchRequest {
  operation: BatchOperation;
  projectIds?: readonly string[];
  selector?: BatchSelector;
  dryRun?: boolean;
  /** `sources` (pause/resume only): act on those sources alone in each selected project. */
  parameters?: { level?: AlertLevel; sources?: readonly string[] };
  /** From the preview: each item's write is then conditional on that version (VERSION_MISMATCH per item). */
  expectedVersions?: Readonly<Record<string, number>>;
  /** Selector only: continue after the previous call's last project. */
  nextToken?: string;
}

export interface EligibleItem {
  projectId: string;
  name: string;
  status: ProjectStatus;
  updatedAt: string;
  version: number;
}

export interface IneligibleItem {
  projectId: string;
  name?: string;
  status?: ProjectStatus;
  code: string;
  reason: string;
}

export interface BatchPreview {
  operation: BatchOperation;
  eligible: EligibleItem[];
  ineligible: IneligibleItem[];
  /** Selector only: more projects match; pass it back to continue. */
  nextToken?: string;
}


export interface BatchExecution {
  operation: BatchOperation;
  batchId: string;
  requested: number;
  succeeded: number;
  failed: number;
  results: BatchItemResult[];
  nextToken?: string;
}

/** What a batch asks of one project; the default executor is `applyOperation`. */
export interface BatchItemRequest {
  operation: BatchOperation;
  projectId: string;
  expectedVersion?: number;
  parameters?: { level?: AlertLevel; sources?: readonly string[] };
  /** The consistent read the batch just made. */
  current: ProjectRecord;
  ctx: RequestContext & { batchId: string };
}

export type BatchExecutor = (deps: Deps, item: BatchItemRequest) => Promise<ProjectRecord | null>;

/** Every operation with a row runs as the single call does; batch delete needs no typed name. */
const applyAsSingleCall: BatchExecutor = (deps, item) => {
  const { sources: _all, ...parameters } = item.parameters ?? {};
  const perItem = itemOperation(item.operation, item.parameters?.sources, item.current);
  return applyOperation(deps, {
    operation: item.operation as UserOperation,
    projectId: item.projectId,
    ...(item.expectedVersion !== undefined ? { expectedVersion: item.expectedVersion } : {}),
    ...(Object.keys(parameters).length ? { parameters } : {}),
    ...('sources' in perItem && perItem.sources ? { sources: perItem.sources } : {}),
    current: item.current,
    ctx: item.ctx,
  });
};

/**
 * A batch pause/resume with `sources` per project: the named sources this project reads (none: the
 * project is refused with SOURCE_NOT_IN_PROJECT); a single-source project reading it takes the whole
 * operation (its one source is the project); a multi-source one the per-source operation (pausing every
 * source still running is the whole pause, as for the single call).
 */
export function itemOperation(operation: BatchOperation, sources: readonly string[] | undefined, p: ProjectRecord): { operation: UserOperation; sources?: string[] } | { refusal: { code: string; reason: string } } {
  if (!sources?.length || (operation !== 'pause' && operation !== 'resume')) return { operation };
  const reads = sourceIdsOf(p);
  const wanted = sources.filter((id) => reads.includes(id));
  if (wanted.length === 0) return { refusal: { code: 'SOURCE_NOT_IN_PROJECT', reason: `The project does not read ${sources.join(', ')}.` } };
  if (!isMultiSource(p)) return { operation };
  if (operation === 'pause') {
    const leftRunning = (p.sources ?? []).filter((s) => !s.pausedAt && !wanted.includes(s.sourceId));
    if (p.status === 'RUNNING' && leftRunning.length === 0 && wanted.every((id) => p.sources?.some((s) => s.sourceId === id && !s.pausedAt))) return { operation };
    return { operation: 'pause-sources', sources: wanted };
  }
  return { operation: 'resume-sources', sources: wanted };
}

/**
 * How an operation is carried out per project: `applyOperation` unless an operation registers its own
 * use case here (a hook for operations implemented outside the lifecycle use case).
 */
export const BATCH_EXECUTORS: Partial<Record<BatchOperation, BatchExecutor>> = {};

export function registerBatchExecutor(operation: BatchOperation, executor: BatchExecutor): void {
  BATCH_EXECUTORS[operation] = executor;
}

export interface BatchOptions {
  /** Projects changed at once (DynamoDB writes and side effects in flight). */
  concurrency?: number;
  /** Most projects one call acts on (selector page size). */
  maxPerCall?: number;
  /** The table row lookup (tests stand in rows that are not in the table yet). */
  ruleFor?: (operation: BatchOperation) => TransitionRule | undefined;
}

export const DEFAULT_BATCH_CONCURRENCY = 16;

export interface Target {
  projectId: string;
  record?: ProjectRecord;
}

export type Assessment = { projectId: string; record: ProjectRecord; refusal?: undefined } | { projectId: string; record?: ProjectRecord; refusal: { code: string; reason: string } };

export async function runBatch(deps: Deps, req: BatchRequest, ctx: RequestContext, options: BatchOptions = {}): Promise<BatchPreview | BatchExecution> {
  const maxPerCall = options.maxPerCall ?? MAX_BATCH_SIZE;
  validateBatchRequest(req, maxPerCall);
  const { targets, nextToken } = await selectTargets(deps, req, maxPerCall);
  const assessed = assess(req, targets, deps.clock.nowMs(), options.ruleFor ?? batchRuleFor);
  const more = nextToken ? { nextToken } : {};

  if (req.dryRun) {
    const eligible: EligibleItem[] = [];
    const ineligible: IneligibleItem[] = [];
    for (const a of assessed) {
      if (a.refusal) ineligible.push({ projectId: a.projectId, ...nameAndStatus(a.record), code: a.refusal.code, reason: a.refusal.reason });
      else eligible.push({ projectId: a.projectId, name: a.record.name, status: a.record.status, updatedAt: a.record.updatedAt, version: a.record.version });
    }
    return { operation: req.operation, eligible, ineligible, ...more };
  }

  const batchId = deps.newId();
  // The projects' transition writes share transactions where the store can combine them: far fewer
  // requests, and each write keeps its own condition and outcome, exactly as the single call's.
  const itemDeps = combinedDeps(deps);
  const results = await mapWithConcurrency(assessed, options.concurrency ?? DEFAULT_BATCH_CONCURRENCY, (a) => executeAssessed(itemDeps, req, a, { ...ctx, batchId }));
  const succeeded = results.filter((r) => r.ok).length;
  logger.info('batch executed', { batchId, operation: req.operation, requested: results.length, succeeded, failed: results.length - succeeded });

  return { operation: req.operation, batchId, requested: results.length, succeeded, failed: results.length - succeeded, results, ...more };
}

/** Deps whose transition writes made at the same time share transactions (where the store can). */
export function combinedDeps(deps: Deps): Deps {
  return deps.projects.combineTransitions ? { ...deps, projects: deps.projects.combineTransitions() } : deps;
}

/**
 * One assessed project of a batch: its refusal as the result, or the operation applied exactly as the
 * single call (the batch's executor), its failure that item's result and never the batch's.
 */
export async function executeAssessed(
  deps: Deps,
  req: Pick<BatchRequest, 'operation' | 'expectedVersions' | 'parameters'>,
  a: Assessment,
  ctx: RequestContext & { batchId: string },
): Promise<BatchItemResult> {
  if (a.refusal) {
    return { projectId: a.projectId, ...nameAndStatus(a.record), ok: false, code: a.refusal.code, message: a.refusal.reason, ...(a.record ? { updatedAt: a.record.updatedAt, version: a.record.version } : {}) };
  }
  const p = a.record;
  const execute = BATCH_EXECUTORS[req.operation] ?? applyAsSingleCall;
  try {
    const after = await execute(deps, {
      operation: req.operation,
      projectId: p.id,
      ...(req.expectedVersions?.[p.id] !== undefined ? { expectedVersion: req.expectedVersions[p.id] } : {}),
      ...(req.parameters ? { parameters: req.parameters } : {}),
      current: p,
      ctx,
    });
    if (after === null) return { projectId: p.id, name: p.name, ok: true, deleted: true, updatedAt: isoAt(deps.clock.nowMs()) };
    const perItem = itemOperation(req.operation, req.parameters?.sources, p);
    const outcome = isMultiSource(after) && 'operation' in perItem ? { outcome: lifecycleView(after, deps.clock.nowMs(), perItem.operation, perItem.sources).outcome } : {};
    return { projectId: p.id, name: p.name, ok: true, status: after.status, updatedAt: after.updatedAt, version: after.version, ...outcome };
  } catch (e) {
    return failedItem(p, e, req.operation, ctx.batchId);
  }
}

function nameAndStatus(p: ProjectRecord | undefined): { name?: string; status?: ProjectStatus } {
  return p ? { name: p.name, status: p.status } : {};
}

/** The use case's own check of what the API schema already enforces (it can be called directly). */
export function validateBatchRequest(req: BatchRequest, maxPerCall: number = MAX_BATCH_SIZE): void {
  if ((req.projectIds === undefined) === (req.selector === undefined)) throw validationFailed('Give either projectIds or selector.');
  if (req.projectIds) {
    if (req.projectIds.length < 1 || req.projectIds.length > MAX_BATCH_SIZE) throw validationFailed(`projectIds takes 1 to ${MAX_BATCH_SIZE} ids.`);
    const seen = new Set<string>();
    const repeated = req.projectIds.filter((id) => seen.size === seen.add(id).size);
    if (repeated.length > 0) throw validationFailed(`projectIds must not repeat: ${[...new Set(repeated)].join(', ')}.`);
    if (req.nextToken !== undefined) throw validationFailed('nextToken continues a selector; it does not go with projectIds.');
  }
  if (!Number.isInteger(maxPerCall) || maxPerCall < 1) throw new Error('maxPerCall must be a positive integer');
  if (req.operation === 'modify-alert-config' && !req.parameters?.level) throw validationFailed('modify-alert-config needs parameters.level.');
  if (req.parameters?.sources?.length && req.operation !== 'pause' && req.operation !== 'resume') throw validationFailed('parameters.sources goes with pause and resume only.');
}

async function selectTargets(deps: Deps, req: BatchRequest, maxPerCall: number): Promise<{ targets: Target[]; nextToken?: string }> {
  let ids: readonly string[];
  let nextToken: string | undefined;
  if (req.projectIds) {
    ids = req.projectIds;
  } else {
    const selector = req.selector ?? {};
    // One listing page: bounded by the store's read budget, so it may be short (even empty) with a nextToken.
    const page = await deps.projects.list({
      ...(selector.status ? { status: selector.status } : {}),
      ...(selector.label !== undefined ? { label: selector.label } : {}),
      limit: maxPerCall,
      ...(req.nextToken ? { nextToken: req.nextToken } : {}),
    });
    const sourceId = selector.sourceId;
    ids = page.items.filter((p) => sourceId === undefined || sourceIdsOf(p).includes(sourceId)).map((p) => p.id);
    nextToken = page.nextToken;
  }
  // One consistent read for all (the listing comes from an index): eligibility is judged on it, and each
  // write is computed from it whole (a pause records the progress item's last measurements).
  const found = await readProjects(deps, ids);
  return { targets: ids.map((projectId) => ({ projectId, record: found.get(projectId) })), ...(nextToken ? { nextToken } : {}) };
}

/** Eligibility of each target (the transitions table, expected versions, then the selection-wide rules). */
export function assess(req: Pick<BatchRequest, 'operation' | 'expectedVersions' | 'parameters'>, targets: readonly Target[], nowMs: number, ruleOf: (op: BatchOperation) => TransitionRule | undefined): Assessment[] {
  const assessed: Assessment[] = targets.map(({ projectId, record }) => {
    if (!record) return { projectId, refusal: { code: 'PROJECT_NOT_FOUND', reason: `No project with id '${projectId}'.` } };
    const perItem = itemOperation(req.operation, req.parameters?.sources, record);
    if ('refusal' in perItem) return { projectId, record, refusal: perItem.refusal };
    const rule = perItem.operation === req.operation ? ruleOf(req.operation) : batchRuleFor(perItem.operation);
    if (!rule) {
      return {
        projectId,
        record,
        refusal: { code: 'OPERATION_NOT_AVAILABLE', reason: `'${req.operation}' has no row in the transitions table yet, so no project can take it.` },
      };
    }
    const expectedVersion = req.expectedVersions?.[projectId];
    const allowed = isAllowed(rule, record, nowMs) && (expectedVersion === undefined || expectedVersion === record.version);
    if (allowed) return { projectId, record };
    const why = explainConflict(rule, { projectId, operation: perItem.operation, ...(expectedVersion !== undefined ? { expectedVersion } : {}) } as Parameters<typeof explainConflict>[1], record, nowMs);
    return {
      projectId,
      record,
      refusal: why ? { code: why.code, reason: why.message } : { code: 'INVALID_STATE', reason: `Cannot ${req.operation} a project that is ${record.status}.` },
    };
  });
  // Selection-wide rules, over the projects the table allows.
  const eligible = assessed.filter((a) => !a.refusal).map((a) => a.record as ProjectRecord);
  const refused = new Map<string, { code: string; reason: string }>();
  for (const rule of BATCH_RULES[req.operation] ?? []) {
    for (const r of rule.check(eligible.filter((p) => !refused.has(p.id)))) if (!refused.has(r.projectId)) refused.set(r.projectId, { code: r.code, reason: r.reason });
  }
  return assessed.map((a) => {
    const refusal = refused.get(a.projectId);
    return refusal && !a.refusal ? { projectId: a.projectId, ...(a.record ? { record: a.record } : {}), refusal } : a;
  });
}

/** A refusal keeps its code; anything unexpected becomes this item's INTERNAL_ERROR, never the batch's. */
function failedItem(p: ProjectRecord, e: unknown, operation: BatchOperation, batchId: string): BatchItemResult {
  const base = { projectId: p.id, name: p.name, ok: false as const, updatedAt: p.updatedAt };
  if (e instanceof DomainError) {
    const current = e.extra.currentStatus as ProjectStatus | undefined;
    const status = e.code === 'PROJECT_NOT_FOUND' ? undefined : (current ?? p.status);
    return { ...base, ...(status ? { status } : {}), code: e.code, message: e.message };
  }
  const name = (e as Error | undefined)?.name;
  logger.error('batch item failed unexpectedly', { batchId, operation, projectId: p.id, error: name, detail: (e as Error | undefined)?.message });
  if (isTransientError(e)) {
    return { ...base, code: 'SERVICE_UNAVAILABLE', message: 'A dependency was busy; this project may not have changed. Read it and retry it.' };
  }
  return { ...base, code: 'INTERNAL_ERROR', message: 'Unexpected error on this project; read it to see whether it changed, then retry it.' };
}
