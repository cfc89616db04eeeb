import { randomUUID } from 'node:crypto';
import { DynamoDataSourceStore } from './adapters/dynamodb/data-source-store';
import { DynamoProjectStore } from './adapters/dynamodb/project-store';
import { getDocumentClient, tableName } from './adapters/dynamodb/client';
import { systemClock } from './domain/clock';
import { noopExpiryScheduler, noopOrchestrator } from './ports';
import { DEFAULT_PAUSE_DEADLINE_SECONDS, type Deps } from './usecases/deps';

/**
 * The process-wide dependencies of the Lambda handlers, built on first use from the environment and
 * reused across invocations. The local runtime and tests override parts with `overrideDeps`.
 */
let deps: Deps | undefined;
let overrides: Partial<Deps> = {};

export function pauseDeadlineMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PAUSE_DEADLINE_SECONDS;
  const seconds = raw === undefined || raw === '' ? DEFAULT_PAUSE_DEADLINE_SECONDS : Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`PAUSE_DEADLINE_SECONDS must be a positive number, got '${raw}'`);
  return seconds * 1000;
}

export function depsFromEnv(env: NodeJS.ProcessEnv = process.env): Deps {
  const client = getDocumentClient();
  const table = tableName(env);
  return {
    projects: new DynamoProjectStore(client, table),
    dataSources: new DynamoDataSourceStore(client, table),
    orchestrator: noopOrchestrator,
    expiry: noopExpiryScheduler,
    clock: systemClock,
    newId: randomUUID,
    config: { pauseDeadlineMs: pauseDeadlineMs(env) },
  };
}

export function getDeps(): Deps {
  deps ??= { ...depsFromEnv(), ...overrides };
  return deps;
}

/** Replace some dependencies (local runtime adapters, test fakes); takes effect on the next getDeps(). */
export function overrideDeps(partial: Partial<Deps>): void {
  overrides = { ...overrides, ...partial };
  deps = undefined;
}

export function resetDeps(): void {
  overrides = {};
  deps = undefined;
}
