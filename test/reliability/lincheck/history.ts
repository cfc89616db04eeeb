import { performance } from 'node:perf_hooks';
import { call, type CallResult } from '../../support/harness';
import type { Operation } from './checker';
import type { Input, Level, Output, Status, WriteOp } from './model';

/**
 * Records every call of a concurrent round: when it was made, when its answer arrived, what was
 * asked and what came back. Times are taken just before the request is handed to the handler and
 * just after its answer is back, so each recorded interval contains the real one (a late timestamp
 * only widens the interval: the check can become more lenient, never wrongly strict).
 */
export interface RecordedCall {
  seq: number;
  client: number;
  invoke: number;
  response: number;
  method: string;
  path: string;
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
  result: CallResult;
}

export class HistoryRecorder {
  readonly calls: RecordedCall[] = [];
  private seq = 0;

  async call(client: number, method: string, path: string, options: { body?: Record<string, unknown>; headers?: Record<string, string> } = {}): Promise<CallResult> {
    const seq = this.seq++;
    const invoke = performance.now();
    const result = await call(method, path, options);
    const response = performance.now();
    this.calls.push({ seq, client, invoke, response, method, path, ...options, result });
    return result;
  }
}

/** One operation on one project, as the checker takes it. */
export interface ProjectOperation extends Operation<Input, Output> {
  projectId: string;
  /** The recorded call it comes from (a batch call gives one operation per project). */
  call: RecordedCall;
}

const LIFECYCLE_PATH = /^\/projects\/([^/]+)\/(start|pause|resume|release|alert-config)$/;
const GET_PATH = /^\/projects\/([^/]+)$/;

const OP_OF: Record<string, WriteOp> = {
  start: 'start',
  pause: 'pause',
  resume: 'resume',
  release: 'release',
  'alert-config': 'modify-alert-config',
  'modify-alert-config': 'modify-alert-config',
};

/** The If-Match header a client sent, as a version ("3" → 3); undefined when none. */
export function ifMatchOf(headers: Record<string, string> | undefined): number | undefined {
  const raw = headers?.['If-Match'];
  if (raw === undefined) return undefined;
  const m = /^"(\d+)"$/.exec(raw);
  if (!m) throw new Error(`the suite sends only strong ETags, got ${raw}`);
  return Number(m[1]);
}

/**
 * Turns the recorded calls into per-project operations. A successful release is two operations of
 * the model over the same interval (PAUSED → RELEASING → RELEASED are two committed writes, and a
 * concurrent read may see the first): the release half and the complete-release half.
 */
export function toOperations(calls: readonly RecordedCall[], nowMs: number): ProjectOperation[] {
  const ops: ProjectOperation[] = [];
  let id = 0;
  const push = (c: RecordedCall, projectId: string, input: Input, output: Output) =>
    ops.push({ id: id++, invoke: c.invoke, response: c.response, projectId, input, output, call: c });
  const writeOps = (c: RecordedCall, projectId: string, op: WriteOp, via: 'single' | 'batch', ifMatch: number | undefined, level: Level | undefined, output: Output) => {
    const base = { kind: 'write' as const, via, nowMs, ...(ifMatch !== undefined ? { ifMatch } : {}), ...(level ? { level } : {}) };
    if (op === 'release' && output.ok) {
      if (output.status !== 'RELEASED' || output.version === undefined) throw new Error(`release answered ok without RELEASED and a version: ${JSON.stringify(output)}`);
      push(c, projectId, { ...base, op: 'release' }, { ...output, status: 'RELEASING', version: output.version - 1 });
      push(c, projectId, { kind: 'write', op: 'complete-release', via, nowMs }, output);
      return;
    }
    push(c, projectId, { ...base, op }, output);
  };

  for (const c of calls) {
    const { status: http, body } = c.result;
    if (c.method === 'GET') {
      const m = GET_PATH.exec(c.path);
      if (!m?.[1]) throw new Error(`unexpected read ${c.path}`);
      push(c, m[1], { kind: 'get' }, http === 200 ? { ok: true, http, status: body.status, version: body.version, alertLevel: body.alertLevel } : { ok: false, http, code: body?.code });
      continue;
    }
    if (c.path === '/batch-operations') {
      const op = OP_OF[String(c.body?.operation)];
      if (!op) throw new Error(`unexpected batch operation ${String(c.body?.operation)}`);
      if (http !== 200) {
        // A batch refused as a whole: one failed operation per project, which no state can explain.
        for (const pid of (c.body?.projectIds as string[]) ?? []) push(c, pid, { kind: 'write', op, via: 'batch', nowMs }, { ok: false, http, code: body?.code });
        continue;
      }
      const expected = (c.body?.expectedVersions ?? {}) as Record<string, number>;
      const level = (c.body?.parameters as { level?: Level } | undefined)?.level;
      for (const r of body.results as { projectId: string; ok: boolean; code?: string; status?: Status; version?: number }[]) {
        const output: Output = { ok: r.ok, ...(r.code !== undefined ? { code: r.code } : {}), ...(r.status !== undefined ? { status: r.status } : {}), ...(r.version !== undefined ? { version: r.version } : {}) };
        writeOps(c, r.projectId, op, 'batch', expected[r.projectId], level, output);
      }
      continue;
    }
    const m = LIFECYCLE_PATH.exec(c.path);
    const op = m?.[2] ? OP_OF[m[2]] : undefined;
    if (!m?.[1] || !op) throw new Error(`unexpected call ${c.method} ${c.path}`);
    const output: Output =
      http === 200
        ? { ok: true, http, status: body.status, version: body.version, alertLevel: body.alertLevel }
        : {
            ok: false,
            http,
            code: body?.code,
            ...(body?.currentStatus !== undefined ? { status: body.currentStatus } : {}),
            ...(body?.currentVersion !== undefined ? { version: body.currentVersion } : {}),
          };
    writeOps(c, m[1], op, 'single', ifMatchOf(c.headers), (c.body as { level?: Level } | undefined)?.level, output);
  }
  return ops;
}

/** A readable line per operation, for failure messages. */
export function describe(op: ProjectOperation): string {
  const i = op.input;
  const what = i.kind === 'get' ? 'GET' : `${i.via === 'batch' ? 'batch ' : ''}${i.op}${i.ifMatch !== undefined ? ` If-Match ${i.ifMatch}` : ''}${i.level ? ` ${i.level}` : ''}`;
  return `#${op.id} c${op.call.client} [${op.invoke.toFixed(2)}, ${op.response.toFixed(2)}] ${what} → ${JSON.stringify(op.output)}`;
}
