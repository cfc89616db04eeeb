import type { Replication, ReplicationConfig, ReplicationTask, TableStatistics } from '@aws-sdk/client-database-migration-service';
import { serverlessStatus, type DmsApi } from './dms-api';
import { resourceIdOf, siblingArn } from './ids';
import type { Lag } from './status';

/**
 * Where a project's replications run: replication tasks on a replication instance (default), or DMS
 * Serverless replication configs. The engine reads both as ReplicationTask views (identifier, ARN,
 * status in the task words, stats, stop reason, checkpoint), so one set of rules (status.ts) and one
 * engine drive either.
 */
export interface ReplicationRequest {
  id: string;
  sourceEndpointArn: string;
  targetEndpointArn: string;
  migrationType: 'full-load' | 'cdc' | 'full-load-and-cdc';
  tableMappings: string;
  settings: string;
  tags: { Key: string; Value: string }[];
}

export interface StartRequest {
  arn: string;
  type: 'start-replication' | 'resume-processing';
  cdcStartPosition?: string;
}

export interface ReplicationBackend {
  readonly mode: 'instance' | 'serverless';
  /** The replications with these identifiers that exist (one call). */
  describe(ids: readonly string[]): Promise<ReplicationTask[]>;
  create(req: ReplicationRequest): Promise<ReplicationTask | undefined>;
  start(req: StartRequest): Promise<ReplicationTask | undefined>;
  stop(arn: string): Promise<ReplicationTask | undefined>;
  /** Deletes one (absent: nothing to do). */
  delete(arn: string): Promise<void>;
  tableStatistics(arn: string): Promise<TableStatistics[]>;
  cdcLag(task: ReplicationTask, nowMs: number): Promise<Lag | undefined>;
}

export class InstanceBackend implements ReplicationBackend {
  readonly mode = 'instance';
  constructor(
    private readonly api: DmsApi,
    private readonly instanceArn: string,
    private readonly instanceId: string,
  ) {
    siblingArn(instanceArn, 'task', 'x'); // a malformed ARN fails here, not at the first job
  }

  describe(ids: readonly string[]) {
    return this.api.describeTasks(ids.map((id) => siblingArn(this.instanceArn, 'task', id)));
  }

  create(req: ReplicationRequest) {
    return this.api.createTask({
      ReplicationTaskIdentifier: req.id,
      ResourceIdentifier: req.id,
      SourceEndpointArn: req.sourceEndpointArn,
      TargetEndpointArn: req.targetEndpointArn,
      ReplicationInstanceArn: this.instanceArn,
      MigrationType: req.migrationType,
      TableMappings: req.tableMappings,
      ReplicationTaskSettings: req.settings,
      Tags: req.tags,
    });
  }

  start(req: StartRequest) {
    return this.api.startTask({ ReplicationTaskArn: req.arn, StartReplicationTaskType: req.type, ...(req.cdcStartPosition ? { CdcStartPosition: req.cdcStartPosition } : {}) });
  }

  stop(arn: string) {
    return this.api.stopTask(arn);
  }

  async delete(arn: string) {
    await this.api.deleteTask(arn);
  }

  tableStatistics(arn: string) {
    return this.api.tableStatistics(arn);
  }

  cdcLag(task: ReplicationTask, nowMs: number) {
    const dims = [
      { Name: 'ReplicationInstanceIdentifier', Value: this.instanceId },
      { Name: 'ReplicationTaskIdentifier', Value: resourceIdOf(task.ReplicationTaskArn ?? '') },
    ];
    return this.api.cdcLag({ dimensions: dims }, nowMs);
  }
}

/** Capacity and network of the serverless replications (CreateReplicationConfig's ComputeConfig). */
export interface ServerlessConfig {
  maxCapacityUnits: number;
  minCapacityUnits?: number;
  multiAz?: boolean;
  subnetGroupId: string;
  securityGroupIds: readonly string[];
}

export class ServerlessBackend implements ReplicationBackend {
  readonly mode = 'serverless';
  constructor(
    private readonly api: DmsApi,
    private readonly compute: ServerlessConfig,
  ) {}

  async describe(ids: readonly string[]) {
    return (await this.api.describeReplications(ids)).map(replicationView);
  }

  async create(req: ReplicationRequest) {
    const created = await this.api.createReplicationConfig({
      ReplicationConfigIdentifier: req.id,
      ResourceIdentifier: req.id,
      SourceEndpointArn: req.sourceEndpointArn,
      TargetEndpointArn: req.targetEndpointArn,
      ComputeConfig: {
        MaxCapacityUnits: this.compute.maxCapacityUnits,
        ...(this.compute.minCapacityUnits !== undefined ? { MinCapacityUnits: this.compute.minCapacityUnits } : {}),
        MultiAZ: this.compute.multiAz ?? false,
        ReplicationSubnetGroupId: this.compute.subnetGroupId,
        VpcSecurityGroupIds: [...this.compute.securityGroupIds],
      },
      ReplicationType: req.migrationType,
      TableMappings: req.tableMappings,
      ReplicationSettings: req.settings,
      Tags: req.tags,
    });
    return created ? configView(created) : undefined;
  }

  async start(req: StartRequest) {
    const r = await this.api.startReplication({ ReplicationConfigArn: req.arn, StartReplicationType: req.type, ...(req.cdcStartPosition ? { CdcStartPosition: req.cdcStartPosition } : {}) });
    return r ? replicationView(r) : undefined;
  }

  async stop(arn: string) {
    const r = await this.api.stopReplication(arn);
    return r ? replicationView(r) : undefined;
  }

  async delete(arn: string) {
    await this.api.deleteReplicationConfig(arn);
  }

  tableStatistics(arn: string) {
    return this.api.replicationTableStatistics(arn);
  }

  /**
   * The name of the CloudWatch dimension DMS Serverless publishes CDCLatencySource/Target under could not
   * be confirmed from any reference reachable here, so the series are found by the replication config's
   * identifier as a dimension value, whatever the dimension is called (a SEARCH in the same one
   * GetMetricData call). The identifier carries 80 bits of the project id's hash and the leg, so it
   * matches this replication's series only. Guessing a name instead would read as "no recent point" if
   * wrong, and `caughtUp` (the switchover's write-stop confirmation) would never come.
   */
  cdcLag(task: ReplicationTask, nowMs: number) {
    return this.api.cdcLag({ identifier: task.ReplicationTaskIdentifier ?? '' }, nowMs);
  }
}

/** A serverless replication read as a replication task. */
export function replicationView(r: Replication): ReplicationTask {
  return {
    ReplicationTaskIdentifier: r.ReplicationConfigIdentifier,
    ReplicationTaskArn: r.ReplicationConfigArn,
    SourceEndpointArn: r.SourceEndpointArn,
    TargetEndpointArn: r.TargetEndpointArn,
    MigrationType: r.ReplicationType,
    Status: serverlessStatus(r.Status),
    ...(r.StopReason ? { StopReason: r.StopReason } : {}),
    ...(r.FailureMessages?.length ? { LastFailureMessage: r.FailureMessages.join('; ') } : {}),
    ...(r.ReplicationStats ? { ReplicationTaskStats: r.ReplicationStats } : {}),
    ...(r.RecoveryCheckpoint ? { RecoveryCheckpoint: r.RecoveryCheckpoint } : {}),
    ...(r.CdcStartPosition ? { CdcStartPosition: r.CdcStartPosition } : {}),
  };
}

/** A replication config just created (never started): ready. */
function configView(c: ReplicationConfig): ReplicationTask {
  return {
    ReplicationTaskIdentifier: c.ReplicationConfigIdentifier,
    ReplicationTaskArn: c.ReplicationConfigArn,
    SourceEndpointArn: c.SourceEndpointArn,
    TargetEndpointArn: c.TargetEndpointArn,
    MigrationType: c.ReplicationType,
    Status: 'ready',
  };
}
