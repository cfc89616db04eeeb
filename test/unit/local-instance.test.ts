import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dataLayout } from '../../infra/local/data-layout';
import { InstanceLifecycle, StartRefusal } from '../../infra/local/instance-lifecycle';
import { InstanceLock, LOCK_FILE } from '../../infra/local/instance-lock';
import { startTime } from '../../infra/local/proc';
import { assertPortsFree, isPortFree, listenerOf, portSetting } from '../../infra/local/ports';

const dirs: string[] = [];
const servers: Server[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'local-instance-unit-'));
  dirs.push(dir);
  return dir;
}
function listen(host?: string): Promise<number> {
  const server = createServer();
  servers.push(server);
  return new Promise((ok) => server.listen(0, host, () => ok((server.address() as { port: number }).port)));
}
/** A pid that was running a moment ago and is not any more. */
function deadPid(): number {
  const done = spawnSync(process.execPath, ['-e', '0']);
  return done.pid;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  for (const server of servers.splice(0)) server.close();
});

describe('instance lock on the data directory', () => {
  it('a second owner is refused in one line naming LOCAL_DATA_DIR and the holder; release lets the next in', () => {
    // Prepare
    const dir = tempDir();
    const first = InstanceLock.acquire(dir, { PORT: 3000 });

    // Act
    let refusal: unknown;
    try {
      InstanceLock.acquire(dir, { PORT: 3001 }, deadPid());
    } catch (e) {
      refusal = e;
    }
    first.release();
    const next = InstanceLock.acquire(dir, { PORT: 3001 });

    // Assess
    expect(refusal).toBeInstanceOf(StartRefusal);
    expect((refusal as Error).message).toBe(
      `LOCAL_DATA_DIR ${dir} is in use by another npm start (pid ${process.pid}; PORT 3000): stop it, or set LOCAL_DATA_DIR to another directory.`,
    );
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, ports: { PORT: 3001 } });
    next.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('the lock of a dead process is taken over, and a process it left running is stopped first', async () => {
    // Prepare: a lock by a pid that is gone, naming a child still running (its command line holds the marker)
    const dir = tempDir();
    const marker = join(dir, 'dynamodb');
    const orphan = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', marker], { stdio: 'ignore' });
    const orphanExit = new Promise<string | null>((ok) => orphan.once('exit', (_code, signal) => ok(signal)));
    await new Promise((ok) => orphan.once('spawn', ok));
    const dead = deadPid();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: dead, ports: { PORT: 3000 }, since: '', children: [{ pid: orphan.pid, marker }] }));

    // Act
    const lock = InstanceLock.acquire(dir, { PORT: 3000 });

    // Assess
    expect(lock.tookOverFrom).toBe(dead);
    expect(await orphanExit).toBe('SIGTERM');
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, children: [] });
    lock.release();
  });

  it('a lock whose pid now belongs to another process (another start time) is stale', () => {
    // Prepare: our own pid, but recorded with a start time that is not ours
    const dir = tempDir();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, startTime: '1', ports: {}, since: '', children: [] }));

    // Act
    const lock = InstanceLock.acquire(dir, { PORT: 3000 });

    // Assess
    expect(startTime(process.pid)).not.toBe('1');
    expect(lock.tookOverFrom).toBe(process.pid);
    lock.release();
  });

  it('records the processes it starts, and leaves a lock that is no longer its own in place', () => {
    // Prepare
    const dir = tempDir();
    const lock = InstanceLock.acquire(dir, {});

    // Act
    lock.addChild(12345, '/data/dynamodb');
    const recorded = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as unknown;
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), ports: {}, since: '', children: [] }));
    lock.release();

    // Assess
    expect(recorded).toMatchObject({ children: [{ pid: 12345, marker: '/data/dynamodb' }] });
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
  });
});

describe('data layout', () => {
  it('LOCAL_DATA_DIR is the root (default .local) with DynamoDB data under dynamodb/; an older DynamoDB-only directory keeps its data in place', () => {
    // Prepare
    const cwd = tempDir();
    const legacy = join(cwd, 'old-dynamodb');
    mkdirSync(legacy);
    writeFileSync(join(legacy, 'shared-local-instance.db'), '');

    // Act
    const byDefault = dataLayout(undefined, cwd);
    const named = dataLayout('inst-b', cwd);
    const older = dataLayout('old-dynamodb', cwd);

    // Assess
    expect(byDefault).toEqual({ root: join(cwd, '.local'), dynamodb: join(cwd, '.local', 'dynamodb') });
    expect(named).toEqual({ root: join(cwd, 'inst-b'), dynamodb: join(cwd, 'inst-b', 'dynamodb') });
    expect(older).toEqual({ root: legacy, dynamodb: legacy });
  });
});

describe('ports', () => {
  it('a port taken on 127.0.0.1 or on every address is not free; assertPortsFree names the setting in one line', async () => {
    // Prepare
    const loopback = await listen('127.0.0.1');
    const everywhere = await listen();

    // Act
    const refusal = await assertPortsFree([{ port: loopback, setting: 'DYNAMODB_LOCAL_PORT' }]).catch((e: unknown) => e);

    // Assess
    expect(await isPortFree(loopback)).toBe(false);
    expect(await isPortFree(everywhere, '127.0.0.1')).toBe(false);
    expect(refusal).toBeInstanceOf(StartRefusal);
    expect((refusal as Error).message).toBe(
      `Port ${loopback} (DYNAMODB_LOCAL_PORT) is already in use: stop what listens there, or set DYNAMODB_LOCAL_PORT to a free port.`,
    );
  });

  it('two settings on one port are refused; a port setting must be a port number', async () => {
    // Act
    const same = await assertPortsFree([
      { port: 4100, setting: 'PORT' },
      { port: 4100, setting: 'DYNAMODB_LOCAL_PORT' },
    ]).catch((e: unknown) => (e as Error).message);

    // Assess
    expect(same).toBe('DYNAMODB_LOCAL_PORT and PORT are both 4100: set them to different ports.');
    expect(portSetting('PORT', 3000, {})).toBe(3000);
    expect(portSetting('PORT', 3000, { PORT: '3100' })).toBe(3100);
    expect(() => portSetting('PORT', 3000, { PORT: 'http' })).toThrow('PORT=http is not a port number (1-65535).');
  });

  it('tells our own listener from a foreign one', async () => {
    // Prepare
    const port = await listen('127.0.0.1');

    // Act
    const fromUs = listenerOf(process.pid, port);
    const fromAnother = listenerOf(process.ppid, port);

    // Assess
    expect(fromUs).toBe('ours');
    expect(fromAnother).toBe('foreign');
  });
});

describe('instance lifecycle', () => {
  it('stops what it owns newest first, once, skipping what was forgotten, then exits with the code', async () => {
    // Prepare
    const stopped: string[] = [];
    const exits: number[] = [];
    const lifecycle = new InstanceLifecycle(((code: number) => {
      exits.push(code);
      return undefined as never;
    }) as (code: number) => never);
    lifecycle.own('lock', () => void stopped.push('lock'));
    lifecycle.own('database', async () => void stopped.push('database'));
    const forget = lifecycle.own('gone', () => void stopped.push('gone'));
    lifecycle.own('failing', () => {
      throw new Error('boom');
    });
    lifecycle.own('server', () => void stopped.push('server'));
    forget();

    // Act
    await Promise.all([lifecycle.exit(1), lifecycle.exit(0)]);

    // Assess
    expect(stopped).toEqual(['server', 'database', 'lock']);
    expect(exits).toEqual([1]);
  });
});
