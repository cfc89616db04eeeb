import { BATCH_OPERATIONS, HTTP_OPERATIONS, type UserOperation } from '../domain/transitions';

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

const ROUTE_ROWS: readonly Route[] = [
  { method: 'POST', path: '/data-sources', fn: 'create-data-source', summary: 'Register a data source (credentials by secretArn only).' },
  { method: 'GET', path: '/data-sources', fn: 'list-data-sources', summary: 'List data sources, newest first.' },
  { method: 'GET', path: '/data-sources/{id}', fn: 'get-data-source', summary: 'Read a data source.' },
  { method: 'DELETE', path: '/data-sources/{id}', fn: 'delete-data-source', summary: 'Delete a data source no live project uses.' },
  {
    method: 'POST',
    path: '/data-sources/{id}/test-connection',
    fn: 'test-data-source-connection',
    summary: 'Connect to the data source as its jobs would: reachable, authenticated, server version, change capture.',
  },
  { method: 'POST', path: '/projects', fn: 'create-project', summary: 'Create a migration project (NOT_STARTED).' },
  { method: 'GET', path: '/projects', fn: 'list-projects', summary: 'List projects, newest first; filter by status or label.' },
  { method: 'GET', path: '/projects/{id}', fn: 'get-project', summary: 'Read a project (ETag = version).' },
  // One route per user-facing operation record (shared/domain/transitions.ts): its method, path, function and summary.
  ...HTTP_OPERATIONS.map((r) => ({ method: r.http.method, path: r.http.path, fn: r.http.fn, operation: r.operation, summary: r.http.routeSummary })),
  {
    method: 'POST',
    path: '/batch-operations',
    fn: 'batch-operations',
    // Every operation record marked `batch`: the function's environment and grants follow from their effects.
    operations: BATCH_OPERATIONS,
    summary:
      'One operation on many projects (projectIds or selector): dryRun previews eligible/ineligible; a small batch answers with per-project results, a large one is accepted (202) as a batch resource.',
  },
  { method: 'GET', path: '/batch-operations', fn: 'list-batch-operations', summary: 'Batches run as resources (accepted with 202), newest first.' },
  { method: 'GET', path: '/batch-operations/{id}', fn: 'get-batch-operation', summary: "A batch's status and counters, and its per-project results, paged." },
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

/**
 * The HTTP methods a route is served under: every GET route also answers HEAD, as GET without a body
 * (same status, ETag and headers). API Gateway declares both methods, the local server matches both.
 */
export function methodsOf(route: Pick<Route, 'method'>): readonly string[] {
  return route.method === 'GET' ? ['GET', 'HEAD'] : [route.method];
}

/** The route a REST proxy event came through (`resource` is the path template, e.g. /projects/{id}/pause). */
const ROUTE_INDEX = new Map(ROUTES.map((r) => [`${r.method} ${r.path}`, r]));

/** The route of a method and path template; HEAD is the GET route's. */
export function routeOf(method: string, resource: string): (typeof ROUTES)[number] | undefined {
  return ROUTE_INDEX.get(`${method === 'HEAD' ? 'GET' : method} ${resource}`);
}

const routeOfRequest = new WeakMap<object, (typeof ROUTES)[number] | null>();

/** The route of a REST proxy event, looked up once per request (telemetry, validation and the handler share it). */
export function routeOfEvent(event: { httpMethod: string; resource: string }): (typeof ROUTES)[number] | undefined {
  let route = routeOfRequest.get(event);
  if (route === undefined) {
    route = routeOf(event.httpMethod, event.resource) ?? null;
    routeOfRequest.set(event, route);
  }
  return route ?? undefined;
}
