import type { DataSourceRecord } from '../../../domain/data-source';
import type { SecretReader } from '../../secrets/secrets-manager';
import type { PgConnectionConfig } from '../postgres/connections';

/**
 * How the DMS engine's position reader (PgReplicationSlots) connects to a data source, deployed: with
 * the credentials DMS itself uses, its Secrets Manager secret (`secretArn`; the DMS secret format:
 * `username`, `password`, `host`, `port`, optionally `dbname`). The secret's server wins over the
 * record's, so the slot is made where DMS reads; the database is the record's (the endpoint's
 * DatabaseName), else the secret's. A data source without a secret, or a secret without a user, is an
 * error naming it: never a connection without credentials.
 */
export function pgConnectionFromSecret(secrets: SecretReader): (dataSource: DataSourceRecord) => Promise<PgConnectionConfig> {
  return async (ds) => {
    if (!ds.secretArn) throw new Error(`data source ${ds.id} has no secretArn: the DMS engine reads credentials only from Secrets Manager`);
    const raw = await secrets.secretString(ds.secretArn);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`the secret of data source ${ds.id} is not a JSON object of credentials (username, password, host, port)`);
    const secret = parsed as Record<string, unknown>;
    const text = (k: string): string | undefined => (typeof secret[k] === 'string' && secret[k] !== '' ? (secret[k] as string) : typeof secret[k] === 'number' ? String(secret[k]) : undefined);
    const user = text('username') ?? ds.username;
    const port = Number(text('port') ?? ds.port);
    const database = ds.database ?? text('dbname');
    if (!user) throw new Error(`the secret of data source ${ds.id} names no username`);
    if (!database) throw new Error(`data source ${ds.id} names no database (record or secret dbname)`);
    if (!Number.isInteger(port) || port <= 0) throw new Error(`the secret of data source ${ds.id} has no valid port`);
    const password = text('password');
    return { host: text('host') ?? ds.host, port, database, user, ...(password !== undefined ? { password } : {}) };
  };
}
