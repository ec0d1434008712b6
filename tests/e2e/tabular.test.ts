/**
 * The tabular-vae preset in the browser (DESIGN §7, §8; issue 14): opened from the preset
 * menu, its sample:penguins loaded by the worker, trained on wasm; the training panel shows
 * the per-column error in the file's units with rows side by side, and the latent scatter is
 * coloured by species with a legend of their names. Screenshots at 1280 × 800:
 * test-results/screenshots/tabular-vae-*.png.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { choosePreset, launchBrowser, openApp, runUntil, screenshot, waitTrainable } from './harness';
import { describeWithTool } from '../fixtures/tools';
import { DIGIT_COLOURS } from '../../src/components/instruments/latent-math';

describeWithTool('chromium', 'tabular-vae in the browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('trains on the penguins from the preset menu: per-column errors in mm and g, rows side by side, the latent scatter coloured by species', async () => {
    const { page, errors } = await openApp(browser, { width: 1280, height: 800 });
    await page.getByTestId('backend-select').selectOption('wasm');
    await choosePreset(page, 'tabular-vae');
    await waitTrainable(page, { backend: 'wasm', readyTimeout: 60_000, enabledTimeout: 20_000 });

    const steps = await runUntil(page, 300);

    // The table view replaces the image grids; its numbers are the pause's.
    const table = page.getByTestId('recon-table');
    await expect.poll(() => table.getAttribute('data-step'), { timeout: 30_000 }).toBe(String(steps));
    expect(await page.getByTestId('recon-grid').count()).toBe(0);
    expect(await table.getAttribute('data-rows')).toBe('35');
    const errs = await page.getByTestId('column-error').evaluateAll((els) =>
      els.map((e) => ({ column: e.getAttribute('data-column'), rmse: Number(e.getAttribute('data-rmse')), spread: Number(e.getAttribute('data-spread')) })),
    );
    expect(errs.map((e) => e.column)).toEqual(['Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)', 'Body Mass (g)']);
    // In the file's units: a body mass spread of hundreds of grams, beak depths of a couple of mm.
    expect(errs[3]!.spread).toBeGreaterThan(300);
    expect(errs[1]!.spread).toBeLessThan(5);
    for (const e of errs) expect(e.rmse, e.column!).toBeLessThan(e.spread);
    // A few held-out rows beside their reconstructions, named by species.
    const labels = await page.getByTestId('recon-rows').locator('tr.input td.name').allTextContents();
    expect(labels.length).toBe(5);
    for (const l of labels) expect(['Adelie', 'Chinstrap', 'Gentoo']).toContain(l.trim());
    expect(await page.getByTestId('sample-table').locator('tr').count()).toBeGreaterThan(0);
    await table.scrollIntoViewIfNeeded();
    await screenshot(page, 'tabular-vae-training');
    await page.getByTestId('sample-table').scrollIntoViewIfNeeded();
    await screenshot(page, 'tabular-vae-training-rows');

    // The latent scatter, coloured by species with their names.
    await page.getByTestId('dock-tab-instruments').click();
    const scatter = page.getByTestId('latent-scatter');
    await expect.poll(() => scatter.getAttribute('data-points'), { timeout: 30_000 }).toBe('35');
    const legend = await page.getByTestId('latent-legend-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-class')));
    expect(legend).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    // The points are drawn in exactly the three species' colours, the legend's (the canvas says
    // which colours its points took; they sit on the z₂ = 0 axis line, so their pixels are not
    // the plain colours: see the screenshot).
    const legendColours = await page.getByTestId('latent-legend-item').locator('i').evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor));
    expect(legendColours).toEqual(DIGIT_COLOURS.slice(0, 3).map((h) => `rgb(${[1, 3, 5].map((o) => parseInt(h.slice(o, o + 2), 16)).join(', ')})`));
    await expect.poll(() => scatter.getAttribute('data-colours'), { timeout: 20_000 }).toBe([...DIGIT_COLOURS.slice(0, 3)].sort().join(' '));
    // the decoded manifold draws images: not for a table
    expect(await page.getByTestId('latent-not-images').count()).toBe(1);
    await screenshot(page, 'tabular-vae-latent');
    console.log(`tabular-vae in the browser after ${steps} steps: ${errs.map((e) => `${e.column} RMSE ${e.rmse.toPrecision(3)} / spread ${e.spread.toPrecision(3)}`).join('; ')}`);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
