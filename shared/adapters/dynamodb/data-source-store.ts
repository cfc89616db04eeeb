import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DataSourceRecord } from '../../domain/data-source';
import { DataSourceInUse, type DataSourceStore, type Page } from '../../ports';
import { TABLE, keys } from '../../table';
import { Expression, itemAbsent, itemExists } from './conditions';
import { queryPage } from './pagination';

function toDataSource(item: Record<string, unknown>): DataSourceRecord {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g1s, ...rest } = item;
  return { refCount: 0, ...rest } as DataSourceRecord;
}

export class DynamoDataSourceStore implements DataSourceStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async create(ds: DataSourceRecord): Promise<void> {
    const x = new Expression();
    await this.client.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...keys.dataSource(ds.id), gsi1pk: keys.kindDataSource, gsi1sk: keys.createdSort(ds.createdAt, ds.id), ...ds },
        ConditionExpression: itemAbsent(x),
        ...x.attributes(),
      }),
    );
  }

  async get(id: string): Promise<DataSourceRecord | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.table, Key: keys.dataSource(id), ConsistentRead: true }));
    return out.Item ? toDataSource(out.Item) : undefined;
  }

  async list(limit: number, nextToken?: string): Promise<Page<DataSourceRecord>> {
    const ix = TABLE.indexes.byKind;
    const x = new Expression();
    const page = await queryPage(
      this.client,
      {
        TableName: this.table,
        IndexName: ix.indexName,
        KeyConditionExpression: `${x.name(ix.partitionKey)} = ${x.value(keys.kindDataSource)}`,
        ScanIndexForward: false,
        ...x.attributes(),
      },
      ix,
      limit,
      nextToken,
      'data-sources',
    );
    return { items: page.items.map(toDataSource), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  async delete(id: string): Promise<boolean> {
    const x = new Expression();
    const refs = x.name('refCount');
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.table,
          Key: keys.dataSource(id),
          ConditionExpression: `${itemExists(x)} AND (attribute_not_exists(${refs}) OR ${refs} <= ${x.value(0)})`,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ...x.attributes(),
        }),
      );
      return true;
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      if (!e.Item) return false;
      const current = unmarshall(e.Item);
      throw new DataSourceInUse(Number(current.refCount ?? 0));
    }
  }
}
