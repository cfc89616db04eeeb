import type { ProjectRecord, ProjectStatus } from './project';
import type { SubtaskType } from './subtasks';

/**
 * Several sources per project (TiDB DM's upstream sources): a project reads 1..MAX_SOURCES data sources
 * and migrates them into its one destination. The subtasks that read a source (full migration and
 * incremental sync) run one part per source; structure migration, verification and switchover stay
 * per project. A source may be paused on its own (`POST /projects/{id}/pause {"sources": [...]}`):
 * its state lives on the project item (`sources[i]`), so the guards of the operations table read it
 * like any other attribute and every store renders the same conditions.
 */
export const MAX_SOURCES = 8;

/**
 * Reverse incremental sync needs exactly one source. After the switchover the application writes to the
 * merged destination; a row it inserts there (a new key) belongs to none of the sources, and without a
 * sharding rule (which key range or hash goes to which source: none is configured) the reverse sync
 * cannot know which source to write it back to. So a project with several sources cannot have it: refused
 * at create and clone (400 VALIDATION_FAILED, issue code `reverse_sync_several_sources` at the body path of
 * migrationType.reverseIncrementalSync), and again by the engines (defence in depth).
 */
export const REVERSE_SYNC_SEVERAL_SOURCES_CODE = 'reverse_sync_several_sources';

export const REVERSE_SYNC_SEVERAL_SOURCES_MESSAGE =
  'reverseIncrementalSync needs a single source: rows written on the merged destination after the switchover cannot be routed back to one of several sources (no sharding rule says which). Create the project without reverse sync (reverseIncrementalSync: false), or with one source.';

/** Whether these sources and migration type ask for the reverse sync several sources cannot have. */
export const reverseSyncWithSeveralSources = (sourceIds: readonly string[], migrationType: { reverseIncrementalSync: boolean }): boolean =>
  sourceIds.length > 1 && migrationType.reverseIncrementalSync;

/** The subtasks that run one part (one engine job, one change stream) per source. */
export const PER_SOURCE_SUBTASKS: readonly SubtaskType[] = ['FULL_MIGRATION', 'INCREMENTAL_SYNC'];

export const isPerSource = (type: SubtaskType) => PER_SOURCE_SUBTASKS.includes(type);

/** A source of a multi-source project as stored: paused on its own while `pausedAt` is set. */
export interface ProjectSource {
  sourceId: string;
  /** When this source was paused on its own (absent: it follows the project). */
  pausedAt?: string;
  /** Its own resume deadline (same length as a project's pause deadline). */
  pauseExpiresAt?: string;
  /** Set once its own pause outlived the deadline: its change stream is released, it can never resume. */
  expiredAt?: string;
}

/** The status of one source as the project view shows it. */
export type SourceStatus = 'NOT_STARTED' | 'RUNNING' | 'PAUSED' | 'EXPIRED' | 'FAILED' | 'COMPLETED' | 'RELEASING' | 'RELEASED';

export interface SourceView {
  sourceId: string;
  status: SourceStatus;
  /** Paused on its own, or with the whole project. */
  pausedAt?: string;
  pauseExpiresAt?: string;
  expiredAt?: string;
  /** Whether a resume (of this source, or of the whole project) would run it again. */
  resumable: boolean;
}

/** The ids of a project's sources (records made before multi-source projects have `sourceId` alone). */
export function sourceIdsOf(p: Pick<ProjectRecord, 'sourceId'> & { sourceIds?: readonly string[] }): string[] {
  return p.sourceIds && p.sourceIds.length > 0 ? [...p.sourceIds] : [p.sourceId];
}

export const isMultiSource = (p: Pick<ProjectRecord, 'sourceId'> & { sourceIds?: readonly string[] }) => sourceIdsOf(p).length > 1;

/** Index of a source in the project's list, or -1. */
export const sourceIndex = (p: Pick<ProjectRecord, 'sources'>, sourceId: string) => (p.sources ?? []).findIndex((s) => s.sourceId === sourceId);

/** The state a new multi-source project stores per source (none for a single-source one). */
export const initialSources = (sourceIds: readonly string[]): ProjectSource[] | undefined =>
  sourceIds.length > 1 ? sourceIds.map((sourceId) => ({ sourceId })) : undefined;

/** Paused on its own and not resumable any more: marked expired, or its deadline reached. */
export function sourcePauseExpired(s: ProjectSource, nowMs: number): boolean {
  if (s.expiredAt) return true;
  return s.pauseExpiresAt !== undefined && nowMs >= Date.parse(s.pauseExpiresAt);
}

/**
 * A project standing in a source's own pause that has not expired, while the project has not ended
 * (RUNNING, PAUSED or FAILED): that source's expiry timer must exist (or its deadline be enforced), so
 * the reconciler's pause sweep watches it (the table's sparse bySourcePause index holds exactly these).
 */
export function hasOpenSourcePause(p: { status: ProjectStatus; sources?: readonly ProjectSource[] }): boolean {
  return (p.status === 'RUNNING' || p.status === 'PAUSED' || p.status === 'FAILED') && (p.sources ?? []).some((s) => s.pausedAt !== undefined && !s.expiredAt);
}

/** Whether the source's jobs run (or would run) with the project: not paused on its own. */
export const sourceActive = (s: ProjectSource) => s.pausedAt === undefined;

/** The sources whose jobs the run drives now: every one for a single-source project. */
export function activeSourceIds(p: Pick<ProjectRecord, 'sourceId' | 'sources'> & { sourceIds?: readonly string[] }): string[] {
  if (!p.sources?.length) return sourceIdsOf(p);
  return p.sources.filter(sourceActive).map((s) => s.sourceId);
}

const FOLLOW: Record<ProjectStatus, SourceStatus> = {
  NOT_STARTED: 'NOT_STARTED',
  RUNNING: 'RUNNING',
  PAUSED: 'PAUSED',
  FAILED: 'FAILED',
  RELEASING: 'RELEASING',
  RELEASED: 'RELEASED',
  COMPLETED: 'COMPLETED',
};

/** Each source's status, pause time and deadline, as the project view shows them. */
export function sourceViews(p: Pick<ProjectRecord, 'sourceId' | 'sources' | 'status' | 'pausedAt' | 'pauseExpiresAt' | 'expiredAt'> & { sourceIds?: readonly string[] }, nowMs: number): SourceView[] {
  const stored = p.sources?.length ? p.sources : sourceIdsOf(p).map((sourceId) => ({ sourceId }) as ProjectSource);
  const projectResumable = (p.status === 'PAUSED' || p.status === 'FAILED') && !p.expiredAt && (!p.pauseExpiresAt || nowMs < Date.parse(p.pauseExpiresAt));
  return stored.map((s) => {
    if (s.expiredAt) return { sourceId: s.sourceId, status: 'EXPIRED', pausedAt: s.pausedAt, pauseExpiresAt: s.pauseExpiresAt, expiredAt: s.expiredAt, resumable: false };
    if (s.pausedAt && (p.status === 'RUNNING' || p.status === 'PAUSED' || p.status === 'FAILED')) {
      return { sourceId: s.sourceId, status: 'PAUSED', pausedAt: s.pausedAt, pauseExpiresAt: s.pauseExpiresAt, resumable: !sourcePauseExpired(s, nowMs) };
    }
    const status = FOLLOW[p.status];
    if (status === 'PAUSED') return { sourceId: s.sourceId, status, pausedAt: p.pausedAt, pauseExpiresAt: p.pauseExpiresAt, resumable: projectResumable };
    return { sourceId: s.sourceId, status, resumable: status === 'FAILED' && projectResumable };
  });
}

/**
 * The dmctl-shaped outcome of a lifecycle operation on a multi-source project (TiDB DM's
 * `{op, result, msg, sources: [{result, msg, source, worker}]}`, without the worker): one entry per
 * source the operation was meant for, each saying whether that source ended where the operation wanted.
 */
export interface OperationOutcome {
  op: string;
  result: boolean;
  msg: string;
  sources: { source: string; result: boolean; msg: string }[];
}

const WANTED: Partial<Record<string, SourceStatus[]>> = {
  pause: ['PAUSED', 'EXPIRED'],
  'pause-sources': ['PAUSED'],
  resume: ['RUNNING', 'COMPLETED'],
  'resume-sources': ['RUNNING'],
  start: ['RUNNING', 'COMPLETED'],
  release: ['RELEASED', 'RELEASING'],
};

export function operationOutcome(operation: string, views: readonly SourceView[], targeted?: readonly string[]): OperationOutcome {
  const wanted = WANTED[operation];
  const list = views.filter((v) => !targeted || targeted.includes(v.sourceId));
  const sources = list.map((v) => {
    const ok = !wanted || wanted.includes(v.status);
    const msg = ok ? '' : v.status === 'EXPIRED' ? `source ${v.sourceId}: its pause passed the deadline at ${v.pauseExpiresAt ?? '?'}; it can no longer resume` : `source ${v.sourceId} is ${v.status}`;
    return { source: v.sourceId, result: ok, msg };
  });
  const failed = sources.filter((s) => !s.result);
  return { op: operation, result: failed.length === 0, msg: failed.map((s) => s.msg).join('; '), sources };
}
