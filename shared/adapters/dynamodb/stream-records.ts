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
