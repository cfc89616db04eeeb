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
  // Each attempt, inside the retries (the deserialize step runs once per attempt).
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      counts[name] = (counts[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'deserialize', name: 'benchRequestCounter' },
  );
  // The items a read examined, from its parsed output (outside the retries: the output of the attempt that answered;
  // at the deserialize step the SDK's schema-based serde may not have parsed it yet).
  raw.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      read.items += Number((out.output as { ScannedCount?: number } | undefined)?.ScannedCount ?? 0);
      return out;
    },
    { step: 'initialize', name: 'benchScannedCounter' },
  );
  const doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  const reset = () => {
    for (const k of Object.keys(counts)) delete counts[k];
    read.items = 0;
  };
  return { doc, counts, read, reset, destroy: () => raw.destroy() };
}

export type CountingClient = ReturnType<typeof countingClient>;
