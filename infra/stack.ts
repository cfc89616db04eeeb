import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { DEFAULT_PAUSE_DEADLINE_SECONDS } from '../shared/usecases/deps';
import { ControlPlaneApi } from './constructs/api';
import { ProjectsTable } from './constructs/projects-table';

export const STAGES = ['dev', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

export interface MigrationControlPlaneStackProps extends StackProps {
  readonly stage: Stage;
  /** How long a project may stay paused before it expires; default 43200 (12 h). */
  readonly pauseDeadlineSeconds?: number;
}

/** The control plane: the projects table and the IAM-authorized REST API in front of the handlers. */
export class MigrationControlPlaneStack extends Stack {
  readonly table: ProjectsTable;
  readonly api: ControlPlaneApi;

  constructor(scope: Construct, id: string, props: MigrationControlPlaneStackProps) {
    super(scope, id, props);
    const pauseDeadlineSeconds = props.pauseDeadlineSeconds ?? DEFAULT_PAUSE_DEADLINE_SECONDS;
    if (!Number.isInteger(pauseDeadlineSeconds) || pauseDeadlineSeconds <= 0) {
      throw new Error(`pauseDeadlineSeconds must be a positive integer, got ${pauseDeadlineSeconds}`);
    }

    this.table = new ProjectsTable(this, 'Projects', { stage: props.stage });
    this.api = new ControlPlaneApi(this, 'Api', {
      stage: props.stage,
      table: this.table.table,
      pauseDeadlineSeconds,
    });

    // The API URL is already an output of the RestApi (…Endpoint…).
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName });
  }
}
