import type { DataSourceEngine, DataSourceRecord } from '../../../domain/data-source';
import type { MigrationType, TableRef } from '../../../domain/project';
import type { TaskKind } from './ids';

/**
 * Pure translations between the control plane's words and DMS request fields (no SDK here): engine
 * names and endpoint settings, table mappings, task settings, the migration type of each task.
 */

/** How a data source engine is named in DMS, the settings block that carries its secret, and the roles DMS supports it in. */
const ENGINES: Partial<Record<DataSourceEngine, { name: string; settings: string; roles: readonly ('source' | 'target')[] }>> = {
  mysql: { name: 'mysql', settings: 'MySQLSettings', roles: ['source', 'target'] },
  mariadb: { name: 'mariadb', settings: 'MySQLSettings', roles: ['source', 'target'] },
  postgresql: { name: 'postgres', settings: 'PostgreSQLSettings', roles: ['source', 'target'] },
  oracle: { name: 'oracle', settings: 'OracleSettings', roles: ['source', 'target'] },
  sqlserver: { name: 'sqlserver', settings: 'MicrosoftSQLServerSettings', roles: ['source', 'target'] },
  db2: { name: 'db2', settings: 'IBMDb2Settings', roles: ['source'] },
};

/** A job DMS cannot run (a data source's engine or missing secret, no reverse start position): the job fails with this code. */
export class DmsUnsupported extends Error {
  constructor(readonly code: 'DMS_UNSUPPORTED_ENGINE' | 'DMS_MULTI_SOURCE' | 'DMS_NO_SECRET' | 'DMS_UNKNOWN_DATA_SOURCE' | 'DMS_NO_WRITE_STOP_POSITION', message: string) {
    super(message);
    this.name = 'DmsUnsupported';
  }
}

export type EndpointRole = 'source' | 'target';

/**
 * CreateEndpoint fields for a data source. Credentials come only from its Secrets Manager secret
 * (DMS reads host, port, username and password from it through the access role); DMS refuses clear
 * text credentials next to a secret, so none are sent.
 */
export function endpointRequest(
  ds: DataSourceRecord,
  role: EndpointRole,
  accessRoleArn: string,
  /** More fields of the engine's settings block (e.g. a PostgreSQL source's SlotName and PluginName). */
  extra: Record<string, string> = {},
): { EngineName: string; DatabaseName?: string; settings: Record<string, { SecretsManagerAccessRoleArn: string; SecretsManagerSecretId: string } & Record<string, string>> } {
  const engine = ENGINES[ds.engine];
  if (!engine) throw new DmsUnsupported('DMS_UNSUPPORTED_ENGINE', `AWS DMS has no endpoint engine for '${ds.engine}' (data source ${ds.id})`);
  if (!engine.roles.includes(role)) throw new DmsUnsupported('DMS_UNSUPPORTED_ENGINE', `AWS DMS supports '${ds.engine}' only as ${engine.roles.join(' or ')}, not as ${role} (data source ${ds.id})`);
  if (!ds.secretArn) throw new DmsUnsupported('DMS_NO_SECRET', `data source ${ds.id} has no secretArn: the DMS engine reads credentials only from Secrets Manager`);
  return {
    EngineName: engine.name,
    ...(ds.database ? { DatabaseName: ds.database } : {}),
    settings: { [engine.settings]: { ...extra, SecretsManagerAccessRoleArn: accessRoleArn, SecretsManagerSecretId: ds.secretArn } },
  };
}

/** Selection rules: one include rule per table, or every table of every schema (`%.%`) when null. */
export function tableMappings(tables: readonly TableRef[] | null): string {
  const locators = tables === null ? [{ schema: '%', table: '%' }] : tables;
  const rules = locators.map((t, i) => ({
    'rule-type': 'selection',
    'rule-id': String(i + 1),
    'rule-name': `include-${i + 1}`,
    'object-locator': { 'schema-name': t.schema, 'table-name': t.table },
    'rule-action': 'include',
  }));
  return JSON.stringify({ rules });
}

/** The DMS migration type of a task. */
export function dmsMigrationType(kind: TaskKind, m: MigrationType): 'full-load' | 'cdc' | 'full-load-and-cdc' {
  if (kind === 'verify') return 'full-load';
  if (kind === 'rev') return 'cdc';
  if (m.fullMigration && m.incrementalSync) return 'full-load-and-cdc';
  if (m.incrementalSync) return 'cdc';
  return 'full-load';
}

/**
 * Target table preparation of the forward task. With structure migration DMS creates each table
 * (DROP_AND_CREATE: columns and primary key; secondary indexes, foreign keys, defaults and sequences
 * are left to PROCESS_DATABASE_OBJECTS). Without it the operator's schema is kept: emptied before a
 * full load (TRUNCATE_BEFORE_LOAD), untouched for cdc alone (DO_NOTHING).
 */
export function targetTablePrepMode(kind: TaskKind, m: MigrationType): 'DROP_AND_CREATE' | 'TRUNCATE_BEFORE_LOAD' | 'DO_NOTHING' {
  if (kind !== 'fwd') return 'DO_NOTHING';
  if (m.structureMigration) return 'DROP_AND_CREATE';
  return m.fullMigration ? 'TRUNCATE_BEFORE_LOAD' : 'DO_NOTHING';
}

/** ReplicationTaskSettings JSON: table preparation, CloudWatch logging, and validation for the verification task. */
export function taskSettings(kind: TaskKind, m: MigrationType): string {
  const settings: Record<string, unknown> = {
    FullLoadSettings: { TargetTablePrepMode: targetTablePrepMode(kind, m) },
    Logging: { EnableLogging: true },
  };
  if (kind === 'verify') settings.ValidationSettings = { EnableValidation: true, ValidationOnly: true };
  return JSON.stringify(settings);
}
