import './promise-with-resolvers';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { ExecutionAbortedError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { executionNameFor } from '../../shared/domain/orchestration';
import type { ProjectRecord } from '../../shared/domain/project';
import type { Orchestrator } from '../../shared/ports';
import type { AslDefinition, LocalStateMachine } from './state-machine';

/**
 * The embedded default's Step Functions: the synthesized definition run by aws-local-stepfunctions.
 * Each Lambda task calls the same handler module the deployed function bundles; a waitForTaskToken task
 * gets a token of its own and waits until completeTask (the local API) resolves it; Wait states and
 * retry intervals are shortened by the simulation time scale. stopRun really aborts the execution.
 */
export type FunctionHandler = (event: unknown, context: Context) => Promise<unknown>;
export type FunctionLoader = (folder: string) => Promise<FunctionHandler>;

export const loadFunctionModule: FunctionLoader = async (folder) => {
  const mod = (await import(/* @vite-ignore */ `../../functions/${folder}/handler`)) as { handler: FunctionHandler };
  return mod.handler;
};

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

export interface LocalExecution {
  name: string;
  status: ExecutionStatus;
  /** States entered, in order (the execution history, for tests and the log). */
  history: string[];
  error?: string;
  done: Promise<void>;
  abort: () => void;
}

export interface LocalStepFunctionsOptions {
  stateMachine: LocalStateMachine;
  /** The simulated engine's time scale: a Wait of N seconds lasts N / timeScale seconds. */
  timeScale: number;
  load?: FunctionLoader;
  log?: (line: string) => void;
}

/** The end state of a run the project no longer belongs to (paused, released, or resumed as a newer run). */
export const SUPERSEDED_STATE = 'Run superseded or stopped';

const oneLine = (text: string, max: number) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/**
 * One short log line for an ended execution: what it ended as and where, never the whole history (a
 * long run polls thousands of times) nor a whole stack trace. A superseded run is said to be one: the
 * project moved on without it, which is no failure.
 */
export function executionLogLine(e: Pick<LocalExecution, 'name' | 'status' | 'history' | 'error'>): string {
  const last = e.history.at(-1) ?? '(no state)';
  const states = `${e.history.length} state(s)`;
  if (e.status === 'SUCCEEDED' && last === SUPERSEDED_STATE) {
    return `[stepfunctions] ${e.name} superseded: the project no longer belongs to this run (paused, released or resumed); ended after ${states}`;
  }
  if (e.status === 'FAILED') return `[stepfunctions] ${e.name} FAILED at "${last}" after ${states}: ${oneLine(e.error ?? 'no cause', 200)}`;
  return `[stepfunctions] ${e.name} ${e.status}: "${last}" after ${states}`;
}

const LAMBDA_INVOKE = /^arn:[^:]+:states:::lambda:invoke(\.waitForTaskToken)?$/;

export class LocalStepFunctions implements Orchestrator {
  readonly executions = new Map<string, LocalExecution>();
  private readonly tokens = new Map<string, { execution: string; resolve: (output: unknown) => void }>();
  private readonly handlers = new Map<string, Promise<FunctionHandler>>();
  private readonly definition: AslDefinition;
  private readonly load: FunctionLoader;
  private readonly log: (line: string) => void;
  /** Fails the next StartExecution calls (to test the compensation of a start that could not run). */
  failNextStarts = 0;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    this.definition = options.stateMachine.definition;
    this.load = options.load ?? loadFunctionModule;
    this.log = options.log ?? ((l) => console.log(l));
  }

  async startRun(project: ProjectRecord): Promise<void> {
    if (this.failNextStarts > 0) {
      this.failNextStarts--;
      const e = new Error('Rate exceeded (simulated StartExecution failure)');
      e.name = 'ThrottlingException';
      throw e;
    }
    if (project.run === undefined) throw new Error(`project ${project.id} has no run`);
    const name = executionNameFor(project.id, project.run);
    if (this.executions.has(name)) return; // ExecutionAlreadyExists: a duplicate start is harmless
    const machine = new StateMachine(this.definition as unknown as StateMachineDefinition, { validationOptions: { checkArn: false } });
    const history: string[] = [];
    const execution = machine.run(
      { projectId: project.id, run: project.run },
      {
        overrides: this.overrides(name),
        context: { Execution: { Name: name, StartTime: new Date().toISOString() }, Task: { Token: `local-${name}` } },
      },
    );
    const record: LocalExecution = {
      name,
      status: 'RUNNING',
      history,
      abort: execution.abort,
      done: Promise.resolve(),
    };
    // The event log closes when the execution ends: its history is complete before the end is logged.
    const historyRecorded = (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered') history.push(event.state.name);
      }
    })().catch(() => undefined);
    const ended = execution.result.then(
      async (output: unknown) => {
        await historyRecorded;
        return output;
      },
      async (e: unknown) => {
        await historyRecorded;
        throw e;
      },
    );
    record.done = ended.then(
      () => {
        if (record.status === 'RUNNING') record.status = 'SUCCEEDED';
        this.log(executionLogLine(record));
      },
      (e: unknown) => {
        if (e instanceof ExecutionAbortedError) record.status = 'ABORTED';
        else {
          record.status = 'FAILED';
          record.error = (e as Error)?.message;
          this.log(executionLogLine(record));
        }
        this.dropTokens(name);
      },
    );
    this.executions.set(name, record);
  }

  async stopRun(project: ProjectRecord, reason: string): Promise<void> {
    if (project.run === undefined) return;
    const name = executionNameFor(project.id, project.run);
    const execution = this.executions.get(name);
    if (!execution || execution.status !== 'RUNNING') return;
    execution.status = 'ABORTED';
    execution.abort();
    this.dropTokens(name);
    this.log(`[stepfunctions] ${name} stopped (${reason})`);
  }

  async isRunActive(project: ProjectRecord): Promise<boolean> {
    if (project.run === undefined) return false;
    return this.executions.get(executionNameFor(project.id, project.run))?.status === 'RUNNING';
  }

  async completeTask(taskToken: string, output: Record<string, unknown> = {}): Promise<void> {
    const waiting = this.tokens.get(taskToken);
    if (!waiting) return; // TaskDoesNotExist / already completed: ignored, like the deployed adapter
    this.tokens.delete(taskToken);
    waiting.resolve(output);
  }

  /** Every execution that still runs, ended (for tests and shutdown). */
  async settle(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.done));
  }

  abortAll(): void {
    for (const e of this.executions.values()) if (e.status === 'RUNNING') {
      e.status = 'ABORTED';
      e.abort();
    }
  }

  private dropTokens(execution: string): void {
    for (const [token, w] of this.tokens) if (w.execution === execution) this.tokens.delete(token);
  }

  private handler(folder: string): Promise<FunctionHandler> {
    let h = this.handlers.get(folder);
    if (!h) this.handlers.set(folder, (h = this.load(folder)));
    return h;
  }

  private overrides(execution: string) {
    const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<never>> = {};
    const waitTimeOverrides: Record<string, number> = {};
    const retryIntervalOverrides: Record<string, number> = {};
    for (const [stateName, state] of Object.entries(this.definition.States)) {
      if (state.Type === 'Wait' && typeof state.Seconds === 'number') {
        waitTimeOverrides[stateName] = Math.max(1, Math.round((state.Seconds * 1000) / this.options.timeScale));
      }
      if (state.Retry) retryIntervalOverrides[stateName] = 10;
      if (state.Type !== 'Task') continue;
      const m = LAMBDA_INVOKE.exec(state.Resource ?? '');
      if (!m) throw new Error(`local Step Functions: task '${stateName}' (${state.Resource}) is not a Lambda invoke`);
      const callback = m[1] !== undefined;
      taskResourceLocalHandlers[stateName] = (async (input: unknown) => {
        const { FunctionName, Payload } = input as { FunctionName: string; Payload: Record<string, unknown> };
        const logicalId = FunctionName.split(':').pop() ?? '';
        const folder = this.options.stateMachine.functionFolders[logicalId];
        if (!folder) throw new Error(`local Step Functions: no local function for ${FunctionName}`);
        const handler = await this.handler(folder);
        const context = { awsRequestId: randomUUID(), functionName: folder } as Context;
        if (!callback) return { StatusCode: 200, Payload: await handler(Payload, context) };
        // waitForTaskToken: a token per task (Step Functions gives each its own), resolved by completeTask.
        const token = `${execution}:${randomUUID()}`;
        let resolve!: (output: unknown) => void;
        const promise = new Promise<unknown>((ok) => (resolve = ok));
        this.tokens.set(token, { execution, resolve });
        await handler({ ...Payload, taskToken: token }, context);
        return promise;
      }) as unknown as (input: unknown) => Promise<never>;
    }
    return { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides } as never;
  }
}
