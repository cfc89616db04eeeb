import { beforeAll, describe, expect, it } from 'vitest';
import { call, createDataSources, createProject, ManualClock, useLocalTable } from '../support/harness';

/**
 * A caller who decodes a page token (its first dot-separated part is base64url JSON, or the whole token
 * if it has no dot), edits the position in it and sends it back: the edited token is not one we issued.
 */
function edited(token: string, edit: (json: string) => string): string {
  const [payload, ...rest] = token.split('.');
  const json = Buffer.from(payload as string, 'base64url').toString('utf8');
  return [Buffer.from(edit(json), 'utf8').toString('base64url'), ...rest].join('.');
}

const qs = (token: string) => `nextToken=${encodeURIComponent(token)}`;

describe('page tokens are opaque, authenticated and bound to their listing (DynamoDB Local)', () => {
  const clock = new ManualClock();
  let ids: string[] = [];

  beforeAll(async () => {
    // Prepare: 5 projects one millisecond apart, labels a / b, and a few data sources
    await useLocalTable({ clock });
    const ds = await createDataSources('tok');
    await createDataSources('tok2');
    ids = [];
    for (let i = 0; i < 5; i++) {
      clock.advance(1);
      ids.push((await createProject(ds, { labels: ['tok', i % 2 ? 'tok-a' : 'tok-b'] })).id);
    }
  });

  it('a genuine token continues its listing', async () => {
    // Act
    const first = await call('GET', '/projects?label=tok&limit=2');
    const second = await call('GET', `/projects?label=tok&limit=2&${qs(first.body.nextToken)}`);

    // Assess
    expect(second.status).toBe(200);
    expect(second.body.items.map((p: { id: string }) => p.id)).toEqual([ids[2], ids[1]]);
  });

  it('a token edited to another position (another project id in it) is 400 INVALID_NEXT_TOKEN', async () => {
    // Prepare: the token after ids[3] holds one cursor per shard; move a finished shard back to its start, which would re-list its items
    const first = await call('GET', '/projects?label=tok&limit=2');
    const forged = edited(first.body.nextToken, (json) => JSON.stringify((JSON.parse(json) as unknown[]).map((c, i, all) => (i === all.indexOf(0) ? '' : c))));

    // Act
    const r = await call('GET', `/projects?label=tok&limit=2&${qs(forged)}`);

    // Assess
    expect(forged).not.toBe(first.body.nextToken);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('INVALID_NEXT_TOKEN');
  });

  it('a token with a changed timestamp (same id) is 400 INVALID_NEXT_TOKEN', async () => {
    // Prepare
    const first = await call('GET', '/projects?limit=1');
    const position = `${new Date(clock.ms).toISOString()}#${ids[4]}`;
    const forged = edited(first.body.nextToken, (json) => JSON.stringify((JSON.parse(json) as unknown[]).map((c) => (c === '' ? position.replace(/^\d{4}/, '2099') : c))));

    // Act
    const r = await call('GET', `/projects?limit=1&${qs(forged)}`);

    // Assess
    expect(forged).not.toBe(first.body.nextToken);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('INVALID_NEXT_TOKEN');
  });

  it('an edited data-source token is 400 INVALID_NEXT_TOKEN', async () => {
    // Prepare
    const first = await call('GET', '/data-sources?limit=1');
    const forged = edited(first.body.nextToken, (json) => json.replace(/"DATASOURCE#[^"]*"/, '"DATASOURCE#zzzz"').replace(/#[0-9a-f-]{36}"/g, '#zzzz"'));

    // Act
    const r = await call('GET', `/data-sources?limit=1&${qs(forged)}`);

    // Assess
    expect(forged).not.toBe(first.body.nextToken);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('INVALID_NEXT_TOKEN');
  });

  it('a token of one listing is refused by another: other label, other status filter, other collection', async () => {
    // Prepare
    const byLabel = (await call('GET', '/projects?label=tok-b&limit=1')).body.nextToken as string;
    const all = (await call('GET', '/projects?limit=1')).body.nextToken as string;
    const sources = (await call('GET', '/data-sources?limit=1')).body.nextToken as string;

    // Act
    const otherLabel = await call('GET', `/projects?label=tok-a&limit=1&${qs(byLabel)}`);
    const projectsAsSources = await call('GET', `/data-sources?limit=1&${qs(all)}`);
    const sourcesAsProjects = await call('GET', `/projects?limit=1&${qs(sources)}`);

    // Assess
    for (const r of [otherLabel, projectsAsSources, sourcesAsProjects]) {
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('INVALID_NEXT_TOKEN');
    }
  });

  it('a token whose tail was cut or changed is 400 INVALID_NEXT_TOKEN', async () => {
    // Prepare
    const token = (await call('GET', '/projects?limit=1')).body.nextToken as string;
    const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');

    // Act
    const cut = await call('GET', `/projects?limit=1&${qs(token.slice(0, -3))}`);
    const changed = await call('GET', `/projects?limit=1&${qs(flipped)}`);

    // Assess
    expect(cut.body.code).toBe('INVALID_NEXT_TOKEN');
    expect(changed.body.code).toBe('INVALID_NEXT_TOKEN');
  });
});
