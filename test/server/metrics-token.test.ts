import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachDialect } from '../helpers/databases.ts';
import { startStack } from './stack.ts';

const TOKEN = 'prometheus-scrape-0123456789';

forEachDialect(
  'METRICS_TOKEN',
  (h) => {
    it('guards /metrics with a bearer token when one is configured', async () => {
      const s = await startStack(h, { env: { METRICS_TOKEN: TOKEN } });
      for (const authorization of [undefined, 'Bearer wrong-token-0123456789', TOKEN]) {
        const res = await s.call('GET', '/metrics', authorization ? { headers: { authorization } } : {});
        assert.equal(res.status, 401, String(authorization));
        assert.equal(res.body.code, 'UNAUTHORIZED');
        assert.match(res.body.message, /METRICS_TOKEN/);
      }
      const ok = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /weapp_auth_logins_total/);
      assert.ok(!s.logs.join('').includes(TOKEN), 'the token reached the logs');
    });
  },
  { only: ['sqlite'] },
);
