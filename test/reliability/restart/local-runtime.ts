import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../../../infra/local/dynamodb-local';

const REPO = resolve(__dirname, '../../..');
const TSX_CLI = join(REPO, 'node_modules/tsx/dist/cli.mjs');

/**
 * `npm start` (infra/local/main.ts: DynamoDB Local with its data on disk, the API, the local Step
 * Functions, the pause-timer scheduler, the boot-time reconciler) as a child process of its own, in its
 * own process group, so a test can SIGKILL the whole of it — Node and DynamoDB Local's java — at any
 * instant, and boot it again on the same data directory.
 */
export class LocalRuntime {
  private child: ChildProcess | undefined;
  private output = '';
  apiPort = 0;
  ddbPort = 0;
  boots = 0;
  kills = 0;

  constructor(
    readonly dataRoot: string,
    private readonly env: Record<string, string> = {},
  ) {}

  get api(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  get dynamoEndpoint(): string {
    return `http://127.0.0.1:${this.ddbPort}`;
  }

  /** The pause timers the local scheduler keeps on disk (LocalScheduler: LOCAL_DATA_DIR/schedules.json). */
  timerNames(): string[] {
    try {
      return (JSON.parse(readFileSync(join(this.dataRoot, 'schedules.json'), 'utf8')) as { name: string }[]).map((t) => t.name);
    } catch {
      return [];
    }
  }

  /** Boots on fresh ports and resolves once the API is up and the boot-time reconcile has run. */
  async start(timeoutMs = 120_000): Promise<{ restartedRuns: number; bootMs: number }> {
    const t0 = Date.now();
    this.apiPort = await freePort();
    this.ddbPort = await freePort();
    const pgPorts = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.env };
    delete env.TABLE_NAME;
    delete env.DYNAMODB_ENDPOINT;
    Object.assign(env, {
      PORT: String(this.apiPort),
      DYNAMODB_LOCAL_PORT: String(this.ddbPort),
      LOCAL_DATA_DIR: this.dataRoot,
      LOCAL_PG_SOURCE_PORT: String(pgPorts[0]),
      LOCAL_PG_DESTINATION_PORT: String(pgPorts[1]),
    });
    this.output = '';
    const child = spawn(process.execPath, [TSX_CLI, 'infra/local/main.ts'], { cwd: REPO, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.boots++;
    const collect = (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-200_000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`local runtime not up within ${timeoutMs} ms:\n${this.output.slice(-3000)}`)), timeoutMs);
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        fail(new Error(`local runtime exited (${code}) while booting:\n${this.output.slice(-3000)}`));
      };
      child.once('exit', onExit);
      const poll = setInterval(() => {
        const m = /is up\.[\s\S]*?(\d+) run\(s\) restarted/.exec(this.output);
        if (!m) return;
        clearInterval(poll);
        clearTimeout(timer);
        child.off('exit', onExit);
        ok({ restartedRuns: Number(m[1]), bootMs: Date.now() - t0 });
      }, 50);
      child.once('exit', () => clearInterval(poll));
    });
  }

  /** SIGKILL to the whole process group (tsx and Node): no handler runs, nothing is flushed. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    this.kills++;
    await exited;
    // DynamoDB Local's java (its own group) is stopped by main.ts's watchdog, or by the next boot's lock takeover.
    await new Promise((r) => setTimeout(r, 300));
  }

  /** A clean stop (SIGTERM: main.ts stops DynamoDB Local and exits). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    process.kill(-(child.pid as number), 'SIGTERM');
    const force = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // gone
      }
    }, 10_000);
    await exited;
    clearTimeout(force);
  }

  log(): string {
    return this.output;
  }
}
