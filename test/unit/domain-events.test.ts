import { readFileSync } from 'node:fs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import Ajv2020 from 'ajv/dist/2020';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EVENT_SCHEMA_FILE, renderEventSchema } from '../../infra/local/gen-schemas';
import { EventBridgeBus } from '../../shared/adapters/eventbridge/event-bus';
import type { AuditEvent } from '../../shared/domain/project';
import { TRANSITIONS } from '../../shared/domain/transitions';
import { detailTypeOf, toDomainEvent } from '../../shared/events/domain-events';

const committedSchema = JSON.parse(readFileSync(EVENT_SCHEMA_FILE, 'utf8')) as object;
const validate = new Ajv2020({ strict: true, allErrors: true }).addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/).compile(committedSchema);

const audit = (over: Partial<AuditEvent> = {}): AuditEvent => ({
  at: '2026-04-01T10:00:00.000Z',
  operation: 'pause',
  from: 'RUNNING',
  to: 'PAUSED',
  actor: 'arn:aws:iam::123456789012:role/ops',
  requestId: 'req-1',
  version: 3,
  ...over,
});

describe('domain event schema', () => {
  it('the committed JSON Schema is the one the code generates (run `npm run schemas`)', () => {
    expect(readFileSync(EVENT_SCHEMA_FILE, 'utf8')).toBe(renderEventSchema());
  });

  it('an event for every row of the transitions table (and create) validates against the committed schema', () => {
    // Prepare
    const events = [
      audit({ operation: 'create', from: null, to: 'NOT_STARTED', version: 1 }),
      ...TRANSITIONS.map((t, i) =>
        audit({
          operation: t.operation,
          from: t.from[0] ?? null,
          to: t.to === 'DELETED' ? null : t.to === 'UNCHANGED' ? (t.from[0] ?? null) : t.to,
          version: i + 2,
          ...(t.operation.includes('pause') ? { cause: 'pause-expired', actor: 'system' } : {}),
          ...(t.operation === 'modify-alert-config' ? { detail: { level: 'HIGH' }, batchId: 'b-1' } : {}),
        }),
      ),
    ];

    // Act
    const results = events.map((e) => ({ op: e.operation, ok: validate(toDomainEvent('p-1', e).detail), errors: validate.errors }));

    // Assess
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it('the schema refuses an event without an actor or with an unknown status', () => {
    expect(validate({ ...toDomainEvent('p-1', audit()).detail, actor: undefined })).toBe(false);
    expect(validate({ ...toDomainEvent('p-1', audit()).detail, to: 'EXPIRED' })).toBe(false);
  });

  it('detail-types read as the console shows them', () => {
    expect(detailTypeOf('pause')).toBe('Project Paused');
    expect(detailTypeOf('complete-release')).toBe('Project Released');
    expect(detailTypeOf('skip-full-verification')).toBe('Project Skip Full Verification');
  });
});

describe('EventBridge bus adapter (aws-sdk-client-mock)', () => {
  const eventBridge = mockClient(EventBridgeClient);
  const bus = new EventBridgeBus('migration-events', () => new EventBridgeClient({ region: 'eu-west-1' }));
  beforeEach(() => eventBridge.reset());

  it('puts events in chunks of 10 on the named bus, with source, detail-type, resources and time', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const events = Array.from({ length: 23 }, (_, i) => toDomainEvent(`p-${i}`, audit({ version: i + 1 })));

    // Act
    await bus.publish(events);

    // Assess
    const calls = eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries ?? []);
    expect(calls.map((entries) => entries.length)).toEqual([10, 10, 3]);
    expect(calls[0]?.[0]).toEqual({
      EventBusName: 'migration-events',
      Source: 'migration-control-plane',
      DetailType: 'Project Paused',
      Detail: JSON.stringify(events[0]?.detail),
      Resources: ['project/p-0'],
      Time: new Date('2026-04-01T10:00:00.000Z'),
    });
  });

  it('a partially refused PutEvents is an error (the stream then retries from that chunk)', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }] });
    await expect(bus.publish([toDomainEvent('p', audit())])).rejects.toThrow('ThrottlingException');
  });
});
