/**
 * What "consistent" means for one project after a crash and a restart, checked from the outside: the
 * project as the API shows it, its audit trail, the simulated engine's jobs and the pause timers on disk.
 * Pure: the restart-safety suite gathers the inputs; the self-test feeds it known-bad states.
 */

export interface SubtaskView {
  type: string;
  status: string;
}

export interface ProjectSnapshot {
  id: string;
  status: string;
  version: number;
  pausedAt?: string;
  expiredAt?: string;
  subtasks: SubtaskView[];
}

export interface EventView {
  operation: string;
  from: string | null;
  to: string | null;
  version: number;
}

export interface JobView {
  subtask: string;
  state: string;
}

export interface ObservedProject {
  project: ProjectSnapshot;
  events: EventView[];
  /** The simulated engine's jobs of this project (SIMJOB items). */
  jobs: JobView[];
  /** Names of the pause timers the local scheduler holds for this project. */
  timers: string[];
}

const STATUSES = new Set(['NOT_STARTED', 'RUNNING', 'PAUSED', 'FAILED', 'RELEASING', 'RELEASED', 'COMPLETED']);

/** Every inconsistency of one project (empty when consistent). A RUNNING project's run is checked separately: it must progress. */
export function inconsistencies(o: ObservedProject): string[] {
  const p = o.project;
  const out: string[] = [];
  const say = (m: string) => out.push(`${p.id} (${p.status} v${p.version}): ${m}`);
  if (!STATUSES.has(p.status)) say('unknown status');
  // RELEASING is passed through within the release request: after a restart nothing ever finishes it.
  if (p.status === 'RELEASING') say('stuck in RELEASING');

  // Audit trail: one event per version, 1..version, each starting where the previous one ended.
  const versions = o.events.map((e) => e.version);
  const expected = Array.from({ length: p.version }, (_, i) => i + 1);
  if (JSON.stringify(versions) !== JSON.stringify(expected)) say(`audit versions ${JSON.stringify(versions)} are not 1..${p.version}`);
  for (let i = 1; i < o.events.length; i++) {
    const prev = o.events[i - 1] as EventView;
    const e = o.events[i] as EventView;
    if (prev.to !== null && e.from !== null && e.from !== prev.to) say(`event v${e.version} ${e.operation} from ${e.from} but v${prev.version} ended in ${prev.to}`);
  }
  const last = o.events.at(-1);
  if (last && last.to !== null && last.to !== p.status) say(`last event v${last.version} ${last.operation} ends in ${last.to}`);

  // Subtasks against the status.
  const sub = (pred: (s: SubtaskView) => boolean) => p.subtasks.filter(pred).map((s) => `${s.type}=${s.status}`);
  if (p.status === 'NOT_STARTED' && sub((s) => s.status !== 'PENDING').length) say(`not started but ${sub((s) => s.status !== 'PENDING').join(', ')}`);
  if (['PAUSED', 'FAILED', 'RELEASED', 'COMPLETED'].includes(p.status) && sub((s) => s.status === 'RUNNING').length) say(`subtasks still RUNNING: ${sub((s) => s.status === 'RUNNING').join(', ')}`);
  if (p.status === 'COMPLETED' && sub((s) => s.status !== 'SUCCEEDED' && s.status !== 'SKIPPED').length) say(`completed with ${sub((s) => s.status !== 'SUCCEEDED' && s.status !== 'SKIPPED').join(', ')}`);

  // Data plane: nothing runs for a project that is not RUNNING.
  if (p.status !== 'RUNNING') {
    const running = o.jobs.filter((j) => j.state === 'RUNNING').map((j) => j.subtask);
    if (running.length) say(`engine jobs still RUNNING: ${running.join(', ')}`);
  }

  // Pause timers: a live pause has its expiry timer; nothing else has any.
  if (p.status === 'PAUSED' && !p.expiredAt) {
    const expire = p.pausedAt ? `expire-${p.id}-${Date.parse(p.pausedAt)}` : undefined;
    if (!expire || !o.timers.includes(expire)) say(`paused at ${p.pausedAt ?? '?'} without its expiry timer (timers: ${JSON.stringify(o.timers)})`);
  } else if (o.timers.length) say(`pause timers without a live pause: ${o.timers.join(', ')}`);
  return out;
}
