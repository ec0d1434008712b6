/**
 * Dark mode (issue 18 point 4): the app follows prefers-color-scheme. At 1280×800 and
 * 1920×1080, light and dark, the training view (with a note on the canvas), the instruments
 * and the bug hunt are screenshotted (test-results/screenshots/theme-*.png, to be looked at),
 * and in the dark scheme: the page and the nodes are dark, the note is no longer the light
 * #fffbe6, the canvases (loss chart, latent scatter) draw on dark with light marks, and axe's
 * colour-contrast rule finds nothing on any of the views.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { choosePreset, launchBrowser, openApp, screenshot, waitTrainable } from './harness';
import { describeWithTool } from '../fixtures/tools';

const num = async (page: Page, id: string) => Number(((await page.getByTestId(id).first().textContent()) ?? '').trim());

/** Relative luminance (0 black … 1 white) of a CSS rgb() colour. */
function luminance(css: string): number {
  const m = css.match(/rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)/);
  if (!m) throw new Error(`not an rgb colour: ${css}`);
  const [r, g, b] = [m[1], m[2], m[3]].map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

async function contrastViolations(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).withRules(['color-contrast']).analyze();
  return r.violations.flatMap((v) => v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1, 2).join('') ?? ''}`));
}

/** Mean luminance (0–255) of the canvas's pixels that were drawn (alpha > 0), and of its opaque background corner. */
function canvasLight(page: Page, testid: string): Promise<{ drawn: number; corner: number; light: number }> {
  return page.getByTestId(testid).evaluate((el) => {
    const c = (el.tagName === 'CANVAS' ? el : el.querySelector('canvas')) as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    let s = 0;
    let light = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3]! < 128) continue;
      const g = (d[i]! + d[i + 1]! + d[i + 2]!) / 3;
      n++;
      s += g;
      if (g > 170) light++;
    }
    return { drawn: n ? s / n : -1, corner: (d[0]! + d[1]! + d[2]!) / 3, light };
  });
}

const SIZES = [
  [1280, 800],
  [1920, 1080],
] as const;

describeWithTool('chromium', 'light and dark schemes', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const scheme of ['light', 'dark'] as const) {
    for (const [width, height] of SIZES) {
      it(`${scheme} at ${width}×${height}: training with a note, instruments, bug hunt`, async () => {
        const { page, errors } = await openApp(browser, { width, height, colorScheme: scheme });
        const tag = `theme-${scheme}-${width}x${height}`;
        await page.getByTestId('backend-select').selectOption('wasm');
        await choosePreset(page, 'standard-vae');
        await waitTrainable(page, { readyTimeout: 60_000, enabledTimeout: 20_000 });
        for (let i = 1; i <= 3; i++) {
          await page.getByTestId('train-step').click();
          await expect.poll(() => num(page, 'metric-step'), { timeout: 30_000 }).toBe(i);
        }
        // a note on the canvas (from the palette)
        await page.locator('.canvas').click({ position: { x: 30, y: 30 } });
        await page.keyboard.press('/');
        await page.getByTestId('palette-search').fill('note');
        await page.getByTestId('palette-search').press('Enter');
        await expect.poll(() => page.locator('.vae-node.cat-notes').count()).toBe(1);
        await page.keyboard.press('Escape');
        await page.keyboard.press('f');
        await page.waitForTimeout(400);
        await screenshot(page, `${tag}-training`);
        const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        const rootBg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
        const nodeBg = await page.locator('.vae-node').first().evaluate((el) => getComputedStyle(el).backgroundColor);
        const noteBg = await page.locator('.vae-node.cat-notes').evaluate((el) => getComputedStyle(el).backgroundColor);
        const chart = await canvasLight(page, 'chart-loss');
        const report: Record<string, string[]> = { training: await contrastViolations(page) };
        await page.getByTestId('dock-tab-instruments').click();
        await expect.poll(() => page.getByTestId('latent-scatter').count(), { timeout: 60_000 }).toBe(1);
        await expect.poll(() => page.getByTestId('latent-view').getAttribute('data-drawn'), { timeout: 60_000 }).toBe('yes');
        await page.getByTestId('kl-refresh').click();
        await expect.poll(() => page.getByTestId('kl-bars').count(), { timeout: 30_000 }).toBe(1);
        await page.waitForTimeout(300);
        await screenshot(page, `${tag}-instruments`);
        const scatter = await canvasLight(page, 'latent-scatter');
        report.instruments = await contrastViolations(page);
        await choosePreset(page, 'bug-hunt');
        await expect.poll(() => page.getByTestId('bughunt-panel').isVisible(), { timeout: 15_000 }).toBe(true);
        await page.waitForTimeout(300);
        await screenshot(page, `${tag}-bughunt`);
        report.bughunt = await contrastViolations(page);
        console.log(`[theme] ${tag}: body ${rootBg}/${bg}, node ${nodeBg}, note ${noteBg}, chart drawn mean ${chart.drawn.toFixed(0)} (${chart.light} light px), scatter corner ${scatter.corner.toFixed(0)}; contrast: ${JSON.stringify(report)}`);
        if (scheme === 'dark') {
          expect(luminance(rootBg)).toBeLessThan(0.05);
          expect(luminance(nodeBg)).toBeLessThan(0.05);
          expect(luminance(noteBg)).toBeLessThan(0.1);
          expect(scatter.corner).toBeLessThan(60); // the scatter's background
          expect(chart.light).toBeGreaterThan(50); // light axis labels and the loss line on the dark dock
        } else {
          expect(luminance(nodeBg)).toBeGreaterThan(0.9);
          expect(noteBg).toBe('rgb(255, 251, 230)');
          expect(scatter.corner).toBeGreaterThan(200);
        }
        expect(report).toEqual({ training: [], instruments: [], bughunt: [] });
        expect(errors).toEqual([]);
        await page.context().close();
      });
    }
  }
});
