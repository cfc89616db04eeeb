import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { isStage, MigrationControlPlaneStack, STAGES } from './stack';

const app = new App();
const stage: unknown = app.node.tryGetContext('stage');
if (!isStage(stage)) {
  throw new Error(`Unknown stage ${JSON.stringify(stage)}: pass -c stage=${STAGES.join('|')} (cdk.json defaults to dev)`);
}

const alarmEmail: unknown = app.node.tryGetContext('alarmEmail');
if (alarmEmail !== undefined && (typeof alarmEmail !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(alarmEmail))) {
  throw new Error(`alarmEmail must be an e-mail address, got ${JSON.stringify(alarmEmail)}`);
}

new MigrationControlPlaneStack(app, `MigrationControlPlane-${stage}`, {
  stage,
  ...(alarmEmail ? { alarmEmail } : {}),
  description: `Migration control plane (${stage})`,
});

// AWS Solutions checks on every synth: an unacknowledged finding fails it (acknowledgements, each with
// its reason, sit next to the resources they concern).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
