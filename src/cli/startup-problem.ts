import { type Config, ConfigError, databaseUrlProblem } from '../config/config.ts';
import { StartupError } from '../server/services.ts';

type Listening = Readonly<Pick<Config, 'host' | 'port'>>;

/**
 * What went wrong at start, as one line that says what to check. Connection strings are never
 * echoed (they may hold a password): the variable is named instead. Undefined: not a setting.
 */
export function startupProblem(err: unknown, config?: Listening): string | undefined {
  const cause = err instanceof StartupError ? err.cause : err;
  const { code, message = String(cause) } = (cause ?? {}) as { code?: unknown; message?: string };
  // One line, and no second full stop when the reason ends with its own.
  const reason = (message.split('\n')[0] || String(code ?? 'unknown error')).replace(/\.+$/, '');
  if (code === 'EADDRINUSE' && config) {
    return `Cannot listen on ${config.host}:${config.port}: the port is taken. Stop the other process or set PORT.`;
  }
  if (code === 'EACCES' && config) {
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
export function exitWithStartupProblem(err: unknown, config?: Listening): never {
  const problem = startupProblem(err, config);
  if (problem === undefined) throw err;
  process.stderr.write(`${problem}\n`);
  process.exit(2);
}

/**
 * Opens the database for a command that needs nothing else (migrate, cleanup…): a DATABASE_URL
 * that cannot work, or a database that cannot be reached, is one line and exit 2, never a stack.
 */
export async function openingDatabase<T>(url: string, open: () => Promise<T>): Promise<T> {
  const problem = databaseUrlProblem(url);
  if (problem !== undefined) {
    process.stderr.write(`${new ConfigError([problem]).message}\n`);
    process.exit(2);
  }
  try {
    return await open();
  } catch (err) {
    exitWithStartupProblem(err instanceof StartupError ? err : new StartupError('database', err));
  }
}
