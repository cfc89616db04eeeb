import { currentExecutionName, executionNameFor } from '../../domain/orchestration';
import type { ProjectRecord } from '../../domain/project';
import type { Orchestrator } from '../../ports';

/**
 * In-memory runs (tests and benchmarks): records which executions were started and stopped and which
 * tasks were completed, without running anything. An execution counts as active from its start until
 * it is stopped or `finish`ed.
 */
export class InMemoryOrchestrator implements Orchestrator {
  /** Execution names (`<projectId>-<run>`) in the order they were started (a repeated start is recorded once). */
  readonly started: string[] = [];
  readonly stopped: { name: string; reason: string }[] = [];
  readonly completedTasks: { taskToken: string; output?: Record<string, unknown> }[] = [];
  private readonly active = new Set<string>();

  async startRun(project: ProjectRecord): Promise<void> {
    const name = currentExecutionName(project);
    if (this.started.includes(name)) return;
    this.started.push(name);
    this.active.add(name);
  }

  async stopRun(project: ProjectRecord, reason: string): Promise<void> {
    const name = currentExecutionName(project);
    if (this.active.delete(name)) this.stopped.push({ name, reason });
  }

  async isRunActive(project: ProjectRecord): Promise<boolean> {
    return this.active.has(currentExecutionName(project));
  }

  async completeTask(taskToken: string, output?: Record<string, unknown>): Promise<void> {
    this.completedTasks.push({ taskToken, ...(output ? { output } : {}) });
  }

  /** The execution ended by itself (completed, failed). */
  finish(projectId: string, run: number): void {
    this.active.delete(executionNameFor(projectId, run));
  }
}
