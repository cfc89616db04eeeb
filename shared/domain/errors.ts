/**
 * Domain errors carry an HTTP status and a stable machine-readable code; the HTTP layer renders them
 * as RFC 9457 problem+json. `extra` members are added to the problem document (only below 500).
 */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'DomainError';
  }
}

export const notFound = (code: 'PROJECT_NOT_FOUND' | 'DATA_SOURCE_NOT_FOUND', id: string): DomainError =>
  new DomainError(
    404,
    code,
    code === 'PROJECT_NOT_FOUND' ? 'Project not found' : 'Data source not found',
    `No ${code === 'PROJECT_NOT_FOUND' ? 'project' : 'data source'} with id '${id}'.`,
    { id },
  );

export const validationFailed = (detail: string, issues: unknown[] = []): DomainError =>
  new DomainError(400, 'VALIDATION_FAILED', 'Request validation failed', detail, { issues });

/**
 * Names of dependency errors that say "busy, try again" (AWS throttling and service faults, timeouts):
 * the API answers 503, a batch item SERVICE_UNAVAILABLE, an orchestration task retries.
 */
const TRANSIENT_ERROR_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalServerError',
  'TransactionConflictException',
  'TransactionInProgressException',
  'TimeoutError',
  'ECONNRESET',
]);

export function isTransientError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  return TRANSIENT_ERROR_NAMES.has(e.name) || TRANSIENT_ERROR_NAMES.has((e as { code?: string }).code ?? '');
}
