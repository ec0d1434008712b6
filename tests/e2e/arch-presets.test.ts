/**
 * The conv-vae and sequence-vae presets in the app (DESIGN §8, issue 19): both are in the preset
 * menu; conv-vae's ports show shape and structure ([B,784] with 28×28×1 into the encoder and out
 * of the decoder); the encoder's inspector shows only the current arch's controls (channels for
 * "conv"; cell and rnn units for "rnn"), and switching the arch to "rnn" on images is a
 * SHAPE_MISMATCH on the encoder's x that says what would fit, undone by one Undo. sequence-vae's
 * windows show their 32×4 structure once the worker has loaded sample:seattle-weather.
 * Screenshots: test-results/screenshots/arch-*.png (1280×800).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { choosePreset, launchBrowser, openApp, screenshot } from './harness';
import { describeWithTool } from '../fixtures/tools';

/** expect.poll with room for a busy machine. */
function poll<T>(fn: () => T | Promise<T>, message?: string) {
  return expect.poll(fn, { timeout: 30_000, interval: 100, ...(message ? { message } : {}) });
}

const text = async (page: Page, id: string) => ((await page.getByTestId(id).textContent()) ?? '').trim();

describeWithTool('chromium', 'conv and sequence presets', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('conv-vae: structures beside shapes, arch controls, a mismatch when the arch does not fit the data', async () => {
    const { page, errors } = await openApp(browser, { width: 1280, height: 800 });
    const options = await page.getByTestId('preset-menu').locator('option').allTextContents();
    expect(options).toContain('Conv VAE (MNIST)');
    expect(options).toContain('Sequence VAE (Seattle weather)');
    await choosePreset(page, { label: 'Conv VAE (MNIST)' });
    await poll(() => text(page, 'graph-name')).toBe('Conv VAE (MNIST)');
    await poll(() => page.getByTestId('compile-status').textContent()).toContain('compiles');

    // shape and structure on the ports
    expect(await text(page, 'shape-data-out-x')).toBe('[B,784]');
    expect(await text(page, 'structure-data-out-x')).toBe('28×28×1');
    expect(await text(page, 'shape-enc-out-mu')).toBe('[B,20]');
    // a row with ports on both sides has no room for it on the canvas: the second x row of the loss does
    expect(await page.getByTestId('structure-enc-in-x').count()).toBe(0);
    expect(await text(page, 'structure-recon-in-x')).toBe('28×28×1');
    expect(await page.getByTestId('shape-enc-in-x').locator('..').getAttribute('title')).toMatch(/shape \[B,784\] \(28×28×1 image\)/);

    // the encoder's inspector: conv's controls only
    await page.getByTestId('node-enc').locator('.vae-node-title').click();
    await poll(() => page.getByTestId('inspector-title').textContent()).toContain('Encoder');
    await poll(() => page.getByTestId('param-channels').isVisible()).toBe(true);
    expect(await page.getByTestId('param-cell').count()).toBe(0);
    // the inspector's ports: shape and structure, in words
    expect(await page.getByTestId('inspector').textContent()).toContain('[B,784] · 28×28×1 image');
    expect(await page.getByTestId('param-arch').inputValue()).toBe('conv');
    await screenshot(page, 'arch-conv-vae-1280x800');

    // arch "rnn" on images: the new arch's controls, and a SHAPE_MISMATCH saying what would fit
    await page.getByTestId('param-arch').selectOption('rnn');
    await poll(() => page.getByTestId('param-cell').isVisible()).toBe(true);
    expect(await page.getByTestId('param-channels').count()).toBe(0);
    expect(await page.getByTestId('param-rnnUnits').inputValue()).toBe('64');
    await poll(() => page.getByTestId('inspector').textContent()).toMatch(/SHAPE_MISMATCH \(x\).*needs sequences.*28×28×1 image/);
    await poll(() => page.getByTestId('inspector').textContent()).toMatch(/arch "conv"/);
    await screenshot(page, 'arch-rnn-on-images-1280x800');

    // one Undo restores conv and its params
    await page.getByTestId('node-enc').locator('.vae-node-title').click();
    await page.keyboard.press('Control+z');
    await poll(() => page.getByTestId('param-arch').inputValue()).toBe('conv');
    await poll(() => page.getByTestId('param-channels').inputValue()).toBe('32, 64');
    await poll(() => page.getByTestId('compile-status').textContent()).toContain('compiles');

    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('sequence-vae: the worker loads the weather sample and the windows show 32×4', async () => {
    const { page, errors } = await openApp(browser, { width: 1280, height: 800 });
    await choosePreset(page, { label: 'Sequence VAE (Seattle weather)' });
    await poll(() => text(page, 'graph-name')).toBe('Sequence VAE (Seattle weather)');
    await poll(() => text(page, 'structure-data-out-x'), 'the sample loads').toBe('32×4 seq');
    expect(await text(page, 'shape-data-out-x')).toBe('[B,128]');
    expect(await text(page, 'shape-enc-out-mu')).toBe('[B,8]');
    expect(await text(page, 'shape-dec-out-xHat')).toBe('[B,128]');
    expect(await text(page, 'structure-recon-in-x')).toBe('32×4 seq');
    await poll(() => page.getByTestId('compile-status').textContent()).toContain('compiles');
    await screenshot(page, 'arch-sequence-vae-1280x800');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
