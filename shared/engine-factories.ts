import type { DataSourceRecord } from './domain/data-source';
import type { EngineKind, MigrationEngine } from './ports';

/**
 * The engines a deployed function can build from its environment, beyond the simulated one (which every
 * function can build: its jobs are table items). An engine that moves real data registers here from its
 * own module (`shared/deployed-engines.ts`), which only the handlers of functions that run or observe jobs
 * import: the others' bundles carry neither the engine's adapter nor its database driver (bench, P3). A
 * function that runs jobs without it fails at init, naming the engine (shared/runtime.ts); a unit test
 * checks that exactly the functions whose capabilities reach the engine import it.
 */
export type EngineFactory = (
  env: Record<string, string | undefined>,
  resolveDataSource: (id: string) => Promise<DataSourceRecord | undefined>,
  opts: { requirePositionReader: boolean },
) => MigrationEngine;

const factories: Partial<Record<EngineKind, EngineFactory>> = {};

export function provideEngine(kind: EngineKind, factory: EngineFactory): void {
  factories[kind] = factory;
}

export function engineFactory(kind: EngineKind): EngineFactory | undefined {
  return factories[kind];
}
