import type { AttributePath } from '../../domain/paths';
import { GUARDS, type GuardCondition, type GuardName } from '../../domain/transitions';

/**
 * Named condition pieces. Each piece registers its attribute names and values into one shared
 * expression builder, so a write's ConditionExpression reads as the list of rules it enforces.
 */
export class Expression {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private counter = 0;

  name(attribute: string): string {
    const placeholder = `#${attribute.replace(/[^A-Za-z0-9_]/g, '_')}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  /** A document path: `['subtasks', 2, 'status']` → `#subtasks[2].#status`. */
  path(p: AttributePath): string {
    let out = '';
    for (const part of p) {
      if (typeof part === 'number') out += `[${part}]`;
      else out += `${out === '' ? '' : '.'}${this.name(part)}`;
    }
    return out;
  }

  value(v: unknown): string {
    const placeholder = `:v${this.counter++}`;
    this.values[placeholder] = v;
    return placeholder;
  }

  /** The parts of a command that carry names and values (omitting empty maps, which DynamoDB rejects). */
  attributes(): { ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> } {
    return {
      ...(Object.keys(this.names).length ? { ExpressionAttributeNames: this.names } : {}),
      ...(Object.keys(this.values).length ? { ExpressionAttributeValues: this.values } : {}),
    };
  }
}

export type ConditionPiece = (x: Expression) => string;

export const itemExists: ConditionPiece = (x) => `attribute_exists(${x.name('pk')})`;
export const itemAbsent: ConditionPiece = (x) => `attribute_not_exists(${x.name('pk')})`;

export const statusIn =
  (statuses: readonly string[]): ConditionPiece =>
  (x) =>
    `${x.name('status')} IN (${statuses.map((s) => x.value(s)).join(', ')})`;

export const versionIs =
  (version: number): ConditionPiece =>
  (x) =>
    `${x.name('version')} = ${x.value(version)}`;

export const attributeEquals =
  (attribute: string, value: unknown): ConditionPiece =>
  (x) =>
    `${x.name(attribute)} = ${x.value(value)}`;

/** A guard's condition (shared/domain/transitions.ts) in DynamoDB's condition language: the store's primitives only. */
export function conditionPiece(c: GuardCondition, nowIso: string): ConditionPiece {
  return (x) => {
    // ISO-8601 UTC timestamps of one format compare correctly as strings.
    if ('all' in c) return `(${c.all.map((y) => conditionPiece(y, nowIso)(x)).join(' AND ')})`;
    if ('any' in c) return `(${c.any.map((y) => conditionPiece(y, nowIso)(x)).join(' OR ')})`;
    if ('absent' in c) return `attribute_not_exists(${x.path(c.absent)})`;
    if ('present' in c) return `attribute_exists(${x.path(c.present)})`;
    if ('equals' in c) return `${x.path(c.equals)} = ${x.value(c.value)}`;
    if ('afterNow' in c) return `${x.path(c.afterNow)} > ${x.value(nowIso)}`;
    return `${x.path(c.notAfterNow)} <= ${x.value(nowIso)}`;
  };
}

/** DynamoDB form of the domain guards: each guard's one condition, rendered. */
export const guardPieces = Object.fromEntries(
  (Object.keys(GUARDS) as GuardName[]).map((name) => [name, (nowIso: string) => conditionPiece(GUARDS[name].condition, nowIso)]),
) as Record<GuardName, (nowIso: string) => ConditionPiece>;

export const pathEquals =
  (path: AttributePath, value: unknown): ConditionPiece =>
  (x) =>
    `${x.path(path)} = ${x.value(value)}`;

export function allOf(x: Expression, pieces: readonly ConditionPiece[]): string {
  return pieces.map((piece) => piece(x)).join(' AND ');
}

/**
 * The execution of leg `leg` still owns run `run` (a continued run: shared/domain/orchestration.ts
 * currentLeg): the first leg while no hand-over of this run is recorded, a later one while it is the one recorded.
 */
export const legIs =
  (run: number, leg: number): ConditionPiece =>
  (x) =>
    leg === 0
      ? `(attribute_not_exists(${x.name('execution')}) OR ${x.path(['execution', 'run'])} <> ${x.value(run)} OR ${x.path(['execution', 'leg'])} = ${x.value(0)})`
      : `(${x.path(['execution', 'run'])} = ${x.value(run)} AND ${x.path(['execution', 'leg'])} = ${x.value(leg)})`;
