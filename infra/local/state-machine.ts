import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The orchestration state machine exactly as `cdk synth` produces it, for the embedded default and the
 * tests. The DefinitionString is taken from the synthesized template and its intrinsics resolved to
 * fixed local values; every function ARN carries its logical id, mapped back to its folder under
 * functions/. Synthesizing costs seconds, so the result is kept in state-machine.generated.json
 * (`npm run asl` rewrites it) and test/infra/stack.test.ts proves it equal to what the stack synthesizes.
 */
export const LOCAL_PARTITION = 'aws';
export const LOCAL_REGION = 'local';
export const LOCAL_ACCOUNT = '000000000000';

export interface LocalStateMachine {
  /** The ASL, JSON-parsed, with local ARNs. */
  definition: AslDefinition;
  /** Function logical id → folder under functions/. */
  functionFolders: Record<string, string>;
}

export type CfnTemplate = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

export interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Seconds?: number;
  Retry?: unknown[];
  Catch?: unknown[];
  [k: string]: unknown;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  [k: string]: unknown;
}

const ROOT = path.resolve(__dirname, '..', '..');
export const GENERATED_FILE = path.join(__dirname, 'state-machine.generated.json');

export const localFunctionArn = (logicalId: string) => `arn:${LOCAL_PARTITION}:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;

/** Joins an Fn::Join of the template into a string, with local values for the pseudo parameters and ARNs. */
function resolveIntrinsic(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (v.Ref === 'AWS::Partition') return LOCAL_PARTITION;
  if (v.Ref === 'AWS::Region') return LOCAL_REGION;
  if (v.Ref === 'AWS::AccountId') return LOCAL_ACCOUNT;
  if (v.Ref === 'AWS::URLSuffix') return 'amazonaws.com';
  const getAtt = v['Fn::GetAtt'] as [string, string] | undefined;
  if (getAtt && getAtt[1] === 'Arn') return localFunctionArn(getAtt[0]);
  const join = v['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) return join[1].map(resolveIntrinsic).join(join[0]);
  throw new Error(`state machine definition: cannot resolve ${JSON.stringify(value)}`);
}

/** The state machine of a synthesized template, with local ARNs; `functionFolders` maps logical ids to folders. */
export function extractStateMachine(template: CfnTemplate, functionFolders: Record<string, string>): LocalStateMachine {
  const machines = Object.values(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`expected one state machine in the template, found ${machines.length}`);
  const text = resolveIntrinsic(machines[0]?.Properties?.DefinitionString);
  const definition = JSON.parse(text) as AslDefinition;
  // Only the functions the definition invokes.
  const used = Object.entries(functionFolders)
    .filter(([id]) => text.includes(localFunctionArn(id)))
    .sort(([a], [b]) => a.localeCompare(b));
  return { definition, functionFolders: Object.fromEntries(used) };
}

/** Synthesizes the stack in-process (cdk.json context, no bundling: it does not change the definition). */
export async function synthesizeStateMachine(stage: 'dev' | 'prod' = 'dev'): Promise<LocalStateMachine> {
  const { App } = await import('aws-cdk-lib');
  const { MigrationControlPlaneStack } = await import('../stack');
  const cdkJson = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ context: { ...cdkJson.context, stage, 'aws:cdk:bundling-stacks': [] } });
  // The definition does not depend on the engine; prod only requires naming one.
  const stack = new MigrationControlPlaneStack(app, `MigrationControlPlane-${stage}`, { stage, engine: { kind: 'simulated' } });
  const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
  const logicalId = (f: { node: { defaultChild?: unknown } }) => stack.resolve((f.node.defaultChild as { logicalId: string }).logicalId) as string;
  const functionFolders: Record<string, string> = {};
  for (const [folder, fn] of [...Object.entries(stack.api.functions), ...Object.entries(stack.orchestration.functions)]) functionFolders[logicalId(fn)] = folder;
  return extractStateMachine(template, functionFolders);
}

/** The checked-in copy (proven equal to the synthesized one by the stack test). */
export function loadStateMachine(): LocalStateMachine {
  return JSON.parse(readFileSync(GENERATED_FILE, 'utf8')) as LocalStateMachine;
}

if (process.argv[1]?.endsWith('state-machine.ts')) {
  void synthesizeStateMachine().then((sm) => {
    writeFileSync(GENERATED_FILE, `${JSON.stringify(sm, null, 2)}\n`);
    console.log(`${path.relative(ROOT, GENERATED_FILE)} written (${Object.keys(sm.definition.States).length} states)`);
  });
}
