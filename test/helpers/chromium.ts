import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Why the browser tests cannot run here, or undefined. With CI set they fail instead of skipping
 * (describe's skip takes this only outside CI; the before hook throws it inside).
 */
export const chromiumMissing = existsSync(CHROMIUM)
  ? undefined
  : `no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH); the browser test is skipped`;

export const skipWithoutChromium = chromiumMissing !== undefined && !process.env.CI ? chromiumMissing : false;

const QUIET_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function requireChromium(): void {
  if (chromiumMissing) throw new Error(`${chromiumMissing} — CI is set, so this fails instead of skipping`);
}

/** Debian's chromium, headless, quiet: no background traffic, no first-run pages. */
export async function launchChromium(): Promise<Browser> {
  requireChromium();
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: QUIET_ARGS });
}

/** The same chromium with a profile directory of its own (localStorage kept across reloads). */
export async function launchChromiumProfile(
  dir: string,
  viewport = { width: 1400, height: 880 },
): Promise<BrowserContext> {
  requireChromium();
  return chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: QUIET_ARGS,
  });
}
