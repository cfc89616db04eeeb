import { hasOpenSourcePause, sourceIdsOf } from '../../domain/sources';
import { isoAt } from '../../domain/clock';
import { invalidNextToken, openPageToken, projectListing, sealPageToken } from '../page-tokens';
import type { DataSourceRecord } from '../../domain/data-source';
import { PROJECT_STATUSES, type AuditEvent, type ProjectRecord, type ProjectStatus } from '../../domain/project';
import { applyPaths, pathHolds } from '../../domain/paths';
import { GUARDS } from '../../domain/transitions';
import { ALL_SHARDS, shardOf } from '../../domain/shards';
import { currentLeg } from '../../domain/orchestration';
import { progressWriteHolds, type ProgressWrite, type ProjectProgress } from '../../domain/progress';
import {
  CreateConflict,
  DataSourceInUse,
  ProgressWriteRefused,
  RunWriteRefused,
  TransitionConflict,
  type DataSourceStore,
  type ListProjectsQuery,
  type Page,
  type ShardPageQuery,
  type StatusChange,
  type ProjectStore,
  type RunWrite,
  type SweepCheckpoint,
  type TransitionWrite,
} from '../../ports';

/**
 * In-memory stores with the same conditional semantics as the DynamoDB adapters (each write is
 * all-or-nothing and checks the same conditions). For unit tests and benchmarks of the domain.
 */
export class InMemoryTable {
  readonly projects = new Map<string, ProjectRecord>();
  /** Each project's progress item (shared/domain/progress.ts). */
  readonly progress = new Map<string, ProjectProgress>();
  readonly events = new Map<string, AuditEvent[]>();
  readonly names = new Map<string, string>();
  readonly dataSources = new Map<string, DataSourceRecord>();
  readonly checkpoints = new Map<string, SweepCheckpoint>();
  /** Status counters (no stream here: a caller counts changes itself), and the changes counted. */
  readonly statusCounts = new Map<ProjectStatus, number>();
  readonly counted = new Set<string>();
  countsReady = false;
}

const clone = <T>(v: T): T => structuredClone(v);

/** One page, newest first; the token (sealed as the DynamoDB adapters seal theirs) resumes after the last item. */
function page<T extends { id: string; createdAt: string }>(all: T[], limit: number, nextToken: string | undefined, listing: string): Page<T> {
  const sortKey = (x: T) => `${x.createdAt}#${x.id}`;
  const sorted = [...all].sort((a, b) => sortKey(b).localeCompare(sortKey(a)));
  let start = 0;
  if (nextToken !== undefined) {
    const after = openPageToken(listing, nextToken);
    if (typeof after !== 'string') throw invalidNextToken();
    start = sorted.findIndex((x) => sortKey(x).localeCompare(after) < 0);
    if (start < 0) start = sorted.length;
  }
  const items = sorted.slice(start, start + limit);
  const last = items[items.length - 1];
  const more = start + limit < sorted.length && last;
  return { items: items.map(clone), ...(more ? { nextToken: sealPageToken(listing, sortKey(last)) } : {}) };
}

export class InMemoryProjectStore implements ProjectStore {
  constructor(readonly table = new InMemoryTable()) {}

  async create(project: ProjectRecord, event: AuditEvent): Promise<void> {
    const t = this.table;
    if (t.projects.has(project.id)) throw new CreateConflict('ID_TAKEN');
    if (t.names.has(project.name)) throw new CreateConflict('NAME_TAKEN');
    for (const id of [...sourceIdsOf(project), project.destinationId]) if (!t.dataSources.has(id)) throw new CreateConflict('UNKNOWN_DATA_SOURCE', id);
    t.projects.set(project.id, clone(project));
    t.names.set(project.name, project.id);
    for (const id of [...sourceIdsOf(project), project.destinationId]) (t.dataSources.get(id) as DataSourceRecord).refCount += 1;
    t.events.set(project.id, [clone(event)]);
  }

  async get(id: string): Promise<ProjectRecord | undefined> {
    const p = this.table.projects.get(id);
    return p && clone(p);
  }

  /** As the DynamoDB store's one Query: the project item and its progress item, copied at the same instant. */
  async getWithProgress(id: string): Promise<{ project?: ProjectRecord; progress?: ProjectProgress }> {
    const project = this.table.projects.get(id);
    const progress = this.table.progress.get(id);
    return { ...(project ? { project: clone(project) } : {}), ...(progress ? { progress: clone(progress) } : {}) };
  }

  async getMany(ids: readonly string[]): Promise<Map<string, ProjectRecord>> {
    return copiesOf(this.table.projects, ids);
  }

  async list(q: ListProjectsQuery): Promise<Page<ProjectRecord>> {
    const all = [...this.table.projects.values()].filter(
      (p) => (q.status === undefined || p.status === q.status) && (q.label === undefined || p.labels.includes(q.label)),
    );
    return page(all, q.limit, q.nextToken, projectListing(q));
  }

  async getCheckpoint(worker: string): Promise<SweepCheckpoint | undefined> {
    const c = this.table.checkpoints.get(worker);
    return c && clone(c);
  }

  async saveCheckpoint(c: SweepCheckpoint): Promise<boolean> {
    const stored = this.table.checkpoints.get(c.worker);
    if ((stored?.version ?? 0) !== c.version - 1) return false;
    this.table.checkpoints.set(c.worker, clone(c));
    return true;
  }

  async transition(w: TransitionWrite): Promise<void> {
    const t = this.table;
    const current = t.projects.get(w.projectId);
    const holds =
      current !== undefined &&
      w.from.includes(current.status) &&
      current.version === w.expectedVersion &&
      w.guards.every((g) => GUARDS[g].holds(current, w.nowMs)) &&
      Object.entries(w.equals ?? {}).every(([k, v]) => (current as unknown as Record<string, unknown>)[k] === v) &&
      pathHolds(current, w.expect ?? []);
    if (!holds) throw new TransitionConflict(current && clone(current));
    const nameOwner = w.freeName === undefined ? undefined : t.names.get(w.freeName);
    if (nameOwner !== undefined && nameOwner !== w.projectId) throw new Error('name reservation belongs to another project');
    for (const id of w.releaseDataSources ?? []) if (!t.dataSources.has(id)) throw new Error(`data source ${id} missing`);
    // All conditions hold: apply every part of the write.
    if (w.to === null) {
      t.projects.delete(w.projectId);
      t.progress.delete(w.projectId);
    } else {
      const next: ProjectRecord = { ...current, ...clone(w.set), status: w.to, version: w.expectedVersion + 1, updatedAt: isoAt(w.nowMs) };
      for (const k of w.remove) delete next[k];
      for (const [k, v] of Object.entries(w.set)) if (v === undefined) delete (next as unknown as Record<string, unknown>)[k];
      t.projects.set(w.projectId, applyPaths(next, w.setPaths ?? [], w.removePaths ?? []));
    }
    (t.events.get(w.projectId) ?? t.events.set(w.projectId, []).get(w.projectId))?.push(clone(w.event));
    if (w.freeName !== undefined && nameOwner !== undefined) t.names.delete(w.freeName);
    for (const id of w.releaseDataSources ?? []) (t.dataSources.get(id) as DataSourceRecord).refCount -= 1;
  }

  async listByStatusShard(status: ProjectRecord['status'], shard: number, q: ShardPageQuery): Promise<Page<ProjectRecord>> {
    const all = [...this.table.projects.values()].filter((p) => p.status === status && shardOf(p.id) === shard);
    return page(all, q.limit, q.nextToken, JSON.stringify(['projects-shard', status, shard]));
  }

  async listWithOpenSourcePause(q: ShardPageQuery): Promise<Page<ProjectRecord>> {
    return page([...this.table.projects.values()].filter(hasOpenSourcePause), q.limit, q.nextToken, 'projects-source-pause');
  }

  async recountStatus(status: ProjectStatus): Promise<number[]> {
    const counts = ALL_SHARDS.map(() => 0);
    for (const p of this.table.projects.values()) if (p.status === status) counts[shardOf(p.id)] = (counts[shardOf(p.id)] ?? 0) + 1;
    return counts;
  }

  async countStatusChange(c: StatusChange): Promise<boolean> {
    const marker = `${c.projectId}#${c.version}`;
    if (c.from === c.to || this.table.counted.has(marker)) return false;
    this.table.counted.add(marker);
    const t = this.table.statusCounts;
    if (c.from !== null) t.set(c.from, (t.get(c.from) ?? 0) - 1);
    if (c.to !== null) t.set(c.to, (t.get(c.to) ?? 0) + 1);
    return true;
  }

  async readStatusCounts(): Promise<Record<ProjectStatus, number> | undefined> {
    if (!this.table.countsReady) return undefined;
    return Object.fromEntries(PROJECT_STATUSES.map((s) => [s, this.table.statusCounts.get(s) ?? 0])) as Record<ProjectStatus, number>;
  }

  async writeStatusCounts(perShard: Record<ProjectStatus, readonly number[]>): Promise<void> {
    for (const s of PROJECT_STATUSES) this.table.statusCounts.set(s, (perShard[s] ?? []).reduce((a, b) => a + b, 0));
    this.table.countsReady = true;
  }

  async updateRun(w: RunWrite): Promise<ProjectRecord> {
    const current = this.table.projects.get(w.projectId);
    const holds =
      current !== undefined &&
      current.run === w.run &&
      (w.leg === undefined || currentLeg(current) === w.leg) &&
      (w.statuses ?? ['RUNNING']).includes(current.status) &&
      pathHolds(current, w.expect ?? []);
    if (!holds) throw new RunWriteRefused(current && clone(current));
    const next = applyPaths(current, w.set, w.remove ?? []);
    this.table.projects.set(w.projectId, next);
    return clone(next);
  }

  async getProgress(projectId: string): Promise<ProjectProgress | undefined> {
    const p = this.table.progress.get(projectId);
    return p && clone(p);
  }

  async getProgressMany(projectIds: readonly string[]): Promise<Map<string, ProjectProgress>> {
    return copiesOf(this.table.progress, projectIds);
  }

  async writeProgress(w: ProgressWrite): Promise<void> {
    const stored = this.table.progress.get(w.projectId);
    if (!progressWriteHolds(stored, w)) throw new ProgressWriteRefused(stored && { run: stored.run, leg: stored.leg });
    const polled = w.polledAt !== undefined ? { run: w.run, leg: w.leg, at: w.polledAt } : stored?.polled;
    this.table.progress.set(w.projectId, {
      projectId: w.projectId,
      run: w.run,
      leg: w.leg,
      ...(polled !== undefined ? { polled } : {}),
      measurements: { ...stored?.measurements, ...clone(w.measurements) },
    });
  }

  async listEvents(projectId: string): Promise<AuditEvent[]> {
    return clone(this.table.events.get(projectId) ?? []);
  }

  /** The token holds how many events came before the page (the trail only grows). */
  async listEventsPage(projectId: string, limit: number, nextToken?: string): Promise<Page<AuditEvent>> {
    const listing = JSON.stringify(['events', projectId]);
    const all = this.table.events.get(projectId) ?? [];
    const start = nextToken === undefined ? 0 : openPageToken(listing, nextToken);
    if (typeof start !== 'number' || !Number.isInteger(start) || start < 0) throw invalidNextToken();
    const items = all.slice(start, start + limit);
    const more = start + limit < all.length;
    return { items: clone(items), ...(more ? { nextToken: sealPageToken(listing, start + limit) } : {}) };
  }
}

export class InMemoryDataSourceStore implements DataSourceStore {
  constructor(readonly table = new InMemoryTable()) {}

  async create(ds: DataSourceRecord): Promise<void> {
    if (this.table.dataSources.has(ds.id)) throw new Error(`data source ${ds.id} exists`);
    this.table.dataSources.set(ds.id, clone(ds));
  }

  async get(id: string): Promise<DataSourceRecord | undefined> {
    const ds = this.table.dataSources.get(id);
    return ds && clone(ds);
  }

  async list(limit: number, nextToken?: string): Promise<Page<DataSourceRecord>> {
    return page([...this.table.dataSources.values()], limit, nextToken, 'data-sources');
  }

  async delete(id: string): Promise<boolean> {
    const ds = this.table.dataSources.get(id);
    if (!ds) return false;
    if (ds.refCount > 0) throw new DataSourceInUse(ds.refCount);
    this.table.dataSources.delete(id);
    return true;
  }
}

/** Copies of the entries of `map` under `ids` (the missing ones left out), as a batch get answers. */
function copiesOf<T>(map: ReadonlyMap<string, T>, ids: readonly string[]): Map<string, T> {
  const found = new Map<string, T>();
  for (const id of ids) {
    const v = map.get(id);
    if (v !== undefined) found.set(id, clone(v));
  }
  return found;
}
