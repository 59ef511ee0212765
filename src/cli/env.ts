import { existsSync } from 'node:fs';
import { type Config, type ConfigDefaults, ConfigError, loadConfig } from '../config/config.ts';
import { configErrorText } from './locale.ts';

/** Reads `.env` into process.env when present; real environment variables win. */
export function loadDotEnv(): void {
  if (existsSync('.env')) process.loadEnvFile('.env');
}

/**
 * Reads `.env` when present (real environment variables win), then validates the configuration.
 * `overrides` are values the command itself decided (they win over both).
 */
export function configFromEnvironment(
  defaults: ConfigDefaults = {},
  overrides: Record<string, string> = {},
): Readonly<Config> {
  loadDotEnv();
  try {
    return loadConfig({ ...process.env, ...overrides }, defaults);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${configErrorText(err.problems)}\n`);
      process.exit(2);
    }
    throw err;
  }
}
