import { afterEach, describe, expect, it } from 'vitest';
import { openPageToken, pageTokenKey, sealPageToken } from '../../shared/adapters/page-tokens';
import { InMemoryProjectStore } from '../../shared/adapters/memory/stores';
import type { ProjectRecord } from '../../shared/domain/project';

const saved = { ...process.env };
afterEach(() => {
  for (const k of ['PAGE_TOKEN_KEY', 'DYNAMODB_ENDPOINT', 'TABLE_NAME', 'AWS_REGION']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

const editPayload = (token: string, position: unknown) => [Buffer.from(JSON.stringify(position)).toString('base64url'), token.split('.')[1]].join('.');

describe('page tokens', () => {
  it('a sealed position opens again under the same listing', () => {
    // Act
    const token = sealPageToken('projects', { pk: 'PROJECT#a', sk: 'PROJECT' });

    // Assess
    expect(openPageToken('projects', token)).toEqual({ pk: 'PROJECT#a', sk: 'PROJECT' });
  });

  it.each([
    ['an edited position', (t: string) => editPayload(t, { pk: 'PROJECT#b', sk: 'PROJECT' })],
    ['the position alone (an unsigned token)', (t: string) => t.split('.')[0] as string],
    ['a made-up MAC', (t: string) => `${t.split('.')[0]}.AAAAAAAAAAAAAAAAAAAAAA`],
    ['an extra part', (t: string) => `${t}.x`],
    ['garbage', () => '!!'],
    ['empty parts', () => '.'],
  ])('%s is INVALID_NEXT_TOKEN', (_name, mangle) => {
    // Prepare
    const token = sealPageToken('projects', { pk: 'PROJECT#a', sk: 'PROJECT' });

    // Act / Assess
    expect(() => openPageToken('projects', mangle(token))).toThrow(expect.objectContaining({ code: 'INVALID_NEXT_TOKEN', status: 400 }));
  });

  it("another listing's token is INVALID_NEXT_TOKEN", () => {
    // Prepare
    const token = sealPageToken('["projects",null,"a"]', 'x');

    // Act / Assess
    expect(() => openPageToken('["projects",null,"b"]', token)).toThrow(expect.objectContaining({ code: 'INVALID_NEXT_TOKEN' }));
  });

  it('the key: PAGE_TOKEN_KEY when set, else per table (and region) deployed, a fixed dev key only under DynamoDB Local', () => {
    // Prepare
    delete process.env.PAGE_TOKEN_KEY;
    delete process.env.DYNAMODB_ENDPOINT;
    process.env.AWS_REGION = 'eu-west-1';
    process.env.TABLE_NAME = 'Stack-Table-ABC';
    const deployedA = pageTokenKey();
    process.env.TABLE_NAME = 'Stack-Table-XYZ';
    const deployedB = pageTokenKey();
    const token = sealPageToken('projects', 'x');
    process.env.PAGE_TOKEN_KEY = 'secret-1';
    const secret = pageTokenKey();

    // Act / Assess
    expect(deployedA.equals(deployedB)).toBe(false);
    expect(secret.equals(deployedB)).toBe(false);
    expect(() => openPageToken('projects', token)).toThrow(expect.objectContaining({ code: 'INVALID_NEXT_TOKEN' }));
    delete process.env.PAGE_TOKEN_KEY;
    process.env.DYNAMODB_ENDPOINT = 'http://127.0.0.1:8000';
    expect(pageTokenKey().equals(deployedB)).toBe(false);
  });

  it('the in-memory store refuses an edited token as the DynamoDB adapter does', async () => {
    // Prepare
    const store = new InMemoryProjectStore();
    for (let i = 0; i < 3; i++) {
      store.table.projects.set(`p-${i}`, { id: `p-${i}`, createdAt: `2026-01-01T00:00:0${i}.000Z`, labels: [], status: 'NOT_STARTED' } as unknown as ProjectRecord);
    }
    const first = await store.list({ limit: 1 });

    // Act
    const second = await store.list({ limit: 1, nextToken: first.nextToken });
    const forged = store.list({ limit: 1, nextToken: editPayload(first.nextToken as string, '2026-01-01T00:00:09.000Z#p-9') });
    const otherListing = store.list({ limit: 1, status: 'RUNNING', nextToken: first.nextToken });

    // Assess
    expect(first.items.map((p) => p.id)).toEqual(['p-2']);
    expect(second.items.map((p) => p.id)).toEqual(['p-1']);
    await expect(forged).rejects.toMatchObject({ code: 'INVALID_NEXT_TOKEN' });
    await expect(otherListing).rejects.toMatchObject({ code: 'INVALID_NEXT_TOKEN' });
  });
});
