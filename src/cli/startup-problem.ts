import type { Config } from '../config/config.ts';
import { StartupError } from '../server/services.ts';

/**
 * What went wrong at start, as one line that says what to check. Connection strings are never
 * echoed (they may hold a password): the variable is named instead. Undefined: not a setting.
 */
export function startupProblem(err: unknown, config: Readonly<Pick<Config, 'host' | 'port'>>): string | undefined {
  const cause = err instanceof StartupError ? err.cause : err;
  const { code, message = String(cause) } = (cause ?? {}) as { code?: unknown; message?: string };
  // One line, and no second full stop when the reason ends with its own.
  const reason = (message.split('\n')[0] || String(code ?? 'unknown error')).replace(/\.+$/, '');
  if (code === 'EADDRINUSE') {
    return `Cannot listen on ${config.host}:${config.port}: the port is taken. Stop the other process or set PORT.`;
  }
  if (code === 'EACCES') {
    return `Cannot listen on ${config.host}:${config.port}: permission denied. Use a port above 1023 or set PORT.`;
  }
  if (err instanceof StartupError && err.dependency === 'redis') {
    return `Cannot reach Redis (REDIS_URL): ${reason}. Check that it runs and that REDIS_URL is right.`;
  }
  if (err instanceof StartupError) {
    return `Cannot open the database (DATABASE_URL): ${reason}. Check that it runs, that DATABASE_URL is right, and that its user may create tables.`;
  }
  // Anything else is a bug: the caller lets it surface with its stack.
  return undefined;
}

/** Prints the one line of a start-up problem and exits 2 (like a configuration error); rethrows a bug. */
export function exitWithStartupProblem(err: unknown, config: Readonly<Pick<Config, 'host' | 'port'>>): never {
  const problem = startupProblem(err, config);
  if (problem === undefined) throw err;
  process.stderr.write(`${problem}\n`);
  process.exit(2);
}
