import { seconds, type Ctx } from './common';
import { watchFrame, watchLine, type ProjectBody } from './project-view';

/**
 * `migctl watch <id>`: the project's stages, per-subtask progress bars and lag, refreshed every
 * --interval seconds (default 1). On a terminal the view is redrawn in place (cursor up, clear to the
 * end); otherwise one timestamped line is written per change, for logs. It ends when the project is
 * no longer RUNNING (exit 1 if it FAILED), on Ctrl-C (exit 130), or after one view with --once.
 */
export async function watch(ctx: Ctx, id: string): Promise<number> {
  const intervalMs = seconds(ctx.flags.interval, 1, '--interval') * 1000;
  const out = ctx.io.stdout;
  const inPlace = out.isTTY === true && !ctx.json;
  let interrupted = false;
  let wake: (() => void) | undefined;
  const off = ctx.io.onInterrupt?.(() => {
    interrupted = true;
    wake?.();
  });
  const sleep = (ms: number) =>
    Promise.race([ctx.io.sleep ? ctx.io.sleep(ms) : new Promise<void>((r) => setTimeout(r, ms)), new Promise<void>((r) => (wake = r))]);
  let drawn = 0;
  let last = '';
  try {
    for (;;) {
      const { body: p } = await ctx.api.request<ProjectBody>('GET', `/projects/${encodeURIComponent(id)}`);
      if (inPlace) {
        // A wrapped line would take two rows and break the cursor-up count: cut lines to the terminal width.
        const width = out.columns && out.columns > 10 ? out.columns - 1 : Infinity;
        const lines = watchFrame(p).map((l) => (l.length > width ? l.slice(0, width) : l));
        out.write(`${drawn ? `\x1b[${drawn}A\x1b[0J` : ''}${lines.join('\n')}\n`);
        drawn = lines.length;
      } else {
        const line = ctx.json ? JSON.stringify(p) : watchLine(p);
        if (line !== last) out.write(ctx.json ? `${line}\n` : `${new Date().toISOString()} ${line}\n`);
        last = line;
      }
      if (ctx.flags.once || p.status !== 'RUNNING') return p.status === 'FAILED' ? 1 : 0;
      if (interrupted) return 130;
      await sleep(intervalMs);
      if (interrupted) return 130;
    }
  } finally {
    off?.();
  }
}
