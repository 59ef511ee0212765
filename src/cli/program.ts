import { Command } from 'commander';
import { registerAudit } from './commands/audit.ts';
import { registerCleanup } from './commands/cleanup.ts';
import { registerConflicts } from './commands/conflicts.ts';
import { registerDecrypt } from './commands/decrypt.ts';
import { registerDemo } from './commands/demo.ts';
import { registerDev } from './commands/dev.ts';
import { registerEmulator } from './commands/emulator.ts';
import { registerKeys } from './commands/keys.ts';
import { registerMedia } from './commands/media.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerServe } from './commands/serve.ts';
import { registerUsers } from './commands/users.ts';
import { parseLanguage, setCliLanguage } from './locale.ts';

/** Builds the CLI; each command lives in its own file under ./commands. */
export function buildCli(): Command {
  const program = new Command('weapp-auth')
    .description('Login and user-authorization backend for WeChat Mini Programs')
    .showHelpAfterError()
    .option('--lang <language>', 'language of the messages: zh or en (default: from LC_ALL, LC_MESSAGES, LANG)')
    .hook('preAction', (command) => {
      const flag = command.opts<{ lang?: string }>().lang;
      if (flag === undefined) return;
      const language = parseLanguage(flag);
      if (language === undefined) {
        command.error(`--lang must be zh or en (got "${flag.slice(0, 16)}")`, { exitCode: 2 });
      } else {
        setCliLanguage(language);
      }
    });
  registerDev(program);
  registerServe(program);
  registerDemo(program);
  registerMigrate(program);
  registerKeys(program);
  registerMedia(program);
  registerUsers(program);
  registerAudit(program);
  registerConflicts(program);
  registerCleanup(program);
  registerDecrypt(program);
  registerEmulator(program);
  return program;
}
