import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StartRefusal } from './instance-lifecycle';
import { commandLine, procStat, startTime } from './proc';

/**
 * One `npm start` per data directory: `<LOCAL_DATA_DIR>/instance.lock` names the owner (pid, its start
 * time, its ports) and the processes it started. A lock whose owner is no longer running is stale and
 * taken over; the processes the dead owner left behind (found by pid and a marker in their command line)
 * are stopped first, so two servers never share the data.
 */
export interface LockHolder {
  pid: number;
  /** The owner's start time (/proc/<pid>/stat), so a reused pid does not pass for the owner. */
  startTime?: string;
  ports: Record<string, number>;
  since: string;
  children: { pid: number; marker: string; signal?: 'SIGTERM' | 'SIGINT' }[];
}

export const LOCK_FILE = 'instance.lock';
const TAKEOVER_STALE_MS = 10_000;

export class InstanceLock {
  private released = false;

  private constructor(
    readonly file: string,
    private holder: LockHolder,
    /** The pid of the dead owner whose lock was taken over, if any. */
    readonly tookOverFrom: number | undefined,
  ) {}

  /** Takes the lock on `dir` for this process, or throws a one-line StartRefusal naming LOCAL_DATA_DIR. */
  static acquire(dir: string, ports: Record<string, number>, pid = process.pid): InstanceLock {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, LOCK_FILE);
    const me: LockHolder = { pid, startTime: startTime(pid), ports, since: new Date().toISOString(), children: [] };
    for (let attempt = 0; attempt < 100; attempt++) {
      if (create(file, me)) return new InstanceLock(file, me, undefined);
      const held = read(file);
      if (held && isRunning(held)) throw inUse(dir, held);
      // Stale (or unreadable): one process at a time takes it over, under a mutex directory.
      const mutex = `${file}.takeover`;
      if (!lockDir(mutex)) {
        sleep(100);
        continue;
      }
      try {
        const again = read(file);
        if (again && isRunning(again)) throw inUse(dir, again);
        for (const child of again?.children ?? []) stopOrphan(child.pid, child.marker, child.signal ?? 'SIGTERM');
        rmSync(file, { force: true });
        if (create(file, me)) return new InstanceLock(file, me, again?.pid);
      } finally {
        rmSync(mutex, { recursive: true, force: true });
      }
    }
    throw new StartRefusal(`Could not take ${file}: another process keeps changing it; set LOCAL_DATA_DIR to another directory.`);
  }

  /** Records a process this instance started, so a successor can stop it if this one dies without doing so. */
  addChild(pid: number, marker: string, signal: 'SIGTERM' | 'SIGINT' = 'SIGTERM'): void {
    this.holder = { ...this.holder, children: [...this.holder.children, { pid, marker, signal }] };
    if (!this.released) writeAtomically(this.file, this.holder);
  }

  /** Removes the lock file if it is still ours. Idempotent; synchronous so it also runs from process 'exit'. */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (read(this.file)?.pid === this.holder.pid) rmSync(this.file, { force: true });
  }
}

function inUse(dir: string, held: LockHolder): StartRefusal {
  const ports = Object.entries(held.ports)
    .map(([name, port]) => `${name} ${port}`)
    .join(', ');
  return new StartRefusal(
    `LOCAL_DATA_DIR ${dir} is in use by another npm start (pid ${held.pid}${ports ? `; ${ports}` : ''}): stop it, or set LOCAL_DATA_DIR to another directory.`,
  );
}

/** Creates the lock file with its whole content at once (a hard link of a complete temporary file). */
function create(file: string, holder: LockHolder): boolean {
  const tmp = `${file}.${holder.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(holder));
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

function writeAtomically(file: string, holder: LockHolder): void {
  const tmp = `${file}.${holder.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(holder));
  // rename replaces the file in one step: a reader sees the old content or the new one.
  renameSync(tmp, file);
}

function read(file: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number') return undefined;
    return { pid: parsed.pid, startTime: parsed.startTime, ports: parsed.ports ?? {}, since: parsed.since ?? '', children: parsed.children ?? [] };
  } catch {
    return undefined;
  }
}

function isRunning(holder: LockHolder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(holder.pid);
  if (stat === undefined) return true; // no /proc here: the pid answering is all we know
  return stat.state !== 'Z' && (holder.startTime === undefined || stat.startTime === holder.startTime);
}

/** Stops a process a dead owner left running, if it is still that process (its command line holds `marker`). */
function stopOrphan(pid: number, marker: string, signal: 'SIGTERM' | 'SIGINT'): void {
  const ours = () => commandLine(pid)?.includes(marker) === true;
  if (!ours()) return;
  console.log(`Stopping process ${pid} left running by a previous npm start ...`);
  process.kill(pid, signal);
  for (let waited = 0; ours() && waited < 5000; waited += 100) sleep(100);
  if (ours()) process.kill(pid, 'SIGKILL');
  for (let waited = 0; ours() && waited < 2000; waited += 50) sleep(50);
}

/** mkdir as a mutex: true when we created it; a mutex left by a process that died is removed after 10 s. */
function lockDir(dir: string): boolean {
  try {
    mkdirSync(dir);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    try {
      if (Date.now() - statSync(dir).mtimeMs > TAKEOVER_STALE_MS) rmSync(dir, { recursive: true, force: true });
    } catch {
      // removed meanwhile
    }
    return false;
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
