import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { hasChromium, launchBrowser, openApp, screenshot } from './harness';

describe.skipIf(!hasChromium())('smoke: the built app', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('renders the heading without console errors', async () => {
    const { page, errors } = await openApp(browser, { width: 1280, height: 800 });
    await expect.poll(() => page.getByRole('heading', { name: 'VAE Lab' }).count()).toBe(1);
    const webgl2 = await page.evaluate(() => !!document.createElement('canvas').getContext('webgl2'));
    console.log(`[e2e smoke] webgl2 available: ${webgl2}`);
    await screenshot(page, 'smoke');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
