import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser, openApp, screenshot } from './harness';
import { describeWithTool } from '../fixtures/tools';

describeWithTool('chromium', 'smoke: the built app', () => {
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

  it('loads when the browser reports a language tag that Intl rejects (headless shell under LANG=C)', async () => {
    const { page, errors } = await openApp(browser, {
      width: 1280,
      height: 800,
      init: () => Object.defineProperty(Navigator.prototype, 'language', { configurable: true, get: () => 'en-US@posix' }),
    });
    await expect.poll(() => page.getByRole('heading', { name: 'VAE Lab' }).count()).toBe(1);
    expect(await page.evaluate(() => navigator.language)).toBe('en-US');
    // The loss chart (uPlot formats numbers with navigator.language) is there.
    await expect.poll(() => page.getByTestId('chart-loss').locator('canvas').count()).toBe(1);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
