import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * A document client on DynamoDB Local whose every attempt (retries included) is counted by command
 * name, with the items its reads examined (ScannedCount). `reset` starts the counts again.
 */
export function countingClient(endpoint: string) {
  const counts: Record<string, number> = {};
  const read = { items: 0 };
  const raw = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 5 });
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      counts[name] = (counts[name] ?? 0) + 1;
      const out = await next(args);
      read.items += Number((out.output as { ScannedCount?: number }).ScannedCount ?? 0);
      return out;
    },
    { step: 'deserialize', name: 'benchRequestCounter' },
  );
  const doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  const reset = () => {
    for (const k of Object.keys(counts)) delete counts[k];
    read.items = 0;
  };
  return { doc, counts, read, reset, destroy: () => raw.destroy() };
}

export type CountingClient = ReturnType<typeof countingClient>;
