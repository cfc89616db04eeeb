import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DomainError } from '../../domain/errors';
import type { Alert } from '../../domain/alerts';
import type { AlertRecordOutcome, AlertStore, Page } from '../../ports';
import { keys } from '../../table';
import { Expression, itemAbsent, itemExists } from './conditions';
import { decodeToken, encodeToken } from './pagination';

/** An item returned with a failed condition may arrive marshalled, even through the document client. */
function plainItem(item: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!item) return undefined;
  const looksMarshalled = Object.values(item).every((v) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1);
  return looksMarshalled ? unmarshall(item as Parameters<typeof unmarshall>[0]) : item;
}

function toAlert(item: Record<string, unknown>): Alert {
  const { pk: _pk, sk: _sk, ...alert } = item;
  return alert as unknown as Alert;
}

/**
 * Alerts as items in their project's partition (sk ALERT#<at>#<id>). Recording is one conditional
 * put (attribute_not_exists): the first delivery of an alert stores it, every later one is refused
 * and learns from the stored item (ALL_OLD) whether it was notified.
 */
export class DynamoAlertStore implements AlertStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async record(alert: Alert): Promise<AlertRecordOutcome> {
    const key = keys.projectAlert(alert.projectId, alert.at, alert.id);
    const { notifiedAt: _n, ...stored } = alert;
    const x = new Expression();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...key, ...stored },
          ConditionExpression: itemAbsent(x),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ...x.attributes(),
        }),
      );
      return 'recorded';
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      const existing =
        plainItem(e.Item as Record<string, unknown> | undefined) ??
        (await this.client.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }))).Item;
      return existing?.notifiedAt ? 'notified' : 'pending';
    }
  }

  async markNotified(alert: Alert, notifiedAt: string): Promise<void> {
    const x = new Expression();
    await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.projectAlert(alert.projectId, alert.at, alert.id),
        UpdateExpression: `SET ${x.name('notifiedAt')} = ${x.value(notifiedAt)}`,
        ConditionExpression: itemExists(x),
        ...x.attributes(),
      }),
    );
  }

  async list(projectId: string, limit: number, nextToken?: string): Promise<Page<Alert>> {
    const pk = keys.project(projectId).pk;
    const listing = JSON.stringify(['alerts', projectId]);
    const start = decodeToken(nextToken, listing, ['pk', 'sk']);
    if (start && (start.pk !== pk || !start.sk?.startsWith(keys.projectAlertPrefix))) {
      throw new DomainError(400, 'INVALID_NEXT_TOKEN', 'Invalid page token', 'nextToken is not a token this API returned for this listing.');
    }
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined = start;
    // One more than asked: a next page is promised only when there is one.
    do {
      const x = new Expression();
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: `${x.name('pk')} = ${x.value(pk)} AND begins_with(${x.name('sk')}, ${x.value(keys.projectAlertPrefix)})`,
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: limit + 1 - items.length,
          ...x.attributes(),
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey && items.length <= limit);
    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    const more = items.length > limit && last;
    return { items: page.map(toAlert), ...(more ? { nextToken: encodeToken({ pk: last.pk, sk: last.sk }, listing) } : {}) };
  }
}
