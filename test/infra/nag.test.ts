import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import type { EngineSettings } from '../../infra/constructs/control-plane';
import { MigrationControlPlaneStack, type Stage } from '../../infra/stack';

/**
 * cdk-nag (AWS Solutions) on the synthesized stacks: zero unacknowledged findings. Every
 * acknowledgement sits next to the resource it concerns, with its reason (Validations.of().acknowledge).
 */
interface Violation {
  ruleName: string;
  violatingResources: { constructPath: string }[];
}

const outdirs: string[] = [];

function nag(stage: Stage, engine: EngineSettings = { kind: 'simulated' }): { threw: boolean; violations: Violation[]; acknowledged: { id: string; reason: string }[] } {
  const outdir = mkdtempSync(path.join(tmpdir(), `cdk-nag-${stage}-${engine.kind}-`));
  outdirs.push(outdir);
  // The feature flags of cdk.json change the grants (e.g. KMS permissions for imported aliases): check what `cdk synth` checks.
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:validationReportJson': true } });
  const stack = new MigrationControlPlaneStack(app, `MigrationControlPlane-${stage}`, { stage, engine });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  let threw = false;
  try {
    app.synth();
  } catch {
    threw = true;
  }
  const report = JSON.parse(readFileSync(path.join(outdir, 'policy-validation-report.json'), 'utf8')) as {
    pluginReports: { violations: Violation[] }[];
  };
  const acknowledged = stack.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
    .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ id, reason })));
  return { threw, violations: report.pluginReports.flatMap((r) => r.violations), acknowledged };
}

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

describe('cdk-nag AwsSolutions', () => {
  it.each<[Stage, EngineSettings]>([
    ['prod', { kind: 'simulated' }],
    ['dev', { kind: 'simulated' }],
    ['prod', { kind: 'aws-dms' }],
  ])('the %s stack with engine %j has no unacknowledged finding, and every acknowledgement gives a reason', (stage, engine) => {
    // Act
    const { threw, violations, acknowledged } = nag(stage, engine);

    // Assess
    const listing = violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(listing).toEqual([]);
    expect(threw).toBe(false);
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const a of acknowledged) expect(a.reason.length, a.id).toBeGreaterThan(20);
  }, 120_000);
});
