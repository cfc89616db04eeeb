import type { AwsCredentials } from '../../cli/sigv4';

/**
 * The standard AWS credential chain (environment, SSO, shared config and credentials files, web
 * identity, container and instance metadata). Loaded only when a command signs, so local use stays fast.
 */
export async function defaultCredentialChain(profile?: string): Promise<() => Promise<AwsCredentials>> {
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  return fromNodeProviderChain(profile ? { profile } : {});
}
