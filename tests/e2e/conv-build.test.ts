/**
 * A conv VAE built from an empty canvas (issue 19, point 5): New, seven nodes from the palette,
 * wired through the outline's port picker, the encoder and decoder switched to arch "conv" in
 * the inspector (channels 8, 16; hidden 32; latent 8), the shapes follow ([B,784] with its
 * 28×28×1 image into the encoder, [B,8] out of it), it compiles, and three training steps on
 * wasm give a finite loss that falls. Screenshot: test-results/screenshots/conv-build-trained-1280x800.png.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { discardingChanges, launchBrowser, openApp, screenshot } from './harness';
import { describeWithTool } from '../fixtures/tools';

const text = async (page: Page, id: string) => ((await page.getByTestId(id).textContent()) ?? '').trim();
const num = async (page: Page, id: string) => Number(await text(page, id));

/** expect.poll with room for a busy machine. */
function poll<T>(fn: () => T | Promise<T>, message?: string) {
  return expect.poll(fn, { timeout: 30_000, interval: 100, ...(message ? { message } : {}) });
}

/** The palette's search box (on narrow screens the palette floats over the canvas: open it). */
async function paletteSearch(page: Page) {
  const search = page.getByTestId('palette-search');
  if (!(await search.isVisible())) await page.getByTestId('palette-toggle').click();
  await poll(() => search.isVisible()).toBe(true);
  return search;
}

/** Wire from.port → to.port with the outline's port picker (Connect…, the output, the input). */
async function connect(page: Page, from: string, to: string): Promise<void> {
  const [node, port] = from.split('.') as [string, string];
  await page.getByTestId(`outline-connect-${node}`).click();
  const pick = page.getByTestId(`outline-pick-out-${port}`);
  if (await pick.isVisible()) await pick.click();
  await poll(() => page.getByTestId('outline-pick-filter').isVisible()).toBe(true);
  await page.getByTestId('outline-pick-filter').fill(to);
  await page.getByTestId('outline-pick-filter').press('Enter');
  await poll(() => page.locator(`[data-testid="outline-wire-${from}-${to}"]`).count(), `${from} → ${to}`).toBe(1);
}

/** Open a node in the inspector (the outline's Edit) and set params there, one at a time, as typed. */
async function setParams(page: Page, node: string, params: Array<[string, string]>): Promise<void> {
  await page.getByTestId(`outline-edit-${node}`).click();
  await poll(() => page.getByTestId('inspector').isVisible()).toBe(true);
  for (const [param, value] of params) {
    const field = page.getByTestId(`param-${param}`);
    await poll(() => field.isVisible(), `${node}.${param} shown`).toBe(true);
    if ((await field.evaluate((el) => el.tagName)) === 'SELECT') {
      await field.selectOption(value);
    } else {
      await field.fill(value);
      await field.press('Enter');
    }
  }
}

describeWithTool('chromium', 'a conv VAE from an empty canvas', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('palette, outline and inspector build it; it compiles and trains three steps on wasm', async () => {
    const { page, errors } = await openApp(browser, { width: 1280, height: 800 });
    await poll(() => page.locator('.vae-node').count()).toBeGreaterThan(0);
    await discardingChanges(page, () => page.getByTestId('file-new').click());
    await poll(() => page.locator('.vae-node').count()).toBe(0);

    // seven nodes from the palette: search, Enter
    const search = await paletteSearch(page);
    const added: Array<[string, string]> = [
      ['mnist', 'data'],
      ['encoder', 'enc'],
      ['reparameterize', 'rep'],
      ['decoder', 'dec'],
      ['reconstruction', 'recon'],
      ['kl', 'kl'],
      ['optimizer', 'opt'],
    ];
    for (const [query, id] of added) {
      await search.fill(query);
      await search.press('Enter');
      await poll(() => page.getByTestId(`node-${id}`).count(), `${query} adds ${id}`).toBe(1);
    }
    if (await search.isVisible()) await search.press('Escape');

    // the wires, through the outline
    await page.keyboard.press('Alt+o');
    await poll(() => page.getByTestId('outline').isVisible()).toBe(true);
    for (const [from, to] of [
      ['data.x', 'enc.x'],
      ['enc.mu', 'rep.mu'],
      ['enc.logvar', 'rep.logvar'],
      ['rep.z', 'dec.z'],
      ['dec.xHat', 'recon.xHat'],
      ['data.x', 'recon.x'],
      ['enc.mu', 'kl.mu'],
      ['enc.logvar', 'kl.logvar'],
      ['recon.nll', 'opt.loss'],
      ['kl.kl', 'opt.loss'],
    ] as const) {
      await connect(page, from, to);
    }
    await poll(() => page.getByTestId('compile-status').textContent()).toContain('compiles');
    await page.getByTestId('auto-arrange').click();
    await poll(() => page.getByTestId('auto-arrange').isEnabled()).toBe(true);

    // arch "conv" for both, narrowed so that a step is quick
    await setParams(page, 'enc', [
      ['arch', 'conv'],
      ['channels', '8, 16'],
      ['hidden', '32'],
      ['latentDim', '8'],
    ]);
    await setParams(page, 'dec', [
      ['arch', 'conv'],
      ['channels', '8, 16'],
      ['hidden', '32'],
    ]);
    await poll(() => page.getByTestId('shape-enc-out-mu').textContent()).toBe('[B,8]');
    await poll(() => page.getByTestId('shape-dec-out-xHat').textContent()).toContain('[B,784]');
    await poll(() => page.getByTestId('compile-status').textContent()).toContain('compiles');
    await poll(() => page.getByTestId('error-count').textContent()).toBe('0');
    await expect(page.getByTestId('node-enc').textContent()).resolves.toMatch(/conv/);

    // train three steps on wasm
    await page.getByTestId('dock-tab-training').click();
    await page.getByTestId('backend-select').selectOption('wasm');
    await poll(() => page.getByTestId('training-panel').evaluate((el) => `${el.getAttribute('data-backend')}/${el.getAttribute('data-phase')}`)).toBe('wasm/ready');
    const losses: number[] = [];
    for (let i = 1; i <= 3; i++) {
      await poll(() => page.getByTestId('train-step').isEnabled()).toBe(true);
      await page.getByTestId('train-step').click();
      await poll(() => num(page, 'metric-step')).toBe(i);
      losses.push(await num(page, 'metric-loss'));
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    // 784 pixels at p ≈ ½ start near 543 nats; three steps of Adam bring it down
    expect(losses[0]).toBeGreaterThan(400);
    expect(losses[2]).toBeLessThan(losses[0]!);
    await screenshot(page, 'conv-build-trained-1280x800');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
