import { DmsMigrationEngine } from '../../../shared/adapters/engine/dms/dms-engine';
import { FakeDms } from '../../../shared/adapters/engine/dms/fake-dms';
import { fakeDmsClients } from '../../../shared/adapters/engine/dms/fake-dms-mock';
import { ENDPOINT_KINDS, TASK_KINDS } from '../../../shared/adapters/engine/dms/ids';
import { executionNameFor, needsExecution } from '../../../shared/domain/orchestration';
import type { MigrationType, ProjectRecord } from '../../../shared/domain/project';
import { createDataSource } from '../../../shared/usecases/data-sources';
import { applyOperation } from '../../../shared/usecases/lifecycle';
import { reconcileRuns } from '../../../shared/usecases/orchestration';
import { reconcilePauses } from '../../../shared/usecases/reconcile';
import { createProject } from '../../../shared/usecases/projects';
import { memoryDeps } from '../../support/memory-deps';
import { ExecutionDriver } from './execution-driver';
import { FaultPlan } from './fault-plan';
import { SimulatedOrchestrator } from './faulty-adapters';

/**
 * The fault-injection world of the AWS DMS adapter: the orchestration use cases (played in the state
 * machine's order by the ExecutionDriver, with its Retry and Catch), the lifecycle operations and the
 * reconcilers over in-memory stores, and the DMS adapter whose every DMS and CloudWatch request goes
 * through the fault plan to a FAKE DMS (documented task states, ResourceAlreadyExistsFault,
 * ResourceNotFoundFault, InvalidResourceStateFault). One world per case: nothing carries over.
 * Time passes only in `tick()`: every DMS task moves one documented step, the clock one minute.
 */

const ctx = { actor: 'arn:aws:iam::123456789012:user/operator', requestId: 'req-dms-fi' };
export const INSTANCE_ARN = 'arn:aws:dms:eu-west-1:123456789012:rep:migration-instance';

export type DmsMode = 'instance' | 'serverless';

export function createDmsWorld(mode: DmsMode = 'instance') {
  const plan = new FaultPlan();
  const fake = new FakeDms();
  /** Identifiers of every task and endpoint DMS created (a second create of one would show here twice). */
  const created: string[] = [];
  /** Requests DMS would accept but that lose data (start-replication on a task that ran). */
  const dataLoss: string[] = [];
  const clients = fakeDmsClients(fake, (op, run) =>
    plan.around(op === 'GetMetricData' ? 'cloudwatch' : 'dms', op, async () => {
      try {
        const out = run() as { ReplicationTask?: { ReplicationTaskIdentifier?: string }; ReplicationConfig?: { ReplicationConfigIdentifier?: string }; Endpoint?: { EndpointIdentifier?: string } };
        if (op === 'CreateReplicationTask') created.push(out.ReplicationTask?.ReplicationTaskIdentifier ?? '?');
        if (op === 'CreateReplicationConfig') created.push(out.ReplicationConfig?.ReplicationConfigIdentifier ?? '?');
        if (op === 'CreateEndpoint') created.push(out.Endpoint?.EndpointIdentifier ?? '?');
        return out;
      } catch (e) {
        if ((e as Error).name === 'FakeDmsViolation') dataLoss.push((e as Error).message);
        throw e;
      }
    }),
  );
  const orchestrator = new SimulatedOrchestrator();
  const holder: { deps?: ReturnType<typeof memoryDeps> } = {};
  const engine = new DmsMigrationEngine(
    {
      ...(mode === 'serverless' ? { serverless: { maxCapacityUnits: 4, subnetGroupId: 'mig-subnets', securityGroupIds: ['sg-0123456789abcdef0'] } } : { replicationInstanceArn: INSTANCE_ARN, replicationInstanceId: 'migration-instance' }),
      accessRoleArn: 'arn:aws:iam::123456789012:role/dms-secrets',
      now: () => holder.deps!.clock.nowMs(),
    },
    { resolveDataSource: (id) => holder.deps!.dataSources.get(id), dms: () => clients.dms, cloudwatch: () => clients.cloudwatch },
  );
  const deps = memoryDeps({ orchestrator, engine });
  holder.deps = deps;
  const driver = new ExecutionDriver(() => deps, orchestrator);

  const world = {
    plan,
    fake,
    engine,
    deps,
    orchestrator,
    created,
    dataLoss,
    project: async (id: string) => (await deps.projects.get(id)) as ProjectRecord,

    async newProject(migrationType: MigrationType): Promise<string> {
      const src = await createDataSource(deps, { name: `src-${deps.newId().slice(0, 8)}`, engine: 'postgresql', host: 'src.example', port: 5432, username: 'app', database: 'shop', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:src-AbCdEf' });
      const dst = await createDataSource(deps, { name: `dst-${deps.newId().slice(0, 8)}`, engine: 'mysql', host: 'dst.example', port: 3306, username: 'app', database: 'shop', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:dst-GhIjKl' });
      const p = await createProject(deps, { name: `fi-dms-${deps.newId().slice(0, 8)}`, sourceId: src.id, destinationId: dst.id, migrationType }, ctx);
      return p.id;
    },

    /** A user operation, as the API would apply it; what it threw is returned (the caller saw a 5xx). */
    async op(operation: Parameters<typeof applyOperation>[1]['operation'], projectId: string, extra: Record<string, unknown> = {}): Promise<Error | undefined> {
      try {
        await applyOperation(deps, { operation, projectId, ctx, ...extra } as Parameters<typeof applyOperation>[1]);
        return undefined;
      } catch (e) {
        return e as Error;
      }
    },

    /** Every live execution moves as far as it can; then DMS and the clock move one step. */
    async tick(): Promise<void> {
      for (const e of orchestrator.live()) await driver.drive(e);
      fake.advance();
      deps.clock.advance(60_000);
    },

    /** Ticks until `until` holds (set-up: fault-free, must get there). */
    async until(what: string, until: () => Promise<boolean>, maxTicks = 40): Promise<void> {
      for (let i = 0; i < maxTicks; i++) {
        if (await until()) return;
        await world.tick();
      }
      throw new Error(`set-up never reached: ${what}`);
    },

    /**
     * What runs after an operation without anyone asking (fault-free): the executions take their
     * steps, DMS moves, and the reconcilers run past their grace period (runs without an execution,
     * releases left RELEASING, jobs of paused projects still running).
     */
    async repair(rounds = 4): Promise<string[]> {
      const errors: string[] = [];
      for (let i = 0; i < rounds; i++) {
        await world.tick();
        const runs = await reconcileRuns(deps, { graceMs: 0 });
        const pauses = await reconcilePauses(deps);
        errors.push(...[...runs.errors, ...pauses.errors].map((e) => JSON.stringify(e)));
      }
      for (const e of orchestrator.live()) await driver.drive(e);
      return errors;
    },

    /** The project's DMS resources (tasks and endpoints named from its id) that exist now. */
    resourcesOf(projectId: string): string[] {
      const ids = new Set([...TASK_KINDS, ...ENDPOINT_KINDS].map((k) => engine.idOf(projectId, k)));
      const tasks = [...fake.tasks.values()].map((t) => t.task.ReplicationTaskIdentifier ?? '').filter((id) => ids.has(id));
      const endpoints = [...fake.endpoints.values()].map((e) => e.endpoint.EndpointIdentifier ?? '').filter((id) => ids.has(id));
      return [...tasks, ...endpoints];
    },

    /** The invariants after the repair paths; returns the violations (empty = consistent). */
    async violations(projectId: string): Promise<string[]> {
      const out: string[] = [];
      const p = await world.project(projectId);
      const known = new Set([...TASK_KINDS, ...ENDPOINT_KINDS].map((k) => engine.idOf(projectId, k)));
      // Deterministic identifiers: nothing DMS holds is named otherwise, nothing was created twice.
      for (const id of created) if (!known.has(id)) out.push(`DMS resource ${id} is not named from the project id`);
      const twice = created.filter((id, i) => created.indexOf(id) !== i);
      if (twice.length) out.push(`created twice in DMS: ${[...new Set(twice)].join(', ')}`);
      for (const m of dataLoss) out.push(`a request that loses data reached DMS: ${m}`);
      // The run and its execution agree.
      const live = orchestrator.live();
      if (p.status === 'RUNNING' && needsExecution(p) && !live.some((e) => e.name === executionNameFor(p.id, p.run ?? 0))) out.push(`RUNNING (run ${p.run}) without a live execution`);
      for (const e of live) if (p.status !== 'RUNNING' || p.run !== e.run) out.push(`${e.name}: live execution for a ${p.status} project at run ${p.run}`);
      if (p.status === 'RELEASING') out.push('still RELEASING after the repair paths');
      // DMS agrees with the project.
      const tasks = TASK_KINDS.map((k) => fake.taskById(engine.idOf(projectId, k))).filter((t) => t !== undefined);
      if (p.status === 'PAUSED') for (const t of tasks) if (t.Status === 'running' || t.Status === 'starting') out.push(`PAUSED, yet DMS task ${t.ReplicationTaskIdentifier} is ${t.Status}`);
      if (p.status === 'RELEASED' && world.resourcesOf(projectId).length) out.push(`RELEASED, yet DMS holds ${world.resourcesOf(projectId).join(', ')}`);
      return out;
    },

    /**
     * Ends the project the way an operator would (fault-free: pause a running one, release, let DMS
     * and the reconciler finish) and says what DMS still holds of it: nothing, or a leak.
     */
    async releaseAndCheck(projectId: string): Promise<string[]> {
      let p = await world.project(projectId);
      if (p.status === 'NOT_STARTED') return world.resourcesOf(projectId).map((r) => `never started, yet DMS holds ${r}`);
      if (p.status === 'RUNNING') await world.op('pause', projectId);
      p = await world.project(projectId);
      if (p.status !== 'RELEASED' && p.status !== 'RELEASING') {
        const refused = await world.op('release', projectId);
        if (refused) return [`release (fault-free) from ${p.status} failed: ${refused.message}`];
      }
      for (let i = 0; i < 8 && (await world.project(projectId)).status !== 'RELEASED'; i++) {
        await world.tick();
        await reconcileRuns(deps, { graceMs: 0 });
      }
      p = await world.project(projectId);
      const out: string[] = [];
      if (p.status !== 'RELEASED') out.push(`release never finished (${p.status})`);
      for (const r of world.resourcesOf(projectId)) out.push(`leaked after release: ${r}`);
      return out;
    },
  };
  return world;
}

export type DmsWorld = ReturnType<typeof createDmsWorld>;
