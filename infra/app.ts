import { App } from 'aws-cdk-lib';
import { isStage, MigrationControlPlaneStack, STAGES } from './stack';

const app = new App();
const stage: unknown = app.node.tryGetContext('stage');
if (!isStage(stage)) {
  throw new Error(`Unknown stage ${JSON.stringify(stage)}: pass -c stage=${STAGES.join('|')} (cdk.json defaults to dev)`);
}

new MigrationControlPlaneStack(app, `MigrationControlPlane-${stage}`, {
  stage,
  description: `Migration control plane (${stage})`,
});
