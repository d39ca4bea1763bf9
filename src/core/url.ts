const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackHost(hostname: string): boolean {
  return loopbackHosts.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * External calls carry API keys and customer data, so they go over HTTPS; plain http is allowed only
 * to this machine, for tests and the demo.
 */
export function checkExternalUrl(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a valid URL';
  }
  // Credentials have settings of their own (secret, apiKey, token), filled from the environment; in a URL
  // they would reach every log line and exchange row that shows it.
  if (url.username !== '' || url.password !== '') return 'must not contain a user name or password (put credentials in their own setting, from an environment variable)';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return null;
  return 'must use https:// (plain http is accepted only for localhost)';
}
