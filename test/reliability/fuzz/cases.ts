import fc from 'fast-check';
import { ROUTES, type Route } from '../../../shared/api/routes';
import { MAX_BATCH_SIZE } from '../../../shared/domain/batch';
import { fieldPaths, schemasOf, type FuzzRequest } from './oracle';

/** The records the fuzzer aims at: real ids (so near-valid requests reach the use cases) and names. */
export interface Fixture {
  sourceId: string;
  destinationId: string;
  /** Project ids by status. */
  projects: Record<string, string[]>;
  projectNames: string[];
}

/** A generated request and how it travels: the handler module directly, or raw bytes to the local HTTP server. */
export interface FuzzCase extends FuzzRequest {
  family: string;
  via: 'call' | 'socket';
  /** Percent-encoded path + query as put on the wire (built from pathParameters and query unless set). */
  rawTarget?: string;
  /** An id that is well-formed but belongs to no record: the API must answer 4xx (404) and change nothing. */
  nonexistentTarget?: boolean;
  /** Not valid HTTP/1.1: the server must refuse it before any handler runs. */
  transportRefuses?: boolean;
}

// ---------------------------------------------------------------- values

const SPECIAL_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFFx',
  'x\uD83D',
  '\u202Eevil\u202C',
  '\u05D0\u05D1\u05D2', // Hebrew (RTL)
  'مرحبا',
  '🦄',
  '👨‍👩‍👧‍👦',
  'e\u0301\u0301\u0301',
  '\u200B',
  '\uFEFF',
  '\uFFFD',
  '\r\n',
  '%00',
  '%2e%2e%2f',
  '../../etc/passwd',
  '..\\..\\windows',
  "' OR '1'='1",
  '{"$ne":null}',
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '__proto__',
  'constructor',
  'NaN',
  'null',
  '9'.repeat(400),
];

export const unicodeString = fc.oneof(
  fc.constantFrom(...SPECIAL_STRINGS),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ maxLength: 80 }),
);

/** Strings from 1 KiB to just under the 1 MiB body limit (the limit itself has its own family). */
const hugeString = fc.constantFrom(1024, 65_537, 500_000).chain((n) => fc.constantFrom('a', '\u00e9', '🦄').map((c) => c.repeat(Math.ceil(n / c.length))));

function deepJson(depth: number, kind: 'array' | 'object'): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

const DEEP_ARRAY = deepJson(3_000, 'array');
const DEEP_OBJECT = deepJson(3_000, 'object');

/** A JSON value of a (probably) wrong type for any field. */
export const garbageValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, 2 ** 53 + 1, 1e308, -1e308, 65_536, [], {}, [null], { '': 1 }) },
  { weight: 3, arbitrary: unicodeString },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(DEEP_ARRAY, DEEP_OBJECT) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true }) },
);

/** Malformed ids for {id}: too long, traversal, separators, unicode, controls. */
export const badId = fc.oneof(
  fc.constantFrom(
    'a'.repeat(65),
    'x'.repeat(5000),
    '..',
    '.',
    '../../etc/passwd',
    '..%2F..%2Fetc',
    '%2e%2e',
    'a/b',
    'a\\b',
    '-leading-dash',
    '_leading',
    'has space',
    'semi;colon',
    'q?x=1',
    'hash#x',
    '\u0000',
    'a\u0000',
    '\uD800',
    '🦄',
    'é',
    '\u202Eabc',
    'PROJECT#abc',
    '*',
    '%',
    '%%',
  ),
  unicodeString.filter((s) => s.length > 0 && !/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(s)),
);

/** Well-formed ids of nothing. */
export const unknownId = fc.oneof(fc.uuid(), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/).map((s) => `zz${s}`.slice(0, 64)));

const badLimit = fc.constantFrom('-1', '0', '101', '1000000', 'abc', '1.5', '', ' ', '0x10', '1e1', ' 16', '16.0', '+16', 'Infinity', 'NaN', '1e400', '-0.5', '\u0661', '٣');

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

/** Page tokens the API never issued: garbage, and well-shaped ones with foreign or wrong-typed values. */
export const badNextToken = fc.oneof(
  fc.constantFrom('x', '!!!', '====', 'null', b64url('null'), b64url('[]'), b64url('"s"'), b64url('{}'), b64url('{"pk":1}'), 'a'.repeat(2049)),
  fc.string({ minLength: 1, maxLength: 100 }),
  fc
    .record({
      pk: fc.oneof(fc.constant('PROJECT#x'), fc.string(), fc.constant('')),
      sk: fc.oneof(fc.constant('PROJECT'), fc.string(), fc.constant('')),
      gsi1pk: fc.oneof(fc.constant('PROJECT'), fc.constant('DATASOURCE'), fc.string(), fc.constant('')),
      gsi1sk: fc.oneof(fc.constant('2026-01-01T00:00:00.000Z#x'), fc.string(), fc.constant('')),
      gsi2pk: fc.oneof(fc.constant('PROJECT#STATUS#RUNNING'), fc.string(), fc.constant('')),
      gsi2sk: fc.oneof(fc.constant('2026-01-01T00:00:00.000Z#x'), fc.string(), fc.constant('')),
    })
    .chain((k) =>
      fc.constantFrom(
        b64url(JSON.stringify({ pk: k.pk, sk: k.sk, gsi1pk: k.gsi1pk, gsi1sk: k.gsi1sk })),
        b64url(JSON.stringify({ pk: k.pk, sk: k.sk, gsi2pk: k.gsi2pk, gsi2sk: k.gsi2sk })),
        b64url(JSON.stringify({ pk: k.pk, sk: k.sk })),
        b64url(JSON.stringify({ pk: k.pk, sk: 5, gsi1pk: k.gsi1pk, gsi1sk: k.gsi1sk })),
      ),
    ),
);

export const badIfMatch = fc.oneof(
  fc.constantFrom('abc', '"x"', '"-1"', '"1.5"', `"${'9'.repeat(16)}"`, '"3", "4"', 'W/', '""', '"', '3"4', '\u0661', '🦄', '\u0000'),
  unicodeString.filter((s) => s.trim() !== '*' && !/^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.test(s)),
);

export const badIdempotencyKey = fc.oneof(
  fc.constantFrom('', 'k'.repeat(256), 'k'.repeat(10_000), 'tab\there', 'nul\u0000', 'é', '🦄', '\u007f'),
  unicodeString.filter((s) => !/^[\x20-\x7E]{1,255}$/.test(s)),
);

export const badContentType = fc.constantFrom(
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonx',
  'application/xml',
  'json',
  '*/*',
  'application/octet-stream',
);

// ---------------------------------------------------------------- requests

const BODY_ROUTES = ROUTES.filter((r) => schemasOf(r).body !== undefined);
const ID_ROUTES = ROUTES.filter((r) => r.path.includes('{id}'));
const WRITE_ROUTES = ROUTES.filter((r) => r.method !== 'GET');
const QUERY_ROUTES = ROUTES.filter((r) => schemasOf(r).query !== undefined);
const IF_MATCH_ROUTES = ROUTES.filter((r) => schemasOf(r).ifMatch);

const json = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8');
const JSON_HEADERS = { 'Content-Type': 'application/json' };

/** A valid body for each body route (against the fixture's records). */
export function validBody(route: Route, fx: Fixture): Record<string, unknown> {
  switch (route.fn) {
    case 'create-data-source':
      return { name: 'fuzz-ds', engine: 'mysql', host: 'db.internal', port: 3306, username: 'migrator' };
    case 'create-project':
      return {
        name: 'fuzz-project',
        description: 'made by the fuzzer',
        sourceId: fx.sourceId,
        destinationId: fx.destinationId,
        migrationType: { structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: true, reverseIncrementalSync: false },
        tables: [{ schema: 's', table: 't' }],
        alertLevel: 'LOW',
        labels: ['team:fuzz'],
      };
    case 'batch-operations':
      return { operation: 'pause', projectIds: [...(fx.projects.RUNNING ?? [])], dryRun: true };
    case 'project-lifecycle':
      if (route.operation === 'modify-alert-config') return { level: 'HIGH' };
      if (route.operation === 'confirm-switchover-step') return { step: 'CONFIRM_SOURCE_WRITES_STOPPED' };
      return {};
    default:
      return {};
  }
}

type Mutation = { kind: 'set'; path: string[]; value: unknown } | { kind: 'delete'; path: string[] } | { kind: 'add'; path: string[]; key: string; value: unknown };

function applyMutation(body: Record<string, unknown>, m: Mutation): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  let parent: Record<string, unknown> = copy;
  const path = m.kind === 'add' ? m.path : m.path.slice(0, -1);
  for (const k of path) {
    const next = parent[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      parent[k] = {};
    }
    parent = parent[k] as Record<string, unknown>;
  }
  const last = m.kind === 'add' ? m.key : (m.path[m.path.length - 1] as string);
  if (m.kind === 'delete') delete parent[last];
  else parent[last] = m.value;
  return copy;
}

function pathFor(route: Route, id: string | undefined): string {
  return route.path.replace('{id}', id ?? '');
}

/** Percent-encodes the UTF-8 bytes of everything but unreserved characters (dots too); lone surrogates go as U+FFFD. */
export function enc(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += /[A-Za-z0-9_~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/** Any id of the fixture, or a well-formed unknown one. */
function targetId(fx: Fixture): fc.Arbitrary<{ id: string; unknown: boolean }> {
  const known = Object.values(fx.projects).flat();
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known).map((id) => ({ id, unknown: false })) },
    { weight: 1, arbitrary: unknownId.map((id) => ({ id, unknown: true })) },
  );
}

/** What a case aims at: the route and its method, and for a route with {id} a known or a well-formed unknown id. */
type CaseTarget = Pick<FuzzCase, 'method' | 'route' | 'pathParameters' | 'nonexistentTarget'>;

function aimAt(route: Route, fx: Fixture): fc.Arbitrary<CaseTarget> {
  const target = (pathParameters: Record<string, string> | undefined, unknown: boolean): CaseTarget => ({ method: route.method, route, pathParameters, nonexistentTarget: unknown });
  if (!route.path.includes('{id}')) return fc.constant(target(undefined, false));
  const ids = route.path.startsWith('/data-sources')
    ? fc.oneof(fc.constantFrom(fx.sourceId, fx.destinationId).map((id) => ({ id, unknown: false })), unknownId.map((id) => ({ id, unknown: true })))
    : targetId(fx);
  return ids.map(({ id, unknown }) => target({ id }, unknown));
}

const via = fc.constantFrom<'call' | 'socket'>('call', 'call', 'socket');

/** Near-valid bodies: one field (optional ones too, from the schema) set to a wrong value, removed, or one extra. */
function bodyMutationCase(fx: Fixture): fc.Arbitrary<FuzzCase> {
  return fc.constantFrom(...BODY_ROUTES).chain((route) => {
    const schema = schemasOf(route).body;
    const base = validBody(route, fx);
    const paths = schema ? fieldPaths(schema) : [];
    const field: fc.Arbitrary<string[]> = paths.length ? fc.constantFrom(...paths) : fc.constant<string[]>(['level']);
    const mutation: fc.Arbitrary<Mutation> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), path: field, value: garbageValue }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), path: field }) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('add' as const),
          path: fc.constantFrom<string[]>([], ...paths.filter((p) => typeof base[p[0] as string] === 'object')),
          key: fc.oneof(fc.constantFrom('extra', 'password', 'secret', '__proto__', 'constructor', ''), unicodeString),
          value: garbageValue,
        }),
      },
    );
    return fc.record({ target: aimAt(route, fx), mutation, via }).map(
      ({ target, mutation, via }): FuzzCase => ({
        family: 'body-mutation',
        ...target,
        headers: JSON_HEADERS,
        body: json(applyMutation(base, mutation)),
        via,
      }),
    );
  });
}

/** Whole bodies of the wrong kind: not JSON, wrong JSON type, deep nesting, huge, over the limit. */
function garbageBodyCase(fx: Fixture): fc.Arbitrary<FuzzCase> {
  const raw = fc.oneof(
    fc.constantFrom('{', '}', '[', '{"a":', 'nul', 'undefined', "{'a':1}", '{"a":1,}', '\u0000', '{"a":1}{"b":2}', 'NaN', '1e99999', '"\\ud800"'),
    fc.string({ maxLength: 200 }),
    fc.constantFrom(3_000, 10_000, 100_000).map((d) => '['.repeat(d) + ']'.repeat(d)),
    fc.constantFrom(10_000).map((d) => '{"a":'.repeat(d) + '1' + '}'.repeat(d)),
    fc.constantFrom(1024 * 1024 + 1, 2 * 1024 * 1024).map((n) => JSON.stringify({ name: 'x'.repeat(n) })),
    garbageValue.filter((v) => !(typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0)).map((v) => JSON.stringify(v)),
  );
  return fc.record({ route: fc.constantFrom(...ROUTES), raw, via }).chain(({ route, raw, via }) =>
    aimAt(route, fx).map(
      (target): FuzzCase => ({
        family: 'garbage-body',
        ...target,
        headers: JSON_HEADERS,
        body: Buffer.from(raw, 'utf8'),
        via,
      }),
    ),
  );
}

/** Malformed ids in the path. */
function badPathIdCase(): fc.Arbitrary<FuzzCase> {
  return fc.record({ route: fc.constantFrom(...ID_ROUTES), id: badId, via }).map(
    ({ route, id, via }): FuzzCase => ({
      family: 'bad-path-id',
      method: route.method,
      route,
      pathParameters: { id },
      headers: {},
      via,
    }),
  );
}

/** Well-formed ids of nothing, on every id route, with an otherwise valid request. */
function unknownIdCase(fx: Fixture): fc.Arbitrary<FuzzCase> {
  return fc.record({ route: fc.constantFrom(...ID_ROUTES), id: unknownId, via }).map(({ route, id, via }): FuzzCase => {
    const body = schemasOf(route).body ? validBody(route, fx) : undefined;
    return {
      family: 'unknown-id',
      method: route.method,
      route,
      pathParameters: { id },
      nonexistentTarget: true,
      headers: body ? JSON_HEADERS : {},
      ...(body && Object.keys(body).length ? { body: json(body) } : {}),
      ...(route.fn === 'delete-project' ? { query: [['confirmName', 'whatever']] as [string, string][] } : {}),
      via,
    };
  });
}

/** Bad query strings: limits out of range or not numbers, foreign page tokens, unknown or repeated parameters. */
function badQueryCase(fx: Fixture): fc.Arbitrary<FuzzCase> {
  const routes = [...QUERY_ROUTES, ...ROUTES.filter((r) => r.method === 'GET' && !QUERY_ROUTES.includes(r))];
  const query = fc.oneof(
    badLimit.map((v) => [['limit', v]] as [string, string][]),
    badNextToken.map((v) => [['nextToken', v]] as [string, string][]),
    fc.tuple(fc.constantFrom('status', 'label'), unicodeString).map(([k, v]) => [[k, v]] as [string, string][]),
    fc.constantFrom<[string, string][]>([['limit', '1'], ['limit', '2']], [['status', 'RUNNING'], ['status', 'PAUSED']], [['nextToken', 'a'], ['nextToken', 'b']]),
    fc.tuple(unicodeString.filter((s) => s.length > 0), unicodeString).map(([k, v]) => [[k, v]] as [string, string][]),
    fc.constantFrom<[string, string][]>([['confirmName', 'x'.repeat(257)]]),
  );
  return fc.record({ route: fc.constantFrom(...routes), query, via }).chain(({ route, query, via }) =>
    aimAt(route, fx).map(
      (target): FuzzCase => ({
        family: 'bad-query',
        ...target,
        query,
        headers: {},
        via,
      }),
    ),
  );
}

/** A valid request with one bad header: If-Match garbage, a malformed Idempotency-Key, or a body of another media type. */
function badHeaderCase(fx: Fixture): fc.Arbitrary<FuzzCase> {
  const ifMatch = fc.record({ route: fc.constantFrom(...IF_MATCH_ROUTES), value: badIfMatch, key: fc.option(fc.uuid(), { nil: undefined }) }).map(({ route, value, key }) => ({
    route,
    headers: { 'If-Match': value, ...(key ? { 'Idempotency-Key': key } : {}) } as Record<string, string>,
    contentType: 'application/json',
  }));
  const idemKey = fc.record({ route: fc.constantFrom(...WRITE_ROUTES), value: badIdempotencyKey }).map(({ route, value }) => ({
    route,
    headers: { 'Idempotency-Key': value } as Record<string, string>,
    contentType: 'application/json',
  }));
  const mediaType = fc.record({ route: fc.constantFrom(...BODY_ROUTES), ct: badContentType }).map(({ route, ct }) => ({
    route,
    headers: {} as Record<string, string>,
    contentType: ct,
  }));
  return fc.record({ h: fc.oneof(ifMatch, idemKey, mediaType), via }).chain(({ h, via }) =>
    aimAt(h.route, fx).map((target): FuzzCase => {
      const body = schemasOf(h.route).body ? validBody(h.route, fx) : undefined;
      // A media-type case needs a body to be refused: lifecycle routes without one get {}.
      const bytes = body && (Object.keys(body).length > 0 || h.contentType !== 'application/json') ? json(body) : undefined;
      return {
        family: 'bad-header',
        ...target,
        headers: { ...(bytes ? { 'Content-Type': h.contentType } : {}), ...h.headers },
        ...(bytes ? { body: bytes } : {}),
        ...(h.route.fn === 'delete-project' ? { query: [['confirmName', 'not-the-name']] as [string, string][] } : {}),
        via,
      };
    }),
  );
}

/** Batches over the limit, with repeated ids, stray expectedVersions, or both/neither selection. */
function oversizedBatchCase(fx: Fixture): fc.Arbitrary<FuzzCase> {
  const route = ROUTES.find((r) => r.fn === 'batch-operations') as Route;
  const known = Object.values(fx.projects).flat();
  const body = fc.oneof(
    fc.integer({ min: MAX_BATCH_SIZE + 1, max: MAX_BATCH_SIZE + 50 }).map((n) => ({ operation: 'pause', projectIds: Array.from({ length: n }, (_, i) => `p${i}`) })),
    fc.constantFrom(...known).map((id) => ({ operation: 'pause', projectIds: [id, id] })),
    fc.integer({ min: 2, max: 1000 }).map((n) => ({ operation: 'release', projectIds: Array.from({ length: n }, () => known[0] as string) })),
    fc.constant({ operation: 'pause', projectIds: known, selector: { status: 'RUNNING' } }),
    fc.constant({ operation: 'pause' }),
    fc.constant({ operation: 'pause', projectIds: [] }),
    fc.constant({ operation: 'pause', selector: {} }),
    fc.constant({ operation: 'pause', projectIds: known, nextToken: 'x' }),
    fc.constant({ operation: 'pause', projectIds: known.slice(0, 1), expectedVersions: { other: 1 } }),
    fc.constant({ operation: 'modify-alert-config', projectIds: known }),
    fc.constant({ operation: 'pause', projectIds: known, parameters: { level: 'HIGH' } }),
    fc.constant({ operation: 'pause', selector: { status: 'RUNNING' }, expectedVersions: Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`p${i}`, 1])) }),
    fc.constantFrom('confirm-switchover-step', 'revert-start', 'restart-run', 'expire-pause', 'DELETE', '').map((operation) => ({ operation, projectIds: known })),
  );
  return fc.record({ body, via }).map(({ body, via }): FuzzCase => ({ family: 'oversized-batch', method: 'POST', route, headers: JSON_HEADERS, body: json(body), via }));
}

/** Valid batches over ids of nothing only: 200 with a PROJECT_NOT_FOUND item each, and nothing written. */
function unknownBatchCase(): fc.Arbitrary<FuzzCase> {
  const route = ROUTES.find((r) => r.fn === 'batch-operations') as Route;
  return fc
    .record({
      ids: fc.uniqueArray(fc.uuid(), { minLength: 1, maxLength: 1000 }),
      operation: fc.constantFrom('start', 'pause', 'resume', 'release', 'delete', 'skip-full-verification'),
      dryRun: fc.boolean(),
      via,
    })
    .map(({ ids, operation, dryRun, via }): FuzzCase => ({
      family: 'unknown-batch',
      method: 'POST',
      route,
      headers: JSON_HEADERS,
      body: json({ operation, projectIds: ids, dryRun }),
      via,
      nonexistentTarget: true,
    }));
}

/** Raw bytes only a socket can send: invalid UTF-8 bodies, malformed percent-encoding, odd methods and paths. */
function rawBytesCase(fx: Fixture): fc.Arbitrary<FuzzCase> {
  const known = Object.values(fx.projects).flat();
  const invalidUtf8 = fc
    .record({ route: fc.constantFrom(...BODY_ROUTES), bytes: fc.constantFrom([0xff], [0xc3, 0x28], [0xe2, 0x82], [0xf0, 0x28, 0x8c, 0x28], [0xed, 0xa0, 0x80], [0xc0, 0xaf]) })
    .chain(({ route, bytes }) =>
      aimAt(route, fx).map((target): FuzzCase => {
        const base = JSON.stringify({ ...validBody(route, fx), name: '@@' });
        const [head, tail] = base.split('@@') as [string, string];
        return {
          family: 'invalid-utf8',
          ...target,
          headers: JSON_HEADERS,
          body: Buffer.concat([Buffer.from(head), Buffer.from(bytes), Buffer.from(tail)]),
          via: 'socket',
        };
      }),
    );
  const badPercent = fc
    .record({ route: fc.constantFrom(...ID_ROUTES), seg: fc.constantFrom('%', '%E0%A4%A', '%ZZ', '%C3', '%ED%A0%80', '%FF%FE', 'a%', '%u0041') })
    .map(({ route, seg }): FuzzCase => ({
      family: 'bad-percent-encoding',
      method: route.method,
      route,
      pathParameters: { id: seg },
      rawTarget: pathFor(route, seg),
      headers: {},
      via: 'socket',
    }));
  const noRoute = fc
    .record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
      target: fc.constantFrom('/', '/nope', '/projects/x/y/z', '/projects//start', '/PROJECTS', '/data-sources/x/start', `/projects/${known[0]}/pause/extra`, '/batch-operations/x'),
    })
    .map(({ method, target }): FuzzCase => ({ family: 'no-route', method, rawTarget: target, headers: {}, via: 'socket' }));
  const wrongMethod = fc.constantFrom(...ROUTES).chain((route) =>
    fc
      .constantFrom('PATCH', 'PUT', 'DELETE', 'GET', 'POST')
      .filter((m) => !ROUTES.some((r) => r.path === route.path && r.method === m))
      .map((method): FuzzCase => ({ family: 'wrong-method', method, rawTarget: pathFor(route, known[0]), headers: {}, via: 'socket' })),
  );
  const badHeaderBytes = fc
    .record({
      route: fc.constantFrom(...ROUTES),
      header: fc.constantFrom<[string, string]>(
        ['X-Big', 'a'.repeat(20_000)],
        ['X-Ctl', 'a\u0001b'],
        ['X-Del', 'a\u007fb'],
        ['Bad Name', 'x'],
        ['X-Nul', 'a\u0000b'],
        ['Content-Length', 'abc'],
      ),
    })
    .map(({ route, header }): FuzzCase => ({
      family: 'bad-header-bytes',
      method: route.method,
      route,
      rawTarget: pathFor(route, known[0]),
      pathParameters: route.path.includes('{id}') ? { id: known[0] as string } : undefined,
      headers: Object.fromEntries([header]),
      transportRefuses: true,
      via: 'socket',
    }));
  return fc.oneof(invalidUtf8, badPercent, noRoute, wrongMethod, badHeaderBytes);
}

/** Every family, weighted; each case is later classified by the oracle. */
export function fuzzCase(fx: Fixture): fc.Arbitrary<FuzzCase> {
  return fc
    .oneof(
    { weight: 6, arbitrary: bodyMutationCase(fx) },
    { weight: 3, arbitrary: garbageBodyCase(fx) },
    { weight: 3, arbitrary: badPathIdCase() },
    { weight: 2, arbitrary: unknownIdCase(fx) },
    { weight: 3, arbitrary: badQueryCase(fx) },
    { weight: 3, arbitrary: badHeaderCase(fx) },
    { weight: 2, arbitrary: oversizedBatchCase(fx) },
    { weight: 1, arbitrary: unknownBatchCase() },
    { weight: 2, arbitrary: rawBytesCase(fx) },
    )
    .map((c) => Object.assign(c, { [fc.toStringMethod]: () => describeCase(c) }));
}

/** One line per case (counterexamples print this, not megabytes of body). */
export function describeCase(c: FuzzCase): string {
  const text = c.body?.toString('utf8') ?? '';
  const body = c.body === undefined ? '' : ` body=${JSON.stringify(text.slice(0, 300))}${c.body.length > 300 ? `…(${c.body.length} bytes)` : ''}`;
  return `[${c.family} via ${c.via}] ${c.method} ${targetOf(c).slice(0, 200)} headers=${JSON.stringify(c.headers).slice(0, 200)}${body}`;
}

/** The wire form of a case. */
export function targetOf(c: FuzzCase): string {
  if (c.rawTarget !== undefined) return c.rawTarget;
  const route = c.route as Route;
  const path = route.path.replace('{id}', enc(c.pathParameters?.id ?? ''));
  const q = (c.query ?? []).map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
  return q ? `${path}?${q}` : path;
}
