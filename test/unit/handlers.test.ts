import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setDocumentClient } from '../../shared/adapters/dynamodb/client';
import { resetDeps } from '../../shared/runtime';
import { call } from '../support/harness';

/** The middy stacks with DynamoDB mocked: bad input never reaches DynamoDB; failures are problem+json. */
const ddb = mockClient(DynamoDBDocumentClient);

describe('handlers (DynamoDB mocked)', () => {
  beforeAll(() => {
    process.env.TABLE_NAME = 'projects';
    setDocumentClient(undefined);
    resetDeps();
  });
  afterAll(() => ddb.restore());
  beforeEach(() => ddb.reset());

  const validProject = {
    name: 'orders',
    sourceId: 'src-1',
    destinationId: 'dst-1',
    migrationType: { structureMigration: true, fullMigration: true, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false },
  };

  it.each([
    ['unknown field', { ...validProject, owner: 'me' }, 'body'],
    ['no component of the first three', { ...validProject, migrationType: { ...validProject.migrationType, structureMigration: false, fullMigration: false } }, 'body'],
    ['reverse sync without forward sync', { ...validProject, migrationType: { ...validProject.migrationType, reverseIncrementalSync: true } }, 'body'],
    ['same source and destination', { ...validProject, destinationId: 'src-1' }, 'body'],
    ['name with a slash', { ...validProject, name: 'a/b' }, 'body'],
    ['a string for a boolean', { ...validProject, migrationType: { ...validProject.migrationType, fullMigration: 'yes' } }, 'body'],
    ['repeated tables', { ...validProject, tables: [{ schema: 's', table: 't' }, { schema: 's', table: 't' }] }, 'body'],
  ])('POST /projects with %s → 400 VALIDATION_FAILED, DynamoDB untouched', async (_case, body, part) => {
    // Act
    const r = await call('POST', '/projects', { body });

    // Assess
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toBe('application/problem+json');
    expect(r.body).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    expect(r.body.issues[0].path[0]).toBe(part);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('a password in a data source is refused with a pointer to secretArn', async () => {
    const r = await call('POST', '/data-sources', { body: { name: 's', engine: 'mysql', host: 'h', port: 3306, username: 'u', password: 'hunter2' } });
    expect(r.status).toBe(400);
    expect(r.body.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: ['body', 'password'], message: expect.stringContaining('secretArn') })]));
    expect(JSON.stringify(r.body)).not.toContain('hunter2');
    expect(ddb.calls()).toHaveLength(0);
  });

  it.each([
    ['malformed JSON', { rawBody: '{"name":', headers: { 'Content-Type': 'application/json' } }, 400, 'MALFORMED_JSON'],
    ['a form body', { rawBody: 'name=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['an array body', { body: [1, 2] }, 400, 'VALIDATION_FAILED'],
    ['a huge body', { rawBody: JSON.stringify({ name: 'x'.repeat(2_000_000) }), headers: { 'Content-Type': 'application/json' } }, 413, 'PAYLOAD_TOO_LARGE'],
  ])('POST /projects with %s → %i %s', async (_case, options, status, code) => {
    const r = await call('POST', '/projects', options);
    expect(r.status).toBe(status);
    expect(r.body.code).toBe(code);
    expect(ddb.calls()).toHaveLength(0);
  });

  it.each([
    ['/projects?limit=0'],
    ['/projects?limit=abc'],
    // Only decimal digits are a limit (Number() would read these as 16, 10, 16 and 16).
    ['/projects?limit=0x10'],
    ['/projects?limit=1e1'],
    ['/projects?limit=%2016'],
    ['/projects?limit=16.0'],
    ['/projects/p1/events?limit=0x10'],
    ['/projects?status=DONE'],
    ['/projects?color=red'],
    ['/projects?nextToken=%21%21'],
  ])('GET %s → 400', async (path) => {
    const r = await call('GET', path);
    expect(r.status).toBe(400);
    expect(['VALIDATION_FAILED', 'INVALID_NEXT_TOKEN']).toContain(r.body.code);
  });

  it('a body on start is refused; an empty JSON object is accepted', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [] }); // the project read whole: none
    const withBody = await call('POST', '/projects/p1/start', { body: { force: true } });
    const empty = await call('POST', '/projects/p1/start', { body: {} });
    expect(withBody.status).toBe(400);
    expect(empty.status).toBe(404);
  });

  it('an unexpected DynamoDB failure is a 500 problem without internal details', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [{ pk: 'PROJECT#p1', sk: 'PROJECT', id: 'p1', status: 'RUNNING', version: 3 }] });
    ddb.on(TransactWriteCommand).rejects(new Error('socket hang up at 10.1.2.3'));

    // Act
    const r = await call('POST', '/projects/p1/pause');

    // Assess
    expect(r.status).toBe(500);
    expect(r.body).toMatchObject({ code: 'INTERNAL_ERROR', status: 500 });
    expect(JSON.stringify(r.body)).not.toContain('10.1.2.3');
  });

  it('throttling is a 503 with Retry-After', async () => {
    ddb.on(QueryCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    const r = await call('GET', '/projects/p1');
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    expect(r.body.code).toBe('SERVICE_UNAVAILABLE');
  });
});
