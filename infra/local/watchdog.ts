import { spawn } from 'node:child_process';

/**
 * Cleanup that runs when this process is gone, however it ends, SIGKILL included: a small detached
 * shell (its own process group, so a kill of ours does not reach it) blocks reading a pipe whose only
 * writer is this process. The kernel closes that pipe when we die, the read ends, and the shell runs
 * `script`. A clean stop cancels it first.
 */
export interface Watchdog {
  cancel(): void;
}

export function onProcessGone(script: string): Watchdog {
  const child = spawn('/bin/sh', ['-c', `cat >/dev/null 2>&1; ${script}`], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  child.on('error', () => undefined);
  child.stdin?.on('error', () => undefined);
  // Neither the shell nor its pipe keeps this process alive.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return {
    cancel: () => {
      if (child.pid === undefined || child.exitCode !== null) return;
      try {
        process.kill(-child.pid, 'SIGKILL'); // the shell and its `cat`: their own process group
      } catch {
        // already gone
      }
    },
  };
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Stops process `pid` (`signal`, SIGTERM by default, then SIGKILL after 5 s) once this process is gone, if
 * it is still the process we started: its command line must still contain `marker` (pids are reused).
 */
export function stopWithUs(pid: number, marker: string, signal: 'TERM' | 'INT' = 'TERM'): Watchdog {
  return onProcessGone(
    [
      `P=${pid}`,
      `ours() { grep -qF -- ${quote(marker)} /proc/$P/cmdline 2>/dev/null; }`,
      `ours && kill -${signal} $P 2>/dev/null`,
      'i=0; while ours && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done',
      'ours && kill -KILL $P 2>/dev/null',
    ].join('\n'),
  );
}
