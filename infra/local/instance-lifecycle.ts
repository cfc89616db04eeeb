import { ancestors, commandLine, stillRunning } from './proc';

/**
 * What `npm start` has started, and how it is undone on every way out: a signal (SIGINT, SIGTERM, SIGHUP),
 * an uncaught error, a refused or failed start, or the parent (tsx, npm) going away. Resources register a
 * `stop` (run in reverse order of registration, each bounded in time) and optionally a synchronous
 * `lastResort` that process 'exit' runs for whatever `stop` did not get to (a second Ctrl-C, a process.exit
 * elsewhere). A SIGKILL of this process runs none of it: see watchdog.ts for that.
 */

/** A start refused for a reason the user can fix (a port taken, a data directory in use): one line, exit 1. */
export class StartRefusal extends Error {
  override name = 'StartRefusal';
}

interface Resource {
  name: string;
  stop: () => Promise<void> | void;
  lastResort?: () => void;
  done: boolean;
}

const STOP_TIMEOUT_MS = 10_000;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export class InstanceLifecycle {
  private readonly resources: Resource[] = [];
  private exiting: Promise<never> | undefined;

  constructor(private readonly exitProcess: (code: number) => never = (code) => process.exit(code)) {}

  /** Registers a resource to stop on exit; returns a function that forgets it (once stopped by other means). */
  own(name: string, stop: () => Promise<void> | void, lastResort?: () => void): () => void {
    const resource: Resource = { name, stop, lastResort, done: false };
    this.resources.push(resource);
    return () => {
      resource.done = true;
    };
  }

  /** Installs the handlers: signals, uncaught errors, the parent's exit, and the last-resort 'exit' hook. */
  install(): void {
    for (const signal of SIGNALS) {
      process.on(signal, () => {
        // A second signal while stopping: stop waiting; the 'exit' hook kills what is left.
        if (this.exiting) this.exitProcess(1);
        void this.exit(0, `\nStopping (${signal}) ...`);
      });
    }
    const crash = (e: unknown) => {
      console.error(e);
      void this.exit(1, 'Stopping after an unexpected error ...');
    };
    process.on('uncaughtException', crash);
    process.on('unhandledRejection', crash);
    process.on('exit', () => this.runLastResorts());
    // Under `npm start` this process runs below tsx, sh and npm, and a signal to npm (SIGTERM, SIGKILL)
    // or to tsx (SIGHUP, SIGKILL) does not reach it: when one of them is gone, it stops.
    const chain = launchChain();
    const parent = process.ppid;
    setInterval(() => {
      const gone = chain.find((p) => !stillRunning(p)) ?? (process.ppid !== parent ? { pid: parent } : undefined);
      if (gone) void this.exit(0, `\nStopping (process ${gone.pid}, which started this one, is gone) ...`);
    }, 1000).unref();
  }

  /** A failed start: a refusal as its one line, anything else with its stack; then everything stops, exit 1. */
  fail(e: unknown): Promise<never> {
    if (e instanceof StartRefusal) console.error(e.message);
    else console.error(e);
    return this.exit(1);
  }

  /** Stops every resource (newest first), then exits with `code`. Idempotent: later calls share the first. */
  exit(code: number, message?: string): Promise<never> {
    this.exiting ??= (async () => {
      if (message) console.log(message);
      for (const resource of [...this.resources].reverse()) {
        if (resource.done) continue;
        try {
          await withTimeout(Promise.resolve(resource.stop()), STOP_TIMEOUT_MS);
        } catch (e) {
          console.error(`Stopping ${resource.name}: ${(e as Error).message}`);
        }
        resource.done = true;
      }
      return this.exitProcess(code);
    })();
    return this.exiting;
  }

  private runLastResorts(): void {
    for (const resource of [...this.resources].reverse()) {
      if (resource.done) continue;
      resource.done = true;
      try {
        resource.lastResort?.();
      } catch {
        // best effort: the process is exiting
      }
    }
  }
}

/**
 * The processes that launched this one, up to the nearest npm (npm start, npm run, npx) within a few
 * levels; only the parent when there is none. Not beyond: a shell that started `nohup npm start &` may go.
 */
function launchChain(): { pid: number; startTime: string }[] {
  const chain = ancestors(process.pid, 4);
  const npm = chain.findIndex((p) => /(^|[\s/])(npm|npx)(-cli\.js)?(\s|$)/.test(commandLine(p.pid) ?? ''));
  return chain.slice(0, npm >= 0 ? npm + 1 : 1);
}

function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_ok, fail) => {
    timer = setTimeout(() => fail(new Error(`did not stop within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
