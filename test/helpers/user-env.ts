/**
 * The environment a user's shell gives a command: this process's, without what tap adds for the
 * processes it runs (its loader in NODE_OPTIONS, coverage collection, its own settings).
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(NODE_OPTIONS|NODE_V8_COVERAGE|TAP|_TAPJS_)/.test(name)));
  return { ...env, ...extra };
}
