import { SUBTASK_TYPES } from '../domain/subtasks';
import { ApiError } from './client';
import { emit, errorMsg, need, seconds, statusArg, summarize, UsageError, type Ctx } from './common';
import { ProgressBar } from './output';
import type { ProjectBody } from './project-view';

/**
 * `migctl wait <id>`: polls the project until every condition given holds, or the timeout passes (exit 1).
 * Conditions: `--for STATUS` (or DELETED), `--allowed ACTION` (allowedActions offers it), `--step NAME`
 * (the switchover waits for that step's confirmation), `--subtask TYPE:STATUS` (e.g.
 * FULL_MIGRATION:SUCCEEDED). A bounded wait for scripts, where `watch` is for people.
 */

interface Condition {
  text: string;
  holds(p: ProjectBody): boolean;
}

function conditions(ctx: Ctx): { target?: string; list: Condition[] } {
  const f = ctx.flags;
  const target = f.for === undefined ? undefined : statusArg(f.for, true);
  const list: Condition[] = [];
  if (target && target !== 'DELETED') list.push({ text: target, holds: (p) => p.status === target });
  if (f.allowed !== undefined) {
    const action = need(f.allowed, '--allowed ACTION').toLowerCase();
    list.push({ text: `${action} allowed`, holds: (p) => (p.allowedActions ?? []).includes(action) });
  }
  if (f.step !== undefined) {
    const step = need(f.step, '--step NAME').toUpperCase();
    list.push({ text: `step ${step} waiting`, holds: (p) => p.waitingStep === step });
  }
  if (f.subtask !== undefined) {
    const [type = '', status = ''] = f.subtask.toUpperCase().split(':');
    if (!(SUBTASK_TYPES as readonly string[]).includes(type) || !status) throw new UsageError(`--subtask takes TYPE:STATUS, e.g. FULL_MIGRATION:SUCCEEDED (types: ${SUBTASK_TYPES.join(', ')})`);
    list.push({ text: `${type} ${status}`, holds: (p) => (p.subtasks ?? []).some((s) => s.type === type && s.status === status) });
  }
  if (!target && list.length === 0) throw new UsageError('wait for what? give --for STATUS, --allowed ACTION, --step NAME or --subtask TYPE:STATUS');
  if (target === 'DELETED' && list.length) throw new UsageError('--for DELETED cannot be combined with other conditions');
  return { ...(target ? { target } : {}), list };
}

export async function wait(ctx: Ctx, id: string): Promise<number> {
  const { target, list } = conditions(ctx);
  const goal = target === 'DELETED' ? 'DELETED' : list.map((c) => c.text).join(', ');
  const timeoutS = seconds(ctx.flags.timeout, 600, '--timeout');
  const intervalS = seconds(ctx.flags.interval, 2, '--interval');
  const sleep = ctx.io.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const started = Date.now();
  const bar = new ProgressBar(ctx.io.stderr, Math.ceil(timeoutS), `waiting for ${goal}`);
  let last: { status: string; name: string } = { status: '?', name: '' };
  const done = (ok: boolean, msg: string) => {
    bar.finish();
    const items = [{ result: ok, msg, projectId: id, name: last.name, status: last.status }];
    return emit(ctx, summarize('wait', items), () => (ok ? `${last.name || id} is ${goal}.` : `${last.name || id}: ${msg}`));
  };
  for (;;) {
    try {
      const { body: p } = await ctx.api.request<ProjectBody>('GET', `/projects/${encodeURIComponent(id)}`);
      last = { status: p.status, name: p.name };
      if (target !== 'DELETED' && list.every((c) => c.holds(p))) return done(true, '');
      if (p.status === 'RELEASED' && target !== 'DELETED' && target !== 'RELEASED') return done(false, `project is RELEASED and will not become ${goal}`);
    } catch (e) {
      if (e instanceof ApiError && e.problem.code === 'PROJECT_NOT_FOUND') {
        if (target === 'DELETED') {
          last = { ...last, status: 'DELETED' };
          return done(true, '');
        }
        return done(false, errorMsg(e));
      }
      throw e;
    }
    const elapsed = (Date.now() - started) / 1000;
    if (elapsed >= timeoutS) return done(false, `timed out after ${timeoutS} s (status ${last.status})`);
    bar.update(Math.floor(elapsed), `${Math.floor(elapsed)}s, ${last.status}`);
    await sleep(Math.min(intervalS, Math.max(0.05, timeoutS - elapsed)) * 1000);
  }
}
