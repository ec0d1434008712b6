/**
 * The backend the built app picks by itself (issue 16): on a fresh page with default settings
 * the worker probes WebGL; on a software renderer (SwiftShader here) it starts on wasm and says
 * why in one line (`backend-reason`), with one click back to WebGL, which is remembered.
 * Times are logged for the benchmark's sake, never asserted.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openApp, screenshot } from './harness';
import { describeWithTool } from '../fixtures/tools';

const text = async (page: Page, id: string) => ((await page.getByTestId(id).textContent()) ?? '').trim();
const panel = (page: Page) => page.getByTestId('training-panel').evaluate((el) => `${el.getAttribute('data-backend')}/${el.getAttribute('data-phase')}`);

/** What WebGL runs on in this browser, read the way the worker reads it. */
function pageRenderer(page: Page): Promise<string> {
  return page.evaluate(() => {
    const gl = document.createElement('canvas').getContext('webgl2');
    if (!gl) return '';
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  });
}

/** Whether a worker of this page gets a WebGPU adapter, asked the way the training worker asks. */
function workerHasAdapter(page: Page): Promise<boolean> {
  return page.evaluate(
    () =>
      new Promise<boolean>((resolve, reject) => {
        const src = 'navigator.gpu ? navigator.gpu.requestAdapter().then((a) => postMessage(a != null), () => postMessage(false)) : postMessage(false);';
        const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
        w.onmessage = (e) => {
          w.terminate();
          resolve(e.data === true);
        };
        w.onerror = (e) => reject(new Error(e.message));
      }),
  );
}

describeWithTool('chromium', 'the backend the app picks by itself', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('a fresh page starts on wasm when WebGL is software, says why, steps at once; back to WebGL is one click and remembered', async () => {
    const { page, errors } = await openApp(browser, { width: 1400, height: 1000 });
    const renderer = await pageRenderer(page);
    const software = !renderer || /swiftshader|llvmpipe|software|basic render/i.test(renderer);
    const expected = software ? 'wasm' : 'webgl';
    await expect.poll(() => panel(page), { timeout: 60_000 }).toBe(`${expected}/ready`);
    expect(await page.getByTestId('backend-select').inputValue()).toBe(expected);
    // webgpu is listed exactly where a worker gets an adapter (headless Chromium without a GPU: never).
    const adapter = await workerHasAdapter(page);
    const options = await page.getByTestId('backend-select').locator('option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
    console.log(`[e2e backend] WebGPU adapter in a worker: ${adapter}; backend-select lists ${options.join(', ')}`);
    expect(options).toEqual(adapter ? ['webgl', 'webgpu', 'wasm', 'cpu'] : ['webgl', 'wasm', 'cpu']);
    const reason = page.getByTestId('backend-reason');
    expect(await reason.count()).toBe(1);
    const said = await text(reason.page(), 'backend-reason');
    if (!software) {
      expect(said).toMatch(/Started on WebGL: it runs on the GPU/);
      await page.context().close();
      return;
    }
    expect(said).toMatch(/^Started on wasm: WebGL here is a software renderer \((SwiftShader|llvmpipe)\)/);
    // The first Step answers at once (the time is for the report; the goal lives in bench:browser).
    await expect.poll(() => page.getByTestId('train-step').isEnabled(), { timeout: 10_000 }).toBe(true);
    const t0 = Date.now();
    await page.getByTestId('train-step').click();
    await expect.poll(() => text(page, 'metric-step'), { timeout: 30_000, interval: 20 }).toBe('1');
    console.log(`[e2e backend] renderer "${renderer}": started on wasm; first Step reported ${Date.now() - t0} ms after the click`);
    expect(Number.isFinite(Number(await text(page, 'metric-loss')))).toBe(true);
    await screenshot(page, 'backend-reason-wasm');
    // Nothing was stored: the pick is the app's, not the person's.
    expect(await page.evaluate(() => localStorage.getItem('vae-lab:backend'))).toBeNull();
    // One click back to WebGL; the choice is remembered on the next visit.
    await page.getByTestId('backend-reason-webgl').click();
    await expect.poll(() => panel(page), { timeout: 60_000 }).toBe('webgl/ready');
    expect(await reason.count()).toBe(0);
    expect(await page.evaluate(() => localStorage.getItem('vae-lab:backend'))).toBe('webgl');
    await page.reload({ waitUntil: 'load' });
    await expect.poll(() => panel(page), { timeout: 60_000 }).toBe('webgl/ready');
    expect(await page.getByTestId('backend-select').inputValue()).toBe('webgl');
    expect(await reason.count()).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });
  it('a remembered webgpu where the worker gets no adapter falls back to wasm, says so, and the menu lists no webgpu', async () => {
    const { page, errors } = await openApp(browser, { width: 1400, height: 1000, init: () => localStorage.setItem('vae-lab:backend', 'webgpu') });
    if (await workerHasAdapter(page)) {
      console.log('[e2e backend] this browser has a WebGPU adapter: the fallback is not exercised here');
      await expect.poll(() => panel(page), { timeout: 60_000 }).toBe('webgpu/ready');
      await page.context().close();
      return;
    }
    await expect.poll(() => panel(page), { timeout: 60_000 }).toBe('wasm/ready');
    expect(await page.getByTestId('backend-select').inputValue()).toBe('wasm');
    const options = await page.getByTestId('backend-select').locator('option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
    expect(options).toEqual(['webgl', 'wasm', 'cpu']);
    await expect.poll(() => page.getByText(/WebGPU is not available here/).count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('train-step').isEnabled(), { timeout: 10_000 }).toBe(true);
    await page.getByTestId('train-step').click();
    await expect.poll(() => text(page, 'metric-step'), { timeout: 30_000 }).toBe('1');
    expect(errors).toEqual([]);
    await page.context().close();
  });
  it('the built app is served cross-origin isolated, and its wasm backend loads the threaded build in bounded time (the old hang)', async () => {
    const { page, errors } = await openApp(browser, { width: 1400, height: 1000 });
    const res = await page.request.get(page.url());
    expect(res.headers()['cross-origin-opener-policy']).toBe('same-origin');
    expect(res.headers()['cross-origin-embedder-policy']).toBe('require-corp');
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.getByTestId('backend-select').selectOption('wasm');
    // A pthread that cannot run tfjs's factory text never reports back, and wasm never gets ready.
    const t0 = Date.now();
    await expect.poll(() => panel(page), { timeout: 30_000 }).toBe('wasm/ready');
    const threads = page.getByTestId('wasm-threads');
    expect(await threads.getAttribute('data-build')).toBe('threaded-simd');
    const n = Number(await threads.getAttribute('data-threads'));
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    console.log(`[e2e backend] isolated: threaded SIMD wasm ready ${Date.now() - t0} ms after the pick, ${n} thread(s) on ${cores} cores`);
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(Math.max(1, cores));
    expect(await threads.getAttribute('title')).toMatch(/threaded SIMD build/);
    await expect.poll(() => page.getByTestId('train-step').isEnabled(), { timeout: 10_000 }).toBe(true);
    await page.getByTestId('train-step').click();
    await expect.poll(() => text(page, 'metric-step'), { timeout: 30_000 }).toBe('1');
    expect(Number.isFinite(Number(await text(page, 'metric-loss')))).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
