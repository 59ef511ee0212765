#!/usr/bin/env node
import { Command } from 'commander';
import { registerDecrypt } from './commands/decrypt.ts';

/** Builds the CLI; each command lives in its own file under ./commands. */
export function buildCli(): Command {
  const program = new Command('weapp-auth')
    .description('Login and user-authorization backend for WeChat Mini Programs')
    .showHelpAfterError();
  registerDecrypt(program);
  return program;
}

await buildCli().parseAsync(process.argv);
