import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { InMemoryEventBus } from '../../../shared/adapters/memory/event-bus';
import { InMemoryExpiryScheduler } from '../../../shared/adapters/memory/scheduler';
import { executionNameFor } from '../../../shared/domain/orchestration';
import type { ProjectRecord } from '../../../shared/domain/project';
import type { BusEvent, EventBus, ExpiryScheduler, JobStatus, MigrationEngine, Orchestrator } from '../../../shared/ports';
import type { FaultPlan } from './fault-plan';

/**
 * A SIMULATED Step Functions for the fault-injection suite: it runs nothing by itself, it knows which
 * executions are live (started and neither stopped nor ended) and which task tokens wait. The suite's
 * execution driver (execution-driver.ts) plays the state machine's steps for the live ones.
 */
export interface SimulatedExecution {
  name: string;
  projectId: string;
  run: number;
  status: 'RUNNING' | 'ABORTED' | 'SUCCEEDED' | 'FAILED';
  /** Where the simulated state machine stands. */
  position: { state: 'PICK' } | { state: 'POLL'; work: Record<string, unknown> } | { state: 'AWAIT'; token: string };
}

export class SimulatedOrchestrator implements Orchestrator {
  readonly executions = new Map<string, SimulatedExecution>();
  /** Tokens completed (SendTaskSuccess) and not yet consumed by the driver. */
  readonly completedTokens = new Set<string>();
  private tokenCounter = 0;

  async startRun(project: ProjectRecord): Promise<void> {
    if (project.run === undefined) throw new Error(`project ${project.id} has no run`);
    const name = executionNameFor(project.id, project.run);
    if (this.executions.has(name)) return; // ExecutionAlreadyExists: harmless
    this.executions.set(name, { name, projectId: project.id, run: project.run, status: 'RUNNING', position: { state: 'PICK' } });
  }

  async stopRun(project: ProjectRecord): Promise<void> {
    if (project.run === undefined) return;
    const e = this.executions.get(executionNameFor(project.id, project.run));
    if (e && e.status === 'RUNNING') e.status = 'ABORTED';
  }

  async isRunActive(project: ProjectRecord): Promise<boolean> {
    if (project.run === undefined) return false;
    return this.executions.get(executionNameFor(project.id, project.run))?.status === 'RUNNING';
  }

  async completeTask(taskToken: string): Promise<void> {
    this.completedTokens.add(taskToken);
  }

  newToken(execution: string): string {
    return `${execution}:token-${++this.tokenCounter}`;
  }

  live(): SimulatedExecution[] {
    return [...this.executions.values()].filter((e) => e.status === 'RUNNING');
  }
}

/** The pause timers that exist, inspectable (the in-memory scheduler keeps them in `timers`). */
export class SimulatedScheduler extends InMemoryExpiryScheduler {}

export function faultyOrchestrator(inner: Orchestrator, plan: FaultPlan): Orchestrator {
  return {
    startRun: (p) => plan.around('stepfunctions', 'StartExecution', () => inner.startRun(p)),
    stopRun: (p, reason) => plan.around('stepfunctions', 'StopExecution', () => inner.stopRun(p, reason)),
    isRunActive: (p) => plan.around('stepfunctions', 'DescribeExecution', () => inner.isRunActive(p)),
    completeTask: (t, o) => plan.around('stepfunctions', 'SendTaskSuccess', () => inner.completeTask(t, o)),
  };
}

export function faultyScheduler(inner: ExpiryScheduler, plan: FaultPlan): ExpiryScheduler {
  return {
    schedulePauseExpiry: (p) => plan.around('scheduler', 'CreateSchedules', () => inner.schedulePauseExpiry(p)),
    cancelPauseExpiry: (p) => plan.around('scheduler', 'DeleteSchedules', () => inner.cancelPauseExpiry(p)),
    listPauseTimers: () => plan.around('scheduler', 'ListSchedules', () => inner.listPauseTimers()),
  };
}

export function faultyEngine(inner: MigrationEngine, plan: FaultPlan): MigrationEngine {
  return {
    startJob: (spec) => plan.around('engine', 'startJob', () => inner.startJob(spec)),
    pollJob: (id) => plan.around('engine', 'pollJob', (): Promise<JobStatus | undefined> => inner.pollJob(id)),
    observeJob: (id) => plan.around('engine', 'observeJob', (): Promise<JobStatus | undefined> => inner.observeJob(id)),
    pauseJob: (id) => plan.around('engine', 'pauseJob', () => inner.pauseJob(id)),
    resumeJob: (id, cp) => plan.around('engine', 'resumeJob', () => inner.resumeJob(id, cp)),
    stopJob: (id) => plan.around('engine', 'stopJob', () => inner.stopJob(id)),
  };
}

export function faultyBus(inner: EventBus, plan: FaultPlan): EventBus {
  return { publish: (events: readonly BusEvent[]) => plan.around('eventbridge', 'PutEvents', () => inner.publish(events)) };
}

export { InMemoryEventBus };

/**
 * The handlers' DynamoDB document client with every `send` going through the plan, named by the
 * command (TransactWriteCommand, GetCommand, UpdateCommand, QueryCommand, ...).
 */
export function faultyDocumentClient(base: DynamoDBDocumentClient, plan: FaultPlan): DynamoDBDocumentClient {
  return new Proxy(base, {
    get(target, prop) {
      if (prop === 'send') {
        return (command: { constructor: { name: string } }, ...rest: unknown[]) =>
          plan.around('dynamodb', command.constructor.name.replace(/Command$/, ''), () => (target.send as (...a: unknown[]) => Promise<unknown>)(command, ...rest));
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
