import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SubtaskType } from '../../domain/subtasks';
import { keys } from '../../table';
import { SimulatedJobRaced, type SimulatedFailure, type SimulatedJob, type SimulatedJobStore } from './simulated-engine';

/**
 * Keeps the SIMULATED engine's jobs in the projects table (items SIMJOB#<jobId>), so a job started by
 * one Lambda invocation is polled by the next one, and `npm start` finds its jobs after a restart.
 * The job's run (the newest run that started, resumed, paused or stopped it) is stored with it, and a
 * put never replaces a job a newer run wrote meanwhile (conditional on the stored run).
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
    const fence =
      job.run === undefined
        ? { ConditionExpression: 'attribute_not_exists(#job.#run)' }
        : { ConditionExpression: 'attribute_not_exists(#job.#run) OR #job.#run <= :run', ExpressionAttributeValues: { ':run': job.run } };
    try {
      await this.client.send(
        new PutCommand({ TableName: this.table, Item: { ...keys.simulatedJob(job.jobId), job }, ExpressionAttributeNames: { '#job': 'job', '#run': 'run' }, ...fence }),
      );
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) throw new SimulatedJobRaced(job.jobId);
      throw e;
    }
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
