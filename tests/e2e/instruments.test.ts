/**
 * The instruments in the browser (issue 9): the built app in Chromium, the trainer on wasm.
 * - Bug hunt: Compare with the answer key's fixed graph names a planted bug's node (or its
 *   direct consumer), highlights it on the canvas and selects it on click.
 * - Posterior collapse (β = 50): after training, the alarm shows and every KL bar is ~0.
 * - 2-D latent space: after a few hundred steps the decoded manifold is a picture (pixel
 *   variance), the code scatter has every held-out digit, hovering decodes, a picked and a
 *   drawn digit show q(z|x); the IWAE readout sits just below the −ELBO with the gap shown.
 * Screenshots of each view go to test-results/screenshots/instruments-*.png.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { join } from 'node:path';
import { choosePreset, launchBrowser, openApp, screenshot, SCREENSHOT_DIR, waitTrainable } from './harness';
import { describeWithTool } from '../fixtures/tools';

const text = async (page: Page, id: string) => ((await page.getByTestId(id).first().textContent()) ?? '').trim();
const num = async (page: Page, id: string) => Number(await text(page, id));

async function openPreset(browser: Browser, preset: string): Promise<{ page: Page; errors: string[] }> {
  const { page, errors } = await openApp(browser, { width: 1400, height: 1000 });
  await page.getByTestId('backend-select').selectOption('wasm');
  await choosePreset(page, preset);
  await waitTrainable(page, { backend: 'wasm', readyTimeout: 60_000, enabledTimeout: 20_000 });
  return { page, errors };
}

/** Run until at least `steps` steps, then pause. Returns the step it stopped at. */
async function trainTo(page: Page, steps: number, controls: 'train' | 'instruments' = 'train'): Promise<number> {
  await page.getByTestId(`${controls}-run`).click();
  await expect.poll(() => num(page, 'metric-step'), { timeout: 150_000, interval: 250 }).toBeGreaterThanOrEqual(steps);
  await page.getByTestId(`${controls}-pause`).click();
  await expect.poll(() => page.getByTestId(`${controls}-pause`).isEnabled(), { timeout: 20_000 }).toBe(false);
  return num(page, 'metric-step');
}

async function openInstruments(page: Page): Promise<void> {
  await page.getByTestId('dock-tab-instruments').click();
  await expect.poll(() => page.getByTestId('instruments-panel').isVisible()).toBe(true);
}

/** Mean and variance of a canvas's grey level (over its RGB channels). */
function canvasStats(page: Page, testid: string): Promise<{ mean: number; variance: number; width: number; height: number }> {
  return page.getByTestId(testid).evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let s = 0;
    let s2 = 0;
    const n = d.length / 4;
    for (let i = 0; i < d.length; i += 4) {
      const g = (d[i]! + d[i + 1]! + d[i + 2]!) / 3;
      s += g;
      s2 += g * g;
    }
    const mean = s / n;
    return { mean, variance: s2 / n - mean * mean, width: c.width, height: c.height };
  });
}

describeWithTool('chromium', 'the instruments in the browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('bug hunt: Compare with the fixed graph points at a planted bug, highlights it and selects it on click', async () => {
    const answers = JSON.parse(readFileSync(new URL('../../presets/bug-hunt.answers.json', import.meta.url), 'utf8')) as { bugs: Array<{ nodes: string[] }> };
    const graph = JSON.parse(readFileSync(new URL('../../presets/bug-hunt.json', import.meta.url), 'utf8')) as { edges: Array<{ from: string; to: string }> };
    const bugNodes = new Set(answers.bugs.flatMap((b) => b.nodes));
    const consumers = new Set(graph.edges.filter((e) => bugNodes.has(e.from.split('.')[0]!)).map((e) => e.to.split('.')[0]!));
    const allowed = new Set([...bugNodes, ...consumers]);

    const { page, errors } = await openPreset(browser, 'bug-hunt');
    await openInstruments(page);
    // On a bug hunt the reference defaults to the answer key's fixed graph.
    await expect.poll(() => page.getByTestId('compare-reference').inputValue()).toBe('answers');
    expect(await page.getByTestId('compare-steps').inputValue()).toBe('5');
    await page.getByTestId('compare-run').click();
    const result = page.getByTestId('compare-result');
    await expect.poll(() => result.getAttribute('data-event'), { timeout: 60_000 }).toBe('diverged');
    const node = (await result.getAttribute('data-node'))!;
    expect(allowed, `compare named ${node}: ${await result.textContent()}`).toContain(node);
    // Both values side by side and the size of the difference.
    expect(Number.isFinite(Number(await text(page, 'compare-a-mean')))).toBe(true);
    expect(Number.isFinite(Number(await text(page, 'compare-b-mean')))).toBe(true);
    expect(Number(await text(page, 'compare-diff'))).toBeGreaterThan(1e-4);
    // Highlighted on the canvas with the reason.
    const el = page.getByTestId(`node-${node}`);
    await expect.poll(() => el.getAttribute('class')).toMatch(/breakpoint/);
    expect(await el.getByTestId('node-breakpoint').textContent()).toMatch(/diverges from reference/);
    // The training session was not touched.
    expect(await num(page, 'metric-step')).toBe(0);
    // Clicking the result selects (and centres) the node.
    await page.getByTestId('compare-node').click();
    await expect.poll(() => el.getAttribute('class')).toMatch(/\bselected\b/);
    await screenshot(page, 'instruments-bughunt-compare');
    console.log(`bug hunt compare: ${node}.${await result.getAttribute('data-port')} at step ${await result.getAttribute('data-step')}`);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('posterior collapse: after training the alarm shows and every per-dimension KL bar is ~0', async () => {
    const { page, errors } = await openPreset(browser, 'posterior-collapse');
    expect(await page.getByTestId('collapse-alarm').count()).toBe(0);
    // The alarm waits for an established collapse (watchCollapse): from step 200 on, 3 consecutive
    // held-out evaluations (every 50 steps), so not at 150 yet.
    await trainTo(page, 150);
    expect(await page.getByTestId('collapse-alarm').count()).toBe(0);
    const steps = await trainTo(page, 300);
    // The alarm comes with the held-out statistics (every evaluation and at the pause), whichever dock tab is open.
    const alarm = page.getByTestId('collapse-alarm');
    await expect.poll(() => alarm.count(), { timeout: 30_000 }).toBe(1);
    expect(await alarm.textContent()).toMatch(/Posterior collapse/);
    expect(Number(await alarm.getAttribute('data-active'))).toBe(0);
    await openInstruments(page);
    await expect.poll(() => page.getByTestId('kl-bars').getAttribute('data-step'), { timeout: 30_000 }).toBe(String(steps));
    const kls = await page.getByTestId('kl-bar').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-kl'))));
    expect(kls).toHaveLength(20);
    for (const k of kls) expect(k).toBeLessThan(0.05);
    expect(await num(page, 'active-units')).toBe(0);
    // d = 20: the traversal (every row the same mean digit) and the PCA scatter.
    await expect.poll(() => page.getByTestId('latent-view').getAttribute('data-drawn'), { timeout: 30_000 }).toBe('yes');
    expect(await page.getByTestId('latent-view').getAttribute('data-mode')).toBe('traversal');
    await screenshot(page, 'instruments-collapse');
    await page.getByTestId('instruments-panel').screenshot({ path: join(SCREENSHOT_DIR, 'instruments-collapse-panel.png') });
    console.log(`collapse after ${steps} steps: KL per dim max ${Math.max(...kls).toExponential(2)}, alarm: ${(await alarm.textContent())?.trim()}`);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('2-D latent space: manifold, scatter, hover, picked and drawn digits, IWAE beside the −ELBO', async () => {
    const { page, errors } = await openPreset(browser, 'latent-2d');
    await openInstruments(page);
    // The instruments tab has its own Step/Run/Pause (the training panel is hidden behind it).
    const steps = await trainTo(page, 300, 'instruments');
    const view = page.getByTestId('latent-view');
    await expect.poll(() => view.getAttribute('data-step'), { timeout: 30_000 }).toBe(String(steps));
    expect(await view.getAttribute('data-mode')).toBe('manifold');
    const m = await canvasStats(page, 'latent-view');
    expect(m.width).toBeGreaterThanOrEqual(220);
    // A picture, not a blank or flat canvas: digits (dark background, bright strokes) vary a lot.
    expect(m.variance).toBeGreaterThan(1500);
    expect(await page.getByTestId('latent-scatter').getAttribute('data-points')).toBe('1000');
    expect((await canvasStats(page, 'latent-scatter')).variance).toBeGreaterThan(100);
    // KL bars: both dimensions carry information.
    await expect.poll(() => page.getByTestId('kl-bars').getAttribute('data-step'), { timeout: 30_000 }).toBe(String(steps));
    expect(await num(page, 'active-units')).toBe(2);
    expect(await page.getByTestId('collapse-alarm').count()).toBe(0);

    // Hover decodes the point under the mouse.
    const box = (await view.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.4);
    await page.mouse.move(box.x + box.width * 0.32, box.y + box.height * 0.42);
    await expect.poll(() => page.getByTestId('latent-hover').isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.getByTestId('latent-hover').textContent()).toMatch(/z = \(-?\d/);
    await screenshot(page, 'instruments-latent2d-hover');
    await page.mouse.move(box.x - 40, box.y - 40);

    // Pick a held-out digit: its q(z|x), samples and decodings.
    const picker = page.getByTestId('heldout-picker');
    await picker.click({ position: { x: 3 * 16 + 8, y: 8 } });
    await expect.poll(() => text(page, 'probe-label'), { timeout: 15_000 }).toMatch(/^held-out #3 \(a \d\): μ = \(/);
    // Draw a digit (a one: a vertical stroke) and see its code.
    const pad = (await page.getByTestId('draw-pad').boundingBox())!;
    await page.mouse.move(pad.x + pad.width * 0.5, pad.y + pad.height * 0.15);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(pad.x + pad.width * (0.5 - i * 0.005), pad.y + pad.height * (0.15 + i * 0.07));
    await page.mouse.up();
    await expect.poll(() => text(page, 'probe-label'), { timeout: 15_000 }).toMatch(/^your drawing: μ = \(/);
    expect((await canvasStats(page, 'probe-samples')).variance).toBeGreaterThan(100);

    // IWAE (K = 50) beside the −ELBO, on demand.
    await page.getByTestId('iwae-compute').click();
    await expect.poll(() => page.getByTestId('iwae-panel').getAttribute('data-busy'), { timeout: 5_000 }).toBe('yes');
    await expect.poll(() => page.getByTestId('iwae-panel').getAttribute('data-busy'), { timeout: 120_000 }).toBe('no');
    const nll = await num(page, 'iwae-nll');
    const elbo = await num(page, 'iwae-elbo');
    const gap = Number((await text(page, 'iwae-gap')).replace(/ nats$/, ''));
    expect(Number.isFinite(nll)).toBe(true);
    expect(nll).toBeGreaterThan(50);
    // A lower bound on −log p(x) that is at least as tight as the ELBO (up to the ELBO's one-sample noise) and not far off.
    expect(nll).toBeLessThan(elbo + 1.5);
    expect(elbo - nll).toBeLessThan(25);
    expect(gap).toBeCloseTo(elbo - nll, 1);
    await screenshot(page, 'instruments-latent2d');
    await page.getByTestId('latent-panel').screenshot({ path: join(SCREENSHOT_DIR, 'instruments-latent2d-views.png') });
    console.log(`latent-2d after ${steps} steps: manifold grey variance ${m.variance.toFixed(0)}, −ELBO ${elbo}, IWAE −log p(x) ${nll}, gap ${gap}`);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
