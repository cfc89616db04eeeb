import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE, tableDefinition } from '../../shared/table';
import type { Stage } from './stage';

export interface ProjectsTableProps {
  readonly stage: Stage;
}

type KeySchema = ReadonlyArray<{ AttributeName: string; KeyType: 'HASH' | 'RANGE' }>;

/**
 * The projects table, built from the single definition in shared/table.ts (the same one DynamoDB
 * Local tables are created from), so key schema and indexes cannot drift between deploy and tests.
 * The physical name is left to CloudFormation; handlers get it through TABLE_NAME.
 */
export class ProjectsTable extends Construct {
  readonly table: dynamodb.Table;
  /** Attribute and index names of the table layout. */
  readonly attributes = TABLE;

  constructor(scope: Construct, id: string, props: ProjectsTableProps) {
    super(scope, id);
    const prod = props.stage === 'prod';
    // The name is not used: CloudFormation names the table.
    const def = tableDefinition(TABLE.defaultName);
    const attributeTypes = new Map<string, string>(def.AttributeDefinitions.map((a) => [a.AttributeName, a.AttributeType]));
    const attribute = (name: string): dynamodb.Attribute => {
      const type = attributeTypes.get(name);
      if (type !== 'S') throw new Error(`tableDefinition(): attribute ${name} must be defined as a string, got ${type}`);
      return { name, type: dynamodb.AttributeType.STRING };
    };
    const keys = (schema: KeySchema) => {
      const hash = schema.find((k) => k.KeyType === 'HASH');
      const range = schema.find((k) => k.KeyType === 'RANGE');
      if (!hash) throw new Error('tableDefinition(): key schema without a HASH key');
      return {
        partitionKey: attribute(hash.AttributeName),
        ...(range ? { sortKey: attribute(range.AttributeName) } : {}),
      };
    };
    if (def.BillingMode !== 'PAY_PER_REQUEST') throw new Error(`unsupported billing mode ${def.BillingMode}`);
    if (def.StreamSpecification.StreamViewType !== 'NEW_IMAGE') throw new Error('only a NEW_IMAGE stream is supported');

    this.table = new dynamodb.Table(this, 'Table', {
      ...keys(def.KeySchema),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE.ttlAttribute,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      stream: dynamodb.StreamViewType.NEW_IMAGE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: prod,
      removalPolicy: prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    for (const gsi of def.GlobalSecondaryIndexes) {
      if (gsi.Projection.ProjectionType !== 'ALL') throw new Error(`index ${gsi.IndexName}: only ALL projection is supported`);
      this.table.addGlobalSecondaryIndex({
        indexName: gsi.IndexName,
        ...keys(gsi.KeySchema),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }
}
