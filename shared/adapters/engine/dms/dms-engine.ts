import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DatabaseMigrationServiceClient, ReplicationTask } from '@aws-sdk/client-database-migration-service';
import type { DataSourceRecord } from '../../../domain/data-source';
import type { SubtaskType, SwitchoverStepName } from '../../../domain/subtasks';
import type { EngineNotice, JobRef, JobSpec, JobStatus, MigrationEngine } from '../../../ports';
import { InstanceBackend, ServerlessBackend, type ReplicationBackend, type ServerlessConfig } from './backend';
import { DmsApi, getCloudWatchClient, getDmsClient, isAlreadyExists, type ClientSource } from './dms-api';
import { dmsStateChangeOf, type DmsStateChange } from './events';
import { assertPrefix, dmsIdentifier, isValidDmsIdentifier, resourceIdOf, taskKindOf, TASK_KINDS, type EndpointKind, type TaskKind } from './ids';
import { dmsMigrationType, DmsUnsupported, endpointRequest, tableMappings, targetTablePrepMode, taskSettings, type EndpointRole } from './mapping';
import { isLsn, slotNameOf, type ReplicationSlots } from './slots';
import { fullLoadDone, hasRun, isIdle, isStoppable, jobStatusOf, phaseOf, TAG, type Tags } from './status';

/**
 * The AWS DMS engine behind the MigrationEngine port, on a replication instance (replication tasks,
 * the default) or on DMS Serverless (replication configs: backend.ts reads both as tasks). A project's
 * jobs map to at most three replications, named from the project id (shared/adapters/engine/dms/ids.ts):
 *  - `fwd`: structure (target table preparation), full load and cdc (STRUCTURE_MIGRATION,
 *    FULL_MIGRATION and INCREMENTAL_SYNC are views of this one task);
 *  - `verify`: a validation-only full-load task (FULL_VERIFICATION);
 *  - `rev`: a cdc task from the destination back to the source, started at the write-stop position
 *    recorded when STOP_FORWARD_SYNC stopped the forward task (REVERSE_INCREMENTAL_SYNC): a time, or
 *    for a PostgreSQL destination the LSN of a logical slot made then (DMS takes no start time there).
 * Endpoints are made on a project's first start and removed with its last task. Every call reads
 * DMS first (describe, then create only what is absent), so a retried call changes nothing twice.
 * What DMS cannot say (that a stop was a pause, which run owns a task) is kept in task tags.
 */

export interface DmsEngineConfig {
  /** Instance mode (default): the replication instance the tasks run on. */
  replicationInstanceArn?: string;
  /** The replication instance's identifier: the CloudWatch dimension of its task metrics. */
  replicationInstanceId?: string;
  /** Serverless mode: replication configs with this capacity and network, instead of an instance. */
  serverless?: ServerlessConfig;
  /** The role DMS assumes to read the data sources' secrets (SecretsManagerAccessRoleArn). */
  accessRoleArn: string;
  /** Start of every DMS identifier this engine makes (1-4 characters, default `mig`): IAM policies match on it. */
  resourcePrefix?: string;
  /** A cdc job has caught up when both CDC latencies are at most this (default 5 s). */
  caughtUpLagSeconds?: number;
  now?: () => number;
}

export interface DmsEngineDeps {
  /** The data source store's get: endpoints are made from the project's data sources. */
  resolveDataSource: (id: string) => Promise<DataSourceRecord | undefined>;
  dms?: ClientSource<DatabaseMigrationServiceClient>;
  cloudwatch?: ClientSource<CloudWatchClient>;
  /**
   * The position reader for a PostgreSQL destination: makes (and at release drops) the logical slot the
   * reverse task reads from. Absent: a reverse sync from a PostgreSQL destination fails with
   * DMS_NO_WRITE_STOP_POSITION (DMS takes no cdc start time from a PostgreSQL source).
   */
  slots?: ReplicationSlots;
}

/** A stopped-for-good task is not gone yet (DMS stops and deletes asynchronously): the caller retries later. */
export class DmsCleanupPending extends Error {
  constructor(readonly projectId: string, readonly remaining: string[]) {
    super(`DMS resources of project ${projectId} are still stopping or deleting: ${remaining.join(', ')}`);
    this.name = 'DmsCleanupPending';
  }
}

/** Subtasks whose start runs the task (a structure migration only makes it). */
const STARTS_TASK: ReadonlySet<SubtaskType> = new Set(['FULL_MIGRATION', 'INCREMENTAL_SYNC', 'FULL_VERIFICATION', 'REVERSE_INCREMENTAL_SYNC']);
const CONTINUOUS: ReadonlySet<SubtaskType> = new Set(['INCREMENTAL_SYNC', 'REVERSE_INCREMENTAL_SYNC']);

interface ProjectView {
  tasks: Map<TaskKind, ReplicationTask>;
  tags: Map<string, Tags>;
}

export class DmsMigrationEngine implements MigrationEngine {
  private readonly api: DmsApi;
  private readonly backend: ReplicationBackend;
  private readonly prefix: string;
  private readonly caughtUpLagSeconds: number;
  private readonly now: () => number;

  constructor(
    private readonly config: DmsEngineConfig,
    private readonly deps: DmsEngineDeps,
  ) {
    this.api = new DmsApi(deps.dms ?? getDmsClient, deps.cloudwatch ?? getCloudWatchClient);
    this.prefix = config.resourcePrefix ?? 'mig';
    assertPrefix(this.prefix);
    this.caughtUpLagSeconds = config.caughtUpLagSeconds ?? 5;
    this.now = config.now ?? Date.now;
    if (config.serverless && config.replicationInstanceArn) throw new Error('aws-dms engine: a replication instance or serverless, not both');
    if (config.serverless) this.backend = new ServerlessBackend(this.api, config.serverless);
    else if (config.replicationInstanceArn && config.replicationInstanceId) this.backend = new InstanceBackend(this.api, config.replicationInstanceArn, config.replicationInstanceId);
    else throw new Error('aws-dms engine: needs a replication instance (ARN and identifier) or a serverless config');
  }

  /** `instance` (replication tasks) or `serverless` (replication configs). */
  get mode(): 'instance' | 'serverless' {
    return this.backend.mode;
  }

  /** The position reader for PostgreSQL destinations this engine was given (undefined: none). */
  get positionReader(): ReplicationSlots | undefined {
    return this.deps.slots;
  }

  /** The DMS identifier (and ARN resource id) of a project's task or endpoint. */
  idOf(projectId: string, kind: TaskKind | EndpointKind): string {
    const id = dmsIdentifier(this.prefix, projectId, kind);
    if (!isValidDmsIdentifier(id)) throw new Error(`invalid DMS identifier ${id}`);
    return id;
  }

  // ---- the port ----

  async startJob(spec: JobSpec): Promise<JobStatus> {
    const kind = taskKindOf(spec.subtask);
    if (!kind) return { jobId: spec.jobId, state: 'SUCCEEDED', progress: { percent: 100 } };
    const view = await this.view(spec.projectId);
    let task = view.tasks.get(kind);
    if (!task) {
      try {
        task = await this.createTask(spec, kind, view);
      } catch (e) {
        if (e instanceof DmsUnsupported) return { jobId: spec.jobId, state: 'FAILED', progress: { percent: 0 }, error: { code: e.code, message: e.message } };
        throw e;
      }
      view.tasks.set(kind, task);
    }
    if (STARTS_TASK.has(spec.subtask)) task = await this.run(spec, task, view, undefined);
    return this.statusOf(spec, task, this.tagsOf(view, task));
  }

  async pollJob(job: JobRef): Promise<JobStatus | undefined> {
    const kind = taskKindOf(job.subtask);
    if (!kind) return undefined;
    const view = await this.view(job.projectId);
    let task = view.tasks.get(kind);
    if (!task) return undefined;
    task = await this.autostart(task, view);
    return this.statusOf(job, task, this.tagsOf(view, task));
  }

  /** pollJob without its deferred start: describe, tags, table statistics and CDC latencies only. */
  async observeJob(job: JobRef): Promise<JobStatus | undefined> {
    const kind = taskKindOf(job.subtask);
    if (!kind) return undefined;
    const view = await this.view(job.projectId);
    const task = view.tasks.get(kind);
    return task ? this.statusOf(job, task, this.tagsOf(view, task)) : undefined;
  }

  async pauseJob(job: JobRef): Promise<JobStatus | undefined> {
    const kind = taskKindOf(job.subtask);
    if (!kind) return undefined;
    const view = await this.view(job.projectId);
    let task = view.tasks.get(kind);
    if (!task) return undefined;
    const tags = this.tagsOf(view, task);
    if (this.fenced(job, tags) || job.subtask === 'STRUCTURE_MIGRATION') return this.statusOf(job, task, tags);
    const stoppable = isStoppable(task);
    const startPending = tags[TAG.autostart] === 'yes' || task.Status === 'stopping';
    const held = holdTags(job, tags);
    if (stoppable || startPending) {
      // Tagged before the stop: a poll between the two never reads our stop as someone else's.
      await this.setTags(view, task, { [TAG.stop]: 'pause', [TAG.autostart]: 'no', ...held });
      if (stoppable) task = (await this.backend.stop(arnOf(task))) ?? task;
    } else if (Object.keys(held).length > 0) {
      // Already stopped (this run's resume never reached DMS): the pause still holds the task against its run.
      await this.setTags(view, task, held);
    }
    return this.statusOf(job, task, this.tagsOf(view, task));
  }

  async resumeJob(job: JobRef, fromCheckpoint?: string): Promise<JobStatus> {
    const kind = taskKindOf(job.subtask);
    if (!kind) return { jobId: job.jobId, state: 'SUCCEEDED', progress: { percent: 100 } };
    const view = await this.view(job.projectId);
    let task = view.tasks.get(kind);
    if (!task) throw new Error(`aws-dms engine: job ${job.jobId} has no replication task ${this.idOf(job.projectId, kind)}`);
    if (job.subtask !== 'STRUCTURE_MIGRATION') task = await this.run(job, task, view, fromCheckpoint);
    return this.statusOf(job, task, this.tagsOf(view, task));
  }

  /**
   * Stops the job's task for good and removes what the project no longer needs. DMS stops and deletes
   * asynchronously: a task still stopping is deleted by a later call. A project whose every task is
   * stopped for good and not yet gone throws DmsCleanupPending (a release stays RELEASING and is
   * finished again), except for the forward sync's stop at switchover (it stops a running task).
   */
  async stopJob(job: JobRef): Promise<JobStatus | undefined> {
    const kind = taskKindOf(job.subtask);
    const view = await this.view(job.projectId);
    let task = kind ? view.tasks.get(kind) : undefined;
    let status: JobStatus | undefined;
    let wasFinal = false;
    let stoppedNow = false;
    if (task) {
      const tags = this.tagsOf(view, task);
      if (this.fenced(job, tags)) return this.statusOf(job, task, tags);
      wasFinal = tags[TAG.stop] === 'final' || task.Status === 'deleting';
      if (!wasFinal) {
        // The write-stop position: where the reverse sync will start (a DMS time position, UTC).
        const writeStop: Tags = job.subtask === 'INCREMENTAL_SYNC' && task.Status === 'running' ? { [TAG.writeStop]: cdcPosition(new Date(this.now()).toISOString()) } : {};
        await this.setTags(view, task, { [TAG.stop]: 'final', [TAG.autostart]: 'no', ...writeStop });
      }
      if (isStoppable(task)) {
        task = (await this.backend.stop(arnOf(task))) ?? task;
        stoppedNow = true;
      }
      view.tasks.set(kind as TaskKind, task);
      status = await this.statusOf(job, task, this.tagsOf(view, task));
    }
    const remaining = await this.tidy(job.projectId, view, job.subtask === 'INCREMENTAL_SYNC');
    // The forward sync's stop that stopped it running is the switchover's (or a retry of it: already
    // final): never an error there. A release finds it paused, failed or already stopped.
    const switchoverStop = job.subtask === 'INCREMENTAL_SYNC' && (stoppedNow || wasFinal);
    if (remaining.length > 0 && !switchoverStop) throw new DmsCleanupPending(job.projectId, remaining);
    return status;
  }

  /**
   * Engine work of a switchover step. STOP_FORWARD_SYNC: the forward task is stopped for good at the
   * position the caught-up sync reached (its stop time kept for the reverse sync); done once DMS says
   * it stopped, so what follows never races a task still applying. PROCESS_DATABASE_OBJECTS: DMS
   * created tables with their primary keys only (DROP_AND_CREATE), the rest is the operator's (the
   * step is manual): nothing to do here. Any other step: nothing to do.
   */
  async switchoverStep(spec: JobSpec, step: SwitchoverStepName): Promise<{ done: boolean; detail?: Record<string, unknown> }> {
    if (step === 'PROCESS_DATABASE_OBJECTS') {
      return { done: true, detail: { leftToOperator: ['secondary indexes', 'foreign keys', 'defaults', 'sequences'], tablePrepMode: targetTablePrepMode('fwd', spec.migrationType) } };
    }
    if (step !== 'STOP_FORWARD_SYNC') return { done: true };
    const status = await this.stopJob({ ...spec, subtask: 'INCREMENTAL_SYNC' });
    const view = await this.view(spec.projectId);
    const fwd = view.tasks.get('fwd');
    const done = !fwd || fwd.Status === 'stopped' || fwd.Status === 'failed' || fwd.Status === 'deleting';
    const start = done && fwd && spec.migrationType.reverseIncrementalSync ? await this.captureReverseStart(spec, view, fwd) : undefined;
    const writeStop = fwd ? this.tagsOf(view, fwd)[TAG.writeStop] : undefined;
    return {
      done,
      detail: {
        forwardTask: fwd?.Status ?? 'gone',
        ...(writeStop ? { writeStop } : {}),
        ...(start ? { reverseStartPosition: start.position, ...(start.slot ? { reverseSlot: start.slot } : {}) } : {}),
        ...(status?.checkpoint ? { checkpoint: status.checkpoint } : {}),
      },
    };
  }

  /**
   * Where the reverse sync will start, captured once the forward task has stopped applying (so nothing
   * it applied is read back) and before the operator writes on the destination. A PostgreSQL destination
   * takes no start time: a logical slot is made there and its consistent LSN is the position (kept on
   * the forward task, and the slot's name on the destination endpoint, so a release drops it even if
   * the reverse sync never starts). Any other destination: the time of the forward task's stop.
   */
  private async captureReverseStart(spec: JobSpec, view: ProjectView, fwd: ReplicationTask): Promise<{ position: string; slot?: string } | undefined> {
    const tags = this.tagsOf(view, fwd);
    const recorded = tags[TAG.writeStop];
    if (tags[TAG.reverseSlot] && recorded && isLsn(recorded)) return { position: recorded, slot: tags[TAG.reverseSlot] };
    const dest = await this.deps.resolveDataSource(spec.destinationId);
    if (dest?.engine !== 'postgresql') return recorded ? { position: cdcPosition(recorded) } : undefined;
    if (!this.deps.slots) return undefined; // the reverse task fails with DMS_NO_WRITE_STOP_POSITION, saying why
    const slot = this.slotOf(spec.projectId);
    const { lsn } = await this.deps.slots.ensure(dest, slot);
    const [endpoint] = await this.api.endpoints([this.idOf(spec.projectId, 'dst')]);
    if (endpoint?.EndpointArn) await this.api.addTags(endpoint.EndpointArn, { [TAG.reverseSlot]: slot });
    await this.setTags(view, fwd, { [TAG.writeStop]: lsn, [TAG.reverseSlot]: slot });
    return { position: lsn, slot };
  }

  /** The logical slot of a project's reverse sync on a PostgreSQL destination. */
  slotOf(projectId: string): string {
    return slotNameOf(this.idOf(projectId, 'rev'));
  }

  /**
   * The project a forwarded DMS state change belongs to (its replication's `migctl-project` tag; one
   * ListTagsForResource call), or undefined when it is not one of this engine's replications.
   */
  async projectOfStateChange(change: DmsStateChange): Promise<string | undefined> {
    if (!resourceIdOf(change.arn).startsWith(`${this.prefix}-`)) return undefined;
    if ((change.kind === 'replication') !== (this.backend.mode === 'serverless')) return undefined;
    return (await this.api.tagsOf([change.arn])).get(change.arn)?.[TAG.project];
  }

  /**
   * A DMS state change forwarded to the control plane's bus (infra/constructs/dms-engine.ts), as the port
   * reads notices: only a failure is looked up (its replication's project tag); anything that is not a
   * state change of this engine's replications is not ours (undefined).
   */
  async readNotice(event: unknown): Promise<EngineNotice | undefined> {
    const change = typeof event === 'object' && event !== null ? dmsStateChangeOf(event) : undefined;
    if (!change || !resourceIdOf(change.arn).startsWith(`${this.prefix}-`)) return undefined;
    const detail = [change.eventType, change.message].filter(Boolean).join(': ') || undefined;
    const projectId = change.failed ? await this.projectOfStateChange(change) : undefined;
    return { engine: 'aws-dms', resource: change.arn, failed: change.failed, ...(projectId ? { projectId } : {}), ...(detail ? { detail } : {}) };
  }

  /**
   * Removes what a project whose tasks are all stopped for good still holds in DMS (stopped tasks,
   * then its endpoints once no task is left); returns what is still stopping or deleting. For a sweep
   * (e.g. on the DMS "task stopped" event) after a release that left tasks stopping.
   */
  async cleanUp(projectId: string): Promise<string[]> {
    return this.tidy(projectId, await this.view(projectId), false);
  }

  // ---- reading DMS ----

  private async view(projectId: string): Promise<ProjectView> {
    const found = await this.backend.describe(TASK_KINDS.map((k) => this.idOf(projectId, k)));
    const tasks = new Map<TaskKind, ReplicationTask>();
    for (const t of found) {
      const kind = TASK_KINDS.find((k) => this.idOf(projectId, k) === t.ReplicationTaskIdentifier);
      if (kind) tasks.set(kind, t);
    }
    const tags = tasks.size ? await this.api.tagsOf([...tasks.values()].map(arnOf)) : new Map<string, Tags>();
    return { tasks, tags };
  }

  private tagsOf(view: ProjectView, task: ReplicationTask): Tags {
    return view.tags.get(arnOf(task)) ?? {};
  }

  /** Writes the tags that differ (one AddTagsToResource), and keeps the view in step. */
  private async setTags(view: ProjectView, task: ReplicationTask, tags: Tags): Promise<void> {
    const current = this.tagsOf(view, task);
    const changed = Object.fromEntries(Object.entries(tags).filter(([k, v]) => current[k] !== v));
    if (Object.keys(changed).length === 0) return;
    await this.api.addTags(arnOf(task), changed);
    view.tags.set(arnOf(task), { ...this.tagsOf(view, task), ...tags });
  }

  /** A pause or stop from a run older than the one that last started or resumed the task. */
  private fenced(job: JobRef, tags: Tags): boolean {
    const owner = Number(tags[TAG.run] ?? '0');
    return job.run !== undefined && Number.isFinite(owner) && job.run < owner;
  }

  private async statusOf(job: JobRef, task: ReplicationTask, tags: Tags): Promise<JobStatus> {
    const tables = job.subtask !== 'STRUCTURE_MIGRATION' && hasRun(task) && task.Status !== 'deleting' ? await this.backend.tableStatistics(arnOf(task)) : [];
    const inCdc = task.MigrationType === 'cdc' || fullLoadDone(task);
    const lag = CONTINUOUS.has(job.subtask) && task.Status === 'running' && inCdc
      ? await this.backend.cdcLag(task, this.now())
      : undefined;
    return jobStatusOf({ jobId: job.jobId, subtask: job.subtask, task, tags, tables, ...(lag ? { lag } : {}), caughtUpLagSeconds: this.caughtUpLagSeconds });
  }

  // ---- changing DMS ----

  /**
   * Runs the task for this job: a task never started gets `start-replication`, a stopped or failed
   * one `resume-processing` (never `start-replication` again: that would reload the target); one
   * still being created or stopped is marked to start at the next call that finds it idle.
   */
  private async run(job: JobRef, task: ReplicationTask, view: ProjectView, fromCheckpoint: string | undefined): Promise<ReplicationTask> {
    const tags = this.tagsOf(view, task);
    // A start or resume from an older run, or from the run that paused the task, is a stale execution's.
    if (this.fenced(job, tags) || (job.run !== undefined && job.run <= heldBy(tags))) return task;
    const owner = Math.max(Number(tags[TAG.run] ?? '0') || 0, job.run ?? 0);
    const phase = phaseOf(task, tags);
    // A full load that finished is not run again; a task stopped for good (switchover, skip, release) neither.
    if (phase === 'FINISHED' || tags[TAG.stop] === 'final') return task;
    const claim = { [TAG.run]: String(owner), [TAG.stop]: 'none' };
    if (task.Status === 'running' || task.Status === 'starting') {
      await this.setTags(view, task, claim);
      return task;
    }
    if (!isIdle(task)) {
      await this.setTags(view, task, { ...claim, [TAG.autostart]: 'yes' }); // creating, stopping, modifying
      return task;
    }
    await this.setTags(view, task, { ...claim, [TAG.autostart]: 'no' });
    return this.startIdle(task, view, fromCheckpoint);
  }

  private async startIdle(task: ReplicationTask, view: ProjectView, fromCheckpoint: string | undefined): Promise<ReplicationTask> {
    if (!hasRun(task)) {
      // The reverse sync's first run starts at the write-stop position (kept on its own task since creation).
      const from = this.tagsOf(view, task)[TAG.startPosition];
      return (await this.backend.start({ arn: arnOf(task), type: 'start-replication', ...(from ? { cdcStartPosition: from } : {}) })) ?? task;
    }
    // The task's own checkpoint is where resume-processing continues; one given by the caller that
    // differs (e.g. recorded before the task lost its state) is passed as the cdc start position.
    const position = fromCheckpoint?.startsWith('checkpoint:') && fromCheckpoint !== task.RecoveryCheckpoint && task.MigrationType !== 'full-load' ? fromCheckpoint : undefined;
    return (
      (await this.backend.start({ arn: arnOf(task), type: 'resume-processing', ...(position ? { cdcStartPosition: position } : {}) })) ?? task
    );
  }

  /** A start asked while the task could not start (creating, stopping) happens once it is idle. */
  private async autostart(task: ReplicationTask, view: ProjectView): Promise<ReplicationTask> {
    const tags = this.tagsOf(view, task);
    if (tags[TAG.autostart] !== 'yes' || !isIdle(task) || task.Status === 'failed') return task;
    await this.setTags(view, task, { [TAG.autostart]: 'no' });
    const started = await this.startIdle(task, view, undefined);
    view.tasks.forEach((t, k) => t === task && view.tasks.set(k, started));
    return started;
  }

  private async createTask(spec: JobSpec, kind: TaskKind, view: ProjectView): Promise<ReplicationTask> {
    const [sourceId] = spec.sourceIds;
    if (!sourceId) throw new DmsUnsupported('DMS_UNKNOWN_DATA_SOURCE', `job ${spec.jobId} names no source`);
    // One DMS task reads one source endpoint: a project-wide job of a multi-source project has no DMS equivalent here.
    if (spec.sourceIds.length > 1) throw new DmsUnsupported('DMS_MULTI_SOURCE', `job ${spec.jobId} reads ${spec.sourceIds.length} sources; the aws-dms engine runs one source per project`);
    const reverse = kind === 'rev' ? await this.reverseStart(spec, view) : undefined;
    const ends =
      kind === 'rev'
        ? await this.ensureEndpoints(spec.projectId, [
            { kind: 'rsrc', dataSourceId: spec.destinationId, role: 'source', ...(reverse?.slot ? { settings: { SlotName: reverse.slot, PluginName: 'test-decoding' } } : {}) },
            { kind: 'rdst', dataSourceId: sourceId, role: 'target' },
          ])
        : await this.ensureEndpoints(spec.projectId, [
            { kind: 'src', dataSourceId: sourceId, role: 'source' },
            { kind: 'dst', dataSourceId: spec.destinationId, role: 'target' },
          ]);
    const cdcStart = reverse?.position;
    const id = this.idOf(spec.projectId, kind);
    const tags: Tags = {
      [TAG.project]: spec.projectId,
      [TAG.run]: String(spec.run ?? 0),
      [TAG.stop]: 'none',
      [TAG.autostart]: STARTS_TASK.has(spec.subtask) ? 'yes' : 'no',
      ...(kind === 'fwd' ? { [TAG.reverse]: spec.migrationType.reverseIncrementalSync ? 'yes' : 'no' } : {}),
      ...(cdcStart ? { [TAG.startPosition]: cdcStart } : {}),
    };
    try {
      const created = await this.backend.create({
        id,
        sourceEndpointArn: mustArn(ends, kind === 'rev' ? 'rsrc' : 'src'),
        targetEndpointArn: mustArn(ends, kind === 'rev' ? 'rdst' : 'dst'),
        migrationType: dmsMigrationType(kind, spec.migrationType),
        tableMappings: tableMappings(spec.tables),
        settings: taskSettings(kind, spec.migrationType),
        tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      });
      if (!created) throw new Error(`DMS returned no replication for ${id}`);
      view.tags.set(arnOf(created), tags);
      return created;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const again = await this.view(spec.projectId); // an earlier attempt created it
      const existing = again.tasks.get(kind);
      if (!existing) throw e;
      view.tags.set(arnOf(existing), this.tagsOf(again, existing));
      return existing;
    }
  }

  /**
   * The reverse task's CdcStartPosition: the one on its job spec (recorded on the subtask at
   * STOP_FORWARD_SYNC), else the forward task's write stop. A PostgreSQL destination (the reverse
   * source) needs an LSN and the slot it belongs to (DMS takes no start time from PostgreSQL).
   */
  private async reverseStart(spec: JobSpec, view: ProjectView): Promise<{ position: string; slot?: string }> {
    const position = spec.startPosition ? cdcPosition(spec.startPosition) : this.writeStopPositionOf(view);
    const dest = await this.deps.resolveDataSource(spec.destinationId);
    if (dest?.engine === 'postgresql') {
      if (!position || !isLsn(position)) {
        throw new DmsUnsupported(
          'DMS_NO_WRITE_STOP_POSITION',
          `project ${spec.projectId}: a PostgreSQL source takes no cdc start time; the reverse sync needs the LSN of the logical slot made at STOP_FORWARD_SYNC${this.deps.slots ? '' : ' (this engine has no position reader for PostgreSQL)'}, and has ${position ?? 'none'}`,
        );
      }
      return { position, slot: this.slotOf(spec.projectId) };
    }
    if (!position) throw new DmsUnsupported('DMS_NO_WRITE_STOP_POSITION', `project ${spec.projectId}: the forward sync has no recorded stop, so the reverse sync has no start position`);
    return { position };
  }

  /**
   * Where the reverse sync starts: the position recorded on the forward task when STOP_FORWARD_SYNC
   * stopped it (tag), else the time DMS recorded for its stop; as a CdcStartPosition.
   */
  private writeStopPositionOf(view: ProjectView): string | undefined {
    const fwd = view.tasks.get('fwd');
    if (!fwd) return undefined;
    const tagged = this.tagsOf(view, fwd)[TAG.writeStop];
    if (tagged) return cdcPosition(tagged);
    const stopped = fwd.Status === 'stopped' ? fwd.ReplicationTaskStats?.StopDate : undefined;
    return stopped ? cdcPosition(stopped.toISOString()) : undefined;
  }

  private async ensureEndpoints(projectId: string, wanted: { kind: EndpointKind; dataSourceId: string; role: EndpointRole; settings?: Record<string, string> }[]): Promise<Map<EndpointKind, string>> {
    const ids = wanted.map((w) => this.idOf(projectId, w.kind));
    const arns = new Map<EndpointKind, string>();
    const collect = (found: { EndpointIdentifier?: string; EndpointArn?: string }[]) => {
      for (const e of found) {
        const w = wanted.find((x) => this.idOf(projectId, x.kind) === e.EndpointIdentifier);
        if (w && e.EndpointArn) arns.set(w.kind, e.EndpointArn);
      }
    };
    collect(await this.api.endpoints(ids));
    for (const w of wanted) {
      if (arns.has(w.kind)) continue;
      const ds = await this.deps.resolveDataSource(w.dataSourceId);
      if (!ds) throw new DmsUnsupported('DMS_UNKNOWN_DATA_SOURCE', `data source ${w.dataSourceId} does not exist`);
      const { EngineName, DatabaseName, settings } = endpointRequest(ds, w.role, this.config.accessRoleArn, w.settings);
      const id = this.idOf(projectId, w.kind);
      try {
        const created = await this.api.createEndpoint({
          EndpointIdentifier: id,
          ResourceIdentifier: id,
          EndpointType: w.role,
          EngineName,
          ...(DatabaseName ? { DatabaseName } : {}),
          ...settings,
          Tags: [
            { Key: TAG.project, Value: projectId },
            { Key: TAG.dataSource, Value: ds.id },
          ],
        });
        if (created?.EndpointArn) arns.set(w.kind, created.EndpointArn);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        collect(await this.api.endpoints([id]));
      }
      if (!arns.has(w.kind)) throw new Error(`endpoint ${id} could not be created or found`);
    }
    return arns;
  }

  /**
   * Deletes the project's tasks that are stopped for good and idle, once every task of the project is
   * stopped for good, and its endpoints once no task is left. The forward task is kept while a
   * planned reverse sync has not been created yet (it holds the write-stop position) when the
   * forward sync asks. Returns the tasks still on their way out.
   */
  private async tidy(projectId: string, view: ProjectView, keepForReverse: boolean): Promise<string[]> {
    const finalOf = (t: ReplicationTask) => t.Status === 'deleting' || this.tagsOf(view, t)[TAG.stop] === 'final';
    const tasks = [...view.tasks.entries()];
    if (!tasks.every(([, t]) => finalOf(t))) return [];
    const remaining: string[] = [];
    let kept = false;
    for (const [kind, t] of tasks) {
      const keep = keepForReverse && kind === 'fwd' && this.tagsOf(view, t)[TAG.reverse] === 'yes' && !view.tasks.has('rev');
      if (keep) {
        kept = true;
        continue;
      }
      if (isIdle(t)) await this.backend.delete(arnOf(t));
      remaining.push(t.ReplicationTaskIdentifier ?? kind);
    }
    if (tasks.length === 0 && !kept) {
      const endpoints = (await this.api.endpoints(['src', 'dst', 'rsrc', 'rdst'].map((k) => this.idOf(projectId, k as EndpointKind)))).filter((e) => e.EndpointArn && e.Status !== 'deleting');
      const slotHeld = await this.dropReverseSlot(endpoints.map((e) => e.EndpointArn as string));
      if (slotHeld) remaining.push(slotHeld);
      else for (const e of endpoints) await this.api.deleteEndpoint(e.EndpointArn as string);
    }
    return remaining;
  }

  /**
   * Drops the reverse sync's slot on a PostgreSQL destination (named by the destination endpoint's tag)
   * before the endpoints go: the tag is what says it exists. Answers the slot while it is still in use
   * (DMS has not let go of it yet: the endpoints stay and a later call tries again), or while this
   * engine has no position reader to drop it with (a function without one: the endpoints and the tag
   * stay, and a caller that has one, the reconciler finishing the release, drops it; a slot left
   * behind would hold the destination's WAL for good).
   */
  private async dropReverseSlot(endpointArns: string[]): Promise<string | undefined> {
    if (endpointArns.length === 0) return undefined;
    for (const tags of (await this.api.tagsOf(endpointArns)).values()) {
      const slot = tags[TAG.reverseSlot];
      const dsId = tags[TAG.dataSource];
      if (!slot || !dsId) continue;
      if (!this.deps.slots) return `slot ${slot} (no position reader here to drop it)`;
      const ds = await this.deps.resolveDataSource(dsId);
      if (!ds) continue; // the data source is gone: nothing to connect to
      if ((await this.deps.slots.drop(ds, slot)) === 'in-use') return `slot ${slot}`;
    }
    return undefined;
  }
}

const arnOf = (t: ReplicationTask): string => {
  if (!t.ReplicationTaskArn) throw new Error(`DMS task ${t.ReplicationTaskIdentifier} has no ARN`);
  return t.ReplicationTaskArn;
};

const mustArn = (arns: Map<EndpointKind, string>, kind: EndpointKind): string => {
  const arn = arns.get(kind);
  if (!arn) throw new Error(`endpoint ${kind} has no ARN`);
  return arn;
};

/**
 * A CdcStartPosition: a native position (PostgreSQL LSN, MySQL binlog file:position, a DMS
 * `checkpoint:`) as it is; a time as DMS takes it, `YYYY-MM-DDThh:mm:ss` (UTC, whole seconds).
 */
export function cdcPosition(recorded: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(recorded) || Number.isNaN(Date.parse(recorded))) return recorded;
  return new Date(recorded).toISOString().slice(0, 19);
}

/** The newest run that paused the task (0: none). */
const heldBy = (tags: Tags): number => Number(tags[TAG.held] ?? '0') || 0;

/** What a pause from `job`'s run records: that run holds the task (and owns it, when newer). */
function holdTags(job: JobRef, tags: Tags): Tags {
  if (job.run === undefined || job.run <= heldBy(tags)) return {};
  const owner = Number(tags[TAG.run] ?? '0') || 0;
  return { [TAG.held]: String(job.run), ...(job.run > owner ? { [TAG.run]: String(job.run) } : {}) };
}
