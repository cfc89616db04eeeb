import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument, CONTRACT, problemCodesOf, renderOpenApiDocument, routeKey } from '../../shared/api/openapi';
import { AuditEventList, BatchExecutionView, BatchPreviewView, DataSourceList, DataSourceView, PROBLEM_CODES, Problem, problemExample, ProjectList, ProjectView, RESPONSE_EXAMPLES, type ProblemCode } from '../../shared/api/responses';
import { ROUTES } from '../../shared/api/routes';

const root = join(__dirname, '..', '..');
type Doc = { paths: Record<string, Record<string, any>>; components: Record<string, any> } & Record<string, unknown>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('OpenAPI document', () => {
  it('the checked-in shared/api/openapi.json is what the generator produces now (run `npm run openapi`)', () => {
    // Prepare
    const committed = readFileSync(join(root, 'shared/api/openapi.json'), 'utf8');

    // Act
    const generated = renderOpenApiDocument();

    // Assess
    expect(committed, 'shared/api/openapi.json is stale: run `npm run openapi` and commit it').toBe(generated);
  });

  it('is a valid OpenAPI 3.1 document for a real validator', async () => {
    // Prepare
    const validator = new Validator();

    // Act
    const result = await validator.validate(buildOpenApiDocument());

    // Assess
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('the validator is not a rubber stamp: a broken document fails it', async () => {
    // Prepare
    const broken = buildOpenApiDocument() as Doc;
    (broken.paths['/projects'] as Record<string, any>).get.responses = { 200: { content: {} } }; // response without description

    // Act
    const result = await new Validator().validate(broken);

    // Assess
    expect(result.valid).toBe(false);
  });

  it('has every route of the route table, and nothing else', () => {
    // Prepare
    const doc = buildOpenApiDocument() as Doc;

    // Act
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));

    // Assess
    expect(documented.sort()).toEqual(ROUTES.map(routeKey).sort());
    expect(Object.keys(CONTRACT).sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  it('fails loudly for a route it has no contract for', () => {
    // Act / Assess
    expect(() => buildOpenApiDocument([...ROUTES, { method: 'POST', path: '/nowhere', fn: 'x', summary: 'x' }])).toThrow(/No OpenAPI contract for POST \/nowhere/);
  });

  it('every POST/PUT/DELETE documents Idempotency-Key and its 409/422 problems', () => {
    // Prepare
    const doc = buildOpenApiDocument() as Doc;

    // Act
    const mutating = ROUTES.filter((r) => r.method !== 'GET').map((r) => doc.paths[r.path]?.[r.method.toLowerCase()]);

    // Assess
    expect(mutating.length).toBeGreaterThan(5);
    for (const op of mutating) {
      expect(op.parameters).toContainEqual({ $ref: '#/components/parameters/IdempotencyKey' });
      expect(op.responses['422'].content['application/problem+json'].examples).toHaveProperty('IDEMPOTENCY_KEY_REUSED');
      expect(op.responses['409'].content['application/problem+json'].examples).toHaveProperty('IDEMPOTENCY_IN_PROGRESS');
    }
  });

  it('every problem code the code base raises is documented, with its status', () => {
    // Prepare
    const files = [...sourceFiles(join(root, 'shared')), ...sourceFiles(join(root, 'infra/local')), ...sourceFiles(join(root, 'functions'))];
    const raised = new Map<string, number | undefined>();
    const patterns: [RegExp, (m: RegExpExecArray) => [string, number | undefined]][] = [
      [/DomainError\(\s*(\d{3}),\s*'([A-Z_]+)'/g, (m) => [m[2]!, Number(m[1])]],
      [/(?:badRequest|problem)\((?:res,\s*)?(\d{3}),\s*'([A-Z_]+)'/g, (m) => [m[2]!, Number(m[1])]],
      [/notFound\('([A-Z_]+)'/g, (m) => [m[1]!, 404]],
      [/failureCode: '([A-Z_]+)'/g, (m) => [m[1]!, undefined]],
      [/code: '([A-Z_]+)',\n/g, (m) => [m[1]!, undefined]],
    ];

    // Act
    for (const file of files) {
      if (file.endsWith('responses.ts')) continue;
      const text = readFileSync(file, 'utf8');
      for (const [re, pick] of patterns) for (const m of text.matchAll(re)) {
        const [code, status] = pick(m as RegExpExecArray);
        raised.set(code, status ?? raised.get(code));
      }
    }

    // Assess
    expect(raised.size).toBeGreaterThan(12);
    for (const [code, status] of raised) {
      expect(PROBLEM_CODES, `problem code ${code} is raised but not in PROBLEM_CODES`).toHaveProperty(code);
      if (status !== undefined) expect(PROBLEM_CODES[code as ProblemCode].status, code).toBe(status);
    }
  });

  it('route problem lists come from the contract and are all documented as responses', () => {
    // Prepare
    const doc = buildOpenApiDocument() as Doc;

    // Act / Assess
    for (const route of ROUTES) {
      const op = doc.paths[route.path]![route.method.toLowerCase()];
      for (const code of problemCodesOf(route, CONTRACT[routeKey(route)]!)) {
        const response = op.responses[String(PROBLEM_CODES[code].status)];
        expect(response?.content['application/problem+json'].examples, `${routeKey(route)} ${code}`).toHaveProperty(code);
      }
    }
  });

  it('examples match their schemas (responses, problems and request bodies)', () => {
    // Act / Assess
    ProjectView.strict().parse(RESPONSE_EXAMPLES.project);
    ProjectView.strict().parse(RESPONSE_EXAMPLES.newProject);
    ProjectList.parse(RESPONSE_EXAMPLES.projectList);
    DataSourceView.strict().parse(RESPONSE_EXAMPLES.dataSource);
    DataSourceList.parse(RESPONSE_EXAMPLES.dataSourceList);
    AuditEventList.parse(RESPONSE_EXAMPLES.auditEventList);
    BatchPreviewView.strict().parse(RESPONSE_EXAMPLES.batchPreview);
    BatchExecutionView.strict().parse(RESPONSE_EXAMPLES.batchExecution);
    for (const code of Object.keys(PROBLEM_CODES) as ProblemCode[]) Problem.parse(problemExample(code));
    const withBodies = Object.entries(CONTRACT).filter(([, c]) => c.bodyExample !== undefined);
    expect(withBodies.length).toBeGreaterThanOrEqual(3);
    for (const [key, c] of withBodies) expect(c.request.body!.safeParse(c.bodyExample).success, key).toBe(true);
  });
});
