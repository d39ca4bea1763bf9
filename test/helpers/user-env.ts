/**
 * The environment a user's shell gives a command. Run under `npm test`, this process has npm's own
 * settings for the script (npm_config_*, npm_package_*, npm_lifecycle_*, INIT_CWD), which an npm or
 * order-bridge started from here would take for the user's: they are left out. tap adds its
 * process-info loader back to every child process; it records coverage and compiles nothing.
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(npm_|INIT_CWD$)/i.test(name)));
  return { ...env, ...extra };
}
