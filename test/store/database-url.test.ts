import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_DATABASE_URL, parseDatabaseUrl, StoreError } from '../../src/store/index.ts';

function expectCode(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof StoreError, `expected StoreError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

/** File paths without a leading scheme: what people write in DATABASE_URL for SQLite. */
const filePath = fc
  .array(fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/), { minLength: 1, maxLength: 4 })
  .chain((segments) =>
    fc.constantFrom('', '/', './', '../').map((lead) => `${lead}${segments.join('/')}`.replace(/^\.+(?=[^./])/, '')),
  )
  .filter((p) => p !== '' && !/^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(p));

describe('parseDatabaseUrl', () => {
  it('reads each documented form', () => {
    assert.deepEqual(parseDatabaseUrl(':memory:'), { dialect: 'sqlite', path: ':memory:' });
    assert.deepEqual(parseDatabaseUrl('sqlite::memory:'), { dialect: 'sqlite', path: ':memory:' });
    assert.deepEqual(parseDatabaseUrl('sqlite:data/app.db'), { dialect: 'sqlite', path: 'data/app.db' });
    assert.deepEqual(parseDatabaseUrl('sqlite:///var/lib/app.db'), { dialect: 'sqlite', path: '/var/lib/app.db' });
    assert.deepEqual(parseDatabaseUrl('./data/app.db'), { dialect: 'sqlite', path: './data/app.db' });
    assert.deepEqual(parseDatabaseUrl('C:\\data\\app.db'), { dialect: 'sqlite', path: 'C:\\data\\app.db' });
    assert.deepEqual(parseDatabaseUrl('postgres://u:p@db:5432/app'), {
      dialect: 'postgres',
      connectionString: 'postgres://u:p@db:5432/app',
    });
    assert.equal(parseDatabaseUrl('PostgreSQL://db/app').dialect, 'postgres');
    assert.deepEqual(parseDatabaseUrl(DEFAULT_DATABASE_URL), { dialect: 'sqlite', path: 'data/weapp-auth.db' });
  });

  it('refuses unknown schemes instead of creating a file named after a typo', () => {
    expectCode(() => parseDatabaseUrl('postgress://db/app'), 'INVALID_DATABASE_URL', /"postgress:"/);
    expectCode(() => parseDatabaseUrl('mysql://db/app'), 'INVALID_DATABASE_URL', /Unsupported database URL scheme/);
    expectCode(() => parseDatabaseUrl(''), 'INVALID_DATABASE_URL', /empty/);
    expectCode(() => parseDatabaseUrl('   '), 'INVALID_DATABASE_URL', /empty/);
    expectCode(() => parseDatabaseUrl('sqlite:'), 'INVALID_DATABASE_URL', /needs a file path/);
  });

  it('never echoes a password in its errors', () => {
    expectCode(() => parseDatabaseUrl('mssql://sa:hunter2@db/app'), 'INVALID_DATABASE_URL', /^(?!.*hunter2)/);
  });

  it('property: a plain path and sqlite:<path> name the same file', () => {
    fc.assert(
      fc.property(filePath, (path) => {
        assert.deepEqual(parseDatabaseUrl(path), { dialect: 'sqlite', path });
        assert.deepEqual(parseDatabaseUrl(`sqlite:${path}`), { dialect: 'sqlite', path });
      }),
    );
  });

  it('property: any input either parses to a dialect or throws INVALID_DATABASE_URL', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          const target = parseDatabaseUrl(text);
          assert.ok(target.dialect === 'sqlite' || target.dialect === 'postgres');
        } catch (err) {
          assert.ok(err instanceof StoreError && err.code === 'INVALID_DATABASE_URL');
        }
      }),
    );
  });
});
