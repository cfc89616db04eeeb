/**
 * What to say when the API cannot be reached at all (a refused connection, an unknown host, a timeout):
 * not the bare "fetch failed", but what to check, with the endpoint migctl used and where it came from.
 */
export function unreachableHelp(endpoint: string, source: 'flag' | 'env' | 'default', detail: string): string {
  let host = endpoint;
  let port = '';
  try {
    const u = new URL(endpoint);
    host = u.hostname;
    port = u.port || (u.protocol === 'https:' ? '443' : '80');
  } catch {
    // not a URL: shown as given
  }
  const from = source === 'flag' ? 'from --endpoint' : source === 'env' ? 'from MIGCTL_ENDPOINT' : 'the default (neither --endpoint nor MIGCTL_ENDPOINT is set)';
  const local = host === 'localhost' || host === '127.0.0.1' || host === '::1' || host === '[::1]';
  return [
    `cannot reach the API at ${endpoint} (NETWORK_ERROR: ${detail}).`,
    'Check:',
    local
      ? '  - is the local stack running? Start it with `npm start` in the repository (it serves the API on http://localhost:3000 unless PORT is set).'
      : '  - is the API deployed and reachable from here (VPN, proxy, DNS)? `cdk deploy` prints its URL.',
    `  - is the endpoint right? migctl used ${endpoint}, ${from}; pass --endpoint URL or set MIGCTL_ENDPOINT.`,
    `  - is ${port || 'the port'} the port the API listens on${local ? ' (npm start prints it; PORT changes it)' : ''}?`,
  ].join('\n');
}
