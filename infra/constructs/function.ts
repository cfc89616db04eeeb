import * as path from 'node:path';
import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../shared/observability/names';
import type { Stage } from './stage';
import { LAMBDA_BUNDLING } from './bundling';

/** Repository root: entries, the lock file and esbuild's working directory are resolved from here. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

export interface ControlPlaneFunctionProps {
  /** Folder under functions/ holding handler.ts. */
  readonly fn: string;
  readonly stage: Stage;
  readonly environment: Record<string, string>;
  readonly timeout?: Duration;
  readonly memorySize?: number;
}

export function pascalCase(kebab: string): string {
  return kebab
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/**
 * Every function of the control plane is built the same way: bundled by the local esbuild with the options
 * of ./bundling.ts (minified, source maps, the AWS SDK v3 left to the runtime), the newest Node.js runtime, ARM, X-Ray, its own log group
 * with a retention, removal per stage.
 */
export function controlPlaneFunction(scope: Construct, props: ControlPlaneFunctionProps): NodejsFunction {
  const name = pascalCase(props.fn);
  const logGroup = new logs.LogGroup(scope, `${name}Logs`, {
    retention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: props.stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  });
  // Its own role: write to its own log group only (instead of the AWS managed basic execution policy).
  const role = new iam.Role(scope, `${name}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `${props.fn} (${props.stage})`,
  });
  logGroup.grantWrite(role);
  const fn = new NodejsFunction(scope, name, {
    role,
    entry: path.join(PROJECT_ROOT, 'functions', props.fn, 'handler.ts'),
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize ?? 512,
    timeout: props.timeout ?? Duration.seconds(29),
    tracing: lambda.Tracing.ACTIVE,
    logGroup,
    description: `${props.fn} (${props.stage})`,
    environment: {
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      // Which function this is: the runtime checks at init that its operations' ports are configured (shared/wiring.ts).
      CONTROL_PLANE_FUNCTION: props.fn,
      ...props.environment,
    },
    bundling: {
      minify: LAMBDA_BUNDLING.minify,
      sourceMap: LAMBDA_BUNDLING.sourceMap,
      target: LAMBDA_BUNDLING.target,
      format: OutputFormat.CJS,
      // The nodejs24.x runtime provides AWS SDK v3 (see ./bundling.ts and the README's deploy notes).
      externalModules: [...LAMBDA_BUNDLING.externalModules],
    },
  });
  Validations.of(role).acknowledge(
    { id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.' },
    {
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${scopeLogicalPrefix(logGroup)}.Arn>:*]`,
      reason: 'Log streams of this function\'s own log group (names are chosen by Lambda).',
    },
  );
  return fn;
}

/** The token cdk-nag shows for a resource's logical id in wildcard findings. */
export function scopeLogicalPrefix(resource: Construct): string {
  return Stack.of(resource).getLogicalId(resource.node.defaultChild as CfnElement);
}
