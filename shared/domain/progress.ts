import { currentLeg } from './orchestration';
import type { PathValue } from './paths';
import type { ProjectRecord } from './project';
import type { Subtask, SubtaskProgress, SubtaskType } from './subtasks';

/**
 * A project's fast-changing run measurements, kept out of the project item (shared/table.ts
 * keys.projectProgress: an item with no index key). Every 30-second poll writes here, never the project
 * item, so a poll never reaches an index; the project item changes only when a state changes (a subtask
 * or source part starts, succeeds, fails or pauses), and such a write carries that subtask's last
 * measurement with it.
 *
 * The rule that makes the two items one record: while a subtask (or a source part) is RUNNING, its
 * progress and checkpoint come from the progress item — when measured by the project's current run —;
 * once it is no longer RUNNING, from the project item (its state-changing write recorded them). The
 * reconciler's proof of life (`polledAt`) counts only when written by the execution that owns the run now.
 *
 * Fencing: the progress item holds the newest (run, leg) that wrote it; a write of an older run, or of an
 * older leg of the same run, is refused (ProgressWriteRefused). A write of the current run that lands
 * after a pause committed changes nothing anyone reads: its subtasks are no longer RUNNING, and the
 * resume begins a new run, whose measurements alone count.
 */

/** One subtask's, or one source part's, latest measurement, and the run that made it. */
export interface Measurement {
  run: number;
  progress?: SubtaskProgress;
  checkpoint?: string;
}

export interface ProjectProgress {
  projectId: string;
  /** The newest run, and leg of it, that wrote this item (the fence). */
  run: number;
  leg: number;
  /** When an execution last recorded a poll of a running job, and which (run, leg) it was. */
  polled?: { run: number; leg: number; at: string };
  /** By measurementKey: each target's latest measurement (targets a write does not name keep theirs). */
  measurements: Record<string, Measurement>;
}

/** What one progress write carries: its run and leg (the fence), the poll's instant, the measurements it replaces. */
export interface ProgressWrite {
  projectId: string;
  run: number;
  leg: number;
  polledAt?: string;
  measurements: Record<string, Measurement>;
}

/** Where a measurement belongs: a subtask, or one source part of it. */
export const measurementKey = (type: SubtaskType, sourceId?: string): string => (sourceId === undefined ? type : `${type}/${sourceId}`);

/** Whether a write of (run, leg) may replace what the item holds (absent: anything may). */
export const progressWriteHolds = (stored: Pick<ProjectProgress, 'run' | 'leg'> | undefined, w: Pick<ProgressWrite, 'run' | 'leg'>): boolean =>
  stored === undefined || stored.run < w.run || (stored.run === w.run && stored.leg <= w.leg);

const MEASURED_FIELDS = new Set(['progress', 'checkpoint']);

/** The measured fields a subtask or part holds (undefined ones absent: "not measured" keeps the value before). */
const measured = (x: { progress?: SubtaskProgress; checkpoint?: string }, run: number): Measurement => ({
  run,
  ...(x.progress !== undefined ? { progress: x.progress } : {}),
  ...(x.checkpoint !== undefined ? { checkpoint: x.checkpoint } : {}),
});

/**
 * Splits a run write (its paths, and the record as it will be after it) into what goes to the progress
 * item — the progress and checkpoint of subtasks and parts still RUNNING after the write, and `polledAt` —
 * and the rest, which changes state and goes to the project item.
 */
export function splitMeasurements(after: ProjectRecord, set: readonly PathValue[], run: number): { measurements: Record<string, Measurement>; polledAt?: string; rest: PathValue[] } {
  const measurements: Record<string, Measurement> = {};
  const rest: PathValue[] = [];
  let polledAt: string | undefined;
  for (const pv of set) {
    const [head, i, field, j, partField] = pv.path;
    if (head === 'polledAt' && pv.path.length === 1) {
      polledAt = pv.value as string;
      continue;
    }
    const subtask = head === 'subtasks' && typeof i === 'number' ? after.subtasks[i] : undefined;
    if (subtask?.status === 'RUNNING' && pv.path.length === 3 && MEASURED_FIELDS.has(String(field))) {
      measurements[measurementKey(subtask.type)] = measured(subtask, run);
      continue;
    }
    const part = subtask?.status === 'RUNNING' && field === 'sources' && typeof j === 'number' ? subtask.sources?.[j] : undefined;
    if (part?.status === 'RUNNING' && pv.path.length === 5 && MEASURED_FIELDS.has(String(partField))) {
      measurements[measurementKey(subtask!.type, part.sourceId)] = measured(part, run);
      continue;
    }
    rest.push(pv);
  }
  return { measurements, ...(polledAt !== undefined ? { polledAt } : {}), rest };
}

function overlay<T extends { progress?: SubtaskProgress; checkpoint?: string }>(x: T, m: Measurement | undefined, run: number | undefined): T {
  if (!m || m.run !== run) return x;
  return { ...x, ...(m.progress !== undefined ? { progress: m.progress } : {}), ...(m.checkpoint !== undefined ? { checkpoint: m.checkpoint } : {}) };
}

/** The project as one record: its item with the measurements of its RUNNING subtasks and parts (see above). */
export function withProgress(p: ProjectRecord, progress: ProjectProgress | undefined): ProjectRecord {
  if (!progress) return p;
  const m = progress.measurements;
  const subtasks = (p.subtasks ?? []).map((s): Subtask => {
    if (s.status !== 'RUNNING') return s;
    const own = overlay(s, m[measurementKey(s.type)], p.run);
    if (!s.sources) return own;
    return { ...own, sources: s.sources.map((part) => (part.status === 'RUNNING' ? overlay(part, m[measurementKey(s.type, part.sourceId)], p.run) : part)) };
  });
  const polled = progress.polled;
  const byOwner = polled !== undefined && polled.run === p.run && polled.leg === currentLeg(p);
  const polledAt = byOwner && (p.polledAt === undefined || polled.at > p.polledAt) ? polled.at : p.polledAt;
  return { ...p, subtasks, ...(polledAt !== undefined ? { polledAt } : {}) };
}

/** The measurements a whole record shows (its RUNNING subtasks and parts), as a progress item would hold them. */
export function measurementsOf(p: ProjectRecord): ProjectProgress {
  const run = p.run ?? 0;
  const measurements: Record<string, Measurement> = {};
  for (const s of p.subtasks ?? []) {
    if (s.status !== 'RUNNING') continue;
    measurements[measurementKey(s.type)] = measured(s, run);
    for (const part of s.sources ?? []) if (part.status === 'RUNNING') measurements[measurementKey(s.type, part.sourceId)] = measured(part, run);
  }
  const leg = currentLeg(p);
  return { projectId: p.id, run, leg, ...(p.polledAt !== undefined ? { polled: { run, leg, at: p.polledAt } } : {}), measurements };
}
