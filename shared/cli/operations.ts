import { HTTP_OPERATIONS, type OperationHttp, type UserOperation } from '../domain/transitions';

/**
 * The lifecycle commands of migctl, derived from the operation records (shared/domain/transitions.ts)
 * the API's routes come from: a new user-facing operation with a route under /projects/{id}/ is a
 * `migctl projects <verb>` command without a change here.
 */

export interface LifecycleCommand {
  operation: UserOperation;
  /** The route below /projects/{id}/, e.g. `pause`, `forward-switchover/start`. */
  verb: string;
  method: OperationHttp['method'];
  body?: OperationHttp['body'];
  summary: string;
  path(id: string): string;
}

const PREFIX = '/projects/{id}/';

export const LIFECYCLE_COMMANDS: readonly LifecycleCommand[] = HTTP_OPERATIONS.filter((r) => r.http.path.startsWith(PREFIX)).map((r) => ({
  operation: r.operation,
  verb: r.http.path.slice(PREFIX.length),
  method: r.http.method,
  ...(r.http.body ? { body: r.http.body } : {}),
  summary: r.http.routeSummary,
  path: (id: string) => r.http.path.replace('{id}', encodeURIComponent(id)),
}));

/** Shorter names people type. */
const ALIASES: Record<string, string> = { 'skip-verification': 'skip-full-verification', 'alert-level': 'alert-config' };

/** `projects <verb>`: by route verb (`forward-switchover/start` also as `forward-switchover-start`), alias or operation name. */
export function lifecycleCommand(verb: string): LifecycleCommand | undefined {
  const v = ALIASES[verb] ?? verb;
  return LIFECYCLE_COMMANDS.find((c) => c.verb === v || c.verb.replace(/\//g, '-') === v || c.operation === v);
}

/** `switchover <sub>`: the operations routed under forward-switchover, named by their first word (enter, start, confirm). */
export function switchoverCommand(sub: string): LifecycleCommand | undefined {
  return LIFECYCLE_COMMANDS.find((c) => c.verb.startsWith('forward-switchover') && c.operation.split('-')[0] === sub);
}

export const SWITCHOVER_SUBCOMMANDS = LIFECYCLE_COMMANDS.filter((c) => c.verb.startsWith('forward-switchover')).map((c) => c.operation.split('-')[0]!);

/** The flag that carries a command's body, for help and errors. */
export function bodyFlag(c: Pick<LifecycleCommand, 'body'>): string {
  return c.body === 'alertLevel' ? ' --level LEVEL' : c.body === 'step' ? ' --step NAME' : c.body === 'sources' ? ' [--source ID]...' : '';
}

/** Help lines: one per project route, in the order of the records. */
export function lifecycleHelp(): string {
  const rows = LIFECYCLE_COMMANDS.filter((c) => !c.verb.startsWith('forward-switchover')).map((c) => [`  projects ${c.verb} <id>...${bodyFlag(c)}`, c.summary]);
  rows.push(...LIFECYCLE_COMMANDS.filter((c) => c.verb.startsWith('forward-switchover')).map((c) => [`  switchover ${c.operation.split('-')[0]} <id>${bodyFlag(c)}`, c.summary]));
  const width = Math.max(55, ...rows.map((r) => r[0]!.length + 2));
  return rows.map(([a, b]) => `${a!.padEnd(width)}${b}`).join('\n');
}
