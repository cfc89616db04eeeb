import { createHash } from 'node:crypto';
import type { SubtaskType } from '../../../domain/subtasks';

/**
 * DMS names of a project's resources, derived from the project id alone, so a retried start finds
 * what an earlier attempt created instead of creating a second one. The same string is the
 * identifier and the ARN's resource id (`ResourceIdentifier`, at most 31 characters): letters, digits
 * and single hyphens, starting with a letter, no trailing hyphen. A project id (a UUID, 36
 * characters) does not fit, so its SHA-256 does: 20 hex characters (80 bits) after the prefix.
 */

/** The replication tasks of a project: forward (structure, full load, cdc), verification, reverse cdc. */
export const TASK_KINDS = ['fwd', 'verify', 'rev'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** Endpoints: the forward source and target, and the same databases with their roles swapped (reverse). */
export const ENDPOINT_KINDS = ['src', 'dst', 'rsrc', 'rdst'] as const;
export type EndpointKind = (typeof ENDPOINT_KINDS)[number];

/** Which task runs a subtask; the forward switchover is control-plane work (no task). */
export function taskKindOf(subtask: SubtaskType): TaskKind | undefined {
  switch (subtask) {
    case 'STRUCTURE_MIGRATION':
    case 'FULL_MIGRATION':
    case 'INCREMENTAL_SYNC':
      return 'fwd';
    case 'FULL_VERIFICATION':
      return 'verify';
    case 'REVERSE_INCREMENTAL_SYNC':
      return 'rev';
    default:
      return undefined;
  }
}

const PREFIX = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,3}$/;

export function assertPrefix(prefix: string): void {
  if (!PREFIX.test(prefix)) throw new Error(`DMS resource prefix must be 1-4 lowercase letters/digits (single hyphens), starting with a letter; got '${prefix}'`);
}

/** The DMS identifier of a project's task or endpoint, e.g. `mig-3f2a…c1-fwd`. */
export function dmsIdentifier(prefix: string, projectId: string, kind: TaskKind | EndpointKind): string {
  assertPrefix(prefix);
  const hash = createHash('sha256').update(projectId, 'utf8').digest('hex').slice(0, 20);
  return `${prefix}-${hash}-${kind}`;
}

/** The rules DMS applies to identifiers (checked in tests, and before any create). */
export function isValidDmsIdentifier(id: string, maxLength = 31): boolean {
  return id.length >= 1 && id.length <= maxLength && /^[A-Za-z][A-Za-z0-9-]*$/.test(id) && !id.includes('--') && !id.endsWith('-');
}

/** ARN of a DMS resource whose ResourceIdentifier we chose, in the account and region of a known ARN. */
export function siblingArn(knownArn: string, type: 'task' | 'endpoint', resourceId: string): string {
  const parts = knownArn.split(':');
  if (parts.length < 7 || parts[2] !== 'dms') throw new Error(`not a DMS ARN: ${knownArn}`);
  return `${parts.slice(0, 5).join(':')}:${type}:${resourceId}`;
}

/** The resource id at the end of a DMS ARN (the CloudWatch dimension of a task). */
export const resourceIdOf = (arn: string): string => arn.slice(arn.lastIndexOf(':') + 1);
