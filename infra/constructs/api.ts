import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { apiGatewayModelSchema, CONTRACT, routeKey } from '../../shared/api/openapi';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { FUNCTION_NAMES, methodsOf, ROUTES } from '../../shared/api/routes';
import type { Stage } from './stage';
import { controlPlaneFunction, pascalCase, scopeLogicalPrefix } from './function';
import { grantTableAccess, tableAccessOf } from './projects-table';

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
  /** May call the GET routes only. */
  readonly readOnlyPolicy: iam.ManagedPolicy;
  /** May call every route. */
  readonly operatorPolicy: iam.ManagedPolicy;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ControlPlaneApiProps) {
    super(scope, id);
    this.functions = {};
    for (const fn of FUNCTION_NAMES) {
      const fun = controlPlaneFunction(this, {
        fn,
        stage: props.stage,
        environment: {
          TABLE_NAME: props.table.tableName,
          PAUSE_DEADLINE_SECONDS: String(props.pauseDeadlineSeconds),
        },
      });
      grantTableAccess(props.table, fun, tableAccessOf(fn));
      this.functions[fn] = fun;
    }

    const removalPolicy = props.stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy });
    this.api = new apigateway.RestApi(this, 'RestApi', {
      restApiName: `migration-control-plane-${props.stage}`,
      description: `Migration control plane API (${props.stage})`,
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // Access logs need API Gateway's account-level CloudWatch role; kept when the stack goes.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      defaultMethodOptions: { authorizationType: apigateway.AuthorizationType.IAM },
      deployOptions: {
        stageName: props.stage,
        throttlingRateLimit: 100,
        throttlingBurstLimit: 200,
        metricsEnabled: true,
        tracingEnabled: true,
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
      },
    });

    // Errors API Gateway answers itself (auth, throttling, bad requests) are problem+json too.
    // status: the response type's own status where it has one (the DEFAULT_* types cover several).
    const gatewayProblems: [apigateway.ResponseType, string, string, number | undefined][] = [
      [apigateway.ResponseType.BAD_REQUEST_BODY, 'VALIDATION_FAILED', 'Request validation failed', 400],
      [apigateway.ResponseType.BAD_REQUEST_PARAMETERS, 'VALIDATION_FAILED', 'Request validation failed', 400],
      [apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN, 'ROUTE_NOT_FOUND_OR_UNSIGNED', 'No such route, or the request is not signed', 403],
      [apigateway.ResponseType.ACCESS_DENIED, 'ACCESS_DENIED', 'Access denied', 403],
      [apigateway.ResponseType.THROTTLED, 'THROTTLED', 'Too many requests', 429],
      [apigateway.ResponseType.DEFAULT_4XX, 'CLIENT_ERROR', 'Client error', undefined],
      [apigateway.ResponseType.DEFAULT_5XX, 'SERVICE_UNAVAILABLE', 'Service unavailable', undefined],
    ];
    for (const [type, code, title, status] of gatewayProblems) {
      this.api.addGatewayResponse(`Problem${code}${type.responseType}`, {
        type,
        responseHeaders: { 'Content-Type': "'application/problem+json'" },
        templates: {
          'application/json': JSON.stringify({
            type: `urn:migration-control-plane:problem:${code.toLowerCase().replace(/_/g, '-')}`,
            title,
            ...(status !== undefined ? { status } : {}),
            code,
            detail: '$context.error.validationErrorString $context.error.message',
            instance: '$context.requestId',
          }),
        },
      });
    }
    const validator = this.api.addRequestValidator('Validator', { validateRequestBody: true, validateRequestParameters: true });

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
      const body = CONTRACT[routeKey(route)]?.request.body;
      const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => `method.request.path.${m[1]}`);
      const requestModels =
        body && !body.safeParse(undefined).success
          ? {
              requestModels: {
                'application/json': this.api.addModel(`${pascalCase(route.fn)}${route.method}Body`, {
                  contentType: 'application/json',
                  schema: apiGatewayModelSchema(body) as apigateway.JsonSchema,
                }),
              },
            }
          : {};
      // A GET route answers HEAD too (the function answers it as GET without a body).
      for (const method of methodsOf(route)) {
        resource.addMethod(method, integrationOf(route.fn), {
          authorizationType: apigateway.AuthorizationType.IAM,
          requestValidator: validator,
          requestParameters: Object.fromEntries(pathParameters.map((p) => [p, true])),
          ...requestModels,
        });
      }
    }

    // Two managed policies from the route table: grant a role exactly one of them.
    const invokeArns = (routes: typeof ROUTES) =>
      routes.flatMap((r) => methodsOf(r).map((m) => this.api.arnForExecuteApi(m, r.path.replace(/\{\w+\}/g, '*'), this.api.deploymentStage.stageName)));
    Validations.of(this.api).acknowledge(
      { id: 'AwsSolutions::AwsSolutions-COG4', reason: 'Every method is authorized with AWS_IAM (SigV4); callers are IAM principals, not Cognito users.' },
      {
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: "API Gateway's account-level logging role must carry AWS's policy for pushing access and execution logs.",
      },
    );
    this.readOnlyPolicy = new iam.ManagedPolicy(this, 'ReadOnlyPolicy', {
      description: `Read-only access to the migration control plane API (${props.stage}): GET (and HEAD) routes`,
      statements: [new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: invokeArns(ROUTES.filter((r) => r.method === 'GET')) })],
    });
    this.operatorPolicy = new iam.ManagedPolicy(this, 'OperatorPolicy', {
      description: `Operator access to the migration control plane API (${props.stage}): every route`,
      statements: [new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: invokeArns(ROUTES) })],
    });
    // The only wildcards are path parameters ({id} → *): one acknowledgement per such route.
    const apiId = scopeLogicalPrefix(this.api);
    const stageId = scopeLogicalPrefix(this.api.deploymentStage);
    for (const [policy, routes] of [
      [this.readOnlyPolicy, ROUTES.filter((r) => r.method === 'GET')],
      [this.operatorPolicy, ROUTES],
    ] as const) {
      Validations.of(policy).acknowledge(
        ...routes
          .filter((r) => r.path.includes('{'))
          .flatMap((r) =>
            methodsOf(r).map((m) => ({
              id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiId}>/<${stageId}>/${m}${r.path.replace(/\{\w+\}/g, '*')}]`,
              reason: `Route ${m} ${r.path} of this API and stage: the wildcard is its path parameter.`,
            })),
          ),
      );
    }
    Validations.of(this.api.deploymentStage).acknowledge({
      id: 'AwsSolutions::AwsSolutions-APIG3',
      reason: 'Every method requires SigV4 (AWS_IAM) and the stage is throttled; an AWS WAF web ACL can be attached by the account owner where required.',
    });
  }
}
