import { createServer } from 'node:net';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { StartRefusal } from './instance-lifecycle';

/** A port `npm start` needs, the setting that chooses it, and the addresses its listener binds. */
export interface NeededPort {
  port: number;
  setting: string;
  /** '127.0.0.1' for the API; undefined (every address) for the servers that bind all interfaces. */
  host?: string;
}

/** True when nothing listens on `port` at `host` (undefined: any address): we could bind it ourselves. */
export function isPortFree(port: number, host?: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE' || e.code === 'EACCES') resolve(false);
      else reject(e);
    });
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

export function portTaken(needed: Pick<NeededPort, 'port' | 'setting'>): StartRefusal {
  return new StartRefusal(
    `Port ${needed.port} (${needed.setting}) is already in use: stop what listens there, or set ${needed.setting} to a free port.`,
  );
}

/**
 * Checks every port before anything starts, so a taken one refuses the start cleanly (never attaching to
 * a server another instance owns). A listener on 127.0.0.1 or on every address both count as taken.
 */
export async function assertPortsFree(ports: NeededPort[]): Promise<void> {
  const seen = new Map<number, string>();
  for (const needed of ports) {
    const other = seen.get(needed.port);
    if (other) throw new StartRefusal(`${needed.setting} and ${other} are both ${needed.port}: set them to different ports.`);
    seen.set(needed.port, needed.setting);
  }
  for (const needed of ports) {
    const hosts = needed.host ? [needed.host] : ['127.0.0.1', undefined];
    for (const host of hosts) {
      if (!(await isPortFree(needed.port, host))) throw portTaken(needed);
    }
  }
}

/** A port setting from the environment: an integer 1..65535, or a one-line refusal naming the setting. */
export function portSetting(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StartRefusal(`${name}=${raw} is not a port number (1-65535).`);
  return port;
}

/**
 * Who listens on TCP `port`: process `pid` ('ours'), another process ('foreign'), nobody ('none'), or
 * 'unknown' where Linux's /proc cannot tell. DynamoDB Local does not exit when its port is taken: it runs
 * on without a listener, and a client would reach whatever listens there. This tells ours from a foreign one.
 */
export function listenerOf(pid: number, port: number): 'ours' | 'foreign' | 'none' | 'unknown' {
  const portHex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = new Set<string>();
  let readable = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    readable = true;
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is field 1, st field 3 (0A = LISTEN), inode field 9
      if (f[1]?.endsWith(portHex) && f[3] === '0A' && f[9]) inodes.add(f[9]);
    }
  }
  if (!readable) return 'unknown';
  if (inodes.size === 0) return 'none';
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return 'unknown';
  }
  const ours = fds.some((fd) => {
    try {
      return inodes.has(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? '');
    } catch {
      return false;
    }
  });
  return ours ? 'ours' : 'foreign';
}
