import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { BATCH_OPERATIONS } from '../domain/transitions';
import { MAX_BATCH_SIZE } from '../domain/batch';
import { ASYNC_BATCH_THRESHOLD } from '../domain/batch-jobs';
import { awaitBatch, batchGet, batchList } from './batch-jobs';
import { ApiClient, ApiError, type RequestSigner } from './client';
import {
  BATCH_CHUNK,
  COMPONENT_FLAGS,
  emit,
  errorMsg,
  need,
  OPTIONS,
  resultTable,
  statusArg,
  summarize,
  UsageError,
  type Ctx,
  type Io,
  type ItemResult,
  type OpResult,
} from './common';
import { ProgressBar, shortTime, table } from './output';
import { bodyFlag, lifecycleCommand, lifecycleHelp, switchoverCommand, SWITCHOVER_SUBCOMMANDS, type LifecycleCommand } from './operations';
import { isOutcome, withOutcomes } from './outcome';
import { describeProject, type ProjectBody } from './project-view';
import { alerts, dataSources, events } from './resources';
import { unreachableHelp } from './unreachable';
import { wait } from './wait';
import { watch } from './watch';
import { resolveRegion, shouldSign, signRequest } from './sigv4';

export { BATCH_CHUNK, type Io, type ItemResult, type OpResult };

/**
 * migctl: the command line for the migration control plane API. `run` is the whole program (the bin
 * shim calls it with process streams; tests call it or spawn the bin).
 */

export const HELP = `migctl — command line for the migration control plane API

Usage: migctl <command> [options]

Commands:
  projects list [--status S] [--label L] [--limit N]   List projects (newest first)
  projects get <id>                                    Show one project: engine, precheck, stage, subtask progress, what it waits for
  projects create --name N --source ID [--source ID]... --destination ID [--components C,..] [--tables schema.table,..]
                  [--label L]... [--alert-level LEVEL] [--description D]
                                                       Create a project (components: structure,full,incremental,verification,reverse);
                                                       several --source: a multi-source project
  projects clone <id> --name N [--source ID] [--destination ID] [--components C,..] [--tables ..] [--label L]...
                  [--alert-level LEVEL] [--description D]
                                                       Create a NOT_STARTED project like <id> (released ones too);
                                                       the options given replace the original's
  projects delete <id> [--confirm-name NAME]           Delete a project; asks for its name
${lifecycleHelp()}
  projects skip-verification <id>...                   Same as projects skip-full-verification
  alert-level set <id>... --level LEVEL                Same as projects alert-config (NONE, LOW, MEDIUM, HIGH)
  batch <op> (--ids ID,.. | --status S | --label L | --source ID) [--level LEVEL] [--dry-run] [--yes]
                                                       Apply ${BATCH_OPERATIONS.join('|')} to many projects:
                                                       shows the preview, asks, then runs only the eligible ones
                                                       (over 100 projects: batch resources, waited for with a progress bar);
                                                       --source ID: the projects reading that source, and pause/resume
                                                       act on that source only in each of them
  batch get <batch id> [--wait [--timeout SECONDS]]    A batch resource: status, counters, every project's result;
                                                       --wait: first until it is COMPLETED (a progress bar; exit 1 on timeout)
  batch list [--limit N]                               Batch resources, newest first
  watch <id> [--interval SECONDS] [--once]             Live view of a running project until it stops running (Ctrl-C to leave)
  events <id>                                          The audit trail of a project (every page)
  alerts <id>                                          The alerts raised for a project (every page)
  data-sources list | get <id> | delete <id> | test-connection <id>
  data-sources create --name N --engine E --host H --port P --username U [--database D] [--secret-arn ARN]
                                                       Manage data sources; test-connection connects as the jobs would
  fail-subtask <id> [--subtask TYPE] [--at-percent N] [--message M]
                                                       LOCAL server only: make the SIMULATED engine fail the project's
                                                       current subtask (or TYPE) at its next poll (or at N %)
  wait <id> [--for STATUS] [--allowed ACTION] [--step NAME] [--subtask TYPE:STATUS] [--timeout SECONDS] [--interval SECONDS]
                                                       Wait until every condition given holds: the status (or DELETED),
                                                       an allowed action, the switchover step waiting for confirmation,
                                                       a subtask's status (e.g. FULL_MIGRATION:SUCCEEDED); exit 1 on timeout

Options:
  --endpoint URL     API root (default $MIGCTL_ENDPOINT or http://localhost:3000)
  --json             Print dmctl-style JSON: {op, result, msg, projects: [{result, msg, projectId, name}]}
  --sigv4 / --no-sigv4  Sign requests with AWS SigV4 (default: on for *.amazonaws.com endpoints)
  --region R         Region to sign for (default: AWS_REGION, AWS_DEFAULT_REGION, ~/.aws/config, the endpoint)
  --profile P        AWS profile for the standard credential chain
  --yes, -y          Do not ask for confirmation
  --help, -h         This help

Exit status: 0 when every item succeeded, 1 when any failed, 2 on a usage error.
`;

async function projectsList(ctx: Ctx): Promise<number> {
  const status = statusArg(ctx.flags.status);
  const label = ctx.flags.label?.[0];
  const limit = ctx.flags.limit ? Number(ctx.flags.limit) : undefined;
  const items: any[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.api.request('GET', '/projects', { query: { status, label, limit: Math.min(limit ?? 100, 100), nextToken } });
    items.push(...page.body.items);
    nextToken = page.body.nextToken;
  } while (nextToken && (limit === undefined || items.length < limit));
  const shown = limit === undefined ? items : items.slice(0, limit);
  return emit(
    ctx,
    { op: 'projects list', result: true, msg: `${shown.length} project(s)`, projects: shown.map((p) => ({ result: true, msg: '', projectId: p.id, name: p.name, status: p.status, version: p.version, updatedAt: p.updatedAt })) },
    () =>
      shown.length === 0
        ? 'No projects.'
        : table(
            ['ID', 'NAME', 'STATUS', 'VERSION', 'UPDATED', 'LABELS'],
            shown.map((p) => [p.id, p.name, p.status, p.version, shortTime(p.updatedAt), (p.labels ?? []).join(',')]),
          ),
  );
}

async function projectsGet(ctx: Ctx, id: string): Promise<number> {
  const { body: p } = await ctx.api.request<ProjectBody>('GET', `/projects/${encodeURIComponent(id)}`);
  return emit(ctx, { op: 'projects get', result: true, msg: '', projects: [{ result: true, msg: '', projectId: p.id, name: p.name, project: p }] }, () => describeProject(p));
}

/** One source: `sourceId`; several (`--source A --source B`): `sourceIds`. */
const sourceFields = (ids: string[]) => (ids.length === 1 ? { sourceId: ids[0] } : { sourceIds: ids });

/** The create-body fields the flags give (create: all of them with defaults; clone: only those given). */
function projectFields(f: Ctx['flags'], defaults: boolean): Record<string, unknown> {
  const componentList = f.components ?? (defaults ? 'structure,full,incremental' : undefined);
  let migrationType: Record<string, boolean> | undefined;
  if (componentList !== undefined) {
    migrationType = Object.fromEntries(Object.values(COMPONENT_FLAGS).map((k) => [k, false]));
    for (const c of componentList.split(',').map((x) => x.trim())) {
      const key = COMPONENT_FLAGS[c];
      if (!key) throw new UsageError(`unknown component '${c}' (one of ${Object.keys(COMPONENT_FLAGS).join(', ')})`);
      migrationType[key] = true;
    }
  }
  const sources = f.source?.length ? f.source.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean) : undefined;
  const tables = f.tables?.split(',').map((t) => {
    const [schema, table, ...rest] = t.trim().split('.');
    if (!schema || !table || rest.length) throw new UsageError(`--tables takes schema.table, got '${t}'`);
    return { schema, table };
  });
  return {
    name: need(f.name, '--name'),
    ...(defaults ? { ...sourceFields(need(sources, '--source')), destinationId: need(f.destination, '--destination') } : {}),
    ...(!defaults && sources ? sourceFields(sources) : {}),
    ...(!defaults && f.destination ? { destinationId: f.destination } : {}),
    ...(migrationType ? { migrationType } : {}),
    ...(tables ? { tables } : {}),
    ...(f.label ? { labels: f.label } : {}),
    ...(f['alert-level'] ? { alertLevel: f['alert-level'].toUpperCase() } : {}),
    ...(f.description ? { description: f.description } : {}),
  };
}

async function projectsCreate(ctx: Ctx): Promise<number> {
  const { body: p } = await ctx.api.request('POST', '/projects', { body: projectFields(ctx.flags, true) });
  return emit(ctx, { op: 'projects create', result: true, msg: '', projects: [{ result: true, msg: 'created', projectId: p.id, name: p.name, status: p.status }] }, () =>
    `Created project ${p.name} (${p.id}), ${p.status}.`,
  );
}

/** A new NOT_STARTED project like an existing one (released ones too); the flags given override its fields. */
async function projectsClone(ctx: Ctx, id: string): Promise<number> {
  const { body: p } = await ctx.api.request('POST', `/projects/${encodeURIComponent(id)}/clone`, { body: projectFields(ctx.flags, false) });
  return emit(ctx, { op: 'projects clone', result: true, msg: '', projects: [{ result: true, msg: 'created', projectId: p.id, name: p.name, status: p.status, clonedFrom: id }] }, () =>
    `Created project ${p.name} (${p.id}), ${p.status}, as a clone of ${id}.`,
  );
}

/** One POST per project; every project gets a result line, failures do not stop the others. */
async function perProject(ctx: Ctx, op: string, ids: string[], path: (id: string) => string, body?: unknown, method = 'POST'): Promise<number> {
  if (ids.length === 0) throw new UsageError('give at least one project id');
  const items: ItemResult[] = [];
  const bar = new ProgressBar(ctx.io.stderr, ids.length, op);
  for (const id of ids) {
    try {
      const headers = ctx.flags['if-match'] ? { 'if-match': `"${ctx.flags['if-match'].replace(/"/g, '')}"` } : undefined;
      const { body: p } = await ctx.api.request(method, path(id), { ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
      // A multi-source project's answer says how each source fared: a source that did not is a failure of the item.
      const outcome = isOutcome(p?.outcome) ? p.outcome : undefined;
      items.push({ result: outcome ? outcome.result : true, msg: outcome?.msg ?? '', projectId: id, name: p?.name ?? '', status: p?.status, ...(outcome ? { outcome } : {}) });
    } catch (e) {
      if (e instanceof ApiError && e.problem.code === 'NETWORK_ERROR') throw e;
      items.push({ result: false, msg: errorMsg(e), projectId: id, name: '', ...(e instanceof ApiError && e.problem.currentStatus ? { status: e.problem.currentStatus } : {}) });
    }
    if (ids.length > 1) bar.update(items.length);
  }
  bar.finish();
  return emit(ctx, summarize(op, items), () => withOutcomes(resultTable(items), items));
}

async function projectsDelete(ctx: Ctx, id: string): Promise<number> {
  let confirmName = ctx.flags['confirm-name'];
  let name = '';
  if (confirmName === undefined) {
    const { body: p } = await ctx.api.request('GET', `/projects/${encodeURIComponent(id)}`);
    name = p.name;
    ctx.io.stderr.write(`Deleting project ${p.name} (${p.id}, ${p.status}) cannot be undone.\n`);
    confirmName = (await ctx.io.ask(`Type the project name to confirm: `))?.trim();
    if (confirmName !== p.name) {
      return emit(ctx, summarize('projects delete', [{ result: false, msg: 'not confirmed: the name did not match', projectId: id, name: p.name }]), () => 'Not deleted: the name did not match.');
    }
  }
  try {
    const headers = ctx.flags['if-match'] ? { 'if-match': `"${ctx.flags['if-match'].replace(/"/g, '')}"` } : undefined;
    await ctx.api.request('DELETE', `/projects/${encodeURIComponent(id)}`, { query: { confirmName }, ...(headers ? { headers } : {}) });
    return emit(ctx, summarize('projects delete', [{ result: true, msg: 'deleted', projectId: id, name: name || (confirmName ?? '') }]), () => `Deleted project ${name || confirmName}.`);
  } catch (e) {
    const items = [{ result: false, msg: errorMsg(e), projectId: id, name: name || (confirmName ?? '') }];
    return emit(ctx, summarize('projects delete', items), () => resultTable(items));
  }
}

interface Preview {
  operation: string;
  eligible: { projectId: string; name: string; status: string; updatedAt: string; version: number }[];
  ineligible: { projectId: string; name?: string; status?: string; code: string; reason: string }[];
}

interface Execution {
  operation: string;
  requested: number;
  succeeded: number;
  failed: number;
  results: { projectId: string; name: string; ok: boolean; status?: string; code?: string; message?: string; updatedAt?: string; outcome?: unknown }[];
}

const OPERATION_ALIASES: Record<string, string> = { 'alert-config': 'modify-alert-config' };

async function batch(ctx: Ctx, opArg: string | undefined): Promise<number> {
  const f = ctx.flags;
  const operation = OPERATION_ALIASES[need(opArg, 'batch operation')] ?? opArg!;
  if (!(BATCH_OPERATIONS as readonly string[]).includes(operation)) throw new UsageError(`unknown operation '${opArg}' (one of ${BATCH_OPERATIONS.join(', ')})`);
  const ids = f.ids?.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const status = statusArg(f.status);
  const label = f.label?.[0];
  // --source: the projects that read it (selector), and for pause/resume only that source in each of them.
  const sources = f.source?.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean) ?? [];
  const perSource = operation === 'pause' || operation === 'resume';
  if (!ids?.length && !status && !label && !sources.length) throw new UsageError('choose projects with --ids, --status, --label or --source');
  if (ids?.length && (status || label)) throw new UsageError('--ids cannot be combined with --status or --label');
  if (sources.length && !perSource && ids?.length) throw new UsageError(`--source with --ids applies to pause and resume only (not ${operation})`);
  if (sources.length > 1 && !ids?.length) throw new UsageError('a selector takes one --source (the projects that read it); several sources go with --ids');
  const parameters =
    operation === 'modify-alert-config' ? { level: need(f.level, '--level').toUpperCase() } : perSource && sources.length ? { sources } : undefined;
  const target = ids?.length
    ? { projectIds: ids }
    : { selector: { ...(status ? { status } : {}), ...(label ? { label } : {}), ...(sources[0] ? { sourceId: sources[0] } : {}) } };
  const op = `batch ${operation}`;

  const { body: preview } = await ctx.api.request<Preview>('POST', '/batch-operations', { body: { operation, ...target, dryRun: true, ...(parameters ? { parameters } : {}) } });
  const previewText = () => {
    const lines = [`${preview.eligible.length} project(s) will ${operation}:`];
    if (preview.eligible.length) {
      lines.push(table(['NAME', 'ID', 'STATUS', 'VERSION', 'UPDATED'], preview.eligible.map((e) => [e.name, e.projectId, e.status, e.version, shortTime(e.updatedAt)])));
      const latest = preview.eligible.map((e) => e.updatedAt).sort().at(-1);
      lines.push(`Latest change: ${shortTime(latest)}`);
    }
    if (preview.ineligible.length) {
      lines.push(`${preview.ineligible.length} project(s) skipped:`);
      lines.push(table(['NAME', 'ID', 'STATUS', 'CODE', 'REASON'], preview.ineligible.map((e) => [e.name ?? '', e.projectId, e.status ?? '', e.code, e.reason])));
    }
    return lines.join('\n');
  };
  // Projects the preview found ineligible are never sent: they are reported as skipped, not as failures.
  const skipped: ItemResult[] = preview.ineligible.map((e) => ({ result: false, skipped: true, msg: `skipped: ${e.code}: ${e.reason}`, projectId: e.projectId, name: e.name ?? '', ...(e.status ? { status: e.status } : {}) }));

  if (f['dry-run']) {
    const items: ItemResult[] = [...preview.eligible.map((e) => ({ result: true, msg: 'eligible', projectId: e.projectId, name: e.name, status: e.status, version: e.version, updatedAt: e.updatedAt })), ...skipped];
    const r = { op: `${op} (dry run)`, result: true, msg: `${preview.eligible.length} eligible, ${preview.ineligible.length} not`, projects: items };
    return emit(ctx, r, previewText);
  }
  if (preview.eligible.length === 0) {
    return emit(ctx, { op, result: true, msg: 'no eligible project', projects: skipped }, () => `${previewText()}\nNothing to do.`);
  }
  if (!f.yes) {
    // The preview goes to stderr with --json so stdout stays one JSON document.
    (ctx.json ? ctx.io.stderr : ctx.io.stdout).write(`${previewText()}\n`);
    const answer = (await ctx.io.ask(`${operation} ${preview.eligible.length} project(s)? [y/N] `))?.trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') {
      return emit(ctx, { op, result: false, msg: 'aborted: not confirmed', projects: [] }, () => 'Aborted.');
    }
  }

  // Execute exactly what was previewed: the eligible ids at the versions shown.
  const eligible = preview.eligible;
  const items: ItemResult[] = [];
  // A large selection goes as batch resources (202): the server runs them; migctl waits on their counters.
  const chunkSize = eligible.length > ASYNC_BATCH_THRESHOLD ? MAX_BATCH_SIZE : BATCH_CHUNK;
  const bar = new ProgressBar(ctx.io.stderr, eligible.length, operation);
  for (let i = 0; i < eligible.length; i += chunkSize) {
    const chunk = eligible.slice(i, i + chunkSize);
    try {
      const { status: answered, body: done } = await ctx.api.request<Execution>('POST', '/batch-operations', {
        body: {
          operation,
          projectIds: chunk.map((e) => e.projectId),
          expectedVersions: Object.fromEntries(chunk.map((e) => [e.projectId, e.version])),
          ...(parameters ? { parameters } : {}),
        },
      });
      if (answered === 202) {
        items.push(...(await awaitBatch(ctx, done as unknown as Parameters<typeof awaitBatch>[1], chunk.length)));
        continue;
      }
      for (const r of done.results) {
        items.push({ result: r.ok, msg: r.ok ? '' : `${r.code ?? 'FAILED'}${r.message ? `: ${r.message}` : ''}`, projectId: r.projectId, name: r.name, ...(r.status ? { status: r.status } : {}), ...(isOutcome(r.outcome) ? { outcome: r.outcome } : {}) });
      }
    } catch (e) {
      for (const c of chunk) items.push({ result: false, msg: errorMsg(e), projectId: c.projectId, name: c.name });
    }
    if (eligible.length > BATCH_CHUNK && chunkSize === BATCH_CHUNK) bar.update(items.length);
  }
  bar.finish();
  // The exit status follows the eligible projects only: a skipped one did not fail, it was not asked.
  const failed = items.filter((i) => !i.result).length;
  const counts = `${items.length - failed} succeeded, ${failed} failed${skipped.length ? `, ${skipped.length} skipped` : ''}`;
  const r: OpResult = { op, result: failed === 0, msg: failed || skipped.length ? counts : '', projects: [...items, ...skipped] };
  return emit(ctx, r, () => `${withOutcomes(resultTable(r.projects), items)}\n${counts}.`);
}

/** One lifecycle command (derived from its operation record) on the given projects. */
function lifecycle(ctx: Ctx, op: string, c: LifecycleCommand, ids: string[]): Promise<number> {
  let body: unknown;
  if (c.body === 'alertLevel') body = { level: need(ctx.flags.level, '--level').toUpperCase() };
  if (c.body === 'step') {
    const step = need(ctx.flags.step, '--step').toUpperCase();
    if (!/^[A-Z_]+$/.test(step)) throw new UsageError('--step must be a switchover step name, e.g. CONFIRM_SOURCE_WRITES_STOPPED');
    body = { step };
  }
  const sources = ctx.flags.source?.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
  if (sources?.length) {
    if (c.body !== 'sources') throw new UsageError(`--source applies to pause and resume only (not ${op})`);
    body = { sources };
  }
  return perProject(ctx, op, ids, c.path, body, c.method);
}

function switchover(ctx: Ctx, sub: string | undefined, id: string | undefined): Promise<number> {
  const c = switchoverCommand(need(sub, `switchover step (${SWITCHOVER_SUBCOMMANDS.join('|')})`));
  if (!c) throw new UsageError(`unknown switchover command '${sub}' (${SWITCHOVER_SUBCOMMANDS.join(', ')})`);
  return lifecycle(ctx, `switchover ${sub}`, c, [need(id, 'project id')]);
}

/** The local server's failure injection (POST /local/projects/{id}/fail-subtask; not a deployed route). */
async function failSubtask(ctx: Ctx, id: string): Promise<number> {
  const f = ctx.flags;
  const atPercent = f['at-percent'] === undefined ? undefined : Number(f['at-percent']);
  if (atPercent !== undefined && !(atPercent >= 0 && atPercent <= 100)) throw new UsageError('--at-percent takes a number from 0 to 100');
  const body = { ...(f.subtask ? { subtask: f.subtask.toUpperCase() } : {}), ...(atPercent !== undefined ? { atPercent } : {}), ...(f.message ? { message: f.message } : {}) };
  let r;
  try {
    r = await ctx.api.request('POST', `/local/projects/${encodeURIComponent(id)}/fail-subtask`, { body });
  } catch (e) {
    if (e instanceof ApiError && (e.problem.code === 'ROUTE_NOT_FOUND' || e.problem.code === 'ROUTE_NOT_FOUND_OR_UNSIGNED')) {
      throw new ApiError(e.status, { ...e.problem, detail: 'fail-subtask works against the local server (npm start) only; this endpoint has no such route.' });
    }
    throw e;
  }
  const p = r.body as { projectId: string; name: string; subtask: string; atPercent: number; message: string };
  return emit(ctx, { op: 'fail-subtask', result: true, msg: '', projects: [{ result: true, msg: `${p.subtask} fails at ${p.atPercent} %`, projectId: p.projectId, name: p.name, subtask: p.subtask }] }, () =>
    `${p.subtask} of ${p.name} will fail ${p.atPercent === 0 ? 'at its next poll' : `at ${p.atPercent} %`}: "${p.message}". Watch it: migctl projects get ${p.projectId}`,
  );
}

async function dispatch(ctx: Ctx, positionals: string[]): Promise<number> {
  const [command, sub, ...rest] = positionals;
  switch (command) {
    case 'projects':
      switch (sub) {
        case 'list':
          return projectsList(ctx);
        case 'get':
          return projectsGet(ctx, need(rest[0], 'project id'));
        case 'create':
          return projectsCreate(ctx);
        case 'clone':
          return projectsClone(ctx, need(rest[0], 'project id'));
        case 'delete':
          return projectsDelete(ctx, need(rest[0], 'project id'));
        default: {
          const c = sub === undefined ? undefined : lifecycleCommand(sub);
          if (!c) throw new UsageError(`unknown projects command '${sub ?? ''}'`);
          return lifecycle(ctx, `projects ${sub}`, c, rest);
        }
      }
    case 'alert-level': {
      const c = lifecycleCommand('alert-config');
      if (sub !== 'set' || !c) throw new UsageError(`usage: migctl alert-level set <id>...${c ? bodyFlag(c) : ''}`);
      return lifecycle(ctx, 'alert-level set', c, rest);
    }
    case 'batch':
      if (sub === 'get') return batchGet(ctx, need(rest[0], 'batch id'));
      if (sub === 'list') return batchList(ctx);
      return batch(ctx, sub);
    case 'switchover':
      return switchover(ctx, sub, rest[0]);
    case 'events':
      return events(ctx, need(sub, 'project id'));
    case 'alerts':
      return alerts(ctx, need(sub, 'project id'));
    case 'data-sources':
    case 'ds':
      return dataSources(ctx, sub, rest[0]);
    case 'wait':
      return wait(ctx, need(sub, 'project id'));
    case 'watch':
      return watch(ctx, need(sub, 'project id'));
    case 'fail-subtask':
      return failSubtask(ctx, need(sub, 'project id'));
    default:
      throw new UsageError(command ? `unknown command '${command}'` : 'no command given');
  }
}

export async function run(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    io.stderr.write(`migctl: ${(e as Error).message}\nRun 'migctl --help' for usage.\n`);
    return 2;
  }
  const { values: flags, positionals } = parsed;
  if (flags.help || positionals.length === 0) {
    io.stdout.write(HELP);
    return flags.help ? 0 : 2;
  }
  const endpoint = flags.endpoint ?? io.env.MIGCTL_ENDPOINT ?? 'http://localhost:3000';
  const json = flags.json === true;
  try {
    let sign: RequestSigner | undefined;
    if (shouldSign(endpoint, flags['no-sigv4'] ? false : flags.sigv4)) {
      const region = resolveRegion(flags.region, endpoint, io.env, flags.profile);
      if (!region) throw new UsageError('no region to sign for: pass --region or set AWS_REGION');
      const { defaultCredentialChain } = await import('../adapters/aws/credentials');
      const credentials = await defaultCredentialChain(flags.profile);
      sign = (req) => signRequest(req, { region, credentials });
    }
    const api = new ApiClient({ endpoint, ...(sign ? { sign } : {}), ...(io.fetch ? { fetch: io.fetch } : {}), ...(io.sleep ? { sleep: io.sleep } : {}), ...(flags.actor ? { actor: flags.actor } : {}) });
    return await dispatch({ api, flags, io, json }, positionals);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`migctl: ${e.message}\nRun 'migctl --help' for usage.\n`);
      return 2;
    }
    const op = positionals.slice(0, 2).join(' ');
    const unreachable = e instanceof ApiError && e.problem.code === 'NETWORK_ERROR';
    const source = flags.endpoint ? 'flag' : io.env.MIGCTL_ENDPOINT ? 'env' : 'default';
    const msg = unreachable ? unreachableHelp(endpoint, source, String(e.problem.detail ?? '')) : errorMsg(e);
    if (json) io.stdout.write(`${JSON.stringify({ op, result: false, msg, projects: [] }, null, 2)}\n`);
    else io.stderr.write(`migctl: ${msg}\n`);
    return 1;
  }
}

/** Process streams: answers are read line by line from stdin (a terminal or a pipe). */
export function processIo(): Io {
  let lines: AsyncIterator<string> | undefined;
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    ask: async (question) => {
      process.stderr.write(question);
      lines ??= createInterface({ input: process.stdin, terminal: false })[Symbol.asyncIterator]();
      const next = await lines.next();
      return next.done ? undefined : next.value;
    },
    onInterrupt: (fn) => {
      process.once('SIGINT', fn);
      return () => process.off('SIGINT', fn);
    },
  };
}
