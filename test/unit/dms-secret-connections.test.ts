import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { pgConnectionFromSecret } from '../../shared/adapters/engine/dms/secret-connections';
import { SecretsManagerSecretReader } from '../../shared/adapters/secrets/secrets-manager';
import type { DataSourceRecord } from '../../shared/domain/data-source';

/** The deployed position reader's connection: the data source's Secrets Manager secret (DMS's format), through GetSecretValue. */
const DS: DataSourceRecord = { id: 'ds-1', name: 'shop-dst', engine: 'postgresql', host: 'record.example', port: 5432, username: 'record-user', database: 'shop', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:dst-GhIjKl', createdAt: '2026-01-01T00:00:00.000Z' } as DataSourceRecord;

describe('pgConnectionFromSecret over Secrets Manager', () => {
  const sm = mockClient(SecretsManagerClient);
  afterEach(() => sm.reset());
  const connect = pgConnectionFromSecret(new SecretsManagerSecretReader(() => new SecretsManagerClient({ region: 'eu-west-1' })));

  it("connects where DMS does: the secret's server and credentials, the data source's database", async () => {
    // Prepare
    sm.on(GetSecretValueCommand, { SecretId: DS.secretArn }).resolves({ SecretString: JSON.stringify({ username: 'migrator', password: 's3cret', host: 'db.internal', port: '5433', dbname: 'other' }) });

    // Act
    const c = await connect(DS);

    // Assess
    expect(c).toEqual({ host: 'db.internal', port: 5433, database: 'shop', user: 'migrator', password: 's3cret' });
    expect(sm.commandCalls(GetSecretValueCommand).map((x) => x.args[0].input)).toEqual([{ SecretId: DS.secretArn }]);
  });

  it("falls back to the data source's host, port and user where the secret has only a password", async () => {
    // Prepare
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ password: 'p' }) });

    // Act / Assess
    expect(await connect(DS)).toEqual({ host: 'record.example', port: 5432, database: 'shop', user: 'record-user', password: 'p' });
  });

  it('refuses a data source without a secret, a secret that is not JSON credentials, and a binary secret', async () => {
    // Prepare
    const { secretArn: _none, ...withoutSecret } = DS;
    sm.on(GetSecretValueCommand, { SecretId: 'arn:text' }).resolves({ SecretString: 'hunter2' });
    sm.on(GetSecretValueCommand, { SecretId: 'arn:binary' }).resolves({ SecretBinary: new Uint8Array([1]) });

    // Act / Assess
    await expect(connect(withoutSecret as DataSourceRecord)).rejects.toThrow(/has no secretArn/);
    await expect(connect({ ...DS, secretArn: 'arn:text' })).rejects.toThrow(/not a JSON object of credentials/);
    await expect(connect({ ...DS, secretArn: 'arn:binary' })).rejects.toThrow(/no string value/);
  });
});
