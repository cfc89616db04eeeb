import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** AWS Signature Version 4 for calls to a deployed API (API Gateway with IAM auth, service execute-api). */

import type { AwsCredentials } from '../adapters/aws/credentials';
export type { AwsCredentials } from '../adapters/aws/credentials';

export interface SignInput {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

export interface SignOptions {
  region: string;
  service?: string;
  credentials: AwsCredentials | (() => Promise<AwsCredentials>);
  /** Fixed signing time (tests); now by default. */
  signingDate?: Date;
}

/** Returns the request headers with host, x-amz-date, (x-amz-security-token) and authorization added. */
export async function signRequest(req: SignInput, options: SignOptions): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    service: options.service ?? 'execute-api',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
    // API Gateway signs without x-amz-content-sha256 (that header is S3's).
    applyChecksum: false,
  });
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of req.url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const signed = await signer.sign(
    {
      method: req.method,
      protocol: req.url.protocol,
      hostname: req.url.hostname,
      ...(req.url.port ? { port: Number(req.url.port) } : {}),
      path: req.url.pathname,
      query,
      headers: { ...req.headers, host: req.url.host },
      ...(req.body !== undefined ? { body: req.body } : {}),
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  return signed.headers as Record<string, string>;
}

/** The region of an API Gateway or other regional AWS endpoint, e.g. abc.execute-api.eu-west-1.amazonaws.com. */
export function regionOfEndpoint(endpoint: string): string | undefined {
  try {
    return /\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com(?:\.cn)?$/.exec(new URL(endpoint).hostname)?.[1];
  } catch {
    return undefined;
  }
}

/** The region from the shared config file (AWS_CONFIG_FILE or ~/.aws/config) for a profile. */
export function regionFromConfigFile(env: NodeJS.ProcessEnv, profile?: string): string | undefined {
  const file = env.AWS_CONFIG_FILE ?? join(homedir(), '.aws', 'config');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const wanted = profile ?? env.AWS_PROFILE ?? 'default';
  let section: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const header = /^\s*\[\s*(?:profile\s+)?([^\]]+?)\s*\]\s*$/.exec(line);
    if (header) {
      section = header[1];
      continue;
    }
    const kv = /^\s*region\s*=\s*(\S+)\s*$/.exec(line);
    if (kv && section === wanted) return kv[1];
  }
  return undefined;
}

/** --region, then AWS_REGION / AWS_DEFAULT_REGION, then the shared config file, then the endpoint's host. */
export function resolveRegion(flag: string | undefined, endpoint: string, env: NodeJS.ProcessEnv, profile?: string): string | undefined {
  return flag ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? regionFromConfigFile(env, profile) ?? regionOfEndpoint(endpoint);
}

/** Signing is on for AWS endpoints (or with --sigv4); the local API takes unsigned requests. */
export function shouldSign(endpoint: string, flag: boolean | undefined): boolean {
  if (flag !== undefined) return flag;
  try {
    return /\.amazonaws\.com(\.cn)?$/.test(new URL(endpoint).hostname);
  } catch {
    return false;
  }
}
