import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { API_ERRORS } from '../../src/server/errors.ts';

it('the README documents every error code the API can answer, with its status', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const [code, { status }] of Object.entries(API_ERRORS)) {
    assert.match(
      readme,
      new RegExp(`\\| \`${code}\` \\| ${status} \\|`),
      `${code} (${status}) missing from the README`,
    );
  }
});
