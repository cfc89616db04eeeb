import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { auditEventsOf, measurementsOf } from '../../shared/adapters/dynamodb/stream-records';
import { getDeps } from '../../shared/runtime';
import { raiseAuditEventAlerts, raiseMeasurementAlerts } from '../../shared/usecases/alerts';
import { publishAuditEvents } from '../../shared/usecases/publish-events';
import { countStatusChanges } from '../../shared/usecases/status-counts';

/** Batch size of one PutEvents call: a failed chunk and everything after it are retried, in order. */
const CHUNK = 10;

/**
 * Table stream → EventBridge, the alerts those events raise (project FAILED, pause expiring soon)
 * → alert store, bus and SNS, and the status changes they record → the per-status counters. Audit events are published in stream order; when a chunk fails (its
 * events or its alerts), the batch reports its first record as failed so Lambda retries from there
 * (nothing skipped, order kept). Alerts are stored and notified once whatever the redeliveries.
 */
export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse>().handler(async (event) => {
  const events = auditEventsOf(event.Records ?? []);
  const deps = getDeps();
  for (let i = 0; i < events.length; i += CHUNK) {
    const chunk = events.slice(i, i + CHUNK);
    try {
      await publishAuditEvents(deps.events, chunk);
      await raiseAuditEventAlerts(deps, chunk);
      await countStatusChanges(deps, chunk.map(({ projectId, event: e }) => ({ projectId, version: e.version, from: e.from, to: e.to })));
    } catch (e) {
      console.error(JSON.stringify({ level: 'ERROR', message: 'publishing domain events or alerts failed', error: (e as Error).message, from: chunk[0]?.sequenceNumber }));
      return { batchItemFailures: [{ itemIdentifier: chunk[0]?.sequenceNumber ?? '' }] };
    }
  }
  // The run's progress writes: sync lag and verification mismatches against the project's alert level.
  for (const m of measurementsOf(event.Records ?? [])) {
    try {
      await raiseMeasurementAlerts(deps, m.projectId, {
        ...(m.syncLatencySeconds !== undefined ? { syncLatencySeconds: m.syncLatencySeconds } : {}),
        ...(m.verificationMismatches !== undefined ? { verificationMismatches: m.verificationMismatches } : {}),
      });
    } catch (e) {
      if ((e as { code?: string }).code === 'PROJECT_NOT_FOUND') continue; // deleted since
      console.error(JSON.stringify({ level: 'ERROR', message: 'raising measurement alerts failed', error: (e as Error).message, from: m.sequenceNumber }));
      return { batchItemFailures: [{ itemIdentifier: m.sequenceNumber }] };
    }
  }
  return { batchItemFailures: [] };
});
