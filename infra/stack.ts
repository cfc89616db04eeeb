import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { MigrationControlPlane, type MigrationControlPlaneProps } from './constructs/control-plane';

export { STAGES, isStage, type Stage } from './constructs/stage';

export type MigrationControlPlaneStackProps = StackProps & MigrationControlPlaneProps;

/**
 * A thin stack around the MigrationControlPlane construct. Its id "Default" keeps the construct out of
 * the logical ids, so resources keep their names whether composed here or in another stack.
 */
export class MigrationControlPlaneStack extends Stack {
  readonly controlPlane: MigrationControlPlane;

  constructor(scope: Construct, id: string, props: MigrationControlPlaneStackProps) {
    super(scope, id, props);
    this.controlPlane = new MigrationControlPlane(this, 'Default', props);
  }

  get table() {
    return this.controlPlane.table;
  }
  get api() {
    return this.controlPlane.api;
  }
  get pauseTimers() {
    return this.controlPlane.pauseTimers;
  }
  get domainEvents() {
    return this.controlPlane.domainEvents;
  }
  get alerts() {
    return this.controlPlane.alerts;
  }
  get monitoring() {
    return this.controlPlane.monitoring;
  }
  get batchQueue() {
    return this.controlPlane.batchQueue;
  }
  get engineNotices() {
    return this.controlPlane.engineNotices;
  }
  get orchestration() {
    return this.controlPlane.orchestration;
  }
}
