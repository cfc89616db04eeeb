import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * One DynamoDB document client per process, created on first use from the environment and reused
 * across invocations. Tests and the local runtime inject their own with `setDocumentClient`.
 * DYNAMODB_ENDPOINT points the client at DynamoDB Local.
 */
let documentClient: DynamoDBDocumentClient | undefined;

export function documentClientFromEnv(env: NodeJS.ProcessEnv = process.env): DynamoDBDocumentClient {
  const endpoint = env.DYNAMODB_ENDPOINT;
  const client = new DynamoDBClient({
    ...(endpoint
      ? {
          endpoint,
          region: env.AWS_REGION ?? 'local',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {}),
    maxAttempts: 5,
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function getDocumentClient(): DynamoDBDocumentClient {
  documentClient ??= documentClientFromEnv();
  return documentClient;
}

export function setDocumentClient(client: DynamoDBDocumentClient | undefined): void {
  documentClient = client;
}

export function tableName(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.TABLE_NAME;
  if (!name) throw new Error('TABLE_NAME is not set');
  return name;
}
