import { readFileSync } from 'node:fs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import Ajv2020 from 'ajv/dist/2020';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as pauseTimer } from '../../functions/pause-timer/handler';
import { handler as publishDomainEvents } from '../../functions/publish-domain-events/handler';
import { ALERT_SCHEMA_FILE } from '../../infra/local/gen-schemas';
import { localClient } from '../../infra/local/dynamodb-local';
import { LocalStreamPoller } from '../../infra/local/local-stream';
import { EventBusAlertNotifier, FanOutAlertNotifier } from '../../shared/adapters/alerts/notifiers';
import { InMemoryEventBus } from '../../shared/adapters/memory/event-bus';
import { SnsAlertNotifier } from '../../shared/adapters/sns/alert-notifier';
import { AlertList, AlertView, Problem } from '../../shared/api/responses';
import { isoAt } from '../../shared/domain/clock';
import type { AlertLevel } from '../../shared/domain/project';
import { getDeps } from '../../shared/runtime';
import { raiseMeasurementAlerts } from '../../shared/usecases/alerts';
import { call, createDataSources, createProject, ManualClock, useLocalTable } from '../support/harness';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:alerts';
const validateAlertDetail = new Ajv2020({ strict: true, allErrors: true })
  .addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/)
  .compile(JSON.parse(readFileSync(ALERT_SCHEMA_FILE, 'utf8')) as object);

/**
 * Alerts through the real stream path on DynamoDB Local: a committed transition into FAILED (written
 * as the orchestration writes it: one conditional transition with its audit event) or the pause
 * warning → table stream → publisher function → alert item (conditional put) → bus + SNS (the real
 * SNS adapter, its client mocked) → GET /projects/{id}/alerts.
 */
describe('alerts from the table stream', () => {
  const bus = new InMemoryEventBus();
  const sns = mockClient(SNSClient);
  const clock = new ManualClock(Date.parse('2026-05-04T08:00:00.000Z'));
  let endpoint: string;
  let tableName: string;
  let poller: LocalStreamPoller;
  let ds: { sourceId: string; destinationId: string };

  const deliver = (e: DynamoDBStreamEvent) => publishDomainEvents(e, {} as Context);
  const published = () => sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
  const publishedFor = (projectId: string) => published().filter((i) => i.MessageAttributes?.projectId?.StringValue === projectId);

  beforeAll(async () => {
    ({ tableName, endpoint } = await useLocalTable({
      clock,
      events: bus,
      alertNotifier: new FanOutAlertNotifier(new EventBusAlertNotifier(bus), new SnsAlertNotifier(TOPIC, () => new SNSClient({ region: 'eu-west-1' }))),
    }));
    poller = new LocalStreamPoller(localClient(endpoint), endpoint, tableName, deliver);
    ds = await createDataSources('alerts');
  });

  beforeEach(() => {
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
  });

  async function runningProject(alertLevel: AlertLevel) {
    const p = await createProject(ds, { alertLevel });
    const started = await call('POST', `/projects/${p.id}/start`);
    expect(started.status).toBe(200);
    return started.body as { id: string; name: string; version: number };
  }

  /** RUNNING → FAILED the way the orchestration records it: one conditional transition with its audit event. */
  async function failProject(projectId: string, cause: string) {
    const { projects } = getDeps();
    const current = await projects.get(projectId);
    if (!current) throw new Error(`no project ${projectId}`);
    const nowMs = clock.nowMs();
    await projects.transition({
      projectId,
      from: ['RUNNING'],
      to: 'FAILED',
      expectedVersion: current.version,
      guards: [],
      set: {},
      remove: [],
      nowMs,
      event: { at: isoAt(nowMs), operation: 'fail', from: 'RUNNING', to: 'FAILED', actor: 'system', requestId: 'execution-1', version: current.version + 1, cause },
    });
    return current.version + 1;
  }

  it('a FAILED transition raises one alert per HIGH and LOW project and none for NONE: stored, on the bus, on SNS, listed', async () => {
    // Prepare
    const high = await runningProject('HIGH');
    const low = await runningProject('LOW');
    const none = await runningProject('NONE');
    const versions = {
      high: await failProject(high.id, 'FULL_MIGRATION: source unreachable'),
      low: await failProject(low.id, 'INCREMENTAL_SYNC: binlog purged'),
    };
    await failProject(none.id, 'FULL_MIGRATION: disk full');

    // Act
    await poller.pollOnce();

    // Assess: SNS — one message each for HIGH and LOW
    expect(publishedFor(high.id)).toEqual([
      expect.objectContaining({
        TopicArn: TOPIC,
        Subject: `[CRITICAL] PROJECT_FAILED: ${high.name}`,
        Message: expect.stringContaining('FULL_MIGRATION: source unreachable'),
        MessageAttributes: expect.objectContaining({ level: { DataType: 'String', StringValue: 'HIGH' } }),
      }),
    ]);
    expect(publishedFor(low.id)).toHaveLength(1);
    expect(publishedFor(none.id)).toEqual([]);
    // the bus: the transition events and one "Project Alert Raised" each, valid against the committed schema
    const alertEvents = bus.alerts.filter((e) => [high.id, low.id, none.id].includes(e.detail.projectId));
    expect(alertEvents.map((e) => [e.detail.projectId, e.detail.alertId])).toEqual([
      [high.id, `PROJECT_FAILED@v${versions.high}`],
      [low.id, `PROJECT_FAILED@v${versions.low}`],
    ]);
    for (const e of alertEvents) expect(validateAlertDetail(e.detail), JSON.stringify(validateAlertDetail.errors)).toBe(true);
    expect(bus.published.filter((e) => e.detail.projectId === none.id && e.detail.to === 'FAILED')).toHaveLength(1);
    // the API
    const listed = await call('GET', `/projects/${high.id}/alerts`);
    expect(listed.status).toBe(200);
    AlertList.parse(listed.body);
    for (const item of listed.body.items) AlertView.strict().parse(item);
    expect(listed.body.items).toEqual([
      expect.objectContaining({
        id: `PROJECT_FAILED@v${versions.high}`,
        projectId: high.id,
        projectName: high.name,
        condition: 'PROJECT_FAILED',
        severity: 'CRITICAL',
        level: 'HIGH',
        eventVersion: versions.high,
        notifiedAt: expect.any(String),
      }),
    ]);
    expect((await call('GET', `/projects/${low.id}/alerts`)).body.items).toHaveLength(1);
    expect((await call('GET', `/projects/${none.id}/alerts`)).body).toEqual({ items: [] });
  });

  it('a duplicate delivery of the whole stream raises nothing twice', async () => {
    // Prepare: a second poller without a checkpoint replays the stream from its start (at-least-once)
    const p = await runningProject('MEDIUM');
    await failProject(p.id, 'VERIFICATION: job lost');
    await poller.pollOnce();
    const alertsBefore = bus.alerts.length;
    const publishesBefore = published().length;
    const replay = new LocalStreamPoller(localClient(endpoint), endpoint, tableName, deliver);

    // Act
    const redelivered = await replay.pollOnce();

    // Assess
    expect(publishesBefore).toBeGreaterThanOrEqual(1);
    expect(redelivered).toBeGreaterThan(0);
    expect(published()).toHaveLength(publishesBefore);
    expect(bus.alerts).toHaveLength(alertsBefore);
    expect((await call('GET', `/projects/${p.id}/alerts`)).body.items.map((a: { condition: string }) => a.condition)).toEqual(['PROJECT_FAILED']);
  });

  it('when SNS refuses, the batch is retried and the stored alert is sent once', async () => {
    // Prepare
    const p = await runningProject('LOW');
    await failProject(p.id, 'FULL_MIGRATION: throttled');
    sns.reset();
    sns.on(PublishCommand).rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' })).resolves({ MessageId: 'm' });

    // Act
    await poller.pollOnce();
    const afterFailure = (await call('GET', `/projects/${p.id}/alerts`)).body.items;
    await poller.pollOnce();
    await poller.pollOnce();

    // Assess: stored on the first try but not yet notified; notified on the retry, once
    expect(afterFailure).toEqual([expect.objectContaining({ condition: 'PROJECT_FAILED' })]);
    expect(afterFailure[0]).not.toHaveProperty('notifiedAt');
    expect(publishedFor(p.id)).toHaveLength(2); // the refused one and the accepted one
    expect((await call('GET', `/projects/${p.id}/alerts`)).body.items).toEqual([expect.objectContaining({ notifiedAt: expect.any(String) })]);
  });

  it('the pause warning raises PAUSE_EXPIRING_SOON at MEDIUM, not at LOW', async () => {
    // Prepare
    const paused = async (level: AlertLevel) => {
      const p = await runningProject(level);
      return (await call('POST', `/projects/${p.id}/pause`)).body as { id: string; pausedAt: string; pauseExpiresAt: string };
    };
    const medium = await paused('MEDIUM');
    const low = await paused('LOW');

    // Act
    for (const p of [medium, low]) {
      const fired = await pauseTimer({ kind: 'warn', projectId: p.id, pausedAt: p.pausedAt }, { awsRequestId: 'timer' } as Context);
      expect(fired).toMatchObject({ outcome: 'applied' });
    }
    await poller.pollOnce();

    // Assess
    const mediumAlerts = (await call('GET', `/projects/${medium.id}/alerts`)).body.items;
    expect(mediumAlerts).toEqual([expect.objectContaining({ condition: 'PAUSE_EXPIRING_SOON', severity: 'WARNING', level: 'MEDIUM', operation: 'warn-pause-expiring' })]);
    expect(mediumAlerts[0].message).toContain(medium.pauseExpiresAt);
    expect((await call('GET', `/projects/${low.id}/alerts`)).body.items).toEqual([]);
    expect(publishedFor(medium.id).map((i) => i.Subject)).toEqual([expect.stringMatching(/^\[WARNING\] PAUSE_EXPIRING_SOON: /)]);
  });

  it('measurement alerts (raiseMeasurementAlerts) are stored once per window on DynamoDB Local and listed newest first', async () => {
    // Prepare
    const p = await runningProject('HIGH');
    const deps = getDeps();

    // Act
    const first = await raiseMeasurementAlerts(deps, p.id, { syncLatencySeconds: 61, verificationMismatches: 0 });
    clock.advance(5 * 60_000);
    const sameWindow = await raiseMeasurementAlerts(deps, p.id, { syncLatencySeconds: 300 });
    clock.advance(15 * 60_000);
    const nextWindow = await raiseMeasurementAlerts(deps, p.id, { verificationMismatches: 2 });

    // Assess
    expect(first.map((a) => a.condition)).toEqual(['SYNC_LATENCY_HIGH']);
    expect(sameWindow).toEqual([]);
    expect(nextWindow.map((a) => a.condition)).toEqual(['VERIFICATION_MISMATCHES']);
    const listed = await call('GET', `/projects/${p.id}/alerts?limit=1`);
    expect(listed.body.items.map((a: { condition: string }) => a.condition)).toEqual(['VERIFICATION_MISMATCHES']);
    const rest = await call('GET', `/projects/${p.id}/alerts?limit=1&nextToken=${encodeURIComponent(listed.body.nextToken as string)}`);
    expect(rest.body.items.map((a: { condition: string; value: number }) => [a.condition, a.value])).toEqual([['SYNC_LATENCY_HIGH', 61]]);
    expect(rest.body.nextToken).toBeUndefined();
    expect(publishedFor(p.id)).toHaveLength(2);
  });

  it('alerts stay readable after the project is deleted; unknown projects and foreign tokens are refused', async () => {
    // Prepare
    const p = await runningProject('HIGH');
    await failProject(p.id, 'FULL_MIGRATION: gone');
    await poller.pollOnce();
    await call('POST', `/projects/${p.id}/release`);
    const deleted = await call('DELETE', `/projects/${p.id}?confirmName=${encodeURIComponent(p.name)}`);
    const other = await runningProject('HIGH');
    await raiseMeasurementAlerts(getDeps(), other.id, { verificationMismatches: 5 });
    await raiseMeasurementAlerts(getDeps(), other.id, { syncLatencySeconds: 500 });
    const foreignToken = (await call('GET', `/projects/${other.id}/alerts?limit=1`)).body.nextToken as string;

    // Act
    const kept = await call('GET', `/projects/${p.id}/alerts`);
    const unknown = await call('GET', '/projects/never-was/alerts');
    const foreign = await call('GET', `/projects/${p.id}/alerts?nextToken=${encodeURIComponent(foreignToken)}`);

    // Assess
    expect(deleted.status).toBe(204);
    expect(kept.status).toBe(200);
    expect(kept.body.items.map((a: { condition: string }) => a.condition)).toEqual(['PROJECT_FAILED']);
    expect(unknown.status).toBe(404);
    expect(Problem.parse(unknown.body).code).toBe('PROJECT_NOT_FOUND');
    expect(foreign.status).toBe(400);
    expect(foreign.body.code).toBe('INVALID_NEXT_TOKEN');
  });
});
