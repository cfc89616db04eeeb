import type { ItemResult } from './common';
import { table } from './output';

/**
 * The per-source outcome a lifecycle answer of a multi-source project carries (TiDB DM's shape:
 * `{op, result, msg, sources: [{source, result, msg}]}`), as migctl shows it: a short table under the
 * project's result line, one row per source the operation was meant for.
 */
export interface SourceOutcome {
  op: string;
  result: boolean;
  msg: string;
  sources: { source: string; result: boolean; msg: string }[];
}

export function isOutcome(x: unknown): x is SourceOutcome {
  const o = x as Partial<SourceOutcome> | null | undefined;
  return !!o && typeof o.op === 'string' && typeof o.result === 'boolean' && Array.isArray(o.sources);
}

/** `  pause on 2 source(s): 1 failed` and a SOURCE / RESULT / MESSAGE table, indented under the project. */
export function outcomeText(item: ItemResult): string | undefined {
  if (!isOutcome(item.outcome)) return undefined;
  const o = item.outcome;
  const failed = o.sources.filter((s) => !s.result).length;
  const head = `${item.name || item.projectId}: ${o.op} on ${o.sources.length} source(s)${failed ? `, ${failed} failed` : ', all ok'}`;
  const rows = table(
    ['SOURCE', 'RESULT', 'MESSAGE'],
    o.sources.map((s) => [s.source, s.result ? 'ok' : 'FAILED', s.msg]),
  );
  return [head, ...rows.split('\n').map((l) => `  ${l}`)].join('\n');
}

/** The project table's text followed by each multi-source project's per-source table. */
export function withOutcomes(projectTable: string, items: ItemResult[]): string {
  const blocks = items.map(outcomeText).filter((t): t is string => t !== undefined);
  return blocks.length ? [projectTable, '', ...blocks].join('\n') : projectTable;
}
