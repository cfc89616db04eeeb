import { readFileSync } from 'node:fs';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import Ajv2020 from 'ajv/dist/2020';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ALERT_SCHEMA_FILE, renderAlertSchema } from '../../infra/local/gen-schemas';
import { EventBusAlertNotifier, FanOutAlertNotifier } from '../../shared/adapters/alerts/notifiers';
import { DynamoAlertStore } from '../../shared/adapters/dynamodb/alert-store';
import { encodeToken } from '../../shared/adapters/dynamodb/pagination';
import { InMemoryAlertNotifier, InMemoryAlertStore } from '../../shared/adapters/memory/alerts';
import { InMemoryEventBus } from '../../shared/adapters/memory/event-bus';
import { alertSubject, SnsAlertNotifier } from '../../shared/adapters/sns/alert-notifier';
import { AlertList, AlertView, RESPONSE_EXAMPLES } from '../../shared/api/responses';
import { alertsForAuditEvent, alertsForMeasurements, type Alert } from '../../shared/domain/alerts';
import { ALERT_LEVELS, type AuditEvent } from '../../shared/domain/project';
import { ALERT_DETAIL_TYPE, toAlertEvent } from '../../shared/events/alert-events';
import { ProjectAlertDetail } from '../../shared/events/event-schemas';

const committedSchema = JSON.parse(readFileSync(ALERT_SCHEMA_FILE, 'utf8')) as object;
const validate = new Ajv2020({ strict: true, allErrors: true }).addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/).compile(committedSchema);

const failedEvent: AuditEvent = { at: '2026-03-02T10:00:00.000Z', operation: 'fail', from: 'RUNNING', to: 'FAILED', actor: 'system', requestId: 'r', version: 7, cause: 'boom' };
const failedAlert = (over: Partial<Alert> = {}): Alert => ({
  ...(alertsForAuditEvent({ id: 'p-1', name: 'orders', alertLevel: 'HIGH' }, failedEvent)[0] as Alert),
  ...over,
});
const latencyAlert = alertsForMeasurements({ id: 'p-1', name: 'orders', alertLevel: 'MEDIUM' }, { syncLatencySeconds: 754 }, Date.parse('2026-03-02T11:12:30.000Z'))[0] as Alert;

/** Every alert the rules can produce: each level × each condition over its threshold. */
function everyAlert(): Alert[] {
  const warnEvent: AuditEvent = { ...failedEvent, operation: 'warn-pause-expiring', from: 'PAUSED', to: 'PAUSED', version: 3 };
  return ALERT_LEVELS.flatMap((alertLevel) => {
    const p = { id: 'p-1', name: 'orders', alertLevel, pauseExpiresAt: '2026-03-02T12:00:00.000Z' };
    return [
      ...alertsForAuditEvent(p, failedEvent),
      ...alertsForAuditEvent({ ...p, name: undefined }, warnEvent),
      ...alertsForMeasurements(p, { syncLatencySeconds: 1_000_000, verificationMismatches: 1_000_000 }, Date.parse('2026-03-02T10:12:30.000Z')),
    ];
  });
}

describe('"Project Alert Raised" schema', () => {
  it('the committed JSON Schema is the one the code generates (run `npm run schemas`)', () => {
    expect(readFileSync(ALERT_SCHEMA_FILE, 'utf8')).toBe(renderAlertSchema());
  });

  it('every alert the rules raise (each level × condition) validates as bus detail and as API view', () => {
    // Prepare
    const alerts = everyAlert();

    // Act
    const results = alerts.map((a) => ({ id: a.id, level: a.level, ok: validate(toAlertEvent(a).detail), errors: validate.errors }));

    // Assess
    expect(alerts).toHaveLength(3 + 4 + 4); // LOW: failed + 2 measured; MEDIUM and HIGH: all four
    expect(results.filter((r) => !r.ok)).toEqual([]);
    for (const a of alerts) {
      ProjectAlertDetail.parse(toAlertEvent(a).detail);
      AlertView.strict().parse({ ...a, notifiedAt: '2026-03-02T10:12:31.000Z' });
    }
  });

  it('the event names the alert by alertId, carries no notifiedAt, and is about its project', () => {
    // Act
    const e = toAlertEvent(failedAlert({ notifiedAt: '2026-03-02T10:00:01.000Z' }));

    // Assess
    expect(e).toMatchObject({ source: 'migration-control-plane', detailType: ALERT_DETAIL_TYPE, resources: ['project/p-1'] });
    expect(e.detail.alertId).toBe('PROJECT_FAILED@v7');
    expect(e.detail).not.toHaveProperty('notifiedAt');
    expect(e.detail).not.toHaveProperty('id');
  });

  it('the schema refuses an unknown condition or a NONE level', () => {
    const detail = toAlertEvent(failedAlert()).detail;
    expect(validate({ ...detail, condition: 'DISK_FULL' })).toBe(false);
    expect(validate({ ...detail, level: 'NONE' })).toBe(false);
  });

  it('the API example parses with the response schema', () => {
    AlertList.parse(RESPONSE_EXAMPLES.alertList);
    for (const item of RESPONSE_EXAMPLES.alertList.items) AlertView.strict().parse(item);
  });
});

describe('SNS alert notifier (aws-sdk-client-mock)', () => {
  const sns = mockClient(SNSClient);
  const notifier = new SnsAlertNotifier('arn:aws:sns:eu-west-1:123456789012:alerts', () => new SNSClient({ region: 'eu-west-1' }));
  beforeEach(() => sns.reset());

  it('publishes one message to the topic: subject, readable message with the JSON detail, filterable attributes', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const alert = failedAlert();

    // Act
    await notifier.notify(alert);

    // Assess
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input).toEqual({
      TopicArn: 'arn:aws:sns:eu-west-1:123456789012:alerts',
      Subject: '[CRITICAL] PROJECT_FAILED: orders',
      Message: expect.stringMatching(/^Project 'orders' \(p-1\) failed \(boom\)/),
      MessageAttributes: {
        condition: { DataType: 'String', StringValue: 'PROJECT_FAILED' },
        severity: { DataType: 'String', StringValue: 'CRITICAL' },
        level: { DataType: 'String', StringValue: 'HIGH' },
        projectId: { DataType: 'String', StringValue: 'p-1' },
      },
    });
    const json = (input?.Message ?? '').slice((input?.Message ?? '').indexOf('{'));
    expect(JSON.parse(json)).toEqual(toAlertEvent(alert).detail);
  });

  it('a refused Publish is an error (the caller retries)', async () => {
    sns.on(PublishCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' }));
    await expect(notifier.notify(failedAlert())).rejects.toThrow('Rate exceeded');
  });

  it('subjects stay printable ASCII under 100 characters, whatever the project name', () => {
    // Act
    const subject = alertSubject(failedAlert({ projectName: `迁移-${'x'.repeat(200)}` }));

    // Assess
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^\[CRITICAL\] PROJECT_FAILED: \?\?-x+~$/);
  });
});

describe('DynamoAlertStore (aws-sdk-client-mock)', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const store = new DynamoAlertStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })), 'projects');
  beforeEach(() => ddb.reset());

  it('records an alert with one conditional put under its project, without notifiedAt', async () => {
    // Prepare
    ddb.on(PutCommand).resolves({});

    // Act
    const outcome = await store.record(failedAlert({ notifiedAt: 'stale' }));

    // Assess
    expect(outcome).toBe('recorded');
    const input = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(input?.Item).toMatchObject({ pk: 'PROJECT#p-1', sk: 'ALERT#2026-03-02T10:00:00.000Z#PROJECT_FAILED@v7', id: 'PROJECT_FAILED@v7', condition: 'PROJECT_FAILED' });
    expect(input?.Item).not.toHaveProperty('notifiedAt');
    expect(input?.ConditionExpression).toBe('attribute_not_exists(#pk)');
    expect(input?.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
  });

  it('a refused put reports, from the stored item, whether the alert was notified', async () => {
    // Prepare
    const refusedWith = (item?: Record<string, unknown>) =>
      new ConditionalCheckFailedException({ message: 'exists', $metadata: {}, ...(item ? { Item: marshall(item) as never } : {}) });
    ddb.on(PutCommand).rejectsOnce(refusedWith({ pk: 'PROJECT#p-1', sk: 'x', notifiedAt: '2026-03-02T10:00:01.000Z' })).rejectsOnce(refusedWith({ pk: 'PROJECT#p-1', sk: 'x' })).rejectsOnce(refusedWith());
    ddb.on(GetCommand).resolves({ Item: { pk: 'PROJECT#p-1', sk: 'x', notifiedAt: '2026-03-02T10:00:01.000Z' } });

    // Act
    const outcomes = [await store.record(failedAlert()), await store.record(failedAlert()), await store.record(failedAlert())];

    // Assess: the third has no ALL_OLD item and reads it instead
    expect(outcomes).toEqual(['notified', 'pending', 'notified']);
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1);
  });

  it('other errors are not swallowed', async () => {
    ddb.on(PutCommand).rejects(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(store.record(failedAlert())).rejects.toThrow('slow down');
  });

  it('marks an existing alert notified', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({});

    // Act
    await store.markNotified(latencyAlert, '2026-03-02T10:12:31.000Z');

    // Assess
    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.Key).toEqual({ pk: 'PROJECT#p-1', sk: 'ALERT#2026-03-02T11:00:00.000Z#SYNC_LATENCY_HIGH@2026-03-02T11:00:00.000Z' });
    expect(input?.UpdateExpression).toBe('SET #notifiedAt = :v0');
    expect(input?.ExpressionAttributeValues).toEqual({ ':v0': '2026-03-02T10:12:31.000Z' });
    expect(input?.ConditionExpression).toBe('attribute_exists(#pk)');
  });

  it('lists newest first, one page of `limit`, with a token only when there is more', async () => {
    // Prepare
    const item = (n: number) => ({ pk: 'PROJECT#p-1', sk: `ALERT#2026-03-0${n}T00:00:00.000Z#PROJECT_FAILED@v${n}`, id: `PROJECT_FAILED@v${n}` });
    ddb.on(QueryCommand).resolvesOnce({ Items: [item(3), item(2), item(1)] }).resolvesOnce({ Items: [item(1)] });

    // Act
    const first = await store.list('p-1', 2);
    const second = await store.list('p-1', 2, first.nextToken);

    // Assess
    const inputs = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(inputs[0]).toMatchObject({ ScanIndexForward: false, ConsistentRead: true, Limit: 3, ExpressionAttributeValues: { ':v0': 'PROJECT#p-1', ':v1': 'ALERT#' } });
    expect(first.items.map((a) => a.id)).toEqual(['PROJECT_FAILED@v3', 'PROJECT_FAILED@v2']);
    expect(first.items[0]).not.toHaveProperty('pk');
    expect(inputs[1]?.ExclusiveStartKey).toEqual({ pk: 'PROJECT#p-1', sk: item(2).sk });
    expect(second.items.map((a) => a.id)).toEqual(['PROJECT_FAILED@v1']);
    expect(second.nextToken).toBeUndefined();
  });

  it("refuses another project's token, or one of another listing, as INVALID_NEXT_TOKEN", async () => {
    // Prepare
    const otherProject = encodeToken({ pk: 'PROJECT#p-2', sk: 'ALERT#2026#x' }, JSON.stringify(['alerts', 'p-2'])) as string;
    const events = encodeToken({ pk: 'PROJECT#p-1', sk: 'EVENT#0000000001' }, JSON.stringify(['alerts', 'p-1'])) as string;

    // Act / Assess
    await expect(store.list('p-1', 10, otherProject)).rejects.toMatchObject({ code: 'INVALID_NEXT_TOKEN', status: 400 });
    await expect(store.list('p-1', 10, events)).rejects.toMatchObject({ code: 'INVALID_NEXT_TOKEN' });
    await expect(store.list('p-1', 10, 'garbage')).rejects.toMatchObject({ code: 'INVALID_NEXT_TOKEN' });
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 0);
  });
});

describe('bus, fan-out and in-memory adapters', () => {
  it('the bus notifier puts one "Project Alert Raised" event on the bus', async () => {
    // Prepare
    const bus = new InMemoryEventBus();

    // Act
    await new EventBusAlertNotifier(bus).notify(failedAlert());

    // Assess
    expect(bus.alerts.map((e) => [e.detailType, e.detail.alertId])).toEqual([[ALERT_DETAIL_TYPE, 'PROJECT_FAILED@v7']]);
    expect(bus.published).toEqual([]);
  });

  it('fan-out tries every channel and fails when any one failed', async () => {
    // Prepare
    const ok = new InMemoryAlertNotifier();
    const broken = new InMemoryAlertNotifier();
    broken.failNext = 1;
    const fanOut = new FanOutAlertNotifier(broken, ok);

    // Act
    const first = await fanOut.notify(failedAlert()).then(() => 'ok', (e: Error) => e.message);
    await fanOut.notify(failedAlert());

    // Assess
    expect(first).toMatch(/1 of 2 channel\(s\) failed \(notification channel unavailable\)/);
    expect(ok.sent).toHaveLength(2);
    expect(broken.sent).toHaveLength(1);
  });

  it('the in-memory store has the DynamoDB semantics: once per id, pending until notified, newest first, paged', async () => {
    // Prepare
    const store = new InMemoryAlertStore();
    const older = failedAlert();
    const newer = latencyAlert;

    // Act
    const outcomes = [await store.record(older), await store.record(older)];
    await store.markNotified(older, '2026-03-02T10:00:01.000Z');
    outcomes.push(await store.record(older), await store.record(newer));
    const page1 = await store.list('p-1', 1);
    const page2 = await store.list('p-1', 1, page1.nextToken);

    // Assess
    expect(outcomes).toEqual(['recorded', 'pending', 'notified', 'recorded']);
    expect(page1.items.map((a) => a.id)).toEqual([newer.id]);
    expect(page2.items.map((a) => [a.id, a.notifiedAt])).toEqual([[older.id, '2026-03-02T10:00:01.000Z']]);
    expect(page2.nextToken).toBeUndefined();
    expect((await store.list('p-2', 10)).items).toEqual([]);
  });
});
