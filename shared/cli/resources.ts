import { emit, errorMsg, need, summarize, UsageError, type Ctx } from './common';
import { shortTime, table } from './output';

/** Data sources, and the paged read-outs of a project (events, alerts). */

/** Every item of a paged list: follows nextToken to the end (or to `max`). */
export async function allPages(ctx: Ctx, path: string, query: Record<string, string | undefined> = {}, max = Infinity): Promise<any[]> {
  const items: any[] = [];
  let nextToken: string | undefined;
  do {
    const { body } = await ctx.api.request('GET', path, { query: { ...query, limit: 100, nextToken } });
    items.push(...(body.items ?? []));
    nextToken = body.nextToken;
  } while (nextToken && items.length < max);
  return items;
}

const dsPath = (id: string) => `/data-sources/${encodeURIComponent(id)}`;

function dsItem(d: any) {
  return { result: true, msg: '', projectId: d.id, name: d.name, dataSource: d };
}

async function create(ctx: Ctx): Promise<number> {
  const f = ctx.flags;
  const port = Number(need(f.port, '--port'));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError('--port must be a port number (1-65535)');
  const body = {
    name: need(f.name, '--name'),
    engine: need(f.engine, '--engine'),
    host: need(f.host, '--host'),
    port,
    username: need(f.username, '--username'),
    ...(f.database ? { database: f.database } : {}),
    ...(f['secret-arn'] ? { secretArn: f['secret-arn'] } : {}),
  };
  const { body: d } = await ctx.api.request('POST', '/data-sources', { body });
  return emit(ctx, { op: 'data-sources create', result: true, msg: 'created', projects: [dsItem(d)] }, () => `Created data source ${d.name} (${d.id}).`);
}

async function list(ctx: Ctx): Promise<number> {
  const items = await allPages(ctx, '/data-sources');
  return emit(ctx, { op: 'data-sources list', result: true, msg: `${items.length} data source(s)`, projects: items.map(dsItem) }, () =>
    items.length === 0
      ? 'No data sources.'
      : table(
          ['ID', 'NAME', 'ENGINE', 'HOST', 'PORT', 'DATABASE', 'USED BY', 'CREATED'],
          items.map((d) => [d.id, d.name, d.engine, d.host, d.port, d.database ?? '', d.refCount ?? 0, shortTime(d.createdAt)]),
        ),
  );
}

async function get(ctx: Ctx, id: string): Promise<number> {
  const { body: d } = await ctx.api.request('GET', dsPath(id));
  return emit(ctx, { op: 'data-sources get', result: true, msg: '', projects: [dsItem(d)] }, () =>
    Object.entries(d)
      .map(([k, v]) => `${`${k}:`.padEnd(12)}${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join('\n'),
  );
}

async function remove(ctx: Ctx, id: string): Promise<number> {
  try {
    await ctx.api.request('DELETE', dsPath(id));
    return emit(ctx, summarize('data-sources delete', [{ result: true, msg: 'deleted', projectId: id, name: '' }]), () => `Deleted data source ${id}.`);
  } catch (e) {
    if ((e as { problem?: { code?: string } }).problem?.code === 'NETWORK_ERROR') throw e;
    return emit(ctx, summarize('data-sources delete', [{ result: false, msg: errorMsg(e), projectId: id, name: '' }]), () => `Not deleted: ${errorMsg(e)}`);
  }
}

const yesNo = (v: boolean | undefined) => (v === undefined ? '-' : v ? 'yes' : 'NO');

async function testConnection(ctx: Ctx, id: string): Promise<number> {
  const { body: t } = await ctx.api.request('POST', `${dsPath(id)}/test-connection`);
  // A connection that was tried and failed is a failed item; "nothing connects to this kind" is not checked, not failed.
  const ok = t.checked === false || (t.reachable !== false && t.authenticated !== false && t.changeCapture?.ok !== false);
  return emit(ctx, summarize('data-sources test-connection', [{ result: ok, msg: t.message ?? '', projectId: id, name: '', connection: t }]), () =>
    [
      `data source:    ${id} (${t.engine ?? '?'})`,
      `checked:        ${t.checked ? 'yes' : 'NO (no engine of this deployment connects to it)'}`,
      ...(t.checked ? [`reachable:      ${yesNo(t.reachable)}`, `authenticated:  ${yesNo(t.authenticated)}`, `server version: ${t.serverVersion ?? '-'}`] : []),
      ...(t.changeCapture ? [`change capture: ${t.changeCapture.ok ? 'ok' : 'NOT READY'} ${JSON.stringify(t.changeCapture.detail ?? {})}`] : []),
      `message:        ${t.message ?? ''}`,
    ].join('\n'),
  );
}

export async function dataSources(ctx: Ctx, sub: string | undefined, id: string | undefined): Promise<number> {
  switch (sub) {
    case 'create':
      return create(ctx);
    case 'list':
      return list(ctx);
    case 'get':
      return get(ctx, need(id, 'data source id'));
    case 'delete':
      return remove(ctx, need(id, 'data source id'));
    case 'test-connection':
    case 'test':
      return testConnection(ctx, need(id, 'data source id'));
    default:
      throw new UsageError(`unknown data-sources command '${sub ?? ''}' (create, list, get, delete, test-connection)`);
  }
}

export async function events(ctx: Ctx, id: string): Promise<number> {
  const items = await allPages(ctx, `/projects/${encodeURIComponent(id)}/events`);
  return emit(ctx, { op: 'events', result: true, msg: `${items.length} event(s)`, projects: [{ result: true, msg: '', projectId: id, name: '', events: items }] }, () =>
    table(['AT', 'OPERATION', 'FROM', 'TO', 'VERSION', 'ACTOR'], items.map((e) => [shortTime(e.at), e.operation, e.from ?? '-', e.to ?? '-', e.version, e.actor])),
  );
}

export async function alerts(ctx: Ctx, id: string): Promise<number> {
  const items = await allPages(ctx, `/projects/${encodeURIComponent(id)}/alerts`);
  return emit(ctx, { op: 'alerts', result: true, msg: `${items.length} alert(s)`, projects: [{ result: true, msg: '', projectId: id, name: '', alerts: items }] }, () =>
    items.length === 0
      ? 'No alerts.'
      : table(
          ['AT', 'CONDITION', 'SEVERITY', 'LEVEL', 'NOTIFIED', 'MESSAGE'],
          items.map((a) => [shortTime(a.at), a.condition, a.severity, a.level, a.notifiedAt ? shortTime(a.notifiedAt) : 'no', a.message]),
        ),
  );
}
