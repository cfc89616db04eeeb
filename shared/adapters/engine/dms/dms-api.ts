import type { DatabaseMigrationServiceClient, Endpoint, Replication, ReplicationConfig, ReplicationTask, TableStatistics, Tag } from '@aws-sdk/client-database-migration-service';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { lazyClient, onFirstUse } from '../../aws/lazy-sdk';
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

/** Task states a start (or a stop) leads to: met after InvalidResourceStateFault, the request had its effect already. */
const STARTED = new Set(['starting', 'running']);
const STOPPED = new Set(['stopping', 'stopped']);

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
    try {
      const out = await this.send<{ ReplicationTasks?: ReplicationTask[] }>(
        (s) => new s.DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-arn', Values: [...arns] }], WithoutSettings: true }),
      );
      return out.ReplicationTasks ?? [];
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
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
    const all: TableStatistics[] = [];
    let marker: string | undefined;
    do {
      try {
        const out = await this.send<{ TableStatistics?: TableStatistics[]; Marker?: string }>(
          (s) => new s.DescribeTableStatisticsCommand({ ReplicationTaskArn: taskArn, MaxRecords: 500, ...(marker ? { Marker: marker } : {}) }),
        );
        all.push(...(out.TableStatistics ?? []));
        marker = out.Marker;
      } catch (e) {
        if (isNotFound(e)) return all;
        throw e;
      }
    } while (marker);
    return all;
  }

  async endpoints(ids: readonly string[]): Promise<Endpoint[]> {
    try {
      const out = await this.send<{ Endpoints?: Endpoint[] }>((s) => new s.DescribeEndpointsCommand({ Filters: [{ Name: 'endpoint-id', Values: [...ids] }] }));
      return out.Endpoints ?? [];
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
  }

  async createEndpoint(input: Record<string, unknown>): Promise<Endpoint | undefined> {
    const out = await this.send<{ Endpoint?: Endpoint }>((s) => new s.CreateEndpointCommand(input as never));
    return out.Endpoint;
  }

  async deleteEndpoint(arn: string): Promise<void> {
    try {
      await this.send((s) => new s.DeleteEndpointCommand({ EndpointArn: arn }));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async createTask(input: Record<string, unknown>): Promise<ReplicationTask | undefined> {
    const out = await this.send<{ ReplicationTask?: ReplicationTask }>((s) => new s.CreateReplicationTaskCommand(input as never));
    return out.ReplicationTask;
  }

  async startTask(input: { ReplicationTaskArn: string; StartReplicationTaskType: 'start-replication' | 'resume-processing'; CdcStartPosition?: string }): Promise<ReplicationTask | undefined> {
    try {
      const out = await this.send<{ ReplicationTask?: ReplicationTask }>((s) => new s.StartReplicationTaskCommand(input));
      return out.ReplicationTask;
    } catch (e) {
      return this.alreadyIn(e, input.ReplicationTaskArn, STARTED);
    }
  }

  async stopTask(arn: string): Promise<ReplicationTask | undefined> {
    try {
      const out = await this.send<{ ReplicationTask?: ReplicationTask }>((s) => new s.StopReplicationTaskCommand({ ReplicationTaskArn: arn }));
      return out.ReplicationTask;
    } catch (e) {
      return this.alreadyIn(e, arn, STOPPED);
    }
  }

  /**
   * InvalidResourceStateFault on a start or stop whose task is already where the request leads: the
   * SDK's retry of a request that went through (its answer lost), or a concurrent caller's. The task
   * as it is now is the answer; any other state, or any other error, is rethrown.
   */
  private async alreadyIn(e: unknown, arn: string, states: ReadonlySet<string>): Promise<ReplicationTask> {
    if (!isInvalidState(e)) throw e;
    const [task] = await this.describeTasks([arn]);
    if (task && states.has(task.Status ?? '')) return task;
    throw e;
  }

  async deleteTask(arn: string): Promise<ReplicationTask | undefined> {
    try {
      const out = await this.send<{ ReplicationTask?: ReplicationTask }>((s) => new s.DeleteReplicationTaskCommand({ ReplicationTaskArn: arn }));
      return out.ReplicationTask;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  // ---- DMS Serverless: replication configs and their replications ----

  /** The replications of these replication configs (by identifier), in one call. */
  async describeReplications(ids: readonly string[]): Promise<Replication[]> {
    try {
      const out = await this.send<{ Replications?: Replication[] }>((s) => new s.DescribeReplicationsCommand({ Filters: [{ Name: 'replication-config-id', Values: [...ids] }] }));
      return out.Replications ?? [];
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
  }

  async createReplicationConfig(input: Record<string, unknown>): Promise<ReplicationConfig | undefined> {
    const out = await this.send<{ ReplicationConfig?: ReplicationConfig }>((s) => new s.CreateReplicationConfigCommand(input as never));
    return out.ReplicationConfig;
  }

  async startReplication(input: { ReplicationConfigArn: string; StartReplicationType: 'start-replication' | 'resume-processing'; CdcStartPosition?: string }): Promise<Replication | undefined> {
    try {
      const out = await this.send<{ Replication?: Replication }>((s) => new s.StartReplicationCommand(input));
      return out.Replication;
    } catch (e) {
      return this.replicationAlreadyIn(e, input.ReplicationConfigArn, (status) => STARTED.has(status));
    }
  }

  async stopReplication(arn: string): Promise<Replication | undefined> {
    try {
      const out = await this.send<{ Replication?: Replication }>((s) => new s.StopReplicationCommand({ ReplicationConfigArn: arn }));
      return out.Replication;
    } catch (e) {
      return this.replicationAlreadyIn(e, arn, (status) => STOPPED.has(status));
    }
  }

  async deleteReplicationConfig(arn: string): Promise<ReplicationConfig | undefined> {
    try {
      const out = await this.send<{ ReplicationConfig?: ReplicationConfig }>((s) => new s.DeleteReplicationConfigCommand({ ReplicationConfigArn: arn }));
      return out.ReplicationConfig;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async replicationTableStatistics(configArn: string): Promise<TableStatistics[]> {
    const all: TableStatistics[] = [];
    let marker: string | undefined;
    do {
      try {
        const out = await this.send<{ ReplicationTableStatistics?: TableStatistics[]; Marker?: string }>(
          (s) => new s.DescribeReplicationTableStatisticsCommand({ ReplicationConfigArn: configArn, MaxRecords: 500, ...(marker ? { Marker: marker } : {}) }),
        );
        all.push(...(out.ReplicationTableStatistics ?? []));
        marker = out.Marker;
      } catch (e) {
        if (isNotFound(e)) return all;
        throw e;
      }
    } while (marker);
    return all;
  }

  /** As alreadyIn, for a serverless replication (its status read as the task statuses, see serverlessStatus). */
  private async replicationAlreadyIn(e: unknown, arn: string, reached: (taskStatus: string) => boolean): Promise<Replication> {
    if (!isInvalidState(e)) throw e;
    const [found] = (await this.describeReplications([resourceIdOfArn(arn)])).filter((r) => r.ReplicationConfigArn === arn);
    if (found && reached(serverlessStatus(found.Status))) return found;
    throw e;
  }

  /**
   * The newest CDC latencies of a task (AWS/DMS CDCLatencySource and CDCLatencyTarget, 1-minute
   * maxima over the last `windowMinutes`); undefined when CloudWatch has no recent point (metrics
   * arrive late: no point is not "no lag").
   */
  async cdcLag(dimensions: readonly { Name: string; Value: string }[], nowMs: number, windowMinutes = 5): Promise<Lag | undefined> {
    const { GetMetricDataCommand } = await cloudWatchSdk();
    const metric = (id: string, name: string) => ({
      Id: id,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/DMS',
          MetricName: name,
          Dimensions: [...dimensions],
        },
        Period: 60,
        Stat: 'Maximum',
      },
    });
    const out = await (await this.cloudwatch()).send(
      new GetMetricDataCommand({
        MetricDataQueries: [metric('source', 'CDCLatencySource'), metric('target', 'CDCLatencyTarget')],
        StartTime: new Date(nowMs - windowMinutes * 60_000),
        EndTime: new Date(nowMs),
        ScanBy: 'TimestampDescending',
      }),
    );
    const latest = (id: string) => out.MetricDataResults?.find((r) => r.Id === id)?.Values?.[0];
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
