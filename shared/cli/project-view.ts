import { COMPONENT_FLAGS } from './common';
import { shortTime, table } from './output';

/**
 * How migctl shows a project (the API view of GET /projects/{id}): everything the API returns, in
 * words an operator reads at a glance. Pure functions of the project body, so `projects get` and
 * `watch` render the same facts.
 */

/** What the API returns for a project (the fields migctl reads; the rest passes through --json). */
export interface ProjectBody {
  id: string;
  name: string;
  status: string;
  version?: number;
  engine?: string;
  precheck?: { status: string; items?: { name: string; status: string; message?: string }[]; checkedAt?: string };
  currentStage?: string | null;
  subtasks?: SubtaskBody[];
  waitingStep?: string;
  awaiting?: string;
  switchoverEnteredAt?: string;
  switchoverStartedAt?: string;
  pauseExpiresAt?: string;
  expiredAt?: string;
  resumable?: boolean;
  allowedActions?: string[];
  /** A multi-source project: each source's status, pause time and deadline. */
  sources?: SourceStatusBody[];
  [k: string]: unknown;
}

export interface SourceStatusBody {
  sourceId: string;
  status: string;
  pausedAt?: string;
  pauseExpiresAt?: string;
  expiredAt?: string;
  resumable?: boolean;
}

/** A multi-source project's sources: status, when paused, until when it can resume. */
function sourceLines(p: ProjectBody): string[] {
  if (!p.sources?.length) return [];
  const deadline = (s: SourceStatusBody) => (s.expiredAt ? `EXPIRED ${shortTime(s.expiredAt)}` : s.pauseExpiresAt ? `${shortTime(s.pauseExpiresAt)}${s.resumable === false ? ' (not resumable)' : ''}` : '');
  return ['', table(['SOURCE', 'STATUS', 'PAUSED', 'RESUMABLE UNTIL'], p.sources.map((s) => [s.sourceId, s.status, shortTime(s.pausedAt), deadline(s)]))];
}

export interface SubtaskBody {
  type: string;
  status: string;
  continuous?: boolean;
  progress?: { percent?: number; [counter: string]: number | undefined };
  lastError?: { code: string; message: string };
  steps?: { name: string; manual?: boolean; status: string; waitingForConfirmation?: boolean; confirmedBy?: string }[];
}

/** `simulated` is said loudly: nothing real is copied by that engine. */
export function engineText(engine: string | undefined): string {
  const kind = engine ?? 'simulated';
  return kind === 'simulated' ? 'SIMULATED (no data is moved: the simulated engine only pretends)' : kind;
}

/** `[#####-----]  50%` */
export function bar(percent: number | undefined, width = 20): string {
  const p = Math.max(0, Math.min(100, percent ?? 0));
  const filled = Math.round((p / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(p)).padStart(3)}%`;
}

/** The counters of a subtask's progress besides percent: `rows 1200, lag 3s, mismatches 0`. */
export function countersText(progress: SubtaskBody['progress']): string {
  if (!progress) return '';
  return Object.entries(progress)
    .filter(([k, v]) => k !== 'percent' && typeof v === 'number')
    .map(([k, v]) => (k === 'lagSeconds' ? `lag ${v}s` : `${k} ${v}`))
    .join(', ');
}

/** What the run waits for from an operator, with the command that answers it. */
export function waitingText(p: ProjectBody): string | undefined {
  switch (p.awaiting) {
    case 'SWITCHOVER_ENTRY':
      return `the forward switchover to be entered (migctl switchover enter ${p.id})`;
    case 'SWITCHOVER_START':
      return `the forward switchover to be started (migctl switchover start ${p.id})`;
    case 'STEP_CONFIRMATION':
      return `step ${p.waitingStep ?? '?'} to be confirmed (migctl switchover confirm ${p.id} --step ${p.waitingStep ?? 'STEP'})`;
    default:
      return p.waitingStep ? `step ${p.waitingStep} to be confirmed (migctl switchover confirm ${p.id} --step ${p.waitingStep})` : undefined;
  }
}

function pauseText(p: ProjectBody): string | undefined {
  if (!p.pauseExpiresAt) return undefined;
  const resumable = p.resumable === false ? `not resumable${p.expiredAt ? ` (expired ${shortTime(p.expiredAt)})` : ''}` : 'resumable until then';
  return `${shortTime(p.pauseExpiresAt)}, ${resumable}`;
}

function subtaskRows(p: ProjectBody): string[][] {
  return (p.subtasks ?? []).map((s) => [
    s.type === p.currentStage ? `> ${s.type}` : `  ${s.type}`,
    s.status,
    s.progress ? bar(s.progress.percent) : '',
    [countersText(s.progress), s.lastError ? `error ${s.lastError.code}: ${s.lastError.message}` : ''].filter(Boolean).join('; '),
  ]);
}

function stepLines(p: ProjectBody): string[] {
  const steps = p.subtasks?.find((s) => s.steps?.length)?.steps ?? [];
  if (!steps.length || !(p.switchoverEnteredAt || steps.some((s) => s.status !== 'PENDING'))) return [];
  return [
    'switchover steps:',
    ...steps.map(
      (s) =>
        `  ${s.status.padEnd(9)} ${s.name}${s.manual ? ' (manual)' : ''}${s.waitingForConfirmation || s.name === p.waitingStep ? '  <- WAITING FOR CONFIRMATION' : ''}${s.confirmedBy ? `  confirmed by ${s.confirmedBy}` : ''}`,
    ),
  ];
}

/** The full text of `migctl projects get`. */
export function describeProject(p: ProjectBody): string {
  const components = Object.entries(COMPONENT_FLAGS)
    .filter(([, k]) => (p.migrationType as Record<string, boolean> | undefined)?.[k])
    .map(([c]) => c)
    .join(',');
  const tables = p.tables as { schema: string; table: string }[] | null | undefined;
  const failed = (p.precheck?.items ?? []).filter((i) => i.status !== 'PASSED');
  const rows: [string, unknown][] = [
    ['id', p.id],
    ['name', p.name],
    ['status', p.status],
    ['engine', engineText(p.engine)],
    ['version', p.version],
    ['components', components],
    ['source', p.sources?.length ? p.sources.map((s) => s.sourceId).join(', ') : p.sourceId],
    ['destination', p.destinationId],
    ['tables', tables === null ? '(all)' : (tables ?? []).map((t) => `${t.schema}.${t.table}`).join(', ')],
    ['labels', ((p.labels as string[] | undefined) ?? []).join(', ')],
    ['alert level', p.alertLevel],
    ['precheck', p.precheck ? `${p.precheck.status}${p.precheck.checkedAt ? ` (checked ${shortTime(p.precheck.checkedAt)})` : ''}` : '(none)'],
    ...failed.map((i): [string, unknown] => ['', `  ${i.status} ${i.name}: ${i.message ?? ''}`]),
    ['current stage', p.currentStage ?? '-'],
    ...(waitingText(p) ? ([['waiting for', waitingText(p)]] as [string, unknown][]) : []),
    ['created', shortTime(p.createdAt as string | undefined)],
    ['updated', shortTime(p.updatedAt as string | undefined)],
    ...(pauseText(p) ? ([['pause expires', pauseText(p)]] as [string, unknown][]) : []),
    ['allowed actions', (p.allowedActions ?? []).join(', ') || '(none)'],
  ];
  const head = rows.map(([k, v]) => `${k ? `${k}:` : ''}`.padEnd(17) + String(v ?? '')).map((l) => l.trimEnd());
  const subtasks = p.subtasks?.length ? ['', table(['SUBTASK', 'STATUS', 'PROGRESS', 'DETAILS'], subtaskRows(p))] : [];
  const steps = stepLines(p);
  return [...head, ...sourceLines(p), ...subtasks, ...(steps.length ? ['', ...steps] : [])].join('\n');
}

/** The live view of `migctl watch`: status line, subtasks with bars and lag, what it waits for. */
export function watchFrame(p: ProjectBody): string[] {
  const simulated = (p.engine ?? 'simulated') === 'simulated' ? '  [SIMULATED ENGINE]' : '';
  const lines = [`${p.name} (${p.id})  ${p.status}  stage ${p.currentStage ?? '-'}${simulated}`];
  for (const s of p.subtasks ?? []) {
    const counters = countersText(s.progress);
    lines.push(`${s.type === p.currentStage ? '>' : ' '} ${s.type.padEnd(24)} ${s.status.padEnd(9)} ${bar(s.progress?.percent)}${counters ? `  ${counters}` : ''}`.trimEnd());
  }
  for (const s of p.sources ?? []) if (s.status !== 'RUNNING') lines.push(`  source ${s.sourceId} ${s.status}${s.pauseExpiresAt ? ` (resumable until ${shortTime(s.pauseExpiresAt)})` : ''}`);
  const waiting = waitingText(p);
  if (waiting) lines.push(`waiting for ${waiting}`);
  if (pauseText(p)) lines.push(`pause expires ${pauseText(p)}`);
  return lines;
}

/** One line for a log (watch without a terminal): the status, the stage and each started subtask. */
export function watchLine(p: ProjectBody): string {
  const parts = (p.subtasks ?? [])
    .filter((s) => s.status !== 'PENDING')
    .map((s) => {
      const counters = countersText(s.progress);
      return `${s.type} ${s.status}${s.progress ? ` ${Math.round(s.progress.percent ?? 0)}%` : ''}${counters ? ` (${counters})` : ''}`;
    });
  const waiting = p.awaiting || p.waitingStep ? ` | waiting: ${p.awaiting ?? ''}${p.waitingStep ? ` ${p.waitingStep}` : ''}` : '';
  return `${p.status} stage=${p.currentStage ?? '-'}${parts.length ? ` | ${parts.join(' | ')}` : ''}${waiting}`;
}
