import type { AttributePath } from './paths';
import type { AwaitedGate, EngineKind, MigrationType, ProjectRecord, TableRef } from './project';
import type { Subtask, SubtaskStatus, SubtaskType, SwitchoverStepName } from './subtasks';
import { sourceIdsOf } from './sources';

/**
 * How a run walks the orchestration list: pure decisions over the stored project, shared by the
 * orchestration use cases (which the state machine's Lambda tasks call) and the API view.
 * DynamoDB is the source of truth: every decision is re-derived from the item, never from the
 * execution's own memory, so a resumed or restarted run continues where the data says.
 */

const FINISHED: readonly SubtaskStatus[] = ['SUCCEEDED', 'SKIPPED'];

export const isFinished = (status: SubtaskStatus) => FINISHED.includes(status);

/** A continuous subtask that has been started runs in the background: it no longer holds the run back. */
const inBackground = (s: Subtask) => s.continuous && s.status !== 'PENDING';

/** The subtask the run stands at: the first not finished, ignoring started continuous ones; null when none. */
export function stageOf(subtasks: readonly Subtask[] | undefined): SubtaskType | null {
  return (subtasks ?? []).find((s) => !isFinished(s.status) && !inBackground(s))?.type ?? null;
}

/** What the execution does next. */
export type NextWork =
  | { action: 'RUN'; subtask: SubtaskType; step?: SwitchoverStepName }
  | { action: 'AWAIT'; gate: AwaitedGate; subtask: 'FORWARD_SWITCHOVER'; step?: SwitchoverStepName }
  /** Every switchover step succeeded: the FORWARD_SWITCHOVER subtask itself is recorded as SUCCEEDED. */
  | { action: 'FINISH_SWITCHOVER'; subtask: 'FORWARD_SWITCHOVER' }
  /** Nothing left but continuous subtasks running in the background (reverse sync until release). */
  | { action: 'IDLE' }
  | { action: 'COMPLETE' };

export function planNext(p: Pick<ProjectRecord, 'subtasks' | 'switchoverEnteredAt' | 'switchoverStartedAt'>): NextWork {
  for (const s of p.subtasks) {
    if (isFinished(s.status)) continue;
    if (s.continuous && s.status === 'RUNNING') continue;
    if (s.type === 'FORWARD_SWITCHOVER') {
      if (!p.switchoverEnteredAt) return { action: 'AWAIT', gate: 'SWITCHOVER_ENTRY', subtask: s.type };
      if (!p.switchoverStartedAt) return { action: 'AWAIT', gate: 'SWITCHOVER_START', subtask: s.type };
      const step = (s.steps ?? []).find((st) => !isFinished(st.status));
      if (!step) return { action: 'FINISH_SWITCHOVER', subtask: s.type };
      if (step.manual) return { action: 'AWAIT', gate: 'STEP_CONFIRMATION', subtask: s.type, step: step.name };
      return { action: 'RUN', subtask: s.type, step: step.name };
    }
    return { action: 'RUN', subtask: s.type };
  }
  return p.subtasks.some((s) => s.continuous && s.status === 'RUNNING') ? { action: 'IDLE' } : { action: 'COMPLETE' };
}

/** Whether a RUNNING project needs an execution (anything left but background sync). */
export function needsExecution(p: Pick<ProjectRecord, 'subtasks' | 'switchoverEnteredAt' | 'switchoverStartedAt'>): boolean {
  const next = planNext(p);
  return next.action !== 'IDLE';
}

/**
 * The engine job of a subtask: one per project and subtask, kept across runs, so a resumed subtask
 * continues the same job from its checkpoint instead of starting again from zero.
 */
export const jobIdFor = (projectId: string, subtask: SubtaskType) => `${projectId}.${subtask}`;

/**
 * A job as every engine call names it: the id (one per project and subtask), whose job it is, which
 * engine runs it, where it reads and writes (so an engine can find the job's own records, e.g. in the
 * destination's metadata schema), and the run of the project that asks (fencing: an engine refuses, or
 * ignores, a pause or stop from a run older than the one that last started or resumed the job).
 */
export interface JobRef {
  jobId: string;
  projectId: string;
  subtask: SubtaskType;
  engine: EngineKind;
  /** The data sources read (one today; several once a project has several sources). */
  sourceIds: readonly string[];
  destinationId: string;
  run?: number;
}

/** What a job moves: read from the project when the job starts. */
export interface JobSpec extends JobRef {
  /** null = every table of the source database. */
  tables: readonly TableRef[] | null;
  migrationType: MigrationType;
  /** Where the job's change capture starts, when the subtask records one (the reverse sync's write-stop position). */
  startPosition?: string;
}

/** The job of one source's part of a per-source subtask (multi-source projects). */
export const sourceJobIdFor = (projectId: string, subtask: SubtaskType, sourceId: string) => `${projectId}.${subtask}.${sourceId}`;

type JobSubject = Pick<ProjectRecord, 'id' | 'engine' | 'run' | 'subtasks' | 'sourceId' | 'sourceIds' | 'destinationId'>;

/**
 * How the engine port names the job of a project's subtask (its recorded job id, else the derived one).
 * With `sourceId`, the job of that source's part of a per-source subtask (it reads that source alone);
 * without, the project's job, which reads every source.
 */
export function jobRef(p: JobSubject, subtask: SubtaskType, run: number | undefined = p.run, sourceId?: string): JobRef {
  const s = p.subtasks?.find((x) => x.type === subtask);
  const base = { projectId: p.id, subtask, engine: p.engine ?? 'simulated', destinationId: p.destinationId, ...(run !== undefined ? { run } : {}) };
  if (sourceId !== undefined && s?.sources?.length) {
    const jobId = s.sources.find((x) => x.sourceId === sourceId)?.jobId ?? sourceJobIdFor(p.id, subtask, sourceId);
    return { jobId, ...base, sourceIds: [sourceId] };
  }
  return { jobId: s?.jobId ?? jobIdFor(p.id, subtask), ...base, sourceIds: sourceIdsOf(p) };
}

/** What a job of the project moves (its data sources, tables and migration type). */
export function jobSpec(p: JobSubject & Pick<ProjectRecord, 'tables' | 'migrationType'>, subtask: SubtaskType, run?: number, sourceId?: string): JobSpec {
  const startPosition = p.subtasks?.find((x) => x.type === subtask)?.startPosition;
  return { ...jobRef(p, subtask, run, sourceId), tables: p.tables, migrationType: p.migrationType, ...(startPosition ? { startPosition } : {}) };
}

/** What the engine is told of a whole project (its release): every source, the destination, the tables. */
export type ProjectSpec = Omit<JobSpec, 'jobId' | 'subtask' | 'startPosition'>;

export function projectSpec(p: JobSubject & Pick<ProjectRecord, 'tables' | 'migrationType'>): ProjectSpec {
  return { projectId: p.id, engine: p.engine ?? 'simulated', sourceIds: sourceIdsOf(p), destinationId: p.destinationId, tables: p.tables, migrationType: p.migrationType, ...(p.run !== undefined ? { run: p.run } : {}) };
}

/** One engine job of a subtask: the subtask's own, or one per source part (with its index in `sources`). */
export interface SubtaskJob {
  ref: JobRef;
  /** The part's index in the subtask's `sources`, for per-source jobs. */
  part?: number;
  sourceId?: string;
}

/** Every engine job a subtask has: one, or one per source part of a per-source subtask. */
export function jobsOf(p: JobSubject, subtask: SubtaskType, run: number | undefined = p.run): SubtaskJob[] {
  const s = p.subtasks?.find((x) => x.type === subtask);
  if (!s?.sources?.length) return [{ ref: jobRef(p, subtask, run) }];
  return s.sources.map((part, i) => ({ ref: jobRef(p, subtask, run, part.sourceId), part: i, sourceId: part.sourceId }));
}

export const partPath = (p: Pick<ProjectRecord, 'subtasks'>, type: SubtaskType, part: number, field: string): AttributePath => ['subtasks', subtaskIndex(p, type), 'sources', part, field];

/** Execution name of a run: a duplicate start of the same run is refused by Step Functions, hence harmless. */
export const executionNameFor = (projectId: string, run: number) => `${projectId}-${run}`;

/**
 * A run outlives Step Functions' 25,000-event history by continuing as new executions of the same run:
 * leg 0 is `<projectId>-<run>`, leg n `<projectId>-<run>-c<n>` (each name once: a duplicate start is harmless).
 */
export const legExecutionName = (projectId: string, run: number, leg: number) => (leg === 0 ? executionNameFor(projectId, run) : `${projectId}-${run}-c${leg}`);

/** The leg of the run's current execution: the one the project records for its run, else the first. */
export const currentLeg = (p: Pick<ProjectRecord, 'run' | 'execution'>): number => (p.execution !== undefined && p.execution.run === p.run ? p.execution.leg : 0);

/** The name of the execution that owns the project's current run now. */
export const currentExecutionName = (p: Pick<ProjectRecord, 'id' | 'run' | 'execution'>): string => legExecutionName(p.id, p.run ?? 0, currentLeg(p));

export function subtaskIndex(p: Pick<ProjectRecord, 'subtasks'>, type: SubtaskType): number {
  const i = p.subtasks.findIndex((s) => s.type === type);
  if (i < 0) throw new Error(`project has no ${type} subtask`);
  return i;
}

export const subtaskPath = (p: Pick<ProjectRecord, 'subtasks'>, type: SubtaskType, ...rest: (string | number)[]): AttributePath => [
  'subtasks',
  subtaskIndex(p, type),
  ...rest,
];

export function stepIndex(p: Pick<ProjectRecord, 'subtasks'>, step: SwitchoverStepName): number {
  const steps = p.subtasks[subtaskIndex(p, 'FORWARD_SWITCHOVER')]?.steps ?? [];
  const j = steps.findIndex((s) => s.name === step);
  if (j < 0) throw new Error(`the forward switchover has no step ${step}`);
  return j;
}

export const stepPath = (p: Pick<ProjectRecord, 'subtasks'>, step: SwitchoverStepName, field: string): AttributePath => [
  'subtasks',
  subtaskIndex(p, 'FORWARD_SWITCHOVER'),
  'steps',
  stepIndex(p, step),
  field,
];

/** Subtasks (and switchover steps) a pause or stop catches running: with their paths, for one write. */
export function runningParts(p: Pick<ProjectRecord, 'subtasks'>): { subtasks: SubtaskType[]; steps: SwitchoverStepName[] } {
  const list = p.subtasks ?? []; // items written before the orchestration list existed have none
  const subtasks = list.filter((s) => s.status === 'RUNNING').map((s) => s.type);
  const steps = list.flatMap((s) => (s.steps ?? []).filter((st) => st.status === 'RUNNING').map((st) => st.name));
  return { subtasks, steps };
}

/**
 * The input of the project's current execution: the run, the history count it begins with (its leg,
 * no events yet, the limit it continues at when one is forced), and for a continued leg the work item
 * the previous leg stood at (the new execution polls it first).
 */
export function executionInput(p: Pick<ProjectRecord, 'id' | 'run' | 'execution'>, historyLimit?: number): Record<string, unknown> {
  if (p.run === undefined) throw new Error(`project ${p.id} has no run to start`);
  const leg = currentLeg(p);
  const carried = leg > 0 ? p.execution?.carried : undefined;
  return {
    projectId: p.id,
    run: p.run,
    history: { leg, events: 0, ...(historyLimit !== undefined ? { limit: historyLimit } : {}) },
    ...(carried ? { work: carried } : {}),
  };
}
