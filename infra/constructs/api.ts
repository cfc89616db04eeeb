import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { FUNCTION_NAMES, ROUTES } from '../../shared/api/routes';
import type { Stage } from '../stack';
import { controlPlaneFunction } from './function';

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
    this.functions = {};
    for (const fn of FUNCTION_NAMES) {
      const fun = controlPlaneFunction(this, {
        fn,
        stage: props.stage,
        environment: { TABLE_NAME: props.table.tableName, PAUSE_DEADLINE_SECONDS: String(props.pauseDeadlineSeconds) },
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
