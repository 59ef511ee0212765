import { type Config, databaseUrlProblem } from '../config/config.ts';
import { StartupError } from '../server/services.ts';
import { configErrorText, say } from './locale.ts';

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
  const where = config && `${config.host}:${config.port}`;
  if (code === 'EADDRINUSE' && where) {
    return say({
      en: `Cannot listen on ${where}: the port is taken. Stop the other process or set PORT.`,
      zh: `无法监听 ${where}：端口已被占用。请停止占用它的进程，或设置 PORT。`,
    });
  }
  if (code === 'EACCES' && where) {
    return say({
      en: `Cannot listen on ${where}: permission denied. Use a port above 1023 or set PORT.`,
      zh: `无法监听 ${where}：权限不足。请使用 1023 以上的端口，或设置 PORT。`,
    });
  }
  // The reason comes from the driver (ECONNREFUSED, a PostgreSQL message): in its own words.
  if (err instanceof StartupError && err.dependency === 'redis') {
    return say({
      en: `Cannot reach Redis (REDIS_URL): ${reason}. Check that it runs and that REDIS_URL is right.`,
      zh: `无法连接 Redis（REDIS_URL）：${reason}。请检查它是否在运行，以及 REDIS_URL 是否正确。`,
    });
  }
  if (err instanceof StartupError) {
    return say({
      en: `Cannot open the database (DATABASE_URL): ${reason}. Check that it runs, that DATABASE_URL is right, and that its user may create tables.`,
      zh: `无法打开数据库（DATABASE_URL）：${reason}。请检查它是否在运行、DATABASE_URL 是否正确，以及其用户是否有建表权限。`,
    });
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
    process.stderr.write(`${configErrorText([problem])}\n`);
    process.exit(2);
  }
  try {
    return await open();
  } catch (err) {
    exitWithStartupProblem(err instanceof StartupError ? err : new StartupError('database', err));
  }
}
