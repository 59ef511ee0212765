import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Why the browser tests cannot run here, or undefined. With CI set they fail instead of skipping
 * (describe's skip takes this only outside CI; the before hook throws it inside).
 */
export const chromiumMissing = existsSync(CHROMIUM)
  ? undefined
  : `no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH); the browser test is skipped`;

export const skipWithoutChromium = chromiumMissing !== undefined && !process.env.CI ? chromiumMissing : false;

/** Debian's chromium, headless, quiet: no background traffic, no first-run pages. */
export async function launchChromium(): Promise<Browser> {
  if (chromiumMissing) throw new Error(`${chromiumMissing} — CI is set, so this fails instead of skipping`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
