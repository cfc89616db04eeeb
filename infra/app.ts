import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { EngineSettings } from './constructs/control-plane';
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

const ENGINES = ['aws-dms', 'simulated'] as const;

/**
 * -c engine=aws-dms|simulated (required for prod; dev defaults to simulated). With aws-dms:
 * -c dmsSecretTag=key=value (the secrets DMS may read; default migration-control-plane=<stage>) and
 * -c dmsCreateServiceRoles=false where the account already has dms-vpc-role and dms-cloudwatch-logs-role.
 */
function engineFromContext(): EngineSettings | undefined {
  const kind: unknown = app.node.tryGetContext('engine');
  if (kind === undefined) return undefined;
  if (kind === 'simulated') return { kind };
  if (kind !== 'aws-dms') throw new Error(`Unknown engine ${JSON.stringify(kind)}: pass -c engine=${ENGINES.join('|')}`);
  const tag: unknown = app.node.tryGetContext('dmsSecretTag');
  let secretTag: { key: string; value: string } | undefined;
  if (tag !== undefined) {
    const m = typeof tag === 'string' ? /^([^=\s]+)=([^=\s]+)$/.exec(tag) : null;
    if (!m?.[1] || !m[2]) throw new Error(`dmsSecretTag must be key=value, got ${JSON.stringify(tag)}`);
    secretTag = { key: m[1], value: m[2] };
  }
  const roles: unknown = app.node.tryGetContext('dmsCreateServiceRoles');
  if (roles !== undefined && !['true', 'false', true, false].includes(roles as string | boolean)) {
    throw new Error(`dmsCreateServiceRoles must be true or false, got ${JSON.stringify(roles)}`);
  }
  return {
    kind,
    ...(secretTag ? { secretTag } : {}),
    ...(roles === undefined ? {} : { createServiceRoles: roles === true || roles === 'true' }),
  };
}
const engine = engineFromContext();

new MigrationControlPlaneStack(app, `MigrationControlPlane-${stage}`, {
  stage,
  ...(engine ? { engine } : {}),
  ...(alarmEmail ? { alarmEmail } : {}),
  description: `Migration control plane (${stage})`,
});

// AWS Solutions checks on every synth: an unacknowledged finding fails it (acknowledgements, each with
// its reason, sit next to the resources they concern).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
