import { readFileSync } from 'node:fs';

/** Small readers of Linux's /proc; each answers undefined where /proc cannot tell (another OS, a gone process). */

/** /proc/<pid>/stat from field 3 (state) on: the command name before it may hold spaces and parentheses. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** State (R, S, Z, ...), parent pid and start time (clock ticks since boot: a reused pid has another). */
export function procStat(pid: number): { state: string; ppid: number; startTime: string } | undefined {
  const f = statFields(pid);
  if (!f || f[0] === undefined || f[1] === undefined || f[19] === undefined) return undefined;
  return { state: f[0], ppid: Number(f[1]), startTime: f[19] };
}

export function startTime(pid: number): string | undefined {
  return procStat(pid)?.startTime;
}

/** The command line of `pid` (arguments joined by spaces), or undefined when it is not running or unreadable. */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

/** The chain of processes above `pid` (parent first), up to but not including pid 1, as pid and start time. */
export function ancestors(pid: number, max = 12): { pid: number; startTime: string }[] {
  const chain: { pid: number; startTime: string }[] = [];
  let current = procStat(pid)?.ppid;
  while (current !== undefined && current > 1 && chain.length < max) {
    const stat = procStat(current);
    if (!stat) break;
    chain.push({ pid: current, startTime: stat.startTime });
    current = stat.ppid;
  }
  return chain;
}

/** Whether a process recorded by pid and start time is still that same process (and not a zombie). */
export function stillRunning(p: { pid: number; startTime: string }): boolean {
  const stat = procStat(p.pid);
  return stat !== undefined && stat.state !== 'Z' && stat.startTime === p.startTime;
}
