import { Arn, ArnFormat, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as dms from 'aws-cdk-lib/aws-dms';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { DMS_REPLICATION_STATE_CHANGE, DMS_TASK_STATE_CHANGE } from '../../shared/adapters/engine/dms/events';

/** The DMS actions of each replication mode: reading (observing a job) and acting on replications. */
const INSTANCE_ACTIONS = {
  describe: 'dms:DescribeReplicationTasks',
  statistics: 'dms:DescribeTableStatistics',
  run: ['dms:StartReplicationTask', 'dms:StopReplicationTask', 'dms:DeleteReplicationTask'],
  create: 'dms:CreateReplicationTask',
  metrics: ['cloudwatch:GetMetricData'],
} as const;
const SERVERLESS_ACTIONS = {
  describe: 'dms:DescribeReplications',
  statistics: 'dms:DescribeReplicationTableStatistics',
  run: ['dms:StartReplication', 'dms:StopReplication', 'dms:DeleteReplicationConfig'],
  create: 'dms:CreateReplicationConfig',
  // The CDC latencies are found by a SEARCH over the metric catalogue (the dimension's name is unconfirmed):
  // ListMetrics too, so the search is never refused for want of it (both are reads, neither has resources).
  metrics: ['cloudwatch:GetMetricData', 'cloudwatch:ListMetrics'],
} as const;

/**
 * What the AWS DMS engine (shared/adapters/engine/dms) needs in an account: the network (replication
 * subnet group, security group), the service roles DMS itself requires, the role DMS assumes to read
 * the data sources' secrets, the replication instance the tasks run on, task state changes forwarded
 * to the control plane's bus, and `grantEngine` for the functions that drive the tasks.
 */
export interface DmsEngineProps {
  /** Where DMS runs; a two-AZ VPC with isolated subnets is created when absent (tests, sandboxes). */
  readonly vpc?: ec2.IVpc;
  /** Subnets of the replication subnet group (default: the VPC's private subnets, else its isolated ones). */
  readonly subnets?: ec2.SubnetSelection;
  /**
   * The bus that receives the state changes of this engine's replications: "DMS Replication Task State
   * Change" of its tasks (instance mode), "DMS Replication State Change" of its serverless replication
   * configs (serverless mode).
   */
  readonly eventBus: events.IEventBus;
  /**
   * The secrets DMS may read (the data sources' `secretArn`s). Or `secretTag`: any secret carrying
   * that tag (for data sources registered after deployment). At least one of the two.
   */
  readonly secretArns?: readonly string[];
  readonly secretTag?: { readonly key: string; readonly value: string };
  /** KMS keys of those secrets when not the AWS managed key (kms:Decrypt via Secrets Manager only). */
  readonly secretKeyArns?: readonly string[];
  /**
   * Create the account-wide roles DMS requires by name (`dms-vpc-role`, `dms-cloudwatch-logs-role`).
   * An account has at most one of each: set false where they exist (another stack or the console made them).
   */
  readonly createServiceRoles?: boolean;
  /**
   * `instance` (default): a provisioned replication instance; the adapter drives replication tasks on
   * it. `serverless`: no instance, the network and roles only; the adapter creates a DMS Serverless
   * replication config per replication (DMS_REPLICATION_MODE=serverless).
   */
  readonly mode?: 'instance' | 'serverless';
  /** Serverless: the most (default 16) and fewest DMS capacity units a replication may use. */
  readonly maxCapacityUnits?: number;
  readonly minCapacityUnits?: number;
  readonly replicationInstanceClass?: string;
  readonly allocatedStorageGiB?: number;
  readonly multiAz?: boolean;
  readonly engineVersion?: string;
  /** Start of every DMS identifier the adapter makes (DMS_RESOURCE_PREFIX, default `mig`): the IAM scope. */
  readonly resourcePrefix?: string;
  /** Identifier of the replication instance (also its ARN resource id and CloudWatch dimension). */
  readonly instanceIdentifier?: string;
  readonly removalPolicy?: RemovalPolicy;
}

export class DmsEngine extends Construct {
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.SecurityGroup;
  readonly subnetGroup: dms.CfnReplicationSubnetGroup;
  /** The role DMS assumes to read the data sources' secrets (DMS_ACCESS_ROLE_ARN). */
  readonly secretsAccessRole: iam.Role;
  readonly replicationInstance?: dms.CfnReplicationInstance;
  readonly instanceIdentifier: string;
  readonly resourcePrefix: string;
  readonly taskStateRule: events.Rule;
  /** The replication subnets (also where a position-reading function runs). */
  readonly subnets: ec2.SelectedSubnets;
  private readonly subnetSelection: ec2.SubnetSelection;
  private readonly ownVpc: boolean;
  private readonly secretProps: Pick<DmsEngineProps, 'secretArns' | 'secretTag' | 'secretKeyArns'>;
  private readonly mode: 'instance' | 'serverless';
  private readonly capacity: { max: number; min?: number; multiAz: boolean };

  constructor(scope: Construct, id: string, props: DmsEngineProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.mode = props.mode ?? 'instance';
    this.capacity = { max: props.maxCapacityUnits ?? 16, ...(props.minCapacityUnits !== undefined ? { min: props.minCapacityUnits } : {}), multiAz: props.multiAz ?? false };
    this.resourcePrefix = props.resourcePrefix ?? 'mig';
    if (!/^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,3}$/.test(this.resourcePrefix)) throw new Error(`resourcePrefix must be 1-4 lowercase letters/digits, got '${this.resourcePrefix}'`);
    if (!props.secretArns?.length && !props.secretTag) throw new Error('DmsEngine needs secretArns or secretTag: the secrets DMS may read');
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;

    this.vpc =
      props.vpc ??
      new ec2.Vpc(this, 'Vpc', {
        maxAzs: 2,
        natGateways: 0,
        subnetConfiguration: [{ name: 'dms', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
        flowLogs: { reject: { trafficType: ec2.FlowLogTrafficType.REJECT } },
      });
    this.ownVpc = props.vpc === undefined;
    this.secretProps = { ...(props.secretArns ? { secretArns: props.secretArns } : {}), ...(props.secretTag ? { secretTag: props.secretTag } : {}), ...(props.secretKeyArns ? { secretKeyArns: props.secretKeyArns } : {}) };
    this.subnetSelection = props.subnets ?? { subnetType: this.vpc.privateSubnets.length ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED };
    const subnets = this.vpc.selectSubnets(this.subnetSelection);
    this.subnets = subnets;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: this.vpc,
      description: 'DMS replication: no inbound; outbound to the data sources (their ports vary per source)',
      allowAllOutbound: true,
    });

    // DMS looks these two roles up by name to manage its network interfaces and write task logs.
    const serviceRoles: iam.Role[] = [];
    if (props.createServiceRoles ?? true) {
      const dmsPrincipal = new iam.ServicePrincipal('dms.amazonaws.com');
      const vpcRole = new iam.Role(this, 'DmsVpcRole', {
        roleName: 'dms-vpc-role',
        assumedBy: dmsPrincipal,
        managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonDMSVPCManagementRole')],
      });
      const logsRole = new iam.Role(this, 'DmsCloudWatchLogsRole', {
        roleName: 'dms-cloudwatch-logs-role',
        assumedBy: dmsPrincipal,
        managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonDMSCloudWatchLogsRole')],
      });
      serviceRoles.push(vpcRole, logsRole);
      for (const role of serviceRoles) {
        Validations.of(role).acknowledge({
          id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonDMSVPCManagementRole]',
          reason: 'DMS requires dms-vpc-role with this AWS managed policy to manage the replication network interfaces.',
        }, {
          id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonDMSCloudWatchLogsRole]',
          reason: 'DMS requires dms-cloudwatch-logs-role with this AWS managed policy to write replication task logs.',
        });
      }
    }

    this.subnetGroup = new dms.CfnReplicationSubnetGroup(this, 'SubnetGroup', {
      replicationSubnetGroupDescription: `Replication subnets of ${stack.stackName}`,
      subnetIds: subnets.subnetIds,
    });
    this.subnetGroup.applyRemovalPolicy(removalPolicy);
    for (const role of serviceRoles) this.subnetGroup.node.addDependency(role);

    this.secretsAccessRole = this.makeSecretsAccessRole(props);

    this.instanceIdentifier = props.instanceIdentifier ?? `${this.resourcePrefix}-${stack.stackName}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/-+/g, '-').slice(0, 31).replace(/-$/, '');
    if (this.mode === 'instance') {
      // Default: a provisioned instance. It is there when a project starts (a serverless replication
      // provisions capacity on each start, minutes, and deprovisions after a stop), costs a fixed
      // price instead of per-DCU hours, and takes the cdc start positions this engine needs (a
      // checkpoint on resume, a time for the reverse sync), which serverless limits.
      this.replicationInstance = new dms.CfnReplicationInstance(this, 'Instance', {
        replicationInstanceIdentifier: this.instanceIdentifier,
        resourceIdentifier: this.instanceIdentifier,
        replicationInstanceClass: props.replicationInstanceClass ?? 'dms.t3.medium',
        allocatedStorage: props.allocatedStorageGiB ?? 50,
        multiAz: props.multiAz ?? false,
        publiclyAccessible: false,
        autoMinorVersionUpgrade: true,
        replicationSubnetGroupIdentifier: this.subnetGroup.ref,
        vpcSecurityGroupIds: [this.securityGroup.securityGroupId],
        ...(props.engineVersion ? { engineVersion: props.engineVersion } : {}),
      });
      this.replicationInstance.applyRemovalPolicy(removalPolicy);
      for (const role of serviceRoles) this.replicationInstance.node.addDependency(role);
    }

    // State changes of this engine's replications (DMS publishes them to the default bus) → the control plane's
    // bus, so a failure reaches the project at once, not at the next poll. A task's events name the task ARN;
    // a serverless replication's name its replication config ARN (detail types:
    // https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-dms.html).
    const serverless = this.mode === 'serverless';
    this.taskStateRule = new events.Rule(this, 'TaskStateChanges', {
      description: `DMS ${serverless ? 'serverless replication' : 'replication task'} state changes of the migration engine, forwarded to the control plane bus`,
      eventPattern: {
        source: ['aws.dms'],
        detailType: [serverless ? DMS_REPLICATION_STATE_CHANGE : DMS_TASK_STATE_CHANGE],
        resources: events.Match.prefix(this.arn(serverless ? 'replication-config' : 'task', `${this.resourcePrefix}-`)),
      },
      targets: [new targets.EventBus(props.eventBus)],
    });
  }

  /** DMS_* variables dmsEngineFromEnv reads (shared/adapters/engine/dms/from-env.ts). */
  get environment(): Record<string, string> {
    if (!this.replicationInstance) {
      return {
        DMS_REPLICATION_MODE: 'serverless',
        DMS_SUBNET_GROUP_ID: this.subnetGroup.ref,
        DMS_SECURITY_GROUP_IDS: this.securityGroup.securityGroupId,
        DMS_MAX_CAPACITY_UNITS: String(this.capacity.max),
        ...(this.capacity.min !== undefined ? { DMS_MIN_CAPACITY_UNITS: String(this.capacity.min) } : {}),
        DMS_MULTI_AZ: String(this.capacity.multiAz),
        DMS_ACCESS_ROLE_ARN: this.secretsAccessRole.roleArn,
        DMS_RESOURCE_PREFIX: this.resourcePrefix,
      };
    }
    return {
      DMS_REPLICATION_MODE: 'instance',
      DMS_REPLICATION_INSTANCE_ARN: this.replicationInstance.ref,
      DMS_REPLICATION_INSTANCE_ID: this.instanceIdentifier,
      DMS_ACCESS_ROLE_ARN: this.secretsAccessRole.roleArn,
      DMS_RESOURCE_PREFIX: this.resourcePrefix,
    };
  }

  /**
   * The DMS calls the adapter makes, and nothing else: tasks and endpoints whose ARN resource id
   * starts with the prefix (the adapter sets ResourceIdentifier), the replication instance, passing
   * only the secrets access role to DMS. `*` only where DMS or CloudWatch has no resource-level
   * permission (acknowledged below with the reason). A Lambda function also gets the DMS_* variables.
   */
  grantEngine(grantee: iam.IGrantable): void {
    this.grant(grantee, 'act');
  }

  /**
   * Only the reads of observing a job and reading a notice (capability jobs:poll, e.g. engine-notices):
   * describe, tags, table statistics and CDC latencies. Nothing that creates, starts, stops, tags,
   * deletes or passes a role.
   */
  grantPoller(grantee: iam.IGrantable): void {
    this.grant(grantee, 'observe');
  }

  private grant(grantee: iam.IGrantable, access: 'act' | 'observe'): void {
    const endpoints = this.arn('endpoint', `${this.resourcePrefix}-*`);
    const replications = this.mode === 'serverless' ? 'replication-config' : 'task';
    const own = this.arn(replications, `${this.resourcePrefix}-*`);
    const reads = this.mode === 'serverless' ? SERVERLESS_ACTIONS : INSTANCE_ACTIONS;
    const statements = [
      new iam.PolicyStatement({ sid: 'DmsTableStatisticsOfTheEngine', actions: [reads.statistics], resources: [own] }),
      new iam.PolicyStatement({ sid: 'DmsTagsOfTheEngine', actions: ['dms:ListTagsForResource'], resources: [own, endpoints] }),
      new iam.PolicyStatement({ sid: 'DmsDescribeNoResourceLevel', actions: [reads.describe, ...reads.metrics], resources: ['*'] }),
    ];
    if (access === 'act') {
      const instance = this.replicationInstance ? [this.replicationInstance.ref] : [];
      statements.push(
        new iam.PolicyStatement({ sid: 'DmsRunReplicationsOfTheEngine', actions: [...reads.run], resources: [own] }),
        // Creating a task names its endpoints (and the instance); creating a serverless config names its endpoints.
        new iam.PolicyStatement({ sid: 'DmsCreateReplications', actions: [reads.create], resources: [own, endpoints, ...instance] }),
        new iam.PolicyStatement({ sid: 'DmsTagResourcesOfTheEngine', actions: ['dms:AddTagsToResource'], resources: [own, endpoints] }),
        new iam.PolicyStatement({ sid: 'DmsEndpointsOfTheEngine', actions: ['dms:CreateEndpoint', 'dms:DeleteEndpoint'], resources: [endpoints] }),
        // Listing the project's endpoints by identifier (DescribeEndpoints has no resource-level permission).
        new iam.PolicyStatement({ sid: 'DmsDescribeEndpoints', actions: ['dms:DescribeEndpoints'], resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'PassSecretsAccessRoleToDms',
          actions: ['iam:PassRole'],
          resources: [this.secretsAccessRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'dms.amazonaws.com' } },
        }),
      );
    }
    for (const st of statements) grantee.grantPrincipal.addToPrincipalPolicy(st);
    if (grantee instanceof lambda.Function) for (const [k, v] of Object.entries(this.environment)) grantee.addEnvironment(k, v);
    const role = grantee.grantPrincipal instanceof iam.Role ? grantee.grantPrincipal : (grantee as { role?: iam.IRole }).role;
    if (role) {
      Validations.of(role).acknowledge(
        {
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::${this.nagArn(replications)}]`,
          reason: `${this.mode === 'serverless' ? 'Replication configs' : 'Replication tasks'} of the migration engine only: the adapter names each one <prefix>-<hash of the project id>-<kind> (ResourceIdentifier), created per project at run time.`,
        },
        {
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::${this.nagArn('endpoint')}]`,
          reason: 'Endpoints of the migration engine only: named <prefix>-<hash of the project id>-<role> (ResourceIdentifier), created per project at run time.',
        },
        {
          id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
          reason: `${reads.describe} and dms:DescribeEndpoints (List) and ${reads.metrics.join(', ')} support no resource-level permission; the adapter filters by its own ARNs/identifiers.`,
        },
      );
    }
  }

  private arn(type: 'task' | 'endpoint' | 'replication-config', resourceName: string): string {
    return Stack.of(this).formatArn({ service: 'dms', resource: type, resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  }

  /** How cdk-nag prints the ARN of `arn()` with a wildcard in findings. */
  private nagArn(type: 'task' | 'endpoint' | 'replication-config'): string {
    const stack = Stack.of(this);
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    return `arn:<AWS::Partition>:dms:${region}:${account}:${type}:${this.resourcePrefix}-*`;
  }

  private makeSecretsAccessRole(props: DmsEngineProps): iam.Role {
    const stack = Stack.of(this);
    // DMS assumes the Secrets Manager access role with its regional service principal.
    const role = new iam.Role(this, 'SecretsAccessRole', {
      description: 'Assumed by DMS to read the credentials of the migration data sources',
      assumedBy: new iam.ServicePrincipal(`dms.${stack.region}.amazonaws.com`, { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
    });
    this.grantSecretRead(role, props);
    return role;
  }

  /** Reading the data sources' secrets, as DMS may (the same secrets: named, or tag-scoped), on `role`. */
  private grantSecretRead(role: iam.IRole, props: Pick<DmsEngineProps, 'secretArns' | 'secretTag' | 'secretKeyArns'>): void {
    const stack = Stack.of(this);
    const actions = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'];
    if (props.secretArns?.length) role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadTheDataSourceSecrets', actions, resources: [...props.secretArns] }));
    if (props.secretTag) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ReadSecretsTaggedForMigration',
          actions,
          resources: [Arn.format({ service: 'secretsmanager', resource: 'secret', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack)],
          conditions: { StringEquals: { [`secretsmanager:ResourceTag/${props.secretTag.key}`]: props.secretTag.value } },
        }),
      );
      Validations.of(role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:${Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region}:${Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account}:secret:*]`,
        reason: `Only secrets tagged ${props.secretTag.key}=${props.secretTag.value} (condition on the resource tag): data sources registered after deployment.`,
      });
    }
    if (props.secretKeyArns?.length) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'DecryptTheSecretsViaSecretsManager',
          actions: ['kms:Decrypt'],
          resources: [...props.secretKeyArns],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` } },
        }),
      );
    }
  }

  /**
   * What a function that makes or drops the reverse sync's slot on a PostgreSQL destination needs (the
   * adapter's position reader, shared/adapters/engine/dms/pg-slots.ts): the databases' network (the
   * function in the replication subnets with the replication security group, so a database that lets
   * DMS in lets it in; the network interfaces Lambda manages for it), reading the same secrets DMS
   * reads, and DMS_POSITION_READER. In the VPC this construct made (isolated subnets), the AWS APIs the
   * functions call are reached through VPC endpoints made here; a VPC that is given must reach them
   * itself (NAT or endpoints).
   */
  grantPositionReader(fn: lambda.Function): void {
    const cfn = fn.node.defaultChild as lambda.CfnFunction;
    cfn.vpcConfig = { subnetIds: this.subnets.subnetIds, securityGroupIds: [this.securityGroup.securityGroupId] };
    const role = fn.role;
    if (!role) throw new Error(`function ${fn.node.path} has no role to grant the position reader to`);
    // Lambda checks these at create time: the function waits for its policy (what the L2 vpc prop does).
    const eni = new iam.Policy(fn, 'NetworkInterfaces', {
      statements: [
        new iam.PolicyStatement({
          sid: 'LambdaVpcNetworkInterfaces',
          actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
          resources: ['*'],
        }),
      ],
    });
    eni.attachToRole(role);
    fn.node.addDependency(eni);
    Validations.of(eni).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'The network interfaces of a VPC-attached Lambda function (what AWSLambdaVPCAccessExecutionRole allows): EC2 grants these on "*" only.',
    });
    this.grantSecretRead(role, this.secretProps);
    fn.addEnvironment('DMS_POSITION_READER', 'secrets-manager');
    this.ensureApiEndpoints();
  }

  /** In the VPC made here (isolated subnets): the AWS APIs the VPC-attached functions call, as VPC endpoints (once). */
  private ensureApiEndpoints(): void {
    if (!this.ownVpc || this.node.tryFindChild('ApiEndpoints')) return;
    const scope = new Construct(this, 'ApiEndpoints');
    const vpc = this.vpc as ec2.Vpc;
    vpc.addGatewayEndpoint('DynamoDb', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB, subnets: [this.subnetSelection] });
    const services: Record<string, ec2.IInterfaceVpcEndpointService> = {
      SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      StepFunctions: ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
      Dms: ec2.InterfaceVpcEndpointAwsService.DATABASE_MIGRATION_SERVICE,
      CloudWatch: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
      Scheduler: new ec2.InterfaceVpcEndpointAwsService('scheduler'),
      Sqs: ec2.InterfaceVpcEndpointAwsService.SQS,
      XRay: ec2.InterfaceVpcEndpointAwsService.XRAY,
    };
    // HTTPS from the replication security group (the functions') only.
    const endpointsSg = new ec2.SecurityGroup(scope, 'SecurityGroup', { vpc, description: 'AWS API endpoints: HTTPS from the position-reading functions only', allowAllOutbound: false });
    endpointsSg.addIngressRule(this.securityGroup, ec2.Port.tcp(443), 'HTTPS from the replication security group');
    for (const [id, service] of Object.entries(services)) {
      new ec2.InterfaceVpcEndpoint(scope, id, { vpc, service, subnets: this.subnetSelection, privateDnsEnabled: true, open: false, securityGroups: [endpointsSg] });
    }
  }
}
