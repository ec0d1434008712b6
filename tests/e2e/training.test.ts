/**
 * Training in the browser: the built app in Chromium, the trainer in its Web Worker.
 * Most tests pick the wasm backend first (faster than SwiftShader's software WebGL here);
 * the backend test switches to WebGL and back.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { choosePreset, discardingChanges, launchBrowser, openApp, screenshot, waitTrainable } from './harness';
import { describeWithTool } from '../fixtures/tools';

const OVERFLOW = fileURLToPath(new URL('./fixtures/training-sigma-overflow.json', import.meta.url));

const text = async (page: Page, id: string) => ((await page.getByTestId(id).textContent()) ?? '').trim();
const num = async (page: Page, id: string) => Number(await text(page, id));

/** This file's bounds for waitTrainable: 60 s to ready, then 10 s to Step enabled. */
const READY = { readyTimeout: 60_000, enabledTimeout: 10_000 };

async function openStandard(browser: Browser, backend = 'wasm'): Promise<{ page: Page; errors: string[] }> {
  const { page, errors } = await openApp(browser, { width: 1400, height: 1000 });
  await choosePreset(page, 'standard-vae');
  await expect.poll(() => text(page, 'graph-name')).toBe('Standard VAE (MNIST)');
  await page.getByTestId('backend-select').selectOption(backend);
  await waitTrainable(page, { backend, ...READY });
  return { page, errors };
}

async function stepAndWait(page: Page, expected: number): Promise<void> {
  await page.getByTestId('train-step').click();
  await expect.poll(() => num(page, 'metric-step'), { timeout: 30_000 }).toBe(expected);
  await expect.poll(() => page.getByTestId('train-step').isEnabled(), { timeout: 10_000 }).toBe(true);
}

describeWithTool('chromium', 'training in the browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('Step three times: the counter reads 3, the loss is finite, the chart has three points, the grids follow', async () => {
    const { page, errors } = await openStandard(browser);
    expect(await num(page, 'metric-step')).toBe(0);
    expect(await page.getByTestId('chart-loss').getAttribute('data-points')).toBe('0');
    // Before the first step the grids already show the untrained model (step 0).
    await expect.poll(() => page.getByTestId('recon-grid').getAttribute('data-step')).toBe('0');
    for (let i = 1; i <= 3; i++) await stepAndWait(page, i);
    const loss = await num(page, 'metric-loss');
    expect(Number.isFinite(loss)).toBe(true);
    expect(loss).toBeGreaterThan(100);
    expect(loss).toBeLessThan(600);
    expect(Number.isFinite(await num(page, 'metric-recon'))).toBe(true);
    expect(await num(page, 'metric-kl')).toBeGreaterThanOrEqual(0);
    await expect.poll(() => page.getByTestId('chart-loss').getAttribute('data-points')).toBe('3');
    await expect.poll(() => page.getByTestId('recon-grid').getAttribute('data-step')).toBe('3');
    expect(await page.getByTestId('sample-grid').getAttribute('data-images')).toBe('yes');
    // Badges on nodes: the KL node shows its KL, the optimizer the loss.
    await expect.poll(() => page.getByTestId('node-kl').getByTestId('node-badge').textContent()).toMatch(/^KL \d/);
    await expect.poll(() => page.getByTestId('node-opt').getByTestId('node-badge').textContent()).toMatch(/^loss \d/);
    expect(Number(await text(page, 'metric-ms'))).toBeGreaterThan(0);
    // Numbers on wires: every wire with room for it shows its source's mean ± std at the last
    // step (the long x → reconstruction-loss wire has room; a short one shows it when hovered
    // or selected).
    const values = page.getByTestId('wire-value');
    const xToRecon = page.locator('[data-testid="wire"][data-from="data.x"][data-to="recon.x"]').getByTestId('wire-value');
    await expect.poll(() => xToRecon.count()).toBe(1);
    expect(await xToRecon.textContent()).toMatch(/^-?[\d.e+-]+ ± [\d.e+-]+$/);
    // Short wires (the presets' row layout puts most nodes 60 px apart) stay quiet.
    const shown = await values.count();
    expect(shown).toBeGreaterThanOrEqual(1);
    expect(shown).toBeLessThan(await page.getByTestId('wire').count());
    await screenshot(page, 'training-values-on-wires');
    await page.getByTestId('wire-values-toggle').uncheck();
    await expect.poll(() => values.count()).toBe(0);
    await page.getByTestId('wire-values-toggle').check();
    await expect.poll(() => values.count()).toBe(shown);
    // A port's tooltip carries its last-step value while it is hovered
    // (only the hovered port reads it, so idle nodes do not re-render on every update).
    const muPort = page.getByTestId('node-enc').locator('.vae-port.output', { has: page.getByTestId('socket-enc-out-mu') });
    expect(await muPort.getAttribute('title')).not.toMatch(/last step/);
    await muPort.hover();
    await expect.poll(() => muPort.getAttribute('title')).toMatch(/last step: -?[\d.e+-]+ ± [\d.e+-]+/);
    const muWire = page.locator('[data-testid="wire"][data-from="enc.mu"][data-to="rep.mu"]');
    await muWire.locator('.vae-wire-hit').hover();
    await expect.poll(() => muWire.locator('title').textContent()).toMatch(/enc\.mu → rep\.mu\n-?[\d.e+-]+ ± /);
    // Space on the canvas steps one batch too.
    await page.getByTestId('canvas').click({ position: { x: 15, y: 15 } });
    await page.keyboard.press('Space');
    await expect.poll(() => num(page, 'metric-step')).toBe(4);
    await screenshot(page, 'training-three-steps');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('Run, then Pause: the counter advances, then stops; a probe on the μ wire shows [128,20]', async () => {
    const { page, errors } = await openStandard(browser);
    // Click the μ wire on the canvas: the probe follows the selected wire.
    await page.locator('[data-testid="wire"][data-from="enc.mu"][data-to="rep.mu"] .vae-wire-hit').click();
    await expect.poll(() => text(page, 'probe-edge')).toMatch(/enc\.mu → rep\.mu/);
    await expect.poll(() => text(page, 'probe-message')).toMatch(/Step/);
    await page.getByTestId('train-run').click();
    await expect.poll(() => page.getByTestId('train-pause').isEnabled(), { timeout: 20_000 }).toBe(true);
    await expect.poll(() => num(page, 'metric-step'), { timeout: 30_000 }).toBeGreaterThanOrEqual(8);
    await screenshot(page, 'training-running');
    await page.getByTestId('train-pause').click();
    await expect.poll(() => page.getByTestId('train-pause').isEnabled(), { timeout: 20_000 }).toBe(false);
    const stopped = await num(page, 'metric-step');
    await page.waitForTimeout(800);
    expect(await num(page, 'metric-step')).toBe(stopped);
    await expect.poll(() => page.getByTestId('chart-loss').getAttribute('data-points')).toBe(String(stopped));
    // The probe shows μ at the last step.
    await expect.poll(() => text(page, 'probe-shape'), { timeout: 10_000 }).toBe('[128,20]');
    expect(await num(page, 'probe-nan')).toBe(0);
    expect(await num(page, 'probe-inf')).toBe(0);
    const std = await num(page, 'probe-std');
    expect(std).toBeGreaterThan(0);
    expect(await page.getByTestId('probe-histogram').locator('rect').count()).toBe(24);
    // An image-shaped wire gets thumbnails.
    await page.getByTestId('probe-select').selectOption('dec.xHat->recon.xHat');
    await expect.poll(() => text(page, 'probe-shape')).toBe('[128,784]');
    await expect.poll(() => page.getByTestId('probe-thumbnail').count()).toBe(1);
    await screenshot(page, 'training-paused-probe');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('an overflowing σ stops at a breakpoint naming the node where Infinity first appeared', async () => {
    const { page, errors } = await openApp(browser, { width: 1400, height: 1000 });
    await page.getByTestId('backend-select').selectOption('wasm');
    await page.getByTestId('file-open').setInputFiles(OVERFLOW);
    await expect.poll(() => text(page, 'graph-name')).toBe('Overflowing sigma');
    await waitTrainable(page, { backend: 'wasm', ...READY });
    expect(await page.getByTestId('breakpoint').count()).toBe(0);
    await page.getByTestId('probe-select').selectOption('sigma.y->noise.b');
    await page.getByTestId('train-run').click();
    const bp = page.getByTestId('breakpoint');
    await expect.poll(() => bp.count(), { timeout: 30_000 }).toBe(1);
    expect(await bp.getAttribute('data-node')).toBe('sigma');
    expect(await bp.getAttribute('data-port')).toBe('y');
    expect(await bp.getAttribute('data-code')).toBe('NON_FINITE');
    expect(await bp.textContent()).toMatch(/sigma\.y/);
    // Training paused by itself, the update was not applied.
    await expect.poll(() => page.getByTestId('train-pause').isEnabled()).toBe(false);
    expect(await num(page, 'metric-step')).toBe(0);
    // The node is highlighted on the canvas; the probe shows the Infinity.
    await expect.poll(() => page.getByTestId('node-sigma').getAttribute('class')).toMatch(/breakpoint/);
    expect(await page.getByTestId('node-sigma').getByTestId('node-breakpoint').textContent()).toMatch(/Infinity/);
    await expect.poll(() => num(page, 'probe-inf')).toBeGreaterThan(0);
    await screenshot(page, 'training-breakpoint');
    // Reset clears it.
    await page.getByTestId('train-reset').click();
    await expect.poll(() => bp.count()).toBe(0);
    expect(await page.getByTestId('node-sigma').getAttribute('class')).not.toMatch(/breakpoint/);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('Reset returns the counter to 0 and keeps the last run as a faint overlay; the same seed gives the same first loss', async () => {
    const { page, errors } = await openStandard(browser);
    await stepAndWait(page, 1);
    const first = await text(page, 'metric-loss');
    await stepAndWait(page, 2);
    await page.getByTestId('train-reset').click();
    await expect.poll(() => num(page, 'metric-step')).toBe(0);
    await waitTrainable(page, { backend: 'wasm', ...READY });
    await expect.poll(() => page.getByTestId('chart-loss').getAttribute('data-points')).toBe('0');
    await expect.poll(() => page.getByTestId('chart-loss').getAttribute('data-previous')).toBe('2');
    await stepAndWait(page, 1);
    expect(await text(page, 'metric-loss')).toBe(first);
    // Another seed, another start.
    await page.getByTestId('train-seed').fill('2');
    await page.getByTestId('train-seed').press('Enter');
    await page.getByTestId('train-reset').click();
    await expect.poll(() => num(page, 'metric-step')).toBe(0);
    await waitTrainable(page, { backend: 'wasm', ...READY });
    await stepAndWait(page, 1);
    expect(await text(page, 'metric-loss')).not.toBe(first);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('New, then a preset: the training panel starts clean, the last run only as the faint overlay', async () => {
    const { page, errors } = await openStandard(browser);
    for (let i = 1; i <= 3; i++) await stepAndWait(page, i);
    await discardingChanges(page, () => page.getByTestId('file-new').click());
    await expect.poll(() => num(page, 'metric-step')).toBe(0);
    await expect.poll(() => page.getByTestId('chart-loss').getAttribute('data-points')).toBe('0');
    await expect.poll(() => page.getByTestId('chart-loss').getAttribute('data-previous')).toBe('3');
    expect(await page.getByTestId('collapse-alarm').count()).toBe(0);
    await choosePreset(page, 'standard-vae');
    await expect.poll(() => text(page, 'graph-name')).toBe('Standard VAE (MNIST)');
    await waitTrainable(page, { backend: 'wasm', ...READY });
    expect(await num(page, 'metric-step')).toBe(0);
    await stepAndWait(page, 1);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a β edit applies in place; a structural edit asks for a Reset and keeps nothing stale', async () => {
    const { page, errors } = await openStandard(browser);
    await stepAndWait(page, 1);
    await stepAndWait(page, 2);
    await page.getByTestId('node-beta').click();
    await page.getByTestId('param-beta').fill('2');
    await page.getByTestId('param-beta').press('Enter');
    await page.waitForTimeout(300);
    expect(await page.getByTestId('needs-reset').count()).toBe(0);
    await stepAndWait(page, 3); // weights kept: the count goes on
    expect(await num(page, 'metric-klw')).toBeCloseTo(2 * (await num(page, 'metric-kl')), 3);

    await page.getByTestId('node-enc').click();
    await page.getByTestId('param-latentDim').fill('8');
    await page.getByTestId('param-latentDim').press('Enter');
    await expect.poll(() => page.getByTestId('needs-reset').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.getByTestId('train-step').isEnabled()).toBe(false);
    await page.getByTestId('needs-reset').getByRole('button').click();
    await expect.poll(() => page.getByTestId('needs-reset').count()).toBe(0);
    await waitTrainable(page, { backend: 'wasm', ...READY });
    expect(await num(page, 'metric-step')).toBe(0);
    await page.getByTestId('probe-select').selectOption('enc.mu->rep.mu');
    await stepAndWait(page, 1);
    await expect.poll(() => text(page, 'probe-shape')).toBe('[128,8]');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a crashed worker is reported with a Restart; the graph is untouched and training works again', async () => {
    const { page, errors } = await openStandard(browser);
    await stepAndWait(page, 1);
    const worker = page.workers().find((w) => /training\.worker/.test(w.url()));
    expect(worker, page.workers().map((w) => w.url()).join(', ')).toBeDefined();
    await worker!.evaluate(() => {
      setTimeout(() => {
        throw new Error('simulated worker crash');
      }, 0);
    });
    const crashed = page.getByTestId('worker-crashed');
    await expect.poll(() => crashed.count(), { timeout: 10_000 }).toBe(1);
    expect(await crashed.textContent()).toMatch(/simulated worker crash/);
    expect(await crashed.getAttribute('role')).toBe('alert');
    expect(await page.getByTestId('train-step').isEnabled()).toBe(false);
    expect(await text(page, 'graph-name')).toBe('Standard VAE (MNIST)');
    expect(await page.getByTestId('saved-marker').count()).toBe(1);
    await screenshot(page, 'training-worker-crashed');
    await page.getByTestId('train-restart').click();
    await waitTrainable(page, { backend: 'wasm', ...READY });
    expect(await crashed.count()).toBe(0);
    expect(await num(page, 'metric-step')).toBe(0);
    await stepAndWait(page, 1);
    expect(Number.isFinite(await num(page, 'metric-loss'))).toBe(true);
    expect(errors.filter((e) => !/simulated worker crash/.test(e))).toEqual([]);
    await page.context().close();
  });

  it('a real WebGL context loss (the GPU process crashes) is reported with a Restart; the graph is untouched', async () => {
    // A browser of its own: the GPU process is shared by every page of a browser, and
    // Chromium gives up on the GPU after a few crashes.
    const own = await launchBrowser();
    try {
      const { page, errors } = await openStandard(own, 'webgl');
      await stepAndWait(page, 1);
      const stored = await page.evaluate(() => JSON.stringify(Object.entries(localStorage).sort()));
      const nodesBefore = await page.locator('[data-testid^="node-"][data-node-type]').count();
      // Crash Chromium's GPU process (DevTools protocol): every WebGL context in the browser,
      // the training worker's OffscreenCanvas included, is lost for real.
      const cdp = await own.newBrowserCDPSession();
      await cdp.send('Browser.crashGpuProcess');
      const lost = page.getByTestId('worker-crashed');
      await expect.poll(() => lost.count(), { timeout: 30_000 }).toBe(1);
      expect(await lost.textContent()).toMatch(/WebGL context was lost/);
      expect(await lost.textContent()).toMatch(/graph is untouched/);
      expect(await page.getByTestId('train-step').isEnabled()).toBe(false);
      expect(await text(page, 'graph-name')).toBe('Standard VAE (MNIST)');
      expect(await page.getByTestId('saved-marker').count()).toBe(1);
      expect(await page.locator('[data-testid^="node-"][data-node-type]').count()).toBe(nodesBefore);
      expect(await page.evaluate(() => JSON.stringify(Object.entries(localStorage).sort()))).toBe(stored);
      await screenshot(page, 'training-context-lost');
      // Restart: a fresh worker and context (Chromium has relaunched its GPU process).
      await page.getByTestId('train-restart').click();
      await waitTrainable(page, { backend: 'webgl', ...READY });
      expect(await lost.count()).toBe(0);
      await stepAndWait(page, 1);
      expect(Number.isFinite(await num(page, 'metric-loss'))).toBe(true);
      await screenshot(page, 'training-context-restarted');
      expect(errors.filter((e) => !/context|WebGL|GPU/i.test(e))).toEqual([]);
    } finally {
      await own.close();
    }
  });

  it('on a software WebGL renderer the app measures wasm, says so and switches on request', async () => {
    const { page, errors } = await openStandard(browser, 'webgl');
    const renderer = (await page.getByTestId('renderer').getAttribute('title')) ?? '';
    const software = /swiftshader|llvmpipe|software/i.test(renderer);
    expect(await text(page, 'renderer')).toBe(software ? '(software WebGL)' : '(GPU)');
    // The advice comes after a few webgl steps (it needs their times to compare).
    for (let i = 1; i <= 5; i++) await stepAndWait(page, i);
    const advice = page.getByTestId('backend-advice');
    if (!software) {
      await page.waitForTimeout(1000);
      expect(await advice.count()).toBe(0);
      await page.context().close();
      return;
    }
    await expect.poll(() => advice.count(), { timeout: 30_000 }).toBe(1);
    const said = (await advice.textContent()) ?? '';
    expect(said).toMatch(/software renderer/);
    expect(said).toMatch(/SwiftShader|llvmpipe/i);
    const [webglMs, wasmMs] = [...said.matchAll(/([\d.]+) ms\/step/g)].map((m) => Number(m[1]));
    expect(webglMs).toBeGreaterThan(wasmMs!);
    await screenshot(page, 'training-backend-advice');
    await page.getByTestId('backend-advice-switch').click();
    await waitTrainable(page, { backend: 'wasm', ...READY });
    expect(await page.getByTestId('backend-select').inputValue()).toBe('wasm');
    expect(await advice.count()).toBe(0);
    await stepAndWait(page, 1);
    expect(Number.isFinite(await num(page, 'metric-loss'))).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('switching backend keeps training working (wasm → webgl → cpu)', async () => {
    const { page, errors } = await openStandard(browser);
    await stepAndWait(page, 1);
    for (const b of ['webgl', 'cpu']) {
      await page.getByTestId('backend-select').selectOption(b);
      await waitTrainable(page, { backend: b, ...READY });
      expect(await num(page, 'metric-step')).toBe(0);
      await stepAndWait(page, 1);
      expect(Number.isFinite(await num(page, 'metric-loss'))).toBe(true);
      expect(await page.getByTestId('backend-select').inputValue()).toBe(b);
    }
    expect(await page.getByTestId('renderer').count()).toBe(0); // only shown on webgl
    await page.getByTestId('backend-select').selectOption('webgl');
    await waitTrainable(page, { backend: 'webgl', ...READY });
    expect(await text(page, 'renderer')).toMatch(/WebGL|GPU/);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
