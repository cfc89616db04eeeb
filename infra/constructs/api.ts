import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { FUNCTION_NAMES, ROUTES } from '../../shared/api/routes';
import type { Stage } from '../stack';

/** Repository root: entries, the lock file and esbuild's working directory are resolved from here. */
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

export interface ControlPlaneApiProps {
  readonly stage: Stage;
  readonly table: dynamodb.ITable;
  readonly pauseDeadlineSeconds: number;
}

/** A function only reads the table when every route it serves is a GET. */
export function isReadOnlyFunction(fn: string): boolean {
  const routes = ROUTES.filter((r) => r.fn === fn);
  return routes.length > 0 && routes.every((r) => r.method === 'GET');
}

/**
 * One Lambda function per folder under functions/ and a REST API whose resources and methods are
 * built from the route table; every method requires IAM (SigV4) authorization.
 */
export class ControlPlaneApi extends Construct {
  readonly api: apigateway.RestApi;
  readonly functions: Record<string, NodejsFunction>;

  constructor(scope: Construct, id: string, props: ControlPlaneApiProps) {
    super(scope, id);
    const prod = props.stage === 'prod';
    const removalPolicy = prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.functions = {};
    for (const fn of FUNCTION_NAMES) {
      const name = pascalCase(fn);
      const logGroup = new logs.LogGroup(this, `${name}Logs`, {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy,
      });
      const fun = new NodejsFunction(this, name, {
        entry: path.join(PROJECT_ROOT, 'functions', fn, 'handler.ts'),
        handler: 'handler',
        projectRoot: PROJECT_ROOT,
        depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 512,
        timeout: Duration.seconds(29),
        tracing: lambda.Tracing.ACTIVE,
        logGroup,
        description: `${fn} (${props.stage})`,
        environment: {
          TABLE_NAME: props.table.tableName,
          PAUSE_DEADLINE_SECONDS: String(props.pauseDeadlineSeconds),
          NODE_OPTIONS: '--enable-source-maps',
        },
        bundling: {
          minify: true,
          sourceMap: true,
          target: 'node22',
          // Bundle the AWS SDK in: the versions in package.json are pinned, not the runtime's.
          externalModules: [],
        },
      });
      if (isReadOnlyFunction(fn)) props.table.grantReadData(fun);
      else props.table.grantReadWriteData(fun);
      this.functions[fn] = fun;
    }

    this.api = new apigateway.RestApi(this, 'RestApi', {
      restApiName: `migration-control-plane-${props.stage}`,
      description: `Migration control plane API (${props.stage})`,
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // No account-level CloudWatch role from this stack (a regional singleton).
      cloudWatchRole: false,
      defaultMethodOptions: { authorizationType: apigateway.AuthorizationType.IAM },
      deployOptions: {
        stageName: props.stage,
        throttlingRateLimit: 100,
        throttlingBurstLimit: 200,
        metricsEnabled: true,
        tracingEnabled: true,
      },
    });

    const integrations = new Map<string, apigateway.LambdaIntegration>();
    const integrationOf = (fn: string) => {
      let integration = integrations.get(fn);
      if (!integration) {
        const fun = this.functions[fn];
        if (!fun) throw new Error(`route to unknown function ${fn}`);
        integration = new apigateway.LambdaIntegration(fun, { proxy: true });
        integrations.set(fn, integration);
      }
      return integration;
    };
    for (const route of ROUTES) {
      const resource = route.path
        .split('/')
        .filter((segment) => segment !== '')
        .reduce<apigateway.IResource>((parent, segment) => parent.getResource(segment) ?? parent.addResource(segment), this.api.root);
      resource.addMethod(route.method, integrationOf(route.fn), {
        authorizationType: apigateway.AuthorizationType.IAM,
      });
    }
  }
}

function pascalCase(kebab: string): string {
  return kebab
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
