import type pg from 'pg';
import type { JobSpec, JobState, JobStatus, TableProgress } from '../../../ports';
import type { SubtaskProgress } from '../../../domain/subtasks';
import { inTransaction, type Queryable } from './connections';

/**
 * The job registry and its checkpoints, on the DESTINATION in schema `_migration`: a new process (or
 * another Lambda) continues every job from there. One row per job (state, owning run, progress) and one
 * per job and table (last key copied or compared, rows, verification mismatches).
 */

export const META_SCHEMA = '_migration';

const DDL = `
CREATE SCHEMA IF NOT EXISTS _migration;
CREATE TABLE IF NOT EXISTS _migration.jobs (
  job_id text PRIMARY KEY,
  project_id text NOT NULL,
  subtask text NOT NULL,
  spec jsonb NOT NULL,
  state text NOT NULL,
  run integer NOT NULL DEFAULT 0,
  checkpoint text,
  progress jsonb NOT NULL DEFAULT '{"percent":0}',
  caught_up boolean,
  lag jsonb,
  error jsonb,
  detail jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS _migration.job_tables (
  job_id text NOT NULL REFERENCES _migration.jobs(job_id) ON DELETE CASCADE,
  ord integer NOT NULL,
  schema_name text NOT NULL,
  table_name text NOT NULL,
  last_key jsonb,
  rows bigint NOT NULL DEFAULT 0,
  rows_estimated bigint,
  rows_per_second double precision,
  done boolean NOT NULL DEFAULT false,
  mismatches bigint NOT NULL DEFAULT 0,
  mismatched_keys jsonb NOT NULL DEFAULT '[]',
  PRIMARY KEY (job_id, schema_name, table_name)
);
-- The newest run that paused or stopped the job: that run (or an older one) can no longer resume it.
ALTER TABLE _migration.jobs ADD COLUMN IF NOT EXISTS held_by integer;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = '_migration.job_tables'::regclass AND attname = 'source_ord' AND NOT attisdropped) THEN
    ALTER TABLE _migration.job_tables ADD COLUMN source_ord integer NOT NULL DEFAULT 0;
  END IF;
END $$;
CREATE TABLE IF NOT EXISTS _migration.table_sources (
  project_id text NOT NULL,
  schema_name text NOT NULL,
  table_name text NOT NULL,
  source_ids text[] NOT NULL,
  PRIMARY KEY (project_id, schema_name, table_name)
);
-- The key-ownership tables (owners.ts) each project made: its release drops them.
CREATE TABLE IF NOT EXISTS _migration.owner_tables (
  project_id text NOT NULL,
  rel text NOT NULL,
  PRIMARY KEY (project_id, rel)
);
`;

const ensured = new WeakSet<pg.Pool>();

export async function ensureMetaSchema(pool: pg.Pool): Promise<void> {
  if (ensured.has(pool)) return;
  await inTransaction(pool, async (c) => {
    await c.query("SELECT pg_advisory_xact_lock(hashtext('_migration.ddl'))");
    await c.query(DDL);
  });
  ensured.add(pool);
}

export interface JobRow {
  jobId: string;
  projectId: string;
  subtask: string;
  spec: JobSpec;
  state: JobState;
  run: number;
  /** The newest run that paused or stopped the job (a resume from it or an older run is stale). */
  heldBy: number | null;
  checkpoint: string | null;
  progress: SubtaskProgress;
  caughtUp: boolean | null;
  lag: { seconds: number; bytes: number } | null;
  error: { code: string; message: string } | null;
  detail: Record<string, unknown> | null;
}

export interface TableRow {
  ord: number;
  schema: string;
  table: string;
  lastKey: string[] | null;
  rows: number;
  rowsEstimated: number | null;
  rowsPerSecond: number | null;
  done: boolean;
  mismatches: number;
  mismatchedKeys: string[];
  /** Verification of a multi-source project: the index (in the job's sourceIds) of the source being compared. */
  sourceOrd: number;
}

// Values come back as raw text (see RAW_TEXT_TYPES): jsonb is parsed here.
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

function toJob(r: Record<string, unknown>): JobRow {
  return {
    jobId: String(r.job_id),
    projectId: String(r.project_id),
    subtask: String(r.subtask),
    spec: json<JobSpec>(r.spec),
    state: r.state as JobState,
    run: Number(r.run),
    heldBy: r.held_by === null || r.held_by === undefined ? null : Number(r.held_by),
    checkpoint: (r.checkpoint as string | null) ?? null,
    progress: json<SubtaskProgress>(r.progress),
    caughtUp: r.caught_up === null || r.caught_up === undefined ? null : r.caught_up === 't' || r.caught_up === true,
    lag: r.lag ? json(r.lag) : null,
    error: r.error ? json(r.error) : null,
    detail: r.detail ? json(r.detail) : null,
  };
}

export async function getJob(q: Queryable, jobId: string): Promise<JobRow | undefined> {
  const r = await q.query('SELECT * FROM _migration.jobs WHERE job_id = $1', [jobId]);
  return r.rows[0] ? toJob(r.rows[0]) : undefined;
}

export async function getJobForUpdate(q: Queryable, jobId: string): Promise<JobRow | undefined> {
  const r = await q.query('SELECT * FROM _migration.jobs WHERE job_id = $1 FOR UPDATE', [jobId]);
  return r.rows[0] ? toJob(r.rows[0]) : undefined;
}

/** Inserts the job unless it exists; returns whether it was created. */
export async function createJob(q: Queryable, spec: JobSpec, state: JobState): Promise<boolean> {
  const r = await q.query(
    `INSERT INTO _migration.jobs (job_id, project_id, subtask, spec, state, run) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (job_id) DO NOTHING`,
    [spec.jobId, spec.projectId, spec.subtask, JSON.stringify(spec), state, spec.run ?? 0],
  );
  return (r.rowCount ?? 0) > 0;
}

export interface JobPatch {
  state?: JobState;
  run?: number;
  heldBy?: number;
  checkpoint?: string | null;
  progress?: SubtaskProgress;
  caughtUp?: boolean | null;
  lag?: { seconds: number; bytes: number } | null;
  error?: { code: string; message: string } | null;
  detail?: Record<string, unknown> | null;
}

/** Updates the job; with `onlyIf` only while it is in one of those states. Returns whether a row changed. */
export async function patchJob(q: Queryable, jobId: string, patch: JobPatch, onlyIf?: JobState[]): Promise<boolean> {
  const sets: string[] = ['updated_at = now()'];
  const values: unknown[] = [jobId];
  const add = (col: string, v: unknown, isJson = false) => {
    values.push(v === null || v === undefined ? null : isJson ? JSON.stringify(v) : v);
    sets.push(`${col} = $${values.length}`);
  };
  if (patch.state !== undefined) add('state', patch.state);
  if (patch.run !== undefined) add('run', patch.run);
  if (patch.heldBy !== undefined) add('held_by', patch.heldBy);
  if (patch.checkpoint !== undefined) add('checkpoint', patch.checkpoint);
  if (patch.progress !== undefined) add('progress', patch.progress, true);
  if (patch.caughtUp !== undefined) add('caught_up', patch.caughtUp);
  if (patch.lag !== undefined) add('lag', patch.lag, true);
  if (patch.error !== undefined) add('error', patch.error, true);
  if (patch.detail !== undefined) add('detail', patch.detail, true);
  let where = 'job_id = $1';
  if (onlyIf) {
    values.push(onlyIf);
    where += ` AND state = ANY($${values.length})`;
  }
  const r = await q.query(`UPDATE _migration.jobs SET ${sets.join(', ')} WHERE ${where}`, values);
  return (r.rowCount ?? 0) > 0;
}

export async function jobsOfProject(q: Queryable, projectId: string): Promise<JobRow[]> {
  const r = await q.query('SELECT * FROM _migration.jobs WHERE project_id = $1', [projectId]);
  return r.rows.map(toJob);
}

export async function listTableRows(q: Queryable, jobId: string): Promise<TableRow[]> {
  const r = await q.query('SELECT * FROM _migration.job_tables WHERE job_id = $1 ORDER BY ord', [jobId]);
  return r.rows.map((x: Record<string, unknown>) => ({
    ord: Number(x.ord),
    schema: String(x.schema_name),
    table: String(x.table_name),
    lastKey: x.last_key ? json<string[]>(x.last_key) : null,
    rows: Number(x.rows),
    rowsEstimated: x.rows_estimated === null ? null : Number(x.rows_estimated),
    rowsPerSecond: x.rows_per_second === null ? null : Number(x.rows_per_second),
    done: x.done === 't' || x.done === true,
    mismatches: Number(x.mismatches),
    mismatchedKeys: json<string[]>(x.mismatched_keys),
    sourceOrd: Number(x.source_ord ?? 0),
  }));
}

/** The job's tables, once (a restarted job keeps its rows and checkpoints). */
export async function initTableRows(q: Queryable, jobId: string, tables: { schema: string; table: string; rowsEstimated: number }[]): Promise<void> {
  for (const [i, t] of tables.entries()) {
    await q.query(
      `INSERT INTO _migration.job_tables (job_id, ord, schema_name, table_name, rows_estimated) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [jobId, i, t.schema, t.table, t.rowsEstimated],
    );
  }
}

export interface TablePatch {
  lastKey?: string[] | null;
  addRows?: number;
  rowsPerSecond?: number;
  done?: boolean;
  addMismatches?: number;
  mismatchedKeys?: string[];
  sourceOrd?: number;
}

export async function patchTableRow(q: Queryable, jobId: string, t: { schema: string; table: string }, p: TablePatch): Promise<void> {
  const sets: string[] = [];
  const values: unknown[] = [jobId, t.schema, t.table];
  const add = (expr: (param: string) => string, v: unknown) => {
    values.push(v);
    sets.push(expr(`$${values.length}`));
  };
  if (p.lastKey !== undefined) add((x) => `last_key = ${x}::jsonb`, p.lastKey === null ? null : JSON.stringify(p.lastKey));
  if (p.addRows !== undefined) add((x) => `rows = rows + ${x}::bigint`, p.addRows);
  if (p.rowsPerSecond !== undefined) add((x) => `rows_per_second = ${x}::float8`, p.rowsPerSecond);
  if (p.done !== undefined) add((x) => `done = ${x}::boolean`, p.done);
  if (p.addMismatches !== undefined) add((x) => `mismatches = mismatches + ${x}::bigint`, p.addMismatches);
  if (p.mismatchedKeys !== undefined) add((x) => `mismatched_keys = ${x}::jsonb`, JSON.stringify(p.mismatchedKeys));
  if (p.sourceOrd !== undefined) add((x) => `source_ord = ${x}::integer`, p.sourceOrd);
  if (!sets.length) return;
  await q.query(`UPDATE _migration.job_tables SET ${sets.join(', ')} WHERE job_id = $1 AND schema_name = $2 AND table_name = $3`, values);
}

/**
 * Which sources have each table of a multi-source project (recorded by its structure migration): a
 * table of several sources is a merged one. Undefined when nothing was recorded for the project.
 */
export async function recordTableSources(q: Queryable, projectId: string, tables: Map<string, { schema: string; table: string; sources: string[] }>): Promise<void> {
  for (const t of tables.values()) {
    await q.query(
      `INSERT INTO _migration.table_sources (project_id, schema_name, table_name, source_ids) VALUES ($1, $2, $3, $4::text[])
       ON CONFLICT (project_id, schema_name, table_name) DO UPDATE SET source_ids = EXCLUDED.source_ids`,
      [projectId, t.schema, t.table, t.sources],
    );
  }
}

export async function tableSources(q: Queryable, projectId: string): Promise<Map<string, string[]> | undefined> {
  const r = await q.query<{ schema_name: string; table_name: string; ids: string }>('SELECT schema_name, table_name, array_to_json(source_ids)::text AS ids FROM _migration.table_sources WHERE project_id = $1', [projectId]);
  if (!r.rows.length) return undefined;
  return new Map(r.rows.map((x) => [`${x.schema_name}.${x.table_name}`, JSON.parse(x.ids) as string[]]));
}

/** Release of a project: what was recorded of its tables' sources goes (its jobs' rows stay, as the engine's record of what ran). */
export async function forgetTableSources(q: Queryable, projectId: string): Promise<void> {
  await q.query('DELETE FROM _migration.table_sources WHERE project_id = $1', [projectId]);
}

export function tableProgress(rows: TableRow[], verification: boolean): TableProgress[] {
  return rows.map((t) => ({
    schema: t.schema,
    table: t.table,
    rows: t.rows,
    ...(t.rowsEstimated !== null ? { rowsEstimated: t.rowsEstimated } : {}),
    ...(t.rowsPerSecond !== null ? { rowsPerSecond: Math.round(t.rowsPerSecond) } : {}),
    done: t.done,
    ...(verification ? { mismatches: t.mismatches, mismatchedKeys: t.mismatchedKeys } : {}),
  }));
}

export function toStatus(job: JobRow, tables: TableRow[] | undefined): JobStatus {
  return {
    jobId: job.jobId,
    state: job.state,
    progress: job.progress,
    ...(job.checkpoint ? { checkpoint: job.checkpoint } : {}),
    ...(job.caughtUp !== null ? { caughtUp: job.caughtUp } : {}),
    ...(job.lag ? { lag: job.lag } : {}),
    ...(tables && tables.length ? { tables: tableProgress(tables, job.subtask === 'FULL_VERIFICATION') } : {}),
    ...(job.error ? { error: job.error } : {}),
  };
}
