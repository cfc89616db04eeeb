/**
 * Attribute paths into a stored item (`['subtasks', 2, 'steps', 0, 'status']`): how orchestration writes
 * change one subtask or step without rewriting the list. The DynamoDB adapter renders them as document
 * paths (`#subtasks[2].#steps[0].#status`); the in-memory store and the use cases apply them with these helpers.
 */
export type AttributePath = readonly (string | number)[];

export interface PathValue {
  path: AttributePath;
  value: unknown;
}

export function readPath(item: unknown, path: AttributePath): unknown {
  let cur: unknown = item;
  for (const part of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[part];
  }
  return cur;
}

/** Applies sets and removals to a deep copy of `item` (sets with value undefined are skipped, as the stores do). */
export function applyPaths<T>(item: T, set: readonly PathValue[], remove: readonly AttributePath[] = []): T {
  const out = structuredClone(item);
  const parentOf = (path: AttributePath): Record<string | number, unknown> => {
    const parent = readPath(out, path.slice(0, -1));
    if (parent === null || typeof parent !== 'object') throw new Error(`no parent for path ${path.join('.')}`);
    return parent as Record<string | number, unknown>;
  };
  for (const { path, value } of set) {
    if (value === undefined) continue;
    parentOf(path)[path[path.length - 1] as string | number] = structuredClone(value);
  }
  for (const path of remove) {
    const parent = readPath(out, path.slice(0, -1));
    if (parent && typeof parent === 'object') delete (parent as Record<string | number, unknown>)[path[path.length - 1] as string | number];
  }
  return out;
}

export function pathHolds(item: unknown, expect: readonly PathValue[]): boolean {
  return expect.every(({ path, value }) => readPath(item, path) === value);
}
