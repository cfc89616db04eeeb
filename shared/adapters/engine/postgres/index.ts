export { PostgresEngine, type PostgresEngineOptions } from './engine';
export type { PgConnectionConfig } from './connections';
export { captureName } from './cdc';
export { testConnection, precheck, type ConnectionReport, type PrecheckItem } from './checks';
