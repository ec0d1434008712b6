/**
 * Out of the browser and back (issue 15, DESIGN.md §9) in the built app, as a person uses it:
 * - share-link: its href is the app's absolute URL + #g= + the graph exactly as Save writes
 *   it; opening it in a fresh page opens that graph unsaved and untrained; a page with unsaved
 *   changes asks first (confirm-dialog); a damaged or too long link is refused in error-message.
 * - PNG: the grids and the loss chart download as PNGs carrying the graph, seed and step;
 *   dropping one on the canvas opens its graph; a PNG without one is PNG_NO_GRAPH.
 * - weights: the CLI exports the standard VAE, the exported train.py trains it and saves its
 *   weights; weights-open loads them, and the app's held-out KL matches train.py's (1e-4
 *   relative) and the latent view redraws; weights-save gives back the same tensors; weights
 *   of another graph are WEIGHTS_MISMATCH. export-pytorch downloads a zip whose train.py runs.
 * Screenshots: test-results/screenshots/transfer-*.png.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { baseUrl, choosePreset, launchBrowser, openApp, screenshot, waitTrainable } from './harness';
import { describeWithTool, PYTHON_PATH } from '../fixtures/tools';
import { ROOT, runGroup } from '../fixtures/process';
import { decodeShareFragment, encodeShareFragment } from '../../src/graph/share';
import { graphFromPng, PNG_GRAPH_KEY } from '../../src/graph/png-text';
import { decodeSafetensors } from '../../src/export/safetensors';

const text = async (page: Page, id: string) => ((await page.getByTestId(id).first().textContent()) ?? '').trim();

/** This file's bounds for waitTrainable: wasm ready within 90 s, then Step enabled within 30 s. */
const READY = { backend: 'wasm', readyTimeout: 90_000, enabledTimeout: 30_000 };

/** A page on wasm with a preset open, ready to train. */
async function openPreset(browser: Browser, preset: string): Promise<{ page: Page; errors: string[] }> {
  const { page, errors } = await openApp(browser, { init: () => localStorage.setItem('vae-lab:backend', 'wasm') });
  await choosePreset(page, preset);
  await waitTrainable(page, READY);
  return { page, errors };
}

async function download(page: Page, testid: string): Promise<{ name: string; bytes: Uint8Array }> {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId(testid).click()]);
  const path = await dl.path();
  return { name: dl.suggestedFilename(), bytes: new Uint8Array(readFileSync(path)) };
}

/** Drop a file on the canvas as a person would (a DataTransfer carrying it). */
async function dropOnCanvas(page: Page, name: string, bytes: Uint8Array, type: string): Promise<void> {
  await page.evaluate(
    ({ b64, name, type }) => {
      const raw = atob(b64);
      const data = Uint8Array.from(raw, (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([data], name, { type }));
      const el = document.querySelector('[data-testid="canvas"]')!;
      el.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    },
    { b64: Buffer.from(bytes).toString('base64'), name, type },
  );
}

/** A hash of a canvas's pixels (to tell two drawings apart). */
function canvasHash(page: Page, testid: string): Promise<string> {
  return page.getByTestId(testid).evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let h = 2166136261;
    for (let i = 0; i < d.length; i++) h = Math.imul(h ^ d[i]!, 16777619) >>> 0;
    return `${c.width}x${c.height}:${h}`;
  });
}

describeWithTool('chromium', 'out of the browser and back (share link, PNG, weights, export)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('share-link: the saved graph in the URL; a fresh page opens it unsaved and untrained; unsaved changes are asked about; bad links refused', async () => {
    const { page, errors } = await openPreset(browser, 'latent-2d');
    const saved = strFromU8((await download(page, 'file-save')).bytes);
    const href = (await page.getByTestId('share-link').getAttribute('href'))!;
    expect(await page.getByTestId('share-link').evaluate((el) => el.tagName)).toBe('A');
    expect(href.startsWith(new URL('/', baseUrl()).toString())).toBe(true);
    expect(href).toBe(`${new URL('/', baseUrl()).toString()}#${encodeShareFragment(saved)}`);
    const decoded = decodeShareFragment(new URL(href).hash);
    expect(decoded.ok && decoded.text).toBe(saved);
    expect(saved).not.toMatch(/"data"\s*:\s*\[/); // never the data
    await screenshot(page, 'transfer-toolbar');

    // A fresh browser (no autosave): the link opens the graph, unsaved, untrained.
    const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const other = await fresh.newPage();
    await other.addInitScript(() => localStorage.setItem('vae-lab:backend', 'wasm'));
    await other.goto(href);
    await expect.poll(() => text(other, 'graph-name')).toBe(JSON.parse(saved).meta.name);
    expect(await other.getByTestId('unsaved-marker').isVisible()).toBe(true);
    await waitTrainable(other, READY);
    expect(await text(other, 'metric-step')).toBe('0');
    expect(await other.getByTestId('training-panel').getAttribute('data-phase')).toBe('ready');
    expect(new URL(other.url()).hash).toBe(''); // a reload must not open it again
    expect(await other.getByTestId('confirm-dialog').count()).toBe(0);
    await screenshot(other, 'transfer-shared-opened');

    // The same browser with unsaved changes: opening another link asks first.
    const standardLink = `${new URL('/', baseUrl()).toString()}#${encodeShareFragment(readFileSync(join(ROOT, 'presets', 'standard-vae.json'), 'utf8'))}`;
    const again = await fresh.newPage();
    await again.goto(standardLink);
    await expect.poll(() => again.getByTestId('confirm-dialog').isVisible(), { timeout: 20_000 }).toBe(true);
    await screenshot(again, 'transfer-confirm-dialog');
    await again.getByTestId('confirm-cancel').click();
    expect(await text(again, 'graph-name')).toBe(JSON.parse(saved).meta.name);
    await again.evaluate((l) => (window.location.hash = new URL(l).hash), standardLink);
    await expect.poll(() => again.getByTestId('confirm-dialog').isVisible()).toBe(true);
    await again.getByTestId('confirm-ok').click();
    await expect.poll(() => text(again, 'graph-name')).toBe('Standard VAE (MNIST)');

    // Damaged and too long links: refused with a message, the graph kept.
    await again.evaluate(() => (window.location.hash = '#g=%%%not*base64'));
    await expect.poll(() => again.getByTestId('error-message').getAttribute('data-code')).toBe('SHARE_LINK');
    await again.evaluate(() => (window.location.hash = `#g=${'A'.repeat(70_000)}`));
    await expect.poll(() => again.getByTestId('error-message').getAttribute('data-code')).toBe('TOO_LARGE');
    expect(await text(again, 'error-message')).toMatch(/65,536/);
    expect(await text(again, 'graph-name')).toBe('Standard VAE (MNIST)');
    await fresh.close();
    expect(errors).toEqual([]);
    await page.context().close();
  }, 300_000);

  it('PNG: the grids and the chart carry the graph, seed and step; dropping one opens its graph; a plain PNG is refused', async () => {
    const { page, errors } = await openPreset(browser, 'latent-2d');
    await page.getByTestId('train-step').click();
    await expect.poll(() => text(page, 'metric-step'), { timeout: 60_000 }).toBe('1');
    await expect.poll(() => page.getByTestId('recon-grid').getAttribute('data-step'), { timeout: 60_000 }).toBe('1');
    const saved = strFromU8((await download(page, 'file-save')).bytes);
    const grid = await download(page, 'recon-grid-png');
    expect(grid.name).toMatch(/\.png$/);
    const g = graphFromPng(grid.bytes);
    expect(g).toEqual({ ok: true, text: saved, seed: '1', step: '1' });
    const chart = await download(page, 'chart-png');
    const c = graphFromPng(chart.bytes);
    expect(c.ok && c.text).toBe(saved);

    // Another page with another graph, renamed (unsaved changes): the dropped PNG asks first in
    // the app's confirm-dialog (no window.confirm), answered with the keyboard: Escape keeps the
    // graph; Tab to the other button and Enter opens the graph the PNG carries.
    const { page: other, errors: otherErrors } = await openPreset(browser, 'standard-vae');
    const nativeDialogs: string[] = [];
    other.on('dialog', (d) => nativeDialogs.push(d.message()));
    await other.getByTestId('graph-name').click();
    await other.getByTestId('graph-name-input').fill('My edits');
    await other.getByTestId('graph-name-input').press('Enter');
    await expect.poll(() => other.getByTestId('unsaved-marker').count()).toBe(1);
    await dropOnCanvas(other, grid.name, grid.bytes, 'image/png');
    await expect.poll(() => other.getByTestId('confirm-dialog').isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await text(other, 'confirm-dialog')).toContain(grid.name);
    expect(await other.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('confirm-cancel');
    await screenshot(other, 'transfer-png-confirm');
    await other.keyboard.press('Escape');
    await expect.poll(() => other.getByTestId('confirm-dialog').count()).toBe(0);
    expect(await text(other, 'graph-name')).toBe('My edits');
    await dropOnCanvas(other, grid.name, grid.bytes, 'image/png');
    await expect.poll(() => other.getByTestId('confirm-dialog').isVisible(), { timeout: 20_000 }).toBe(true);
    await other.keyboard.press('Tab');
    expect(await other.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('confirm-ok');
    await other.keyboard.press('Enter');
    await expect.poll(() => text(other, 'graph-name')).toBe(JSON.parse(saved).meta.name);
    expect(nativeDialogs).toEqual([]);
    expect(await other.getByTestId('error-message').count()).toBe(0);
    // A PNG without the chunk (the PNG with its text chunks cut out) is a coded error.
    const plain = stripTextChunks(grid.bytes);
    expect(graphFromPng(plain).ok).toBe(false);
    await dropOnCanvas(other, 'photo.png', plain, 'image/png');
    await expect.poll(() => other.getByTestId('error-message').getAttribute('data-code')).toBe('PNG_NO_GRAPH');
    expect(await text(other, 'error-message')).toContain('"photo.png" carries no VAE Lab graph');
    expect(await text(other, 'graph-name')).toBe(JSON.parse(saved).meta.name);
    expect([...errors, ...otherErrors]).toEqual([]);
    await page.context().close();
    await other.context().close();
  }, 300_000);

  it('weights-open says in one line what the file does not hold: the optimizer and the β warm-up restart at step 0', async () => {
    const { page, errors } = await openPreset(browser, 'latent-2d');
    for (const n of [1, 2]) {
      await page.getByTestId('train-step').click();
      await expect.poll(() => text(page, 'metric-step'), { timeout: 60_000 }).toBe(String(n));
    }
    const saved = await download(page, 'weights-save');
    expect(await page.getByTestId('weights-note').count()).toBe(0);
    await page.getByTestId('weights-open').setInputFiles({ name: 'mine.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(saved.bytes) });
    await expect.poll(() => page.getByTestId('weights-loaded').count(), { timeout: 60_000 }).toBe(1);
    await expect.poll(() => text(page, 'metric-step')).toBe('0');
    expect(await text(page, 'weights-note')).toBe('(weights only: the optimizer and the β warm-up restart at step 0)');
    expect(await page.getByTestId('weights-note').isVisible()).toBe(true);
    expect(await page.getByTestId('weights-note').getAttribute('title')).toMatch(/not the optimizer’s state/);
    await screenshot(page, 'transfer-weights-note');
    expect(errors).toEqual([]);
    await page.context().close();
  }, 300_000);

  describeWithTool('torch', 'with the exported train.py (PyTorch)', () => {
    let work = '';
    afterAll(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('weights: train.py’s saved weights open in the app with the same held-out KL; the latent view redraws; save gives them back; another graph’s are WEIGHTS_MISMATCH', async () => {
      work = mkdtempSync(join(tmpdir(), 'vae-lab-e2e-weights-'));
      const dir = join(work, 'standard');
      const w = join(work, 'torch.safetensors');
      const exported = await runGroup(process.execPath, [join(ROOT, 'bin', 'vae-lab.mjs'), 'export', join(ROOT, 'presets', 'standard-vae.json'), '--to', 'pytorch', '--out', dir], { timeoutMs: 120_000 });
      expect(exported.code, exported.out).toBe(0);
      const trained = await runGroup(PYTHON_PATH, [join(dir, 'train.py'), '--steps', '20', '--save', w, '--json'], { timeoutMs: 180_000, env: { OMP_NUM_THREADS: '2' } });
      expect(trained.code, trained.out).toBe(0);
      const torchEval = trained.events.filter((e) => e.event === 'eval').at(-1)!;
      expect(torchEval.step).toBe(20);

      const { page, errors } = await openPreset(browser, 'standard-vae');
      await page.getByTestId('train-evaluate').click();
      await expect.poll(() => text(page, 'metric-heldout-kl'), { timeout: 60_000 }).not.toBe('–');
      const untrainedKl = Number(await text(page, 'metric-heldout-kl'));
      await page.getByTestId('dock-tab-instruments').click();
      await expect.poll(() => page.getByTestId('latent-view').getAttribute('data-drawn'), { timeout: 60_000 }).toBe('yes');
      const before = await canvasHash(page, 'latent-view');

      await page.getByTestId('dock-tab-training').click();
      await page.getByTestId('weights-open').setInputFiles(w);
      await expect.poll(() => page.getByTestId('weights-loaded').count(), { timeout: 60_000 }).toBe(1);
      expect(await text(page, 'weights-loaded')).toBe('from torch.safetensors');
      expect(await page.getByTestId('weights-loaded').getAttribute('title')).toMatch(/^The model holds the weights of torch\.safetensors, trained 20 steps by train\.py \(PyTorch/);
      await expect.poll(() => text(page, 'metric-heldout-kl'), { timeout: 60_000 }).not.toBe('–');
      const appKl = Number(await text(page, 'metric-heldout-kl'));
      console.info(`train.py weights in the app: held-out KL ${String(torchEval.kl)} (train.py) vs ${appKl} (app); untrained ${untrainedKl}`);
      expect(Math.abs(appKl - (torchEval.kl as number)) / (torchEval.kl as number)).toBeLessThan(1e-4);
      expect(Math.abs(appKl - untrainedKl)).toBeGreaterThan(1e-2);
      const appElbo = Number(await text(page, 'metric-heldout'));
      expect(Math.abs(appElbo - (torchEval.heldOutLoss as number)) / (torchEval.heldOutLoss as number)).toBeLessThan(0.005);
      expect(await text(page, 'metric-step')).toBe('0');
      await screenshot(page, 'transfer-weights-loaded');

      // The instruments show that model: the latent view redraws, the KL bars sum to its KL.
      await page.getByTestId('dock-tab-instruments').click();
      await expect.poll(async () => (await page.getByTestId('latent-view').getAttribute('data-drawn')) === 'yes' && (await canvasHash(page, 'latent-view')) !== before, { timeout: 60_000 }).toBe(true);
      await expect.poll(async () => Math.abs(Number(await text(page, 'kl-total')) - appKl) / appKl, { timeout: 60_000 }).toBeLessThan(1e-2);
      await screenshot(page, 'transfer-weights-instruments');

      // Save gives back the same tensors.
      await page.getByTestId('dock-tab-training').click();
      const back = await download(page, 'weights-save');
      expect(back.name).toBe('Standard VAE (MNIST)-step0.safetensors');
      const a = decodeSafetensors(new Uint8Array(readFileSync(w)));
      const b = decodeSafetensors(back.bytes);
      if (!a.ok || !b.ok) throw new Error('weights do not decode');
      expect(b.file.tensors.map((t) => t.name).sort()).toEqual(a.file.tensors.map((t) => t.name).sort());
      for (const t of a.file.tensors) expect(b.file.tensors.find((x) => x.name === t.name)!.data).toEqual(t.data);

      // Another graph: WEIGHTS_MISMATCH naming what differs, nothing loaded.
      await choosePreset(page, 'latent-2d');
      await waitTrainable(page, READY);
      await page.getByTestId('weights-open').setInputFiles(w);
      await expect.poll(() => page.getByTestId('error-message').getAttribute('data-code'), { timeout: 60_000 }).toBe('WEIGHTS_MISMATCH');
      expect(await text(page, 'error-message')).toMatch(/enc\/mu\/kernel is \[400, 20\], the graph needs \[\d+, 2\]/);
      expect(await text(page, 'error-message')).toContain('Nothing was loaded');
      expect(await page.getByTestId('weights-loaded').count()).toBe(0);
      await screenshot(page, 'transfer-weights-mismatch');
      expect(errors).toEqual([]);
      await page.context().close();
    }, 600_000);

    it('export-pytorch: the zip downloaded from the app holds the program, and its train.py runs', async () => {
      const { page, errors } = await openPreset(browser, 'standard-vae');
      const zip = await download(page, 'export-pytorch');
      expect(zip.name).toBe('Standard-VAE-(MNIST)-pytorch.zip');
      const files = unzipSync(zip.bytes);
      const dir = mkdtempSync(join(tmpdir(), 'vae-lab-e2e-export-'));
      try {
        for (const [path, data] of Object.entries(files)) {
          mkdirSync(dirname(join(dir, path)), { recursive: true });
          writeFileSync(join(dir, path), data);
        }
        const root = join(dir, 'Standard-VAE-(MNIST)-pytorch');
        expect(Object.keys(files).map((p) => p.split('/').slice(1).join('/')).sort()).toEqual(['README.md', 'data/mnist-images.npy', 'data/mnist-labels.npy', 'graph.json', 'model.py', 'train.py']);
        const run = await runGroup(PYTHON_PATH, [join(root, 'train.py'), '--steps', '3', '--json'], { timeoutMs: 180_000, env: { OMP_NUM_THREADS: '2' } });
        expect(run.code, run.out).toBe(0);
        expect(run.events.at(-1)).toMatchObject({ event: 'done', steps: 3 });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      expect(errors).toEqual([]);
      await page.context().close();
    }, 300_000);
  });
});

/** The PNG without its iTXt chunks (a PNG that carries no graph). */
function stripTextChunks(png: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [png.subarray(0, 8)];
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  for (let at = 8; at < png.length; ) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const end = at + 12 + len;
    if (type !== 'iTXt') parts.push(png.subarray(at, end));
    at = end;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  expect(strFromU8(out, true)).not.toContain(PNG_GRAPH_KEY);
  return out;
}
