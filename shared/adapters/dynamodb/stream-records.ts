import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { AuditEvent } from '../../domain/project';
import { keys } from '../../table';

export interface StreamedAuditEvent {
  /** The stream record's sequence number (what a partial batch failure reports). */
  sequenceNumber: string;
  projectId: string;
  event: AuditEvent;
}

/** The audit events a batch of table stream records carries (inserted EVENT# items), in stream order. */
export function auditEventsOf(records: readonly DynamoDBRecord[]): StreamedAuditEvent[] {
  const out: StreamedAuditEvent[] = [];
  for (const r of records) {
    const image = r.dynamodb?.NewImage;
    if (r.eventName !== 'INSERT' || !image) continue;
    const item = unmarshall(image as Record<string, AttributeValue>);
    const pk = String(item.pk ?? '');
    if (!String(item.sk ?? '').startsWith(keys.projectEventPrefix) || !pk.startsWith('PROJECT#')) continue;
    const { pk: _pk, sk: _sk, ...event } = item;
    out.push({ sequenceNumber: r.dynamodb?.SequenceNumber ?? '', projectId: pk.slice('PROJECT#'.length), event: event as AuditEvent });
  }
  return out;
}

/** What a project item's new image measures: the sync lag of a running continuous subtask, verification mismatches. */
export interface StreamedMeasurement {
  sequenceNumber: string;
  projectId: string;
  syncLatencySeconds?: number;
  verificationMismatches?: number;
}

/**
 * Measurements carried by the project items a batch of stream records changed (a run's progress
 * writes): the largest lag of a RUNNING continuous subtask, and the mismatches the full verification
 * found. Records that measure nothing are skipped.
 */
export function measurementsOf(records: readonly DynamoDBRecord[]): StreamedMeasurement[] {
  const out: StreamedMeasurement[] = [];
  for (const r of records) {
    const image = r.dynamodb?.NewImage;
    if (r.eventName !== 'MODIFY' || !image) continue;
    const item = unmarshall(image as Record<string, AttributeValue>);
    const pk = String(item.pk ?? '');
    if (!pk.startsWith('PROJECT#') || item.sk !== keys.project(pk.slice('PROJECT#'.length)).sk) continue;
    const subtasks = (Array.isArray(item.subtasks) ? item.subtasks : []) as { type?: string; status?: string; continuous?: boolean; progress?: Record<string, unknown> }[];
    const lags = subtasks.filter((s) => s.continuous && s.status === 'RUNNING').map((s) => Number(s.progress?.lagSeconds)).filter(Number.isFinite);
    const verification = subtasks.find((s) => s.type === 'FULL_VERIFICATION');
    const mismatches = Number(verification?.progress?.mismatches);
    const m: StreamedMeasurement = { sequenceNumber: r.dynamodb?.SequenceNumber ?? '', projectId: pk.slice('PROJECT#'.length) };
    if (lags.length) m.syncLatencySeconds = Math.max(...lags);
    if (Number.isFinite(mismatches) && mismatches > 0) m.verificationMismatches = mismatches;
    if (m.syncLatencySeconds !== undefined || m.verificationMismatches !== undefined) out.push(m);
  }
  return out;
}
