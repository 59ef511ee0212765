import { StoreError } from './errors.ts';

export type DatabaseTarget =
  | { readonly dialect: 'sqlite'; readonly path: string }
  | { readonly dialect: 'postgres'; readonly connectionString: string };

/** Where the data lives when DATABASE_URL is not set: a file beside the working directory. */
export const DEFAULT_DATABASE_URL = 'sqlite:data/weapp-auth.db';

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]+):/;

/**
 * `postgres://…` / `postgresql://…`, `sqlite:<path>` (`sqlite:///abs/path` too), `:memory:`, or a
 * plain file path. Any other scheme is refused rather than taken for a file name: a typo such as
 * `postgress://` must not quietly create a SQLite file. One-letter schemes are Windows drives.
 */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  const text = url;
  if (text.trim() === '') throw new StoreError('INVALID_DATABASE_URL', 'The database URL is empty.');
  const scheme = SCHEME.exec(text)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    return { dialect: 'postgres', connectionString: text };
  }
  if (scheme === 'sqlite') {
    const rest = text.slice('sqlite:'.length);
    const path = rest.startsWith('//') ? rest.slice(2) : rest;
    if (path === '') throw new StoreError('INVALID_DATABASE_URL', 'A sqlite: URL needs a file path or :memory:.');
    return { dialect: 'sqlite', path };
  }
  if (scheme !== undefined && scheme !== '') {
    throw new StoreError(
      'INVALID_DATABASE_URL',
      `Unsupported database URL scheme "${scheme}:"; use postgres://, sqlite:<path> or a file path.`,
    );
  }
  return { dialect: 'sqlite', path: text };
}
