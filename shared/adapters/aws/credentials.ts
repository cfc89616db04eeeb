/** The credentials a signer needs (the CLI signs with them; the adapters never import the CLI). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * The standard AWS credential chain (environment, SSO, shared config and credentials files, web
 * identity, container and instance metadata). Loaded only when a command signs, so local use stays fast.
 */
export async function defaultCredentialChain(profile?: string): Promise<() => Promise<AwsCredentials>> {
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  return fromNodeProviderChain(profile ? { profile } : {});
}
