import type { Command } from 'commander';
import { openStore } from '../../store/index.ts';
import { rotateSigningKeys } from '../../tokens/index.ts';
import { configFromEnvironment } from '../env.ts';

/** `weapp-auth keys rotate`: a new signing key; the old one stays in the JWKS until its tokens expire. */
export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage the keys that sign access tokens');
  keys
    .command('rotate')
    .description('generate a new signing key and retire the current one (kept in the JWKS until its tokens expire)')
    .action(async () => {
      const config = configFromEnvironment();
      const store = await openStore({ url: config.databaseUrl, secretKey: config.secretKey });
      try {
        const { kid, retired } = await rotateSigningKeys(store, {
          now: Date.now(),
          publishForSeconds: config.accessTokenTtlSeconds + 300,
        });
        process.stdout.write(`signing with ${kid}; retired ${retired.length ? retired.join(', ') : 'none'}\n`);
        process.stdout.write('Running servers pick the new key up when they restart or meet a token signed with it.\n');
      } finally {
        await store.close();
      }
    });
}
