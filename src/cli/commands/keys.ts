import type { Command } from 'commander';
import type { Config } from '../../config/config.ts';
import { openStore, resealAll } from '../../store/index.ts';
import { rotateSigningKeys } from '../../tokens/index.ts';
import { configFromEnvironment } from '../env.ts';
import { openingDatabase } from '../startup-problem.ts';

/** `weapp-auth keys rotate`: a new signing key; the old one stays in the JWKS until its tokens expire. */
export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage the keys that sign access tokens');
  keys
    .command('rotate')
    .description('generate a new signing key and retire the current one (kept in the JWKS until its tokens expire)')
    .action(async () => {
      const config = configFromEnvironment();
      const store = await openConfiguredStore(config);
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
  keys
    .command('reseal')
    .description(
      'rewrite every sealed session key and signing key under WEAPP_SECRET_KEY (the last step of rotating it)',
    )
    .action(async () => {
      const config = configFromEnvironment();
      const store = await openConfiguredStore(config);
      try {
        const { identities, signingKeys } = await resealAll(store);
        process.stdout.write(`resealed the session keys of ${identities} identities and ${signingKeys} signing keys\n`);
        if (config.previousSecretKeys.length > 0) {
          process.stdout.write('WEAPP_SECRET_KEY_PREVIOUS can now be removed (restart the servers after).\n');
        }
      } finally {
        await store.close();
      }
    });
}

function openConfiguredStore(config: Config) {
  return openingDatabase(config.databaseUrl, () =>
    openStore({
      url: config.databaseUrl,
      secretKey: config.secretKey,
      previousSecretKeys: config.previousSecretKeys,
    }),
  );
}
