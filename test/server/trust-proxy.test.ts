import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { loadConfig } from '../../src/config/config.ts';
import { fastifyTrustProxy } from '../../src/server/trust-proxy.ts';

const base = {
  WEAPP_APPS: `wx4f4bc4dec97d474b:${'a'.repeat(32)}`,
  WEAPP_SECRET_KEY: randomBytes(32).toString('base64'),
};

/** request.ip as Fastify computes it under TRUST_PROXY=`trust`, for a peer and the X-Forwarded-For it sent. */
async function clientIp(trust: string | undefined, peer: string, forwardedFor?: string): Promise<string> {
  const config = loadConfig({ ...base, ...(trust !== undefined && { TRUST_PROXY: trust }) });
  const app = Fastify({ trustProxy: fastifyTrustProxy(config.trustProxy) });
  app.get('/', async (request) => request.ip);
  try {
    const res = await app.inject({
      url: '/',
      remoteAddress: peer,
      headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
    });
    return res.body;
  } finally {
    await app.close();
  }
}

// The real-proxy version of these, through nginx, is test/chaos/proxy.test.ts.
describe('TRUST_PROXY → request.ip', () => {
  // nginx at 10.0.0.5 appended the client 198.51.100.7 to what the client sent (203.0.113.1).
  const chain = '203.0.113.1, 198.51.100.7';

  it('unset: the peer, whatever the header says', async () => {
    assert.equal(await clientIp(undefined, '10.0.0.5', chain), '10.0.0.5');
  });

  it('a hop count: the address the outermost of that many proxies received from', async () => {
    assert.equal(await clientIp('1', '10.0.0.5', chain), '198.51.100.7');
    assert.equal(await clientIp('2', '10.0.0.5', `${chain}, 10.0.0.9`), '198.51.100.7');
    assert.equal(await clientIp('1', '10.0.0.5'), '10.0.0.5');
    // What a hop count cannot know: a client reaching the port directly is taken for the proxy.
    assert.equal(await clientIp('1', '198.51.100.7', '203.0.113.1'), '203.0.113.1');
  });

  it('addresses: hops at those addresses are believed, the first other one is the client', async () => {
    assert.equal(await clientIp('10.0.0.5', '10.0.0.5', chain), '198.51.100.7');
    assert.equal(await clientIp('10.0.0.0/8, fd00::/8', '10.0.0.5', chain), '198.51.100.7');
    assert.equal(await clientIp('fd00::/8', 'fd00::5', chain), '198.51.100.7');
    assert.equal(await clientIp('uniquelocal', '10.0.0.5', `${chain}, 10.0.0.9`), '198.51.100.7');
    // A client reaching the port directly is not one of them: its header is ignored.
    assert.equal(await clientIp('10.0.0.0/8', '198.51.100.7', '203.0.113.1'), '198.51.100.7');
  });
});
