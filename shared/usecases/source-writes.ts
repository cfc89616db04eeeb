import { isoAt } from '../domain/clock';
import { DomainError, validationFailed } from '../domain/errors';
import { partPath } from '../domain/orchestration';
import type { PathValue } from '../domain/paths';
import type { ProjectRecord } from '../domain/project';
import { sourcePauseExpired, type ProjectSource } from '../domain/sources';
import type { SourcePart, SubtaskStatus } from '../domain/subtasks';
import type { PathChanges } from './operation-writes';
import type { LifecycleRequest } from './transition-write';

/**
 * What the per-source operations write (pause-sources, resume-sources, expire-source-pause, and the
 * sources' part of a whole resume): the per-source state (`sources`, a top-level attribute changed by
 * lifecycle writes alone, so the write's version condition covers it) and the status of each source's
 * part of the per-source subtasks (changed by run writes too, so each is expected as seen).
 */

/** The named sources, each checked against the project: unknown ones are a 400 naming the body path. */
function named(current: ProjectRecord, req: Pick<LifecycleRequest, 'sources'>): ProjectSource[] {
  const list = current.sources ?? [];
  return (req.sources ?? []).map((id, i) => {
    const s = list.find((x) => x.sourceId === id);
    if (!s) throw validationFailed(`The project does not read source '${id}'.`, [{ path: ['body', 'sources', i], code: 'unknown_source', message: `not a source of this project: ${list.map((x) => x.sourceId).join(', ') || current.sourceId}` }]);
    return s;
  });
}

/** The parts of the named sources, from one status to another (expected as seen). */
function partMoves(current: ProjectRecord, sourceIds: readonly string[], from: readonly SubtaskStatus[], to: SubtaskStatus, onlyIn?: readonly SubtaskStatus[], extra: (path: (f: string) => PathValue['path'], part: SourcePart) => PathValue[] = () => []): PathChanges {
  const set: PathValue[] = [];
  const expect: PathValue[] = [];
  for (const s of current.subtasks ?? []) {
    if (!s.sources?.length || (onlyIn && !onlyIn.includes(s.status))) continue;
    s.sources.forEach((part, i) => {
      if (!sourceIds.includes(part.sourceId) || !from.includes(part.status)) return;
      set.push({ path: partPath(current, s.type, i, 'status'), value: to }, ...extra((f) => partPath(current, s.type, i, f), part));
      expect.push({ path: partPath(current, s.type, i, 'status'), value: part.status });
    });
  }
  return { set, expect };
}

/** pause-sources: the named sources get their own pause and deadline; their running parts pause. */
export function pauseSourcesSet(req: LifecycleRequest, deadlineMs: number, nowMs: number, current: ProjectRecord): Partial<ProjectRecord> {
  if (current.status !== 'RUNNING' || !current.sources?.length) return {}; // the write's condition refuses it
  for (const s of named(current, req)) {
    if (s.pausedAt) throw new DomainError(409, 'SOURCE_NOT_RUNNING', 'Source not running', `Source ${s.sourceId} is paused on its own since ${s.pausedAt}${s.expiredAt ? ' (expired)' : ''}.`, { currentStatus: current.status, sourceId: s.sourceId });
  }
  const ids = req.sources ?? [];
  const sources = current.sources.map((s) => (ids.includes(s.sourceId) ? { ...s, pausedAt: isoAt(nowMs), pauseExpiresAt: isoAt(nowMs + deadlineMs) } : s));
  if (sources.every((s) => s.pausedAt)) {
    throw new DomainError(409, 'CONCURRENT_MODIFICATION', 'Concurrent modification', 'Pausing these sources would leave none running: pause the whole project (no sources in the body).');
  }
  return { sources };
}

/** pause-sources: the named sources' running parts pause, each with its last measurement (the project item holds it from now on, shared/domain/progress.ts). */
export const pauseSourcesPaths = (current: ProjectRecord, req: LifecycleRequest): PathChanges =>
  partMoves(current, req.sources ?? [], ['RUNNING'], 'PAUSED', undefined, (at, part) => [
    { path: at('progress'), value: part.progress },
    { path: at('checkpoint'), value: part.checkpoint },
  ]);

/** resume-sources: the named sources' own pauses end (refused for one past its deadline); their paused parts run again. */
export function resumeSourcesSet(req: LifecycleRequest, nowMs: number, current: ProjectRecord): Partial<ProjectRecord> {
  if (current.status !== 'RUNNING' || !current.sources?.length) return {};
  for (const s of named(current, req)) {
    if (!s.pausedAt) throw new DomainError(409, 'SOURCE_NOT_PAUSED', 'Source not paused', `Source ${s.sourceId} is not paused on its own.`, { currentStatus: current.status, sourceId: s.sourceId });
    if (sourcePauseExpired(s, nowMs)) {
      throw new DomainError(409, 'SOURCE_PAUSE_EXPIRED', "A source's pause deadline passed", `Source ${s.sourceId} was paused past its deadline (${s.pauseExpiresAt ?? '?'}): its change stream is released; it cannot resume.`, {
        currentStatus: current.status,
        sourceId: s.sourceId,
        pauseExpiresAt: s.pauseExpiresAt,
      });
    }
  }
  const ids = req.sources ?? [];
  return { sources: current.sources.map((s) => (ids.includes(s.sourceId) ? { sourceId: s.sourceId } : s)) };
}

export const resumeSourcesPaths = (current: ProjectRecord, req: LifecycleRequest): PathChanges => partMoves(current, req.sources ?? [], ['PAUSED', 'PENDING'], 'RUNNING', ['RUNNING']);

/** A whole resume: every source paused on its own resumes too (the resume's guard refuses one past its deadline). */
export const resumeAllSources = (current: ProjectRecord): Partial<ProjectRecord> => (current.sources?.length ? { sources: current.sources.map((s) => ({ sourceId: s.sourceId })) } : {});

/** expire-source-pause: the source is marked expired (only for the pause the timer was made for, once its deadline passed). */
export function expireSourceSet(req: LifecycleRequest, nowMs: number, current: ProjectRecord): Partial<ProjectRecord> {
  const [s] = named(current, req);
  if (!s || !s.pausedAt || s.pausedAt !== req.sourcePause) {
    throw new DomainError(409, 'PAUSE_SUPERSEDED', 'Another pause', `Source ${s?.sourceId ?? '?'} is no longer in the pause this timer was made for.`, { currentStatus: current.status });
  }
  if (s.expiredAt || !sourcePauseExpired(s, nowMs)) throw new DomainError(409, 'NOT_EXPIRABLE', 'Pause not expirable (deadline not reached, or already expired)', `Source ${s.sourceId}: deadline ${s.pauseExpiresAt ?? '?'}, expired: ${s.expiredAt ?? 'no'}.`, { currentStatus: current.status });
  return { sources: (current.sources ?? []).map((x) => (x.sourceId === s.sourceId ? { ...x, expiredAt: isoAt(nowMs) } : x)), failedAt: isoAt(nowMs) };
}

export const expireSourcePaths = (current: ProjectRecord, req: LifecycleRequest, nowMs: number): PathChanges =>
  partMoves(current, req.sources ?? [], ['PENDING', 'RUNNING', 'PAUSED', 'FAILED'], 'FAILED', undefined, (at) => [
    { path: at('lastError'), value: { code: 'SOURCE_PAUSE_EXPIRED', message: `source ${(req.sources ?? [])[0]}: paused past its deadline; its change stream is released`, at: isoAt(nowMs) } },
  ]);
