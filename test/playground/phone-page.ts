import type { Page } from 'playwright-core';

/**
 * Taps a button of the playground's phone and waits until its work, and the trace, are done. When
 * the app's privacy popup asks for consent on the way (a first login, or after a removal of the
 * mini program), the user agrees.
 */
export async function tapPhone(page: Page, selector: string): Promise<void> {
  await page.click(selector);
  await page.waitForSelector('#phone[data-busy="false"], #privacy-popup:not([hidden])');
  if (await page.locator('#privacy-popup').isVisible()) {
    await page.click('#privacy-agree');
    await page.waitForSelector('#phone[data-busy="false"]');
  }
}

/** What the phone's status line says now. */
export async function phoneStatus(page: Page): Promise<string> {
  return (await page.locator('#status').textContent()) ?? '';
}
