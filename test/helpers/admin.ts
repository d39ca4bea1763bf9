
export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

/** Calls the admin API of a started stack with the admin token; returns the status and the JSON body. */
export async function admin<T = Record<string, unknown>>(stack: { baseUrl: string }, method: 'GET' | 'POST', path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${stack.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return { status: response.status, body: (await response.json()) as T };
}

/** The first sample of a Prometheus text exposition with this name whose labels include these; undefined when none. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}
