import type { Endpoint, Replication, ReplicationConfig, ReplicationTask, TableStatistics, Tag } from '@aws-sdk/client-database-migration-service';
import { isValidDmsIdentifier } from './ids';

/**
 * A FAKE AWS DMS for tests (no SDK, no network): replication tasks and endpoints whose states follow
 * the documented transitions — creating → ready → starting → running → stopping → stopped (with a
 * stop reason) | failed, deleting → gone — moved one step per `advance()`, and the rules the real
 * service enforces: identifiers, ResourceAlreadyExistsFault, `resume-processing` only for a task that
 * ran, stop only while running, delete only when not running, an endpoint not deleted while a task
 * uses it, ResourceNotFoundFault from a describe that matches nothing. Misuse DMS would accept but
 * that loses data (`start-replication` again on a task that ran reloads the target) throws here.
 * Tests install it behind aws-sdk-client-mock (`callsFake`), so the adapter's real requests reach it.
 */

export class FakeDmsFault extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface FakeTable {
  schema: string;
  table: string;
  rows: number;
}

interface FakeTask {
  task: ReplicationTask;
  tags: Record<string, string>;
  tables: TableStatistics[];
  /** Changes applied so far (the cdc position behind RecoveryCheckpoint). */
  cdcPosition: number;
  /** A DMS Serverless replication config (its replication read through the serverless operations). */
  serverless?: { compute: Record<string, unknown> };
}

const fault = (name: string, message: string) => new FakeDmsFault(name, message);

function matches(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('%').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

export class FakeDms {
  readonly tasks = new Map<string, FakeTask>();
  readonly endpoints = new Map<string, { endpoint: Endpoint; tags: Record<string, string>; input: Record<string, unknown> }>();
  /** Every request received, by operation (for assertions on what the adapter sent). */
  readonly calls: { op: string; input: Record<string, unknown> }[] = [];
  /** CDC latency per task resource id / replication config id (seconds), for the CloudWatch fake. */
  readonly lag = new Map<string, { source: number; target: number }>();
  /** What validation finds different: `schema.table` → failed records. */
  readonly mismatches = new Map<string, number>();
  private clock = Date.parse('2026-05-01T08:00:00Z');

  constructor(
    private readonly arnPrefix = 'arn:aws:dms:eu-west-1:123456789012',
    /** The source database's tables (and the destination's, for the reverse direction). */
    readonly catalog: FakeTable[] = [
      { schema: 'public', table: 'orders', rows: 1_000 },
      { schema: 'public', table: 'customers', rows: 200 },
    ],
  ) {}

  private record(op: string, input: Record<string, unknown>) {
    this.calls.push({ op, input: structuredClone(input) });
  }

  taskById(id: string): ReplicationTask | undefined {
    return [...this.tasks.values()].find((t) => t.task.ReplicationTaskIdentifier === id)?.task;
  }

  tagsOf(arn: string): Record<string, string> | undefined {
    return this.tasks.get(arn)?.tags ?? this.endpoints.get(arn)?.tags;
  }

  // ---- the operations (inputs as the SDK commands carry them) ----

  createEndpoint(input: Record<string, any>): { Endpoint: Endpoint } {
    this.record('CreateEndpoint', input);
    const id = String(input.EndpointIdentifier);
    if (!isValidDmsIdentifier(id, 255) || (input.ResourceIdentifier && !isValidDmsIdentifier(input.ResourceIdentifier, 31))) throw fault('InvalidParameterValueException', `bad identifier ${id}`);
    if ([...this.endpoints.values()].some((e) => e.endpoint.EndpointIdentifier === id)) throw fault('ResourceAlreadyExistsFault', `endpoint ${id} exists`);
    const settings = Object.entries(input).find(([k]) => k.endsWith('Settings'))?.[1] as Record<string, unknown> | undefined;
    if (settings?.SecretsManagerSecretId && (input.Password || input.Username || input.ServerName)) throw fault('InvalidParameterCombinationException', 'secret and clear-text credentials');
    const arn = `${this.arnPrefix}:endpoint:${input.ResourceIdentifier ?? id.toUpperCase()}`;
    const endpoint: Endpoint = { EndpointIdentifier: id, EndpointArn: arn, EndpointType: String(input.EndpointType).toUpperCase() as never, EngineName: input.EngineName, Status: 'active' };
    this.endpoints.set(arn, { endpoint, tags: tagMap(input.Tags), input });
    return { Endpoint: endpoint };
  }

  describeEndpoints(input: Record<string, any>): { Endpoints: Endpoint[] } {
    this.record('DescribeEndpoints', input);
    const ids: string[] = input.Filters?.find((f: any) => f.Name === 'endpoint-id')?.Values ?? [];
    const found = [...this.endpoints.values()].map((e) => e.endpoint).filter((e) => ids.includes(e.EndpointIdentifier ?? ''));
    if (found.length === 0) throw fault('ResourceNotFoundFault', 'No Endpoints found matching provided filters');
    return { Endpoints: found };
  }

  deleteEndpoint(input: Record<string, any>): { Endpoint: Endpoint } {
    this.record('DeleteEndpoint', input);
    const e = this.endpoints.get(input.EndpointArn);
    if (!e) throw fault('ResourceNotFoundFault', 'no endpoint');
    const users = [...this.tasks.values()].filter((t) => t.task.SourceEndpointArn === input.EndpointArn || t.task.TargetEndpointArn === input.EndpointArn);
    if (users.length) throw fault('InvalidResourceStateFault', `endpoint in use by ${users.map((u) => u.task.ReplicationTaskIdentifier).join(', ')}`);
    this.endpoints.delete(input.EndpointArn);
    return { Endpoint: { ...e.endpoint, Status: 'deleting' } };
  }

  createReplicationTask(input: Record<string, any>): { ReplicationTask: ReplicationTask } {
    this.record('CreateReplicationTask', input);
    const id = String(input.ReplicationTaskIdentifier);
    if (!isValidDmsIdentifier(id, 255) || (input.ResourceIdentifier && !isValidDmsIdentifier(input.ResourceIdentifier, 31))) throw fault('InvalidParameterValueException', `bad identifier ${id}`);
    if (this.taskById(id)) throw fault('ResourceAlreadyExistsFault', `task ${id} exists`);
    for (const arn of [input.SourceEndpointArn, input.TargetEndpointArn]) if (!this.endpoints.has(arn)) throw fault('ResourceNotFoundFault', `no endpoint ${arn}`);
    if (input.CdcStartTime && input.CdcStartPosition) throw fault('InvalidParameterCombinationException', 'CdcStartTime and CdcStartPosition');
    const arn = `${this.arnPrefix}:task:${input.ResourceIdentifier ?? id.toUpperCase()}`;
    const task: ReplicationTask = {
      ReplicationTaskIdentifier: id,
      ReplicationTaskArn: arn,
      SourceEndpointArn: input.SourceEndpointArn,
      TargetEndpointArn: input.TargetEndpointArn,
      ReplicationInstanceArn: input.ReplicationInstanceArn,
      MigrationType: input.MigrationType,
      ReplicationTaskSettings: input.ReplicationTaskSettings,
      TableMappings: input.TableMappings,
      Status: 'creating',
      ...(input.CdcStartTime ? { CdcStartPosition: new Date(input.CdcStartTime).toISOString() } : {}),
    };
    this.tasks.set(arn, { task, tags: tagMap(input.Tags), tables: this.tablesFor(input.TableMappings), cdcPosition: 0 });
    return { ReplicationTask: this.view(arn) };
  }

  /** The catalog's tables the selection rules include, none loaded yet. */
  private tablesFor(tableMappings: string): TableStatistics[] {
    const rules = (JSON.parse(tableMappings).rules as any[]).filter((r) => r['rule-type'] === 'selection' && r['rule-action'] === 'include');
    const selected = this.catalog.filter((t) => rules.some((r) => matches(r['object-locator']['schema-name'], t.schema) && matches(r['object-locator']['table-name'], t.table)));
    return selected.map((t) => ({ SchemaName: t.schema, TableName: t.table, TableState: 'Before load', FullLoadRows: 0, Inserts: 0, Updates: 0, Deletes: 0 }));
  }

  describeReplicationTasks(input: Record<string, any>): { ReplicationTasks: ReplicationTask[] } {
    this.record('DescribeReplicationTasks', input);
    const arns: string[] = input.Filters?.find((f: any) => f.Name === 'replication-task-arn')?.Values ?? [];
    const found = arns.filter((a) => this.tasks.has(a) && !this.tasks.get(a)?.serverless).map((a) => this.view(a));
    if (found.length === 0) throw fault('ResourceNotFoundFault', 'No Tasks found matching provided filters');
    return { ReplicationTasks: found };
  }

  startReplicationTask(input: Record<string, any>): { ReplicationTask: ReplicationTask } {
    this.record('StartReplicationTask', input);
    return { ReplicationTask: this.start(this.mustTask(input.ReplicationTaskArn, false), input.StartReplicationTaskType, input.CdcStartPosition) };
  }

  stopReplicationTask(input: Record<string, any>): { ReplicationTask: ReplicationTask } {
    this.record('StopReplicationTask', input);
    return { ReplicationTask: this.stop(this.mustTask(input.ReplicationTaskArn, false)) };
  }

  deleteReplicationTask(input: Record<string, any>): { ReplicationTask: ReplicationTask } {
    this.record('DeleteReplicationTask', input);
    return { ReplicationTask: this.remove(this.mustTask(input.ReplicationTaskArn, false)) };
  }

  // ---- DMS Serverless: replication configs, their replications (one per config) ----

  createReplicationConfig(input: Record<string, any>): { ReplicationConfig: ReplicationConfig } {
    this.record('CreateReplicationConfig', input);
    const id = String(input.ReplicationConfigIdentifier);
    if (!isValidDmsIdentifier(id, 255) || (input.ResourceIdentifier && !isValidDmsIdentifier(input.ResourceIdentifier, 31))) throw fault('InvalidParameterValueException', `bad identifier ${id}`);
    if (!input.ComputeConfig?.MaxCapacityUnits || !input.ReplicationType || !input.TableMappings) throw fault('InvalidParameterValueException', 'ComputeConfig.MaxCapacityUnits, ReplicationType and TableMappings are required');
    if (this.taskById(id)) throw fault('ResourceAlreadyExistsFault', `replication config ${id} exists`);
    for (const arn of [input.SourceEndpointArn, input.TargetEndpointArn]) if (!this.endpoints.has(arn)) throw fault('ResourceNotFoundFault', `no endpoint ${arn}`);
    const arn = `${this.arnPrefix}:replication-config:${input.ResourceIdentifier ?? id.toUpperCase()}`;
    const task: ReplicationTask = {
      ReplicationTaskIdentifier: id,
      ReplicationTaskArn: arn,
      SourceEndpointArn: input.SourceEndpointArn,
      TargetEndpointArn: input.TargetEndpointArn,
      MigrationType: input.ReplicationType,
      ReplicationTaskSettings: input.ReplicationSettings,
      TableMappings: input.TableMappings,
      Status: 'ready', // a config is there at once; capacity is provisioned at each start
    };
    this.tasks.set(arn, { task, tags: tagMap(input.Tags), tables: this.tablesFor(input.TableMappings), cdcPosition: 0, serverless: { compute: input.ComputeConfig } });
    return { ReplicationConfig: { ReplicationConfigIdentifier: id, ReplicationConfigArn: arn, SourceEndpointArn: input.SourceEndpointArn, TargetEndpointArn: input.TargetEndpointArn, ReplicationType: input.ReplicationType, ComputeConfig: input.ComputeConfig, TableMappings: input.TableMappings, ReplicationSettings: input.ReplicationSettings } };
  }

  describeReplications(input: Record<string, any>): { Replications: Replication[] } {
    this.record('DescribeReplications', input);
    const ids: string[] = input.Filters?.find((f: any) => f.Name === 'replication-config-id')?.Values ?? [];
    const arns: string[] = input.Filters?.find((f: any) => f.Name === 'replication-config-arn')?.Values ?? [];
    const found = [...this.tasks.values()].filter((t) => t.serverless && (ids.includes(t.task.ReplicationTaskIdentifier ?? '') || arns.includes(t.task.ReplicationTaskArn ?? '')));
    if (found.length === 0) throw fault('ResourceNotFoundFault', 'No replications found matching provided filters');
    return { Replications: found.map((t) => this.replicationOf(t)) };
  }

  startReplication(input: Record<string, any>): { Replication: Replication } {
    this.record('StartReplication', input);
    const t = this.mustTask(input.ReplicationConfigArn, true);
    if (input.CdcStartTime && input.CdcStartPosition) throw fault('InvalidParameterCombinationException', 'CdcStartTime and CdcStartPosition');
    this.start(t, input.StartReplicationType, input.CdcStartPosition);
    return { Replication: this.replicationOf(t) };
  }

  stopReplication(input: Record<string, any>): { Replication: Replication } {
    this.record('StopReplication', input);
    const t = this.mustTask(input.ReplicationConfigArn, true);
    this.stop(t);
    return { Replication: this.replicationOf(t) };
  }

  deleteReplicationConfig(input: Record<string, any>): { ReplicationConfig: ReplicationConfig } {
    this.record('DeleteReplicationConfig', input);
    const t = this.mustTask(input.ReplicationConfigArn, true);
    this.remove(t);
    return { ReplicationConfig: { ReplicationConfigIdentifier: t.task.ReplicationTaskIdentifier, ReplicationConfigArn: t.task.ReplicationTaskArn } };
  }

  describeReplicationTableStatistics(input: Record<string, any>): { ReplicationConfigArn: string; ReplicationTableStatistics: TableStatistics[] } {
    this.record('DescribeReplicationTableStatistics', input);
    return { ReplicationConfigArn: input.ReplicationConfigArn, ReplicationTableStatistics: structuredClone(this.mustTask(input.ReplicationConfigArn, true).tables) };
  }

  /** A config's replication as DescribeReplications shows it (serverless status words). */
  private replicationOf(t: FakeTask): Replication {
    const v = structuredClone(t.task);
    const status: Record<string, string> = { ready: 'created', starting: 'provisioning_capacity' };
    return {
      ReplicationConfigIdentifier: v.ReplicationTaskIdentifier,
      ReplicationConfigArn: v.ReplicationTaskArn,
      SourceEndpointArn: v.SourceEndpointArn,
      TargetEndpointArn: v.TargetEndpointArn,
      ReplicationType: v.MigrationType,
      Status: status[v.Status ?? ''] ?? v.Status,
      ...(v.StopReason ? { StopReason: v.StopReason } : {}),
      ...(v.LastFailureMessage ? { FailureMessages: [v.LastFailureMessage] } : {}),
      ...(v.ReplicationTaskStats ? { ReplicationStats: v.ReplicationTaskStats } : {}),
      ...(v.RecoveryCheckpoint ? { RecoveryCheckpoint: v.RecoveryCheckpoint } : {}),
      ...(v.CdcStartPosition ? { CdcStartPosition: v.CdcStartPosition } : {}),
    };
  }

  // ---- what a task and a serverless replication share ----

  private start(t: FakeTask, type: string, cdcStartPosition: string | undefined): ReplicationTask {
    const ran = t.task.ReplicationTaskStats?.StartDate !== undefined;
    if (!['ready', 'stopped', 'failed'].includes(t.task.Status ?? '')) throw fault('InvalidResourceStateFault', `task is ${t.task.Status}`);
    if (type === 'resume-processing' && !ran) throw fault('InvalidParameterCombinationException', 'resume-processing is only available for previously executed tasks');
    if (type === 'start-replication' && ran) throw fault('FakeDmsViolation', 'start-replication on a task that ran reloads the target');
    if (cdcStartPosition !== undefined && t.task.MigrationType === 'full-load') throw fault('InvalidParameterCombinationException', 'a cdc start position on a full-load task');
    if (type === 'resume-processing' && t.task.MigrationType !== 'cdc') {
      // A resumed full load reloads the tables it had not finished, from their start.
      for (const s of t.tables) if (s.TableState !== 'Table completed') Object.assign(s, { TableState: 'Before load', FullLoadRows: 0 });
    }
    if (cdcStartPosition !== undefined) t.task.CdcStartPosition = cdcStartPosition;
    t.task.Status = 'starting';
    delete t.task.StopReason;
    return structuredClone(t.task);
  }

  private stop(t: FakeTask): ReplicationTask {
    if (t.task.Status !== 'running' && t.task.Status !== 'starting') throw fault('InvalidResourceStateFault', `task is ${t.task.Status}`);
    t.task.Status = 'stopping';
    return structuredClone(t.task);
  }

  private remove(t: FakeTask): ReplicationTask {
    if (!['ready', 'stopped', 'failed'].includes(t.task.Status ?? '')) throw fault('InvalidResourceStateFault', `task is ${t.task.Status}`);
    t.task.Status = 'deleting';
    return structuredClone(t.task);
  }

  listTagsForResource(input: Record<string, any>): { TagList: Tag[] } {
    this.record('ListTagsForResource', input);
    const arns: string[] = input.ResourceArnList ?? (input.ResourceArn ? [input.ResourceArn] : []);
    return { TagList: arns.flatMap((arn) => Object.entries(this.tagsOf(arn) ?? {}).map(([Key, Value]) => ({ Key, Value, ResourceArn: arn }))) };
  }

  addTagsToResource(input: Record<string, any>): Record<string, never> {
    this.record('AddTagsToResource', input);
    const tags = this.tagsOf(input.ResourceArn);
    if (!tags) throw fault('ResourceNotFoundFault', `no resource ${input.ResourceArn}`);
    Object.assign(tags, tagMap(input.Tags));
    return {};
  }

  describeTableStatistics(input: Record<string, any>): { TableStatistics: TableStatistics[] } {
    this.record('DescribeTableStatistics', input);
    return { TableStatistics: structuredClone(this.mustTask(input.ReplicationTaskArn, false).tables) };
  }

  /**
   * CloudWatch GetMetricData for CDCLatencySource/Target, newest first: a task's series by its
   * ReplicationTaskIdentifier dimension; a search (`SEARCH('{AWS/DMS} MetricName="…" "<identifier>"', …)`)
   * answers the series of the replication with that identifier, as CloudWatch would whatever the
   * dimension's name; a search that matches nothing answers no result for its Id.
   */
  getMetricData(input: Record<string, any>): { MetricDataResults: { Id: string; Label?: string; Values: number[] }[] } {
    this.record('GetMetricData', input);
    return {
      MetricDataResults: (input.MetricDataQueries as any[]).flatMap((q) => {
        const search = typeof q.Expression === 'string' ? /^SEARCH\('\{AWS\/DMS\} MetricName="(\w+)" "([A-Za-z0-9-]+)"', 'Maximum', 60\)$/.exec(q.Expression) : null;
        if (q.Expression !== undefined && !search) throw fault('InvalidParameterValue', `the fake DMS CloudWatch reads no expression like ${q.Expression}`);
        const [metricName, taskId] = search ? [search[1], search[2]] : [q.MetricStat.Metric.MetricName, (q.MetricStat.Metric.Dimensions as { Name: string; Value: string }[]).find((d) => d.Name === 'ReplicationTaskIdentifier')?.Value ?? ''];
        const lag = this.lag.get(taskId ?? '');
        const value = metricName === 'CDCLatencySource' ? lag?.source : lag?.target;
        if (search) return value === undefined ? [] : [{ Id: q.Id, Label: `${metricName} ${taskId}`, Values: [value] }];
        return [{ Id: q.Id, Values: value === undefined ? [] : [value] }];
      }),
    };
  }

  // ---- the passing of time (test control) ----

  /** Every task moves one documented step; a running full load loads one more table. */
  advance(steps = 1): void {
    for (let i = 0; i < steps; i++) {
      this.clock += 60_000;
      for (const [arn, t] of [...this.tasks]) this.step(arn, t);
    }
  }

  /** A running task fails (as DMS reports an error it cannot recover from). */
  fail(taskId: string, message: string): void {
    const t = [...this.tasks.values()].find((x) => x.task.ReplicationTaskIdentifier === taskId);
    if (!t) throw new Error(`no task ${taskId}`);
    Object.assign(t.task, { Status: 'failed', LastFailureMessage: message });
  }

  private step(arn: string, t: FakeTask): void {
    const s = (t.task.ReplicationTaskStats ??= {});
    const now = new Date(this.clock);
    switch (t.task.Status) {
      case 'creating':
        t.task.Status = 'ready';
        return;
      case 'starting':
        t.task.Status = 'running';
        if (!s.FreshStartDate) s.FreshStartDate = now;
        s.StartDate = now;
        return;
      case 'stopping':
        t.task.Status = 'stopped';
        t.task.StopReason = 'Stop Reason NORMAL';
        s.StopDate = now;
        return;
      case 'deleting':
        this.tasks.delete(arn);
        return;
      case 'running':
        this.run(t, now);
        return;
      default:
        return;
    }
  }

  private run(t: FakeTask, now: Date): void {
    const s = t.task.ReplicationTaskStats!;
    const validation = JSON.parse(t.task.ReplicationTaskSettings ?? '{}').ValidationSettings?.ValidationOnly === true;
    if (t.task.MigrationType !== 'cdc' && !s.FullLoadFinishDate) {
      for (const x of t.tables) {
        if (x.TableState === 'Full load') {
          x.TableState = 'Table completed';
          x.FullLoadRows = this.catalog.find((c) => c.schema === x.SchemaName && c.table === x.TableName)?.rows ?? 0;
          if (validation) {
            const failed = this.mismatches.get(`${x.SchemaName}.${x.TableName}`) ?? 0;
            Object.assign(x, { ValidationState: failed ? 'Mismatched records' : 'Validated', ValidationFailedRecords: failed, ValidationPendingRecords: 0, ValidationSuspendedRecords: 0 });
          }
        }
      }
      const next = t.tables.find((x) => x.TableState === 'Before load');
      if (next) Object.assign(next, { TableState: 'Full load', ...(validation ? { ValidationState: 'Pending records' } : {}) });
      const done = t.tables.filter((x) => x.TableState === 'Table completed').length;
      Object.assign(s, {
        FullLoadStartDate: s.FullLoadStartDate ?? now,
        TablesLoaded: done,
        TablesLoading: t.tables.filter((x) => x.TableState === 'Full load').length,
        TablesQueued: t.tables.filter((x) => x.TableState === 'Before load').length,
        TablesErrored: 0,
        FullLoadProgressPercent: t.tables.length ? Math.floor((done / t.tables.length) * 100) : 100,
      });
      if (done < t.tables.length) return;
      s.FullLoadFinishDate = now;
      if (t.task.MigrationType === 'full-load') {
        Object.assign(t.task, { Status: 'stopped', StopReason: 'Stop Reason FULL_LOAD_ONLY_FINISHED' });
        s.StopDate = now;
      }
      return;
    }
    // cdc: one change applied per table per step, and a checkpoint that moves on
    t.cdcPosition++;
    for (const x of t.tables) x.Inserts = (x.Inserts ?? 0) + 1;
    t.task.RecoveryCheckpoint = `checkpoint:V1#${t.cdcPosition}#fake-log.000001:${t.cdcPosition * 100}#0#0#*#0#${t.cdcPosition}`;
  }

  /** The task (serverless false) or replication config (true) with this ARN; the other kind is not found. */
  private mustTask(arn: string, serverless?: boolean): FakeTask {
    const t = this.tasks.get(arn);
    if (!t || (serverless !== undefined && Boolean(t.serverless) !== serverless)) throw fault('ResourceNotFoundFault', `no ${serverless ? 'replication config' : 'task'} ${arn}`);
    return t;
  }

  private view(arn: string): ReplicationTask {
    return structuredClone(this.mustTask(arn).task);
  }
}

function tagMap(tags: unknown): Record<string, string> {
  return Object.fromEntries(((tags as { Key: string; Value: string }[] | undefined) ?? []).map((t) => [t.Key, t.Value]));
}
