import { type Command, InvalidArgumentError, Option } from 'commander';
import { MediaStoreError, PUT_REFRESH_MS, type StoredMedia } from '../../media/index.ts';
import { pruneAvatars } from '../../server/avatars/prune-avatars.ts';
import { mediaStoreFor } from '../../server/services.ts';
import { openDatabase } from '../../store/index.ts';
import { configFromEnvironment } from '../env.ts';
import { openingDatabase } from '../startup-problem.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** `weapp-auth media prune`: deletes stored avatars no user points at, once past a grace period. */
export function registerMedia(program: Command): void {
  const media = program.command('media').description('manage stored avatars (AVATAR_DIR or the S3 bucket)');
  media
    .command('prune')
    .description(
      "delete stored avatars that no user's avatarUrl points at, stored and replaced longer ago than --older-than",
    )
    .addOption(
      new Option('--older-than <age>', 'the grace period, in days or hours: 7d, 36h (at least 1d)')
        .argParser(parseAge)
        .default(7 * DAY, '7d'),
    )
    .option('--dry-run', 'list what would be deleted, delete nothing')
    .action(async (flags: { olderThan: number; dryRun?: boolean }) => {
      const config = configFromEnvironment();
      const database = await openingDatabase(config.databaseUrl, () => openDatabase({ url: config.databaseUrl }));
      const verb = flags.dryRun ? 'would delete' : 'deleted';
      try {
        const result = await pruneAvatars({
          db: database.db,
          media: mediaStoreFor(config),
          olderThanMs: flags.olderThan,
          dryRun: flags.dryRun,
          onDelete: (object: StoredMedia) =>
            process.stdout.write(`${verb} ${object.key} (stored ${new Date(object.storedAt).toISOString()})\n`),
        });
        process.stdout.write(
          `${flags.dryRun ? 'Dry run: ' : ''}${verb} ${result.deleted.length} of ${result.stored} stored avatars; ` +
            `kept ${result.referenced} in use and ${result.young} unused but younger than ${formatAge(flags.olderThan)}.\n`,
        );
      } catch (err) {
        // Its message is safe and says what failed; a stack trace would only bury it.
        if (!(err instanceof MediaStoreError)) throw err;
        process.stderr.write(`${err.message}\n`);
        process.exitCode = 1;
      } finally {
        await database.close();
      }
    });
}

function parseAge(value: string): number {
  const match = /^(\d{1,5})([dh])$/.exec(value.trim());
  const ms = match ? Number(match[1]) * (match[2] === 'd' ? DAY : HOUR) : Number.NaN;
  if (!(ms >= PUT_REFRESH_MS)) {
    throw new InvalidArgumentError('Give days or hours, at least a day: 7d, 30d, 36h.');
  }
  return ms;
}

function formatAge(ms: number): string {
  return ms % DAY === 0 ? `${ms / DAY}d` : `${ms / HOUR}h`;
}
