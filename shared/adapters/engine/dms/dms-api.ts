import type { DatabaseMigrationServiceClient, Endpoint, Replication, ReplicationConfig, ReplicationTask, TableStatistics, Tag } from '@aws-sdk/client-database-migration-service';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { lazyClient, onFirstUse } from '../../aws/lazy-sdk';
import { isValidDmsIdentifier } from './ids';
import type { Lag, Tags } from './status';

/**
 * The DMS and CloudWatch calls of the adapter, one small function each (SDKs loaded on first use).
 * Describe calls that match nothing answer ResourceNotFoundFault in DMS: read here as "none".
 */

export const dmsSdk = onFirstUse(() => import('@aws-sdk/client-database-migration-service'));
const cloudWatchSdk = onFirstUse(() => import('@aws-sdk/client-cloudwatch'));

const dmsClientHolder = lazyClient(async () => new (await dmsSdk()).DatabaseMigrationServiceClient({ maxAttempts: 5 }));
export const getDmsClient = dmsClientHolder.get;
export const setDmsClient = dmsClientHolder.set;
const cloudWatchClientHolder = lazyClient(async () => new (await cloudWatchSdk()).CloudWatchClient({ maxAttempts: 3 }));
export const getCloudWatchClient = cloudWatchClientHolder.get;
export const setCloudWatchClient = cloudWatchClientHolder.set;

export type ClientSource<C> = () => C | Promise<C>;

export const errorName = (e: unknown): string => (e as { name?: string } | undefined)?.name ?? '';
export const isNotFound = (e: unknown) => errorName(e) === 'ResourceNotFoundFault';
export const isAlreadyExists = (e: unknown) => errorName(e) === 'ResourceAlreadyExistsFault';
export const isInvalidState = (e: unknown) => errorName(e) === 'InvalidResourceStateFault';

/** The call's answer, or undefined when DMS answers ResourceNotFoundFault (a describe that matches nothing, a delete of what is gone). */
async function orNone<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Every page of a Marker-paged describe, concatenated; what was read before a ResourceNotFoundFault is the answer. */
async function allPages<T>(page: (marker: string | undefined) => Promise<{ items?: T[]; marker?: string }>): Promise<T[]> {
  const all: T[] = [];
  let marker: string | undefined;
  do {
    const out = await orNone(() => page(marker));
    if (!out) return all;
    all.push(...(out.items ?? []));
    marker = out.marker;
  } while (marker);
  return all;
}

/**
 * InvalidResourceStateFault on a start or stop whose task (or serverless replication) is already where
 * the request leads: the SDK's retry of a request that went through (its answer lost), or a concurrent
 * caller's. The resource as it is now is the answer; any other state, or any other error, is rethrown.
 */
async function alreadyIn<T>(e: unknown, current: () => Promise<T | undefined>, reached: (it: T) => boolean): Promise<T> {
  if (!isInvalidState(e)) throw e;
  const it = await current();
  if (it !== undefined && reached(it)) return it;
  throw e;
}

/** Task states a start (or a stop) leads to: met after InvalidResourceStateFault, the request had its effect already. */
const STARTED = new Set(['starting', 'running']);
const STOPPED = new Set(['stopping', 'stopped']);

/** Which CDC latency series to read: by the exact dimensions of a task, or by a replication's identifier in any dimension. */
export type LagSelector = { dimensions: readonly { Name: string; Value: string }[] } | { identifier: string };

export class DmsApi {
  constructor(
    private readonly dms: ClientSource<DatabaseMigrationServiceClient>,
    private readonly cloudwatch: ClientSource<CloudWatchClient>,
  ) {}

  /** One DMS call: the command made from the lazily loaded SDK (typed by the caller's view of the output). */
  private async send<T = unknown>(make: (sdk: Awaited<ReturnType<typeof dmsSdk>>) => unknown): Promise<T> {
    const sdk = await dmsSdk();
    const client = await this.dms();
    return (await client.send(make(sdk) as Parameters<DatabaseMigrationServiceClient['send']>[0])) as T;
  }

  /** The tasks with these ARNs, in one call, without their (large) settings. */
  async describeTasks(arns: readonly string[]): Promise<ReplicationTask[]> {
    const out = await orNone(
      () => this.send<{ ReplicationTasks?: ReplicationTask[] }>((s) => new s.DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-arn', Values: [...arns] }], WithoutSettings: true })),
    );
    return out?.ReplicationTasks ?? [];
  }

  /** One task, as it is now. */
  private async task(arn: string): Promise<ReplicationTask | undefined> {
    return (await this.describeTasks([arn]))[0];
  }

  /** Tags of several resources in one call, by ARN. */
  async tagsOf(arns: readonly string[]): Promise<Map<string, Tags>> {
    const out = await this.send<{ TagList?: Tag[] }>((s) => new s.ListTagsForResourceCommand({ ResourceArnList: [...arns] }));
    const byArn = new Map<string, Tags>(arns.map((a) => [a, {}]));
    for (const t of out.TagList ?? []) {
      if (!t.ResourceArn || t.Key === undefined) continue;
      const tags = byArn.get(t.ResourceArn) ?? {};
      tags[t.Key] = t.Value ?? '';
      byArn.set(t.ResourceArn, tags);
    }
    return byArn;
  }

  async addTags(arn: string, tags: Tags): Promise<void> {
    await this.send((s) => new s.AddTagsToResourceCommand({ ResourceArn: arn, Tags: toTagList(tags) }));
  }

  async tableStatistics(taskArn: string): Promise<TableStatistics[]> {
    return allPages(async (marker) => {
      const out = await this.send<{ TableStatistics?: TableStatistics[]; Marker?: string }>(
        (s) => new s.DescribeTableStatisticsCommand({ ReplicationTaskArn: taskArn, MaxRecords: 500, ...(marker ? { Marker: marker } : {}) }),
      );
      return { items: out.TableStatistics, marker: out.Marker };
    });
  }

  async endpoints(ids: readonly string[]): Promise<Endpoint[]> {
    const out = await orNone(() => this.send<{ Endpoints?: Endpoint[] }>((s) => new s.DescribeEndpointsCommand({ Filters: [{ Name: 'endpoint-id', Values: [...ids] }] })));
    return out?.Endpoints ?? [];
  }

  async createEndpoint(input: Record<string, unknown>): Promise<Endpoint | undefined> {
    const out = await this.send<{ Endpoint?: Endpoint }>((s) => new s.CreateEndpointCommand(input as never));
    return out.Endpoint;
  }

  async deleteEndpoint(arn: string): Promise<void> {
    await orNone(() => this.send((s) => new s.DeleteEndpointCommand({ EndpointArn: arn })));
  }

  async createTask(input: Record<string, unknown>): Promise<ReplicationTask | undefined> {
    const out = await this.send<{ ReplicationTask?: ReplicationTask }>((s) => new s.CreateReplicationTaskCommand(input as never));
    return out?.ReplicationTask;
  }

  async startTask(input: { ReplicationTaskArn: string; StartReplicationTaskType: 'start-replication' | 'resume-processing'; CdcStartPosition?: string }): Promise<ReplicationTask | undefined> {
    try {
      const out = await this.send<{ ReplicationTask?: ReplicationTask }>((s) => new s.StartReplicationTaskCommand(input));
      return out?.ReplicationTask;
    } catch (e) {
      return alreadyIn(e, () => this.task(input.ReplicationTaskArn), (t) => STARTED.has(t.Status ?? ''));
    }
  }

  async stopTask(arn: string): Promise<ReplicationTask | undefined> {
    try {
      const out = await this.send<{ ReplicationTask?: ReplicationTask }>((s) => new s.StopReplicationTaskCommand({ ReplicationTaskArn: arn }));
      return out?.ReplicationTask;
    } catch (e) {
      return alreadyIn(e, () => this.task(arn), (t) => STOPPED.has(t.Status ?? ''));
    }
  }

  async deleteTask(arn: string): Promise<ReplicationTask | undefined> {
    const out = await orNone(() => this.send<{ ReplicationTask?: ReplicationTask }>((s) => new s.DeleteReplicationTaskCommand({ ReplicationTaskArn: arn })));
    return out?.ReplicationTask;
  }

  // ---- DMS Serverless: replication configs and their replications ----

  /** The replications of these replication configs (by identifier), in one call. */
  async describeReplications(ids: readonly string[]): Promise<Replication[]> {
    const out = await orNone(() => this.send<{ Replications?: Replication[] }>((s) => new s.DescribeReplicationsCommand({ Filters: [{ Name: 'replication-config-id', Values: [...ids] }] })));
    return out?.Replications ?? [];
  }

  async createReplicationConfig(input: Record<string, unknown>): Promise<ReplicationConfig | undefined> {
    const out = await this.send<{ ReplicationConfig?: ReplicationConfig }>((s) => new s.CreateReplicationConfigCommand(input as never));
    return out?.ReplicationConfig;
  }

  async startReplication(input: { ReplicationConfigArn: string; StartReplicationType: 'start-replication' | 'resume-processing'; CdcStartPosition?: string }): Promise<Replication | undefined> {
    try {
      const out = await this.send<{ Replication?: Replication }>((s) => new s.StartReplicationCommand(input));
      return out.Replication;
    } catch (e) {
      return alreadyIn(e, () => this.replication(input.ReplicationConfigArn), (r) => STARTED.has(serverlessStatus(r.Status)));
    }
  }

  async stopReplication(arn: string): Promise<Replication | undefined> {
    try {
      const out = await this.send<{ Replication?: Replication }>((s) => new s.StopReplicationCommand({ ReplicationConfigArn: arn }));
      return out.Replication;
    } catch (e) {
      return alreadyIn(e, () => this.replication(arn), (r) => STOPPED.has(serverlessStatus(r.Status)));
    }
  }

  async deleteReplicationConfig(arn: string): Promise<ReplicationConfig | undefined> {
    const out = await orNone(() => this.send<{ ReplicationConfig?: ReplicationConfig }>((s) => new s.DeleteReplicationConfigCommand({ ReplicationConfigArn: arn })));
    return out?.ReplicationConfig;
  }

  async replicationTableStatistics(configArn: string): Promise<TableStatistics[]> {
    return allPages(async (marker) => {
      const out = await this.send<{ ReplicationTableStatistics?: TableStatistics[]; Marker?: string }>(
        (s) => new s.DescribeReplicationTableStatisticsCommand({ ReplicationConfigArn: configArn, MaxRecords: 500, ...(marker ? { Marker: marker } : {}) }),
      );
      return { items: out.ReplicationTableStatistics, marker: out.Marker };
    });
  }

  /** The replication of a serverless replication config, as it is now. */
  private async replication(arn: string): Promise<Replication | undefined> {
    return (await this.describeReplications([resourceIdOfArn(arn)])).find((r) => r.ReplicationConfigArn === arn);
  }

  /**
   * The newest CDC latencies of a replication (AWS/DMS CDCLatencySource and CDCLatencyTarget, 1-minute
   * maxima over the last `windowMinutes`); undefined when CloudWatch has no recent point (metrics
   * arrive late: no point is not "no lag"). Selected by `dimensions` (a task: the documented
   * ReplicationInstanceIdentifier and ReplicationTaskIdentifier), or by `identifier`: every AWS/DMS
   * series of that metric carrying the identifier as a dimension value, whatever the dimension's name
   * (a CloudWatch SEARCH; the larger value when several match). One GetMetricData call either way.
   */
  async cdcLag(select: LagSelector, nowMs: number, windowMinutes = 5): Promise<Lag | undefined> {
    const { GetMetricDataCommand } = await cloudWatchSdk();
    const query = (id: string, name: string) => {
      if ('dimensions' in select) {
        return { Id: id, MetricStat: { Metric: { Namespace: 'AWS/DMS', MetricName: name, Dimensions: [...select.dimensions] }, Period: 60, Stat: 'Maximum' } };
      }
      // The identifier is letters, digits and hyphens (checked), so it cannot end the quoted term early.
      if (!isValidDmsIdentifier(select.identifier, 255)) throw new Error(`not a DMS identifier: ${JSON.stringify(select.identifier)}`);
      return { Id: id, Expression: `SEARCH('{AWS/DMS} MetricName="${name}" "${select.identifier}"', 'Maximum', 60)`, ReturnData: true };
    };
    const out = await (await this.cloudwatch()).send(
      new GetMetricDataCommand({
        MetricDataQueries: [query('source', 'CDCLatencySource'), query('target', 'CDCLatencyTarget')],
        StartTime: new Date(nowMs - windowMinutes * 60_000),
        EndTime: new Date(nowMs),
        ScanBy: 'TimestampDescending',
      }),
    );
    // A search answers one result per matching series, each under the query's Id: the newest point of each, the largest.
    const latest = (id: string) => {
      const newest = (out.MetricDataResults ?? []).filter((r) => r.Id === id).map((r) => r.Values?.[0]).filter((v): v is number => v !== undefined);
      return newest.length ? Math.max(...newest) : undefined;
    };
    const source = latest('source');
    const target = latest('target');
    if (source === undefined || target === undefined) return undefined;
    return { sourceSeconds: source, targetSeconds: target };
  }
}

/**
 * A serverless replication's status in the words of a replication task: `created` (never started) is
 * ready; the provisioning states before the replication runs are starting; `deprovisioning` (capacity
 * released after a stop) is still stopping, so nothing restarts it until it is stopped again.
 */
export function serverlessStatus(status: string | undefined): string {
  const s = (status ?? '').toLowerCase().replace(/[\s-]+/g, '_');
  switch (s) {
    case 'created':
      return 'ready';
    case 'initializing':
    case 'preparing_metadata_resources':
    case 'testing_connection':
    case 'fetching_metadata':
    case 'calculating_capacity':
    case 'provisioning_capacity':
    case 'replication_starting':
      return 'starting';
    case 'deprovisioning':
      return 'stopping';
    case 'deprovisioned':
      return 'stopped';
    default:
      return s; // running, stopping, stopped, failed, deleting
  }
}

const resourceIdOfArn = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);

export const toTagList = (tags: Tags): { Key: string; Value: string }[] => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
