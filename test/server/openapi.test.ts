import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { loadConfig } from '../../src/config/config.ts';
import { type RunningEmulator, startEmulator } from '../../src/emulator/start.ts';
import { registerPlayground } from '../../src/playground/routes.ts';
import { buildServer } from '../../src/server/app.ts';
import { API_ERRORS, type ApiErrorCode } from '../../src/server/errors.ts';
import { createServerContext } from '../../src/server/services.ts';

const APPID = 'wx4f4bc4dec97d474b';

interface Operation {
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
  security?: unknown[];
}
interface Schema {
  properties?: { code?: { enum?: string[] } };
}
type Paths = Record<string, Record<string, Operation>>;

/**
 * Issue 14, first run 7: /docs listed the dev-only playground, lacked the avatar files, and named no
 * error code ("see the README error table"). The document of a server set up as `dev` sets it up —
 * the playground mounted, avatars stored locally — read as a client generator would.
 */
describe('the OpenAPI document at /docs/json', () => {
  let dir: string;
  let emulator: RunningEmulator;
  let app: FastifyInstance;
  let paths: Paths;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'weapp-auth-openapi-'));
    emulator = await startEmulator({ apps: [{ appid: APPID, secret: 'a1b2c3d4e5f60718293a4b5c6d7e8f90' }] });
    const config = loadConfig({
      WEAPP_APPS: `${APPID}:a1b2c3d4e5f60718293a4b5c6d7e8f90`,
      WEAPP_SECRET_KEY: randomBytes(32).toString('base64'),
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      WECHAT_API_BASE: emulator.url,
      AVATAR_DIR: join(dir, 'avatars'),
    });
    const ctx = await createServerContext(config, { log: pino({ level: 'silent' }) });
    app = await buildServer(ctx);
    app.addHook('onClose', () => ctx.close());
    // A built playground, so its static routes are registered too.
    const page = join(dir, 'page');
    const sdk = join(dir, 'sdk');
    mkdirSync(page);
    mkdirSync(sdk);
    writeFileSync(join(page, 'app.js'), '');
    writeFileSync(join(page, 'index.html'), '');
    writeFileSync(join(sdk, 'index.mjs'), '');
    await registerPlayground(app, { emulator, appid: APPID, dirs: { page, sdk } });
    const res = await app.inject({ url: '/docs/json' });
    assert.equal(res.statusCode, 200);
    paths = res.json().paths;
  });

  after(async () => {
    await app?.close();
    await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const operations = () =>
    Object.entries(paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
    );
  /** The codes an operation lists for `status`, or undefined when it lists no such answer. */
  const codes = (name: string, status: number) => {
    const operation = operations().find((o) => o.name === name)?.operation;
    assert.ok(operation, `no ${name} in the document`);
    return operation.responses[status]?.content?.['application/json']?.schema.properties?.code?.enum;
  };

  it('leaves out the dev-only playground and lists the avatar files', () => {
    assert.deepEqual(
      Object.keys(paths).filter((p) => p.startsWith('/playground')),
      [],
    );
    assert.deepEqual(codes('GET /media/avatars/{name}', 404), ['NOT_FOUND']);
    assert.deepEqual(codes('GET /media/avatars/{name}', 412), ['PRECONDITION_FAILED']);
    assert.deepEqual(codes('GET /media/avatars/{name}', 416), ['RANGE_NOT_SATISFIABLE']);
    assert.ok(paths['/media/avatars/{name}']?.get?.responses['200']);
    assert.equal(paths['/media/avatars/*'], undefined);
  });

  it("lists every error answer of every route with the codes it carries, each at its catalogue's status", () => {
    for (const { name, operation } of operations()) {
      for (const [status, answer] of Object.entries(operation.responses)) {
        if (Number(status) < 400 || name === 'GET /readyz') continue;
        const listed = answer.content?.['application/json']?.schema.properties?.code?.enum;
        assert.ok(listed && listed.length > 0, `${name} ${status} names no code`);
        for (const code of listed) {
          assert.equal(
            API_ERRORS[code as ApiErrorCode]?.status,
            Number(status),
            `${name} lists ${code} under ${status}`,
          );
          assert.ok(answer.description.includes(`\`${code}\`: ${API_ERRORS[code as ApiErrorCode].message}`));
        }
      }
      // Any route may meet a shutdown or a bug.
      assert.ok(codes(name, 503)?.includes('SHUTTING_DOWN') || name === 'GET /readyz', `${name} lacks SHUTTING_DOWN`);
      assert.deepEqual(codes(name, 500), ['INTERNAL'], name);
    }
  });

  it("names each route's own codes, those of its JSON body, its bearer token and its rate limit", () => {
    assert.deepEqual(codes('POST /v1/login', 409), ['CODE_USED', 'UNIONID_CONFLICT']);
    for (const code of ['INVALID_REQUEST', 'INVALID_JSON', 'UNKNOWN_APP', 'INVALID_CODE', 'INVALID_PHONE_CODE']) {
      assert.ok(codes('POST /v1/login', 400)?.includes(code), code);
    }
    assert.deepEqual(codes('POST /v1/login', 429), ['RATE_LIMITED', 'WECHAT_RATE_LIMITED']);
    // A sign-up refused for its risk rank (SIGNUP_RISK_MAX_RANK) answers on both login routes.
    assert.deepEqual(codes('GET /wx/login', 403), ['CODE_BLOCKED', 'SIGNUP_RISK_REFUSED']);
    assert.deepEqual(codes('POST /v1/login', 403), ['CODE_BLOCKED', 'SIGNUP_RISK_REFUSED']);
    assert.ok(codes('POST /v1/login', 503)?.includes('SIGNUP_RISK_UNAVAILABLE'));
    assert.deepEqual(codes('GET /v1/me', 401), ['UNAUTHORIZED', 'TOKEN_INVALID', 'TOKEN_EXPIRED', 'SESSION_REVOKED']);
    // A website's token (scan-to-login) reads /v1/me and logs out; routes acting for the mini program refuse it.
    assert.equal(codes('GET /v1/me', 403), undefined);
    assert.equal(codes('POST /v1/logout', 403), undefined);
    assert.deepEqual(codes('POST /v1/me/phone', 403), ['APP_TOKEN_REQUIRED']);
    assert.ok(codes('POST /v1/qr-login/confirm', 403)?.includes('APP_TOKEN_REQUIRED'));
    assert.equal(codes('GET /v1/me', 400), undefined, 'GET /v1/me takes no body');
    assert.deepEqual(codes('POST /v1/token/refresh', 401), ['REFRESH_TOKEN_INVALID', 'REFRESH_TOKEN_REUSED']);
    assert.deepEqual(codes('PATCH /v1/me', 422), ['CONTENT_RISKY']);
    assert.deepEqual(codes('PUT /v1/me/avatar', 413), ['IMAGE_TOO_LARGE']);
    assert.deepEqual(codes('PUT /v1/me/avatar', 415), ['UNSUPPORTED_IMAGE_TYPE', 'UNSUPPORTED_MEDIA_TYPE']);
    assert.ok(codes('POST /v1/me/userinfo', 400)?.includes('SESSION_KEY_STALE'));
    assert.deepEqual(codes('POST /v1/me/phone', 502), ['WECHAT_CONFIG_ERROR', 'WECHAT_ERROR']);
    assert.deepEqual(codes('GET /metrics', 401), ['UNAUTHORIZED']);
  });

  it("writes the user's nullable fields as OpenAPI 3.0 does: a type with nullable, no null type", () => {
    const schema = paths['/v1/me']?.get?.responses['200']?.content?.['application/json']?.schema;
    assert.ok(schema, 'GET /v1/me has no 200 schema');
    const user = (schema as { properties: { user: { properties: Record<string, unknown> } } }).properties.user
      .properties;
    for (const field of ['nickname', 'avatarUrl', 'city', 'phoneNumber', 'phoneCountryCode']) {
      assert.deepEqual(user[field], { type: 'string', nullable: true }, field);
    }
    assert.deepEqual(user.id, { type: 'string' });
  });

  it('names every code of the catalogue somewhere', () => {
    const named = new Set(
      operations().flatMap(({ operation }) =>
        Object.values(operation.responses).flatMap(
          (answer) => answer.content?.['application/json']?.schema.properties?.code?.enum ?? [],
        ),
      ),
    );
    // A method the path does not take is about the path, not one of its operations.
    const missing = Object.keys(API_ERRORS).filter((code) => !named.has(code) && code !== 'METHOD_NOT_ALLOWED');
    assert.deepEqual(missing, []);
  });
});
