import type { parseArgs } from 'node:util';
import { PROJECT_STATUSES, type ProjectStatus } from '../domain/project';
import { ApiClient, ApiError } from './client';
import { table, type Writable } from './output';

/** What every migctl command shares: its streams, flags, API client, and the dmctl-style result shape. */

export interface Io {
  stdout: Writable;
  stderr: Writable;
  /** Reads one answer line; undefined when input has ended. */
  ask(question: string): Promise<string | undefined>;
  env: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Calls `fn` on Ctrl-C (SIGINT); returns the unsubscribe. */
  onInterrupt?: (fn: () => void) => () => void;
}

export interface ItemResult {
  result: boolean;
  msg: string;
  projectId: string;
  name: string;
  [extra: string]: unknown;
}

export interface OpResult {
  op: string;
  result: boolean;
  msg: string;
  projects: ItemResult[];
}

export class UsageError extends Error {}

export const OPTIONS = {
  endpoint: { type: 'string' },
  json: { type: 'boolean' },
  sigv4: { type: 'boolean' },
  'no-sigv4': { type: 'boolean' },
  region: { type: 'string' },
  profile: { type: 'string' },
  actor: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  yes: { type: 'boolean', short: 'y' },
  'dry-run': { type: 'boolean' },
  ids: { type: 'string', multiple: true },
  status: { type: 'string' },
  label: { type: 'string', multiple: true },
  level: { type: 'string' },
  limit: { type: 'string' },
  name: { type: 'string' },
  source: { type: 'string', multiple: true },
  destination: { type: 'string' },
  components: { type: 'string' },
  tables: { type: 'string' },
  'alert-level': { type: 'string' },
  description: { type: 'string' },
  'confirm-name': { type: 'string' },
  'if-match': { type: 'string' },
  for: { type: 'string' },
  allowed: { type: 'string' },
  timeout: { type: 'string' },
  interval: { type: 'string' },
  step: { type: 'string' },
  once: { type: 'boolean' },
  wait: { type: 'boolean' },
  engine: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  username: { type: 'string' },
  database: { type: 'string' },
  'secret-arn': { type: 'string' },
  subtask: { type: 'string' },
  'at-percent': { type: 'string' },
  message: { type: 'string' },
} as const;

export type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

export interface Ctx {
  api: ApiClient;
  flags: Flags;
  io: Io;
  json: boolean;
}

export const COMPONENT_FLAGS: Record<string, string> = {
  structure: 'structureMigration',
  full: 'fullMigration',
  incremental: 'incrementalSync',
  verification: 'fullVerification',
  reverse: 'reverseIncrementalSync',
};

/** Batch size per request: big selections go in several calls, with a progress bar on a terminal. */
export const BATCH_CHUNK = 50;

export const errorMsg = (e: unknown) => (e instanceof ApiError ? `${e.problem.code}: ${e.problem.detail ?? e.problem.title ?? ''}`.trim() : (e as Error).message);

export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === '') throw new UsageError(`missing ${what}`);
  return value;
}

export function statusArg(value: string | undefined, allowDeleted = false): ProjectStatus | 'DELETED' | undefined {
  if (value === undefined) return undefined;
  const upper = value.toUpperCase();
  if ((PROJECT_STATUSES as readonly string[]).includes(upper) || (allowDeleted && upper === 'DELETED')) return upper as ProjectStatus;
  throw new UsageError(`unknown status '${value}' (one of ${PROJECT_STATUSES.join(', ')}${allowDeleted ? ', DELETED' : ''})`);
}

export function seconds(value: string | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/s$/, ''));
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${what} must be a positive number of seconds`);
  return n;
}

export function emit(ctx: Ctx, r: OpResult, human: () => string): number {
  if (ctx.json) ctx.io.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else {
    const text = human();
    if (text) ctx.io.stdout.write(`${text}\n`);
  }
  return r.result ? 0 : 1;
}

export function resultTable(items: ItemResult[]): string {
  return table(
    ['PROJECT', 'NAME', 'RESULT', 'STATUS', 'MESSAGE'],
    items.map((i) => [i.projectId, i.name, i.result ? 'ok' : i.skipped ? 'skipped' : 'FAILED', (i.status as string | undefined) ?? '', i.msg]),
  );
}

export function summarize(op: string, items: ItemResult[]): OpResult {
  const failed = items.filter((i) => !i.result).length;
  return {
    op,
    result: failed === 0,
    msg: failed === 0 ? '' : `${failed} of ${items.length} failed`,
    projects: items,
  };
}

