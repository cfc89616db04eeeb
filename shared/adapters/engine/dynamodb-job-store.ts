import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SubtaskType } from '../../domain/subtasks';
import { keys } from '../../table';
import type { SimulatedFailure, SimulatedJob, SimulatedJobStore } from './simulated-engine';

/**
 * Keeps the SIMULATED engine's jobs in the projects table (items SIMJOB#<jobId>), so a job started by
 * one Lambda invocation is polled by the next one, and `npm start` finds its jobs after a restart.
 */
export class DynamoSimulatedJobStore implements SimulatedJobStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(jobId: string): Promise<SimulatedJob | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.table, Key: keys.simulatedJob(jobId), ConsistentRead: true }));
    return (out.Item?.job as SimulatedJob | undefined) ?? undefined;
  }

  async put(job: SimulatedJob): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.table, Item: { ...keys.simulatedJob(job.jobId), job } }));
  }

  async getFailure(projectId: string, subtask: SubtaskType): Promise<SimulatedFailure | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: keys.simulatedFailure(projectId, subtask), ConsistentRead: true }),
    );
    return (out.Item?.failure as SimulatedFailure | undefined) ?? undefined;
  }

  async putFailure(f: SimulatedFailure): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.table, Item: { ...keys.simulatedFailure(f.projectId, f.subtask), failure: f } }));
  }

  async deleteFailure(projectId: string, subtask: SubtaskType): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.table, Key: keys.simulatedFailure(projectId, subtask) }));
  }
}
