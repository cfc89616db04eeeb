import { USER_OPERATIONS, type UserOperation } from '../domain/transitions';

/**
 * The route table: API Gateway resources and methods, the local HTTP server's router, and the
 * read-only / operator policies are all built from these rows. `fn` is a folder under functions/.
 */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  fn: string;
  /** The transitions-table operation a lifecycle route applies. */
  operation?: UserOperation;
  /** Routes that apply several operations (batch) list them. */
  operations?: readonly UserOperation[];
  summary: string;
}

/** Operations whose side effects create or delete pause timers (see infra PauseTimers). */
export const PAUSE_TIMER_OPERATIONS: readonly UserOperation[] = ['pause', 'resume', 'release'];

const ROUTE_ROWS: readonly Route[] = [
  { method: 'POST', path: '/data-sources', fn: 'create-data-source', summary: 'Register a data source (credentials by secretArn only).' },
  { method: 'GET', path: '/data-sources', fn: 'list-data-sources', summary: 'List data sources, newest first.' },
  { method: 'GET', path: '/data-sources/{id}', fn: 'get-data-source', summary: 'Read a data source.' },
  { method: 'DELETE', path: '/data-sources/{id}', fn: 'delete-data-source', summary: 'Delete a data source no live project uses.' },
  { method: 'POST', path: '/projects', fn: 'create-project', summary: 'Create a migration project (NOT_STARTED).' },
  { method: 'GET', path: '/projects', fn: 'list-projects', summary: 'List projects, newest first; filter by status or label.' },
  { method: 'GET', path: '/projects/{id}', fn: 'get-project', summary: 'Read a project (ETag = version).' },
  { method: 'DELETE', path: '/projects/{id}', fn: 'delete-project', operation: 'delete', summary: 'Delete a NOT_STARTED or RELEASED project (confirmName required).' },
  { method: 'POST', path: '/projects/{id}/start', fn: 'project-lifecycle', operation: 'start', summary: 'Start the project.' },
  { method: 'POST', path: '/projects/{id}/pause', fn: 'project-lifecycle', operation: 'pause', summary: 'Pause the project.' },
  { method: 'POST', path: '/projects/{id}/resume', fn: 'project-lifecycle', operation: 'resume', summary: 'Resume a paused or failed project.' },
  { method: 'POST', path: '/projects/{id}/release', fn: 'project-lifecycle', operation: 'release', summary: 'Release the project (irreversible).' },
  { method: 'PUT', path: '/projects/{id}/alert-config', fn: 'project-lifecycle', operation: 'modify-alert-config', summary: 'Change the alert level.' },
  {
    method: 'POST',
    path: '/projects/{id}/skip-full-verification',
    fn: 'project-lifecycle',
    operation: 'skip-full-verification',
    summary: 'Skip the full verification while it is the current subtask (running, paused or failed).',
  },
  {
    method: 'POST',
    path: '/projects/{id}/forward-switchover',
    fn: 'project-lifecycle',
    operation: 'enter-forward-switchover',
    summary: 'Enter the forward switchover stage (full verification succeeded, skipped or absent).',
  },
  {
    method: 'POST',
    path: '/projects/{id}/forward-switchover/start',
    fn: 'project-lifecycle',
    operation: 'start-forward-switchover',
    summary: 'Start the forward switchover steps.',
  },
  {
    method: 'POST',
    path: '/projects/{id}/forward-switchover/confirm',
    fn: 'project-lifecycle',
    operation: 'confirm-switchover-step',
    summary: 'Confirm the manual switchover step that waits: body {step}.',
  },
  {
    method: 'POST',
    path: '/batch-operations',
    fn: 'batch-operations',
    // Every user-facing row of the transitions table (batch eligibility is the table's): grants follow.
    operations: USER_OPERATIONS,
    summary: 'One operation on up to 1000 projects (projectIds or selector): dryRun previews eligible/ineligible, else per-project results.',
  },
  { method: 'GET', path: '/projects/{id}/events', fn: 'list-project-events', summary: 'The audit trail, oldest first.' },
  { method: 'GET', path: '/projects/{id}/alerts', fn: 'list-project-alerts', summary: 'Alerts raised for the project (by its alert level), newest first.' },
  { method: 'GET', path: '/openapi.json', fn: 'get-openapi', summary: 'The OpenAPI 3.1 document of this API.' },
];

/**
 * Every route with the operations it may apply: its own, or for routes that apply many (batch), the
 * `operations` they list. Infrastructure grants follow from this.
 */
export const ROUTES: readonly (Route & { operations: readonly UserOperation[] })[] = ROUTE_ROWS.map((r) => ({
  ...r,
  operations: r.operations ?? (r.operation ? [r.operation] : []),
}));

/** Function folders, each bundled into one Lambda function. */
export const FUNCTION_NAMES = [...new Set(ROUTES.map((r) => r.fn))];

/** The route a REST proxy event came through (`resource` is the path template, e.g. /projects/{id}/pause). */
export function routeOf(method: string, resource: string): Route | undefined {
  return ROUTES.find((r) => r.method === method && r.path === resource);
}
