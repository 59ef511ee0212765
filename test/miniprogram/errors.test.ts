import assert from 'node:assert/strict';
import { it } from 'node:test';
import { SERVER_ERROR_CODES } from '../../packages/miniprogram/src/index.ts';
import { API_ERRORS } from '../../src/server/errors.ts';

it('the SDK knows every error code the server can answer (update src/miniprogram/errors.ts)', () => {
  assert.deepEqual([...SERVER_ERROR_CODES].sort(), Object.keys(API_ERRORS).sort());
});
