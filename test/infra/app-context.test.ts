import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/** infra/app.ts validates its -c settings before building anything (so these runs stop before bundling). */
const ROOT = path.resolve(__dirname, '..', '..');
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

async function synthApp(context: Record<string, unknown>): Promise<{ code?: number; stderr?: string } | undefined> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'cdk-app-context-'));
  outdirs.push(outdir);
  const env = { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) };
  return promisify(execFile)(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'infra', 'app.ts')], { cwd: ROOT, env }).then(
    () => undefined,
    (e: { code?: number; stderr?: string }) => e,
  );
}

describe('infra/app.ts engine settings', () => {
  it.each([
    [{ stage: 'prod' }, 'the prod stage needs an explicit engine'],
    [{ stage: 'dev', engine: 'glue' }, 'Unknown engine "glue": pass -c engine=aws-dms|simulated'],
    [{ stage: 'prod', engine: 'aws-dms', dmsSecretTag: 'no-value' }, 'dmsSecretTag must be key=value'],
    [{ stage: 'prod', engine: 'aws-dms', dmsCreateServiceRoles: 'maybe' }, 'dmsCreateServiceRoles must be true or false'],
  ])('refuses %j', async (context, message) => {
    // Act
    const result = await synthApp(context);

    // Assess
    expect(result?.code).toBe(1);
    expect(result?.stderr).toContain(message);
  }, 120_000);
});
