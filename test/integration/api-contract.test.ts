import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../infra/local/api-server';
import { ROUTES } from '../../shared/api/routes';
import { AuditEventList, DataSourceList, DataSourceView, Problem, ProjectList, ProjectView } from '../../shared/api/responses';
import { call, createDataSources, createProject, useLocalTable } from '../support/harness';

describe('the API answers as its OpenAPI document says', () => {
  let ds: { sourceId: string; destinationId: string };
  const server = createApiServer();
  let base: string;

  beforeAll(async () => {
    await useLocalTable();
    ds = await createDataSources('contract');
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => {
    server.close();
    server.closeAllConnections();
  });

  it('GET /openapi.json over HTTP serves the checked-in document', async () => {
    // Act
    const res = await fetch(`${base}/openapi.json`);

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual(JSON.parse(readFileSync(join(__dirname, '../../shared/api/openapi.json'), 'utf8')));
  });

  it('HEAD on every GET route answers as GET without a body: status, ETag and headers', async () => {
    // Prepare
    const p = await createProject(ds);
    // Every GET route of the table (a new one is covered without a change here), plus a query and a 404.
    const ids: Record<string, string> = { '/projects/': p.id, '/data-sources/': ds.sourceId, '/batch-operations/': '3b0c8f5e-1d2a-4e6b-9c7d-2a1f0e9d8c7b' };
    const concrete = (path: string) => path.replace(/^(\/[a-z-]+\/)\{id\}/, (_, prefix: string) => `${prefix}${ids[prefix] ?? 'unknown-prefix'}`);
    const paths = [...ROUTES.filter((r) => r.method === 'GET').map((r) => concrete(r.path)), '/projects?limit=2', '/projects/nope'];
    expect(paths.filter((path) => path.includes('{') || path.includes('unknown-prefix'))).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining(['/batch-operations', '/batch-operations/3b0c8f5e-1d2a-4e6b-9c7d-2a1f0e9d8c7b', `/projects/${p.id}/events`]));

    for (const path of paths) {
      // Act
      const get = await fetch(`${base}${path}`);
      const getBody = await get.arrayBuffer();
      const head = await fetch(`${base}${path}`, { method: 'HEAD' });
      const headBody = await head.arrayBuffer();

      // Assess
      expect(head.status, path).toBe(get.status);
      expect(headBody.byteLength, path).toBe(0);
      expect(head.headers.get('content-type'), path).toBe(get.headers.get('content-type'));
      expect(head.headers.get('etag'), path).toBe(get.headers.get('etag'));
      if (path === '/openapi.json') expect(Number(head.headers.get('content-length'))).toBe(getBody.byteLength);
    }
    const one = await fetch(`${base}/projects/${p.id}`, { method: 'HEAD' });
    expect(one.headers.get('etag')).toBe(`"${p.version}"`);
  });

  it('HEAD on a route that has no GET is 405, as any other missing method', async () => {
    // Act
    // (/batch-operations has a GET now: the listing of batch resources)
    const res = await fetch(`${base}/projects/3b0c8f5e-1d2a-4e6b-9c7d-2a1f0e9d8c7b/pause`, { method: 'HEAD' });

    // Assess
    expect(res.status).toBe(405);
  });

  it('projects, lists, events and data sources match the response schemas exactly', async () => {
    // Prepare
    const p = await createProject(ds, { labels: ['team:a'], tables: [{ schema: 's', table: 't' }] });
    await call('POST', `/projects/${p.id}/start`);
    const paused = await call('POST', `/projects/${p.id}/pause`);

    // Act
    const got = await call('GET', `/projects/${p.id}`);
    const list = await call('GET', '/projects?limit=5');
    const events = await call('GET', `/projects/${p.id}/events`);
    const source = await call('GET', `/data-sources/${ds.sourceId}`);
    const sources = await call('GET', '/data-sources');
    const missing = await call('GET', '/projects/nope');

    // Assess
    ProjectView.strict().parse(paused.body);
    ProjectView.strict().parse(got.body);
    ProjectList.parse(list.body);
    for (const item of list.body.items) ProjectView.strict().parse(item);
    AuditEventList.parse(events.body);
    DataSourceView.strict().parse(source.body);
    DataSourceList.parse(sources.body);
    expect(missing.status).toBe(404);
    expect(Problem.parse(missing.body).code).toBe('PROJECT_NOT_FOUND');
  });
});
