/**
 * Accessibility (issue 18): axe-core finds nothing serious or critical on the editor, the
 * inspector, the palette, the outline, the training dock, the instruments and the bug hunt;
 * every preset, fitted at 1280×800, shows its node titles at least 10 px high.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { launchBrowser, openApp, screenshot } from './harness';
import { describeWithTool } from '../fixtures/tools';

/** axe's serious and critical violations on the page as it is now: "rule (impact): target  why" lines. */
async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} ${n.failureSummary?.split('\n').slice(1, 2).join('') ?? ''}`.trim()));
}

/**
 * How high the node titles of the graph, as the canvas shows it now, render on screen (px):
 * each title's font size times the canvas's scale (its box on screen over its layout height).
 */
async function titleHeights(page: Page): Promise<number[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('.vae-node-title')].map((el) => {
      const scale = el.getBoundingClientRect().height / el.offsetHeight;
      return parseFloat(getComputedStyle(el).fontSize) * scale;
    }),
  );
}

/** Wait until the canvas has fitted the graph (the transform stops changing). */
async function settled(page: Page): Promise<void> {
  let last = '';
  await expect
    .poll(async () => {
      const t = await page.evaluate(() => (document.querySelector('.rete-area > div') as HTMLElement | null)?.style.transform ?? '');
      const same = t === last;
      last = t;
      return same && t !== '';
    }, { interval: 250 })
    .toBe(true);
}

describeWithTool('chromium', 'accessibility', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('the axe check finds a planted violation (an unlabelled input, low-contrast text)', async () => {
    const { page } = await openApp(browser, { width: 1280, height: 800 });
    await expect.poll(() => page.locator('.vae-node').count()).toBeGreaterThan(0);
    expect(await seriousViolations(page)).toEqual([]);
    await page.evaluate(() => {
      const box = document.createElement('div');
      box.innerHTML = '<input type="text" id="planted-input"><p id="planted-text" style="color:#bbb;background:#fff">faint</p>';
      document.querySelector('.app-side')!.appendChild(box);
    });
    const found = await seriousViolations(page);
    expect(found.some((v) => v.startsWith('label (critical): #planted-input'))).toBe(true);
    expect(found.some((v) => v.startsWith('color-contrast (serious): #planted-text'))).toBe(true);
    await page.context().close();
  });

  it('axe: no serious or critical violation on the editor, the inspector, the palette, the outline, the training dock, the instruments and the bug hunt', async () => {
    const { page } = await openApp(browser, { width: 1280, height: 800 });
    await page.getByTestId('preset-menu').selectOption('standard-vae');
    await expect.poll(() => page.locator('.vae-node').count()).toBeGreaterThan(5);
    await page.getByTestId('dock-tab-training').click();
    const report: Record<string, string[]> = {};
    report.editor = await seriousViolations(page);
    await page.getByTestId('node-enc').click({ position: { x: 40, y: 12 } });
    await expect.poll(() => page.getByTestId('param-latentDim').count()).toBe(1);
    report.inspector = await seriousViolations(page);
    await page.keyboard.press('Escape');
    await page.keyboard.press('/');
    await expect.poll(() => page.getByTestId('palette').isVisible()).toBe(true);
    report.palette = await seriousViolations(page);
    await page.keyboard.press('Escape');
    await page.getByTestId('dock-tab-outline').click();
    await page.getByTestId('outline-connect-enc').click();
    await page.getByTestId('outline-pick-out-mu').click();
    await expect.poll(() => page.getByTestId('outline-pick-in-kl.mu').count()).toBe(0); // taken: kl.mu has its wire
    report.outline = await seriousViolations(page);
    await screenshot(page, 'a11y-outline-1280');
    await page.getByTestId('dock-tab-instruments').click();
    await expect.poll(() => page.getByTestId('latent-view').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    report.instruments = await seriousViolations(page);
    await page.getByTestId('preset-menu').selectOption('bug-hunt');
    await expect.poll(() => page.getByTestId('bughunt-panel').isVisible(), { timeout: 15_000 }).toBe(true);
    report.bughunt = await seriousViolations(page);
    await screenshot(page, 'a11y-bughunt-1280');
    console.log('[a11y] axe serious/critical:', JSON.stringify(report, null, 1));
    expect(report).toEqual({ editor: [], inspector: [], palette: [], outline: [], instruments: [], bughunt: [] });
    await page.context().close();
  });

  it('every preset, fitted at 1280×800, shows its node titles at least 10 px high', async () => {
    const { page } = await openApp(browser, { width: 1280, height: 800 });
    const presets = await page.getByTestId('preset-menu').locator('option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value).filter(Boolean));
    expect(presets.length).toBeGreaterThanOrEqual(9);
    const smallest: Record<string, number> = {};
    for (const p of presets) {
      await page.getByTestId('preset-menu').selectOption(p);
      await expect.poll(() => page.locator('.vae-node-title').count()).toBeGreaterThan(5);
      await settled(page);
      const hs = await titleHeights(page);
      expect(hs.length).toBe(await page.locator('.vae-node').count());
      smallest[p] = Math.round(Math.min(...hs) * 100) / 100;
      await screenshot(page, `a11y-fit-1280-${p}`);
    }
    console.log('[a11y] smallest node title at 1280×800, fitted (px):', JSON.stringify(smallest));
    for (const [p, h] of Object.entries(smallest)) expect(h, p).toBeGreaterThanOrEqual(10);
    await page.context().close();
  });

  it('screenshots at 1920×1080 (standard VAE, bug hunt)', async () => {
    const { page } = await openApp(browser, { width: 1920, height: 1080 });
    for (const p of ['standard-vae', 'bug-hunt']) {
      await page.getByTestId('preset-menu').selectOption(p);
      await expect.poll(() => page.locator('.vae-node-title').count()).toBeGreaterThan(5);
      await settled(page);
      const hs = await titleHeights(page);
      console.log(`[a11y] 1920×1080 ${p}: smallest title ${Math.min(...hs).toFixed(2)} px`);
      expect(Math.min(...hs)).toBeGreaterThanOrEqual(10);
      await screenshot(page, `a11y-fit-1920-${p}`);
    }
    await page.context().close();
  });
});
