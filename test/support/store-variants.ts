import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { ensureTable, localDocumentClient } from '../../infra/local/dynamodb-local';
import { DynamoBatchStore } from '../../shared/adapters/dynamodb/batch-store';
import { DynamoDataSourceStore } from '../../shared/adapters/dynamodb/data-source-store';
import { DynamoProjectStore } from '../../shared/adapters/dynamodb/project-store';
import type { Deps } from '../../shared/usecases/deps';

/** Store overrides for memoryDeps: none (its in-memory stores) or the DynamoDB stores on a fresh DynamoDB Local table. */
export type Stores = () => Promise<Partial<Deps>>;

/** The same test on both store backends: `describe.each(STORE_VARIANTS)('… (%s)', (_name, stores) => …)`. */
export const STORE_VARIANTS: [string, Stores][] = [
  ['in memory', async () => ({})],
  [
    'DynamoDB',
    async () => {
      const endpoint = inject('dynamoEndpoint');
      const table = `t-${randomUUID()}`;
      await ensureTable(endpoint, table);
      const doc = localDocumentClient(endpoint);
      return { projects: new DynamoProjectStore(doc, table), dataSources: new DynamoDataSourceStore(doc, table), batches: new DynamoBatchStore(doc, table) };
    },
  ],
];
