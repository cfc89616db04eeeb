import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_TABLES_BYTES } from '../../shared/api/schemas';
import { ALL_COMPONENTS, call, createDataSources, ManualClock, useLocalTable } from '../support/harness';

/** Lambda's response payload limit: a list page must stay below it. */
const LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024;

/** `count` tables whose names are CJK (3 UTF-8 bytes a character), `chars` characters each. */
function cjkTables(count: number, chars: number) {
  return Array.from({ length: count }, (_, i) => ({ schema: `库${i}`.padEnd(chars, '数'), table: `表${i}`.padEnd(chars, '据') }));
}

/** Tables filling the byte budget as closely as possible without going over it. */
function tablesAtTheLimit() {
  const tables = cjkTables(1000, 10);
  while (Buffer.byteLength(JSON.stringify(tables), 'utf8') > MAX_TABLES_BYTES) tables.pop();
  return tables;
}

describe('inputs are bounded by UTF-8 bytes (DynamoDB Local)', () => {
  const clock = new ManualClock();
  let ds: { sourceId: string; destinationId: string };
  let n = 0;
  const create = (extra: Record<string, unknown>) =>
    call('POST', '/projects', { body: { name: `bytes-${++n}`, ...ds, migrationType: ALL_COMPONENTS, ...extra } });

  beforeAll(async () => {
    await useLocalTable({ clock });
    ds = await createDataSources('bytes');
  });

  it('1,000 tables with 128-character CJK names (~770 KB) → 400 VALIDATION_FAILED naming tables, not a 500', async () => {
    // Act
    const r = await create({ tables: cjkTables(1000, 128) });

    // Assess
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('VALIDATION_FAILED');
    expect(r.body.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: ['body', 'tables'], message: expect.stringContaining('bytes') })]));
  });

  it('tables one entry over the byte budget → 400; at the budget → 201 and read back whole', async () => {
    // Prepare
    const atLimit = tablesAtTheLimit();
    const over = [...atLimit, { schema: '库', table: '表'.repeat(20) }];

    // Act
    const refused = await create({ tables: over });
    const created = await create({ tables: atLimit });
    const read = await call('GET', `/projects/${created.body.id}`);

    // Assess
    expect(Buffer.byteLength(JSON.stringify(over), 'utf8')).toBeGreaterThan(MAX_TABLES_BYTES);
    expect(refused.status).toBe(400);
    expect(created.status).toBe(201);
    expect(read.body.tables).toEqual(atLimit);
  });

  it('a description of 1,024 CJK characters is accepted; 1,025 is refused', async () => {
    // Act
    const ok = await create({ description: '述'.repeat(1024) });
    const tooLong = await create({ description: '述'.repeat(1025) });

    // Assess
    expect(ok.status).toBe(201);
    expect(tooLong.status).toBe(400);
  });

  it('a page of 100 projects each at the tables budget stays below 6 MB: a shorter page with a nextToken', async () => {
    // Prepare: 100 more projects at the byte budget
    const tables = tablesAtTheLimit();
    for (let i = 0; i < 100; i++) {
      clock.advance(1);
      const r = await create({ tables, labels: ['fat'], description: '述'.repeat(1024) });
      expect(r.status).toBe(201);
    }

    // Act
    const page = await call('GET', '/projects?label=fat&limit=100');
    const bytes = Buffer.byteLength(JSON.stringify(page.body), 'utf8');
    let total = page.body.items.length as number;
    let token = page.body.nextToken as string | undefined;
    while (token) {
      const next = await call('GET', `/projects?label=fat&limit=100&nextToken=${encodeURIComponent(token)}`);
      expect(Buffer.byteLength(JSON.stringify(next.body), 'utf8')).toBeLessThan(LAMBDA_RESPONSE_LIMIT);
      total += next.body.items.length;
      token = next.body.nextToken;
    }

    // Assess
    expect(page.status).toBe(200);
    expect(bytes).toBeLessThan(LAMBDA_RESPONSE_LIMIT);
    expect(total).toBe(100);
  }, 180_000);
});
