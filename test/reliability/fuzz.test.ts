import type { AddressInfo } from 'node:net';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, matchRoute } from '../../infra/local/api-server';
import { localDocumentClient } from '../../infra/local/dynamodb-local';
import { ROUTES } from '../../shared/api/routes';
import { keys } from '../../shared/table';
import { call, createDataSources, useLocalTable } from '../support/harness';
import { projectIn } from '../support/seed';
import { describeCase, fuzzCase, targetOf, validBody, type Fixture, type FuzzCase } from './fuzz/cases';
import { carriesValidKey, refusalOf, schemasOf, sourcesAnswer, type SourcesSubject } from './fuzz/oracle';
import { diffSnapshots, isIdempotencyKey, newIdempotencyRecords, snapshotTable, type TableSnapshot } from './fuzz/table-snapshot';
import { contractViolation, problemCode, viaCall, viaSocket, type Answer } from './fuzz/transport';
import { HEAVY, report, SEED, size } from './support/profile';

/**
 * Fuzzing the API (issue 9): every route, through the handler modules (the REST proxy event API
 * Gateway sends) and as raw bytes through the local HTTP server, with inputs derived from the zod
 * schemas (near-valid bodies with one field wrong, missing or extra) and raw garbage (wrong JSON types,
 * huge and unicode strings, deep nesting, bad ids, queries and headers, oversized batches, unknown ids).
 *
 * Properties: no answer >= 500; every 4xx is problem+json with type/title/status/code (status as sent);
 * a request the contract refuses (test/reliability/fuzz/oracle.ts) gets a 4xx, and a batch of refused or
 * read-only requests leaves every record as it was (the whole table, scanned before and after). Valid
 * requests the fuzzer happens to produce run afterwards, under the first two properties only.
 */

const CASES_PER_RUN = 25;
const RUNS = size(220, 16);

describe('fuzzing the API', () => {
  let tableName: string;
  let endpoint: string;
  let fx: Fixture;
  let port: number;
  const server = createApiServer();
  const client = () => localDocumentClient(endpoint);
  let db: ReturnType<typeof localDocumentClient>;

  const figures = { cases: 0, runs: 0, refused: 0, readOnly: 0, deferred: 0, byFamily: new Map<string, number>() };

  beforeAll(async () => {
    ({ tableName, endpoint } = await useLocalTable());
    db = client();
    const ds = await createDataSources('fuzz');
    const projects: Record<string, string[]> = {};
    const names: string[] = [];
    for (const [status, n] of [
      ['NOT_STARTED', 3],
      ['RUNNING', 3],
      ['PAUSED', 2],
      ['RELEASED', 1],
      ['FAILED', 1],
      ['COMPLETED', 1],
    ] as const) {
      for (let i = 0; i < n; i++) {
        const p = await projectIn(status, ds);
        (projects[status] ??= []).push(p.id);
        names.push(p.name);
      }
    }
    fx = { ...ds, projects, projectNames: names };
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => {
    server.close();
    server.closeAllConnections();
    db?.destroy();
  });

  async function send(c: FuzzCase): Promise<Answer> {
    const sent = { method: c.method, target: targetOf(c), headers: c.headers, ...(c.body !== undefined ? { body: c.body } : {}) };
    // A header value with CR/LF would split into other requests on the wire: such cases go to the handler only.
    const framingUnsafe = Object.entries(c.headers).some(([k, v]) => /[\r\n]/.test(k + v));
    if (c.via === 'call' || framingUnsafe) {
      const a = await viaCall(sent);
      if (a) return a;
    }
    return viaSocket(port, sent);
  }

  /** Sends a set of cases, a few at a time, and returns the contract violations. */
  async function runCases(cases: FuzzCase[], mustRefuse: (c: FuzzCase) => boolean): Promise<{ violations: string[]; answers: Answer[] }> {
    const violations: string[] = [];
    const answers: Answer[] = new Array<Answer>(cases.length);
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const i = next++;
        const c = cases[i] as FuzzCase;
        let a: Answer;
        try {
          a = await send(c);
        } catch (e) {
          violations.push(`${describeCase(c)} → threw ${(e as Error).message}`);
          continue;
        }
        answers[i] = a;
        const v = contractViolation(a);
        if (v) violations.push(`${describeCase(c)} → ${v}`);
        else if (mustRefuse(c) && (a.status < 400 || a.status >= 500)) {
          violations.push(`${describeCase(c)} → ${a.status} although the contract refuses it (${refusalOf(c) ?? 'unknown id'}): ${a.text.slice(0, 200)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    return { violations, answers };
  }

  /** A dot-segment id ("." or "%2E") is resolved away by URL normalisation: the request reaches another route (e.g. GET /data-sources/). */
  const normalisedElsewhere = (c: FuzzCase) => {
    if (!c.route) return false;
    try {
      const m = matchRoute(c.method, new URL(targetOf(c), 'http://localhost').pathname).match;
      return m !== undefined && m.route !== c.route;
    } catch {
      return false;
    }
  };
  const isRefused = (c: FuzzCase) =>
    (!normalisedElsewhere(c) && (c.transportRefuses === true || refusalOf(c) !== undefined)) || (c.nonexistentTarget === true && c.route?.fn !== 'batch-operations');
  const isReadOnly = (c: FuzzCase) =>
    c.method === 'GET' ||
    (c.route?.fn === 'batch-operations' && c.nonexistentTarget === true && refusalOf(c) === undefined) ||
    (c.route?.fn === 'batch-operations' && refusalOf(c) === undefined && (JSON.parse((c.body as Buffer).toString('utf8')) as { dryRun?: boolean }).dryRun === true);

  describe('the checks themselves', () => {
    it('the oracle accepts each route’s valid request and refuses a known-bad one', () => {
      // Prepare
      const id = fx.projects.RUNNING?.[0] as string;
      for (const route of ROUTES) {
        const body = schemasOf(route).body ? validBody(route, fx) : undefined;
        const req = {
          method: route.method,
          route,
          pathParameters: route.path.includes('{id}') ? { id } : undefined,
          headers: { 'Content-Type': 'application/json' },
          ...(body ? { body: Buffer.from(JSON.stringify(body)) } : {}),
        };

        // Assess
        expect(refusalOf(req), `${route.method} ${route.path}`).toBeUndefined();
        expect(refusalOf({ ...req, pathParameters: route.path.includes('{id}') ? { id: '../x' } : undefined, query: [['limit', '-1']] }), `${route.method} ${route.path}`).toBeDefined();
      }
      const lifecycle = ROUTES.find((r) => r.operation === 'pause');
      expect(refusalOf({ method: 'POST', route: lifecycle, pathParameters: { id }, headers: { 'If-Match': 'nope' } })).toBe('if-match');
      expect(refusalOf({ method: 'POST', route: lifecycle, pathParameters: { id }, headers: { 'Idempotency-Key': 'é' } })).toBe('idempotency key');
      expect(refusalOf({ method: 'POST', route: lifecycle, pathParameters: { id }, headers: { 'Content-Type': 'text/plain' }, body: Buffer.from('{}') })).toBe('media type');
    });

    it('the per-source oracle refuses what the README refuses: a sources body on a single-source, a PAUSED or an unknown project, a foreign id, a repeat pause, a resume of a running or expired source', () => {
      // Prepare
      const running: SourcesSubject = { status: 'RUNNING', sourceIds: ['a', 'b', 'c'], pausedOnOwn: ['b'], expired: [] };

      // Assess
      expect(sourcesAnswer(running, 'pause', ['a'])).toEqual({ status: 200 });
      expect(sourcesAnswer(running, 'resume', ['b'])).toEqual({ status: 200 });
      expect(sourcesAnswer({ ...running, sourceIds: ['a'], pausedOnOwn: [] }, 'pause', ['a'])).toEqual({ status: 409, code: 'NOT_MULTI_SOURCE' });
      expect(sourcesAnswer({ ...running, status: 'PAUSED' }, 'resume', ['b'])).toEqual({ status: 409, code: 'INVALID_STATE' });
      expect(sourcesAnswer(undefined, 'pause', ['a'])).toEqual({ status: 404, code: 'PROJECT_NOT_FOUND' });
      expect(sourcesAnswer(running, 'pause', ['a', 'x'])).toEqual({ status: 400, code: 'VALIDATION_FAILED', path: ['body', 'sources', 1] });
      expect(sourcesAnswer(running, 'pause', ['b'])).toEqual({ status: 409, code: 'SOURCE_NOT_RUNNING' });
      expect(sourcesAnswer(running, 'resume', ['a'])).toEqual({ status: 409, code: 'SOURCE_NOT_PAUSED' });
      expect(sourcesAnswer({ ...running, expired: ['b'] }, 'resume', ['b'])).toEqual({ status: 409, code: 'SOURCE_PAUSE_EXPIRED' });
    });

    it('the answer check flags a 5xx, a 4xx that is not problem+json, and a problem whose status differs', () => {
      const problem = (status: number, bodyStatus = status) =>
        JSON.stringify({ type: 'urn:x', title: 't', status: bodyStatus, code: 'C' });
      expect(contractViolation({ status: 400, headers: { 'content-type': 'application/problem+json' }, text: problem(400) })).toBeUndefined();
      expect(contractViolation({ status: 200, headers: { 'content-type': 'application/json' }, text: '{}' })).toBeUndefined();
      expect(contractViolation({ status: 500, headers: { 'content-type': 'application/problem+json' }, text: problem(500) })).toBeDefined();
      expect(contractViolation({ status: 503, headers: { 'content-type': 'application/problem+json' }, text: problem(503) })).toBeDefined();
      expect(contractViolation({ status: 400, headers: { 'content-type': 'text/plain' }, text: 'Bad Request' })).toBeDefined();
      expect(contractViolation({ status: 431, headers: {}, text: '' })).toBeDefined();
      expect(contractViolation({ status: 404, headers: { 'content-type': 'application/problem+json' }, text: problem(404, 400) })).toBeDefined();
      expect(contractViolation({ status: 409, headers: { 'content-type': 'application/problem+json' }, text: '{"title":"t","status":409}' })).toBeDefined();
    });

    it('the table snapshot sees a changed record, and ignores nothing but Idempotency-Key records', async () => {
      // Prepare
      const id = fx.projects.NOT_STARTED?.[0] as string;
      const before = await snapshotTable(db, tableName);

      // Act: a change no API call made
      await db.send(
        new UpdateCommand({ TableName: tableName, Key: keys.project(id), UpdateExpression: 'SET fuzzProbe = :v', ExpressionAttributeValues: { ':v': 1 } }),
      );
      const after = await snapshotTable(db, tableName);
      await db.send(new UpdateCommand({ TableName: tableName, Key: keys.project(id), UpdateExpression: 'REMOVE fuzzProbe' }));

      // Assess
      expect(diffSnapshots(before, after, isIdempotencyKey).changed).toEqual([`PROJECT#${id} PROJECT`]);
      expect(diffSnapshots(before, await snapshotTable(db, tableName), isIdempotencyKey)).toEqual({ added: [], removed: [], changed: [] });
    });
  });

  describe('defects the fuzzer found (regressions)', () => {
    it('a path segment that is not valid percent-encoding is a 400 problem, not a 500 (local HTTP server)', async () => {
      // Act
      const answers = await Promise.all(
        ['/projects/%/events', '/projects/%E0%A4%A/pause', '/data-sources/%ZZ'].map((target) =>
          viaSocket(port, { method: target.endsWith('pause') ? 'POST' : 'GET', target, headers: {} }),
        ),
      );

      // Assess
      for (const a of answers) {
        expect(contractViolation(a)).toBeUndefined();
        expect(a.status).toBe(400);
        expect(problemCode(a)).toBe('VALIDATION_FAILED');
      }
    });

    it('a malformed If-Match claims no Idempotency-Key: the corrected retry with the same key runs', async () => {
      // Prepare
      const ds = await createDataSources('fuzz-ifmatch');
      const p = await projectIn('RUNNING', ds);
      const key = `fuzz-${p.id}`;
      const before = await snapshotTable(db, tableName);

      // Act
      const refused = await call('POST', `/projects/${p.id}/pause`, { headers: { 'If-Match': 'garbage', 'Idempotency-Key': key } });
      const afterRefusal = await snapshotTable(db, tableName);
      const retried = await call('POST', `/projects/${p.id}/pause`, { headers: { 'If-Match': `"${p.version}"`, 'Idempotency-Key': key } });

      // Assess
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('VALIDATION_FAILED');
      expect(newIdempotencyRecords(before, afterRefusal)).toBe(0);
      expect(retried.headers['idempotent-replayed']).toBeUndefined();
      expect(retried.status).toBe(200);
      expect(retried.body.status).toBe('PAUSED');
    });

    it('a request Node’s HTTP parser rejects is answered as problem+json (local HTTP server)', async () => {
      // Act
      const ctl = await viaSocket(port, { method: 'GET', target: '/projects', headers: { 'X-Del': 'a\u007fb' } });
      const big = await viaSocket(port, { method: 'GET', target: '/projects', headers: { 'X-Big': 'a'.repeat(20_000) } });
      const line = await viaSocket(port, Buffer.from('GET /projects HTTP/9.9 nonsense\r\n\r\n'));

      // Assess
      for (const [a, status] of [[ctl, 400], [big, 431], [line, 400]] as const) {
        expect(contractViolation(a)).toBeUndefined();
        expect(a.status).toBe(status);
      }
    });

    it('a query parameter or header named "constructor" or "__proto__" is an unknown parameter, not a 500 (local HTTP server)', async () => {
      // Act
      const ctor = await viaSocket(port, { method: 'GET', target: '/projects?constructor=x', headers: {} });
      const proto = await viaSocket(port, { method: 'GET', target: '/projects?__proto__=x', headers: {} });
      const header = await viaSocket(port, { method: 'GET', target: '/projects?limit=1', headers: { constructor: 'x', __proto__: 'y' } });

      // Assess
      for (const a of [ctor, proto]) {
        expect(contractViolation(a)).toBeUndefined();
        expect(a.status).toBe(400);
        expect(problemCode(a)).toBe('VALIDATION_FAILED');
      }
      expect(header.status).toBe(200);
    });

    it('a well-formed page token with keys of another listing is 400 INVALID_NEXT_TOKEN, not a 500', async () => {
      // Prepare: the shape this API issues, with a partition value that is not the listing's
      const token = (key: Record<string, string>) => Buffer.from(JSON.stringify(key)).toString('base64url');
      const foreign = token({ pk: 'valueOf', sk: 'PROJECT', gsi1pk: '0', gsi1sk: '.R' });
      const foreignStatus = token({ pk: 'x', sk: 'y', gsi2pk: 'PROJECT#STATUS#NOPE', gsi2sk: 'z' });

      // Act
      const answers = [
        await call('GET', `/data-sources?nextToken=${foreign}`),
        await call('GET', `/projects?nextToken=${foreign}`),
        await call('GET', `/projects?status=RUNNING&nextToken=${foreignStatus}`),
      ];

      // Assess
      for (const a of answers) {
        expect(a.status, JSON.stringify(a.body)).toBe(400);
        expect(a.body.code).toBe('INVALID_NEXT_TOKEN');
      }
    });
  });

  it('pause/resume with a {"sources": [...]} body: every answer is the one the README documents (valid, foreign and repeated-elsewhere source ids; single-source, paused and unknown projects), and a refused one changes nothing', async () => {
    // Prepare: a RUNNING project of three sources, one of a single source, a PAUSED one, and an id that is no project
    const ds = await createDataSources('fuzz-sources');
    const more = async (i: number) => (await call('POST', '/data-sources', { body: { name: `fuzz-src-${i}`, engine: 'mysql', host: 'db.internal', port: 3306, username: 'migrator' } })).body.id as string;
    const [a, b, c, foreign] = [await more(0), await more(1), await more(2), await more(3)];
    const multi = (await call('POST', '/projects', { body: { name: `fuzz-multi-${process.pid}`, sourceIds: [a, b, c], destinationId: ds.destinationId, migrationType: { structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: false, reverseIncrementalSync: false } } })).body.id as string;
    expect((await call('POST', `/projects/${multi}/start`)).status).toBe(200);
    const single = (await projectIn('RUNNING', ds)).id;
    const paused = (await projectIn('PAUSED', ds)).id;
    const targets = [multi, multi, multi, single, paused, '00000000-0000-4000-8000-000000000000'];
    const pool = [a, b, c, foreign, ds.sourceId, ds.destinationId];
    const subject = async (id: string): Promise<SourcesSubject | undefined> => {
      const r = await call('GET', `/projects/${id}`);
      if (r.status === 404) return undefined;
      const sources = (r.body.sources ?? []) as { sourceId: string; status: string }[];
      return {
        status: r.body.status,
        sourceIds: r.body.sourceIds ?? [r.body.sourceId],
        pausedOnOwn: r.body.status === 'RUNNING' ? sources.filter((x) => x.status === 'PAUSED').map((x) => x.sourceId) : [],
        expired: sources.filter((x) => x.status === 'EXPIRED').map((x) => x.sourceId),
      };
    };
    const cases = fc.sample(
      fc.tuple(fc.constantFrom('pause' as const, 'resume' as const), fc.nat(targets.length - 1), fc.uniqueArray(fc.nat(pool.length - 1), { minLength: 1, maxLength: 3 })),
      { seed: SEED, numRuns: size(400, 40) },
    );
    const wrong: string[] = [];
    const tally = new Map<string, number>();

    // Act
    for (const [op, t, picks] of cases) {
      const id = targets[t] as string;
      const sources = picks.map((i) => pool[i] as string);
      const before = await subject(id);
      const version = (await call('GET', `/projects/${id}`)).body?.version;
      const want = sourcesAnswer(before, op, sources);
      const got = await call('POST', `/projects/${id}/${op}`, { body: { sources } });
      const after = await call('GET', `/projects/${id}`);
      tally.set(`${op} ${want.status} ${want.code ?? ''}`, (tally.get(`${op} ${want.status} ${want.code ?? ''}`) ?? 0) + 1);
      const gotPath = got.body?.issues?.[0]?.path;
      if (got.status !== want.status || (want.code && got.body?.code !== want.code) || (want.path && JSON.stringify(gotPath) !== JSON.stringify(want.path))) {
        wrong.push(`${op} ${JSON.stringify(sources)} on ${before?.status ?? 'no project'} (${before?.sourceIds.length ?? 0} sources, own-paused ${JSON.stringify(before?.pausedOnOwn)}): ${got.status} ${got.body?.code ?? ''} ${JSON.stringify(gotPath ?? '')}, README says ${want.status} ${want.code ?? ''} ${JSON.stringify(want.path ?? '')}`);
      }
      if (got.status >= 400 && after.body?.version !== version) wrong.push(`${op} ${JSON.stringify(sources)} answered ${got.status} yet the project moved from version ${version} to ${after.body?.version}`);
      // A whole pause (every running source named) leaves the project PAUSED: resume it whole, so the next cases find it RUNNING.
      if (id === multi && after.body?.status === 'PAUSED') expect((await call('POST', `/projects/${id}/resume`)).status).toBe(200);
    }

    // Assess
    expect(wrong).toEqual([]);
    for (const seen of ['pause 200 ', 'resume 200 ', 'pause 409 NOT_MULTI_SOURCE', 'pause 400 VALIDATION_FAILED', 'resume 409 SOURCE_NOT_PAUSED', 'pause 409 INVALID_STATE']) expect([...tally.keys()]).toContain(seen);
  }, 600_000);

  it('never answers 5xx, answers every error as problem+json, and refused requests change no record', { timeout: HEAVY ? 40 * 60_000 : 600_000 }, async () => {
    const deferred: FuzzCase[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(fuzzCase(fx), { minLength: CASES_PER_RUN, maxLength: CASES_PER_RUN }), async (generated) => {
        // Prepare: the refused and read-only ones run now, against a snapshot of the whole table.
        const now = generated.filter((c) => isRefused(c) || isReadOnly(c));
        deferred.push(...generated.filter((c) => !now.includes(c)));
        const before: TableSnapshot = await snapshotTable(db, tableName);

        // Act
        const { violations } = await runCases(now, isRefused);

        // Assess: nothing but Idempotency-Key records of requests that passed validation may appear.
        const after = await snapshotTable(db, tableName);
        const diff = diffSnapshots(before, after, isIdempotencyKey);
        const allowedKeys = now.filter((c) => carriesValidKey(c) && refusalOf(c) === undefined).length;
        const newKeys = newIdempotencyRecords(before, after);
        figures.runs++;
        figures.cases += now.length;
        figures.refused += now.filter(isRefused).length;
        figures.readOnly += now.filter((c) => !isRefused(c)).length;
        for (const c of now) figures.byFamily.set(c.family, (figures.byFamily.get(c.family) ?? 0) + 1);
        expect(violations).toEqual([]);
        expect(diff, `records changed by refused requests:\n${now.map(describeCase).join('\n')}`).toEqual({ added: [], removed: [], changed: [] });
        expect(newKeys, 'Idempotency-Key records claimed by requests refused at validation').toBeLessThanOrEqual(allowedKeys);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );

    // Valid requests the generators produced (a project created, a pause, ...): the answer contract only.
    for (let i = 0; i < deferred.length; i += CASES_PER_RUN) {
      const chunk = deferred.slice(i, i + CASES_PER_RUN);
      const { violations } = await runCases(chunk, () => false);
      figures.runs++;
      figures.cases += chunk.length;
      figures.deferred += chunk.length;
      for (const c of chunk) figures.byFamily.set(c.family, (figures.byFamily.get(c.family) ?? 0) + 1);
      expect(violations).toEqual([]);
    }

    if (HEAVY) expect(figures.cases).toBeGreaterThanOrEqual(5000);
    report({
      suite: 'fuzzing',
      cases: figures.cases,
      runs: figures.runs,
      faults: 0,
      failures: 0,
      notes: `case = one HTTP request (${figures.refused} refused by contract, ${figures.readOnly} read-only, ${figures.deferred} valid); run = a batch of ${CASES_PER_RUN} with a whole-table snapshot before/after; families: ${[...figures.byFamily].map(([k, v]) => `${k} ${v}`).join(', ')}`,
    });
  });

});
