/**
 * A sequence graph in the browser (DESIGN §7: "series drawn over their inputs"): a window
 * VAE on sample:seattle-weather, opened as a file, its data loaded by the worker, trained on
 * wasm; the training panel draws held-out windows feature by feature with their
 * reconstructions, each feature's error in the file's units, and windows decoded from the
 * prior. Screenshot at 1280 × 800: test-results/screenshots/sequence-view.png.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser, openApp, runUntil, screenshot, waitTrainable } from './harness';
import { describeWithTool } from '../fixtures/tools';
import { weatherWindowsGraph } from '../fixtures/small-graphs';

describeWithTool('chromium', 'a sequence graph in the browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('draws held-out windows over their inputs, feature by feature, with errors in the file’s units', async () => {
    const { page, errors } = await openApp(browser, { width: 1280, height: 800 });
    await page.getByTestId('backend-select').selectOption('wasm');
    await page.getByTestId('file-open').setInputFiles({ name: 'weather.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(weatherWindowsGraph())) });
    await expect.poll(() => page.getByTestId('graph-name').textContent(), { timeout: 20_000 }).toBe('Weather windows');
    await waitTrainable(page, { backend: 'wasm', readyTimeout: 60_000, enabledTimeout: 20_000 });
    const steps = await runUntil(page, 150);

    const view = page.getByTestId('recon-series');
    await expect.poll(() => view.getAttribute('data-step'), { timeout: 30_000 }).toBe(String(steps));
    expect(await page.getByTestId('recon-grid').count()).toBe(0);
    expect(await view.getAttribute('data-windows')).toBe('3');
    const features = await page.getByTestId('series-feature').evaluateAll((els) =>
      els.map((e) => ({ column: e.getAttribute('data-column'), rmse: Number(e.getAttribute('data-rmse')), lines: [...e.querySelectorAll('polyline')].map((p) => p.getAttribute('points')!.split(' ').length) })),
    );
    expect(features.map((f) => f.column)).toEqual(['precipitation', 'temp_max', 'temp_min', 'wind']);
    for (const f of features) {
      expect(f.rmse).toBeGreaterThan(0);
      // three windows, each an input and a reconstruction line of 16 points
      expect(f.lines).toEqual([16, 16, 16, 16, 16, 16]);
    }
    // In °C: a 150-step model misses the daily maximum by a few degrees, not by standard deviations.
    expect(features[1]!.rmse).toBeGreaterThan(1);
    expect(features[1]!.rmse).toBeLessThan(12);
    expect(await page.getByTestId('sample-series').locator('polyline').count()).toBe(4 * 3);
    await view.scrollIntoViewIfNeeded();
    await screenshot(page, 'sequence-view');
    console.log(`sequence view after ${steps} steps: ${features.map((f) => `${f.column} RMSE ${f.rmse.toPrecision(3)}`).join('; ')}`);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
