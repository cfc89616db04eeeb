import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { EngineSettings } from '../../infra/constructs/control-plane';
import { MigrationControlPlaneStack, type Stage } from '../../infra/stack';

/**
 * Helpers for tests that read a synthesized template as data: resources by type, the IAM statements
 * attached to a role, and whether a statement allows an action (IAM wildcards included).
 */

// Minimal shapes of the synthesized template.
export type Json = any;
export interface CfnResource {
  Type: string;
  Properties?: Json;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
export interface Synthesized {
  stack: Stack;
  resources: Record<string, CfnResource>;
}

const ROOT = path.resolve(__dirname, '..', '..');
export const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

/** The stack of a stage, with cdk.json's feature flags, without bundling the functions. */
export function synthesizeStack(stage: Stage, build?: (stack: MigrationControlPlaneStack) => void, engine: EngineSettings = { kind: 'simulated' }): Synthesized & { cp: MigrationControlPlaneStack } {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  // prod names its engine explicitly (infra/constructs/control-plane.ts): the simulated one unless told.
  const stack = new MigrationControlPlaneStack(app, `MigrationControlPlane-${stage}`, { stage, engine });
  build?.(stack);
  return { stack, cp: stack, resources: (Template.fromStack(stack).toJSON() as { Resources: Record<string, CfnResource> }).Resources };
}

export function fromStack(stack: Stack): Synthesized {
  return { stack, resources: (Template.fromStack(stack).toJSON() as { Resources: Record<string, CfnResource> }).Resources };
}

export const asList = <T = Json>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function ofType(s: Synthesized, type: string): [string, CfnResource][] {
  return Object.entries(s.resources).filter(([, r]) => r.Type === type);
}

export function resource(s: Synthesized, id: string): CfnResource {
  const r = s.resources[id];
  if (!r) throw new Error(`no resource ${id} in the template`);
  return r;
}

export function logicalId(s: Synthesized, construct: { node: { defaultChild?: unknown } }): string {
  return s.stack.resolve((construct.node.defaultChild as { logicalId: string }).logicalId) as string;
}

/** Every statement of every AWS::IAM::Policy attached to the role. */
export function statementsOfRole(s: Synthesized, roleId: string): Json[] {
  return ofType(s, 'AWS::IAM::Policy')
    .filter(([, p]) => asList(p.Properties.Roles).some((r: Json) => r.Ref === roleId))
    .flatMap(([, p]) => asList(p.Properties.PolicyDocument.Statement));
}

export const roleOfFunction = (s: Synthesized, functionId: string) => resource(s, functionId).Properties.Role['Fn::GetAtt'][0] as string;

/** Whether an IAM action pattern ("kms:GenerateDataKey*", "dynamodb:*", "*") covers the action. */
export function actionMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return regex.test(action);
}

/** Allow statements (no NotAction) whose actions cover `action`. */
export function allows(statements: Json[], action: string): Json[] {
  return statements.filter((st) => st.Effect === 'Allow' && st.NotAction === undefined && asList<string>(st.Action).some((p) => actionMatches(p, action)));
}

/** Whether a statement's Resource names the resource (by Ref/GetAtt of its logical id, possibly joined with a suffix). */
export function namesResource(st: Json, logicalIdOf: string): boolean {
  return asList(st.Resource).some((r: Json) => {
    if (r === '*') return true;
    if (r?.Ref === logicalIdOf) return true;
    if (r?.['Fn::GetAtt']?.[0] === logicalIdOf) return true;
    return false;
  });
}
