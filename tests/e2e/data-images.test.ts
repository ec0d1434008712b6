/**
 * Image files in the app (DESIGN §7 `data.images`; issue 14.2, 14.5): a person opens a graph
 * with a data.images node, picks a .zip of PNG files made here (two folders, so two labels),
 * sees the image grid and the label count in the preview, trains a few steps on wasm and sees
 * the reconstructions drawn as images. Then, on the same page, Debian's Fashion-MNIST IDX
 * pair (images through `data-file`, labels through `data-labels-file`) loads and previews;
 * that part is skipped (counted) without the files, and fails in CI, which installs them.
 * Screenshots: test-results/screenshots/data-images-*.png.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode as encodePng } from 'fast-png';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openApp, screenshot, stepTo, waitTrainable } from './harness';
import { describeWithTool, FASHION_MNIST_DIR } from '../fixtures/tools';
import { mulberry32 } from '../../src/runtime/random';

const IMAGES_GRAPH = fileURLToPath(new URL('../fixtures/graphs/images-vae.json', import.meta.url));

const text = async (page: Page, id: string) => ((await page.getByTestId(id).first().textContent()) ?? '').trim();
const num = async (page: Page, id: string) => Number(await text(page, id));
const poll = <T>(fn: () => Promise<T>, timeout = 30_000) => expect.poll(fn, { timeout });

/**
 * A zip of `perClass` 28×28 grey PNGs in each of two folders: `blocks/` (a filled square) and
 * `rings/` (a circle outline), each at a random place.
 */
function shapesZip(perClass: number, seed: number): Uint8Array {
  const rand = mulberry32(seed);
  const files: Record<string, Uint8Array> = {};
  for (const kind of ['blocks', 'rings']) {
    for (let i = 0; i < perClass; i++) {
      const data = new Uint8Array(28 * 28);
      const cx = 10 + Math.floor(rand() * 8);
      const cy = 10 + Math.floor(rand() * 8);
      const r = 5 + Math.floor(rand() * 3);
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          const on = kind === 'blocks' ? Math.abs(x - cx) <= r && Math.abs(y - cy) <= r : Math.abs(Math.hypot(x - cx, y - cy) - r) < 1.2;
          data[y * 28 + x] = on ? 255 : 0;
        }
      }
      files[`${kind}/${kind}-${i}.png`] = encodePng({ width: 28, height: 28, data, channels: 1, depth: 8 });
    }
  }
  return zipSync(files);
}

/** How many of the preview grid's pixels are neither white (the background) nor black, and how many are dark. */
async function gridInk(page: Page): Promise<{ width: number; height: number; dark: number }> {
  return page.getByTestId('data-images').evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let dark = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i]! < 128) dark++;
    return { width: c.width, height: c.height, dark };
  });
}

describeWithTool('chromium', 'image files in the app', () => {
  let browser: Browser;
  let page: Page;
  let errors: string[];
  beforeAll(async () => {
    browser = await launchBrowser();
    ({ page, errors } = await openApp(browser, { init: () => localStorage.setItem('vae-lab:backend', 'wasm') }));
    await page.setViewportSize({ width: 1280, height: 800 });
  });
  afterAll(async () => {
    await page?.context().close();
    await browser?.close();
  });

  it('pick a zip of PNGs in two folders: an image grid, two labels; it trains and draws reconstructions', async () => {
    await page.getByTestId('file-open').setInputFiles(IMAGES_GRAPH);
    await poll(() => text(page, 'graph-name')).toBe('Images VAE');
    await page.getByTestId('node-images').click();
    await page.getByTestId('data-file').setInputFiles({ name: 'shapes.zip', mimeType: 'application/zip', buffer: Buffer.from(shapesZip(12, 5)) });
    await poll(() => page.getByTestId('data-preview').count(), 60_000).toBe(1);
    expect(await text(page, 'data-file-name')).toBe('shapes.zip');
    const preview = page.getByTestId('data-preview');
    expect(await preview.getAttribute('data-kind')).toBe('image');
    expect(await preview.getAttribute('data-examples')).toBe('24');
    expect(await preview.getAttribute('data-classes')).toBe('2');
    expect(await text(page, 'data-summary')).toBe('24 images: 20 to train, 4 held out');
    // The grid: 8 images a row, 28×28 each with a 1-pixel gap, black shapes drawn on it.
    const count = Number(await page.getByTestId('data-images').getAttribute('data-count'));
    expect(count).toBeGreaterThanOrEqual(8);
    const ink = await gridInk(page);
    expect(ink.width).toBe(8 * 29);
    expect(ink.height).toBe(Math.ceil(count / 8) * 29);
    expect(ink.dark).toBeGreaterThan(count * 28 * 28 * 0.3); // most of each image is the black ground
    expect(ink.dark).toBeLessThan(count * 28 * 28); // and the shapes are white on it
    await screenshot(page, 'data-images-zip-1280x800');

    await waitTrainable(page);
    for (let i = 1; i <= 3; i++) await stepTo(page, i);
    expect(Number.isFinite(await num(page, 'metric-loss'))).toBe(true);
    await poll(() => page.getByTestId('recon-grid').getAttribute('data-images'), 60_000).toBe('yes');
    expect(await page.getByTestId('recon-grid').locator('canvas').count()).toBeGreaterThanOrEqual(1);
    await screenshot(page, 'data-images-trained-1280x800');
    expect(errors).toEqual([]);
  });

  describeWithTool('fashion-mnist', "Debian's Fashion-MNIST IDX pair", () => {
    it('images through data-file, labels through data-labels-file: 10,000 images, 10 labels', async () => {
      const images = readFileSync(join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz'));
      const labelsPath = join(FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz');
      expect(existsSync(labelsPath)).toBe(true);
      await page.getByTestId('node-images').click();
      await page.getByTestId('data-file').setInputFiles({ name: 't10k-images-idx3-ubyte.gz', mimeType: 'application/gzip', buffer: images });
      await poll(() => text(page, 'data-file-name'), 60_000).toBe('t10k-images-idx3-ubyte.gz');
      await poll(() => page.getByTestId('data-preview').getAttribute('data-examples'), 60_000).toBe('10000');
      await page.getByTestId('data-labels-file').setInputFiles({ name: 't10k-labels-idx1-ubyte.gz', mimeType: 'application/gzip', buffer: readFileSync(labelsPath) });
      await poll(() => page.getByTestId('data-preview').getAttribute('data-classes'), 60_000).toBe('10');
      // The labels file re-reads the pair; its progress line goes once it is done.
      await poll(() => page.getByTestId('data-progress').count(), 60_000).toBe(0);
      expect(await text(page, 'data-summary')).toBe('10,000 images: 9,996 to train, 4 held out');
      const ink = await gridInk(page);
      expect(ink.width).toBe(8 * 29);
      expect(ink.dark).toBeGreaterThan(0);
      await screenshot(page, 'data-images-idx-1280x800');
      expect(errors).toEqual([]);
    });
  });
});
