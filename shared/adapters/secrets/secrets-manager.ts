import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { lazyClient, onFirstUse } from '../aws/lazy-sdk';
import type { ClientSource } from '../engine/dms/dms-api';

/** Reads a secret's value (deployed: AWS Secrets Manager). Adapters that connect to data sources read their credentials through it. */
export interface SecretReader {
  /** The secret's string value; an error when the secret has none (a binary secret) or cannot be read. */
  secretString(secretArn: string): Promise<string>;
}

const secretsSdk = onFirstUse(() => import('@aws-sdk/client-secrets-manager'));
const secretsClientHolder = lazyClient(async () => new (await secretsSdk()).SecretsManagerClient({ maxAttempts: 3 }));
/** The process's Secrets Manager client (made on first use); `setSecretsManagerClient` injects another. */
export const getSecretsManagerClient = secretsClientHolder.get;
export const setSecretsManagerClient = secretsClientHolder.set;

/** SecretReader on AWS Secrets Manager (GetSecretValue, the current version). */
export class SecretsManagerSecretReader implements SecretReader {
  constructor(private readonly client: ClientSource<SecretsManagerClient> = getSecretsManagerClient) {}

  async secretString(secretArn: string): Promise<string> {
    const { GetSecretValueCommand } = await secretsSdk();
    const out = await (await this.client()).send(new GetSecretValueCommand({ SecretId: secretArn }));
    if (typeof out.SecretString !== 'string') throw new Error(`secret ${secretArn} has no string value (a binary secret cannot hold database credentials)`);
    return out.SecretString;
  }
}
