/**
 * The bug hunt in the browser (issue 8): the built app in Chromium. Open the bug-hunt preset
 * from the preset menu, see its lint hints hidden (and ask for one), answer the lecture's
 * questions (some right, some wrong) and check, point at bugs on the canvas, apply every
 * fix (one undo step each), then train the fixed graph on wasm and compare its loss with
 * the standard preset's after the same number of steps, in the same test.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { answerConfirm, choosePreset, launchBrowser, openApp, screenshot, waitTrainable } from './harness';
import { describeWithTool } from '../fixtures/tools';

const STEPS = 40;
/** The last steps whose batch losses are averaged for the comparison (a batch loss is noisy). */
const TAIL = 8;

const text = async (page: Page, id: string) => ((await page.getByTestId(id).textContent()) ?? '').trim();
const num = async (page: Page, id: string) => Number(await text(page, id));
const verdict = (page: Page, q: string) => page.getByTestId(`bughunt-feedback-${q}`).getAttribute('data-verdict');
const feedback = async (page: Page, q: string) => ((await page.getByTestId(`bughunt-feedback-${q}`).textContent()) ?? '').replace(/\s+/g, ' ');


/** Reset, then Step `steps` times; the batch loss after each step. */
async function trainSteps(page: Page, steps: number): Promise<number[]> {
  await page.getByTestId('train-reset').click();
  await expect.poll(() => num(page, 'metric-step')).toBe(0);
  await waitTrainable(page, { backend: 'wasm', readyTimeout: 60_000, enabledTimeout: 20_000 });
  const losses: number[] = [];
  for (let i = 1; i <= steps; i++) {
    await page.getByTestId('train-step').click();
    await expect.poll(() => num(page, 'metric-step'), { timeout: 20_000 }).toBe(i);
    await expect.poll(() => page.getByTestId('train-step').isEnabled(), { timeout: 10_000 }).toBe(true);
    losses.push(await num(page, 'metric-loss'));
  }
  expect(await page.getByTestId('breakpoint').count()).toBe(0);
  return losses;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Lint warnings listed in the problems panel. */
const shownWarnings = (page: Page) => page.locator('[data-testid="diagnostic-item"][data-severity="warning"]');

describeWithTool('chromium', 'the bug hunt in the browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('hidden hints, the six questions checked, bugs pointed at and fixed, then it trains like the standard preset', async () => {
    const { page, errors } = await openApp(browser, { width: 1400, height: 1000 });

    // The answer key is never offered as a graph.
    const options = await page.getByTestId('preset-menu').locator('option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
    expect(options).toContain('bug-hunt');
    expect(options.filter((v) => /answers/.test(v))).toEqual([]);
    expect(await page.getByTestId('bughunt-tab').count()).toBe(0);

    await page.getByTestId('backend-select').selectOption('wasm');
    await page.getByTestId('preset-menu').selectOption('bug-hunt');
    await expect.poll(() => text(page, 'graph-name'), { timeout: 10_000 }).toBe('Bug hunt: the group exercise');

    // ---- the mode is on; the lint hints are hidden on nodes and in the problems list
    const panel = page.getByTestId('bughunt-panel');
    await expect.poll(() => panel.isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await panel.getAttribute('data-active')).toBe('yes');
    // The answer key loads on demand (its own chunk).
    await expect.poll(() => page.getByTestId('bughunt-q-q6').count(), { timeout: 15_000 }).toBe(1);
    const hidden = Number(await page.getByTestId('bughunt-hints').getAttribute('data-hidden'));
    expect(hidden).toBeGreaterThanOrEqual(3); // NO_SIGMOID_BERNOULLI, BETA_NOT_POSITIVE, REDUCTION_MISMATCH at least
    expect(await shownWarnings(page).count()).toBe(0);
    expect(await page.getByTestId('node-warning-badge').count()).toBe(0);
    expect(await page.getByTestId('node-beta').getAttribute('data-warnings')).toBe('0');
    expect(await page.getByTestId('node-fc4').getAttribute('data-warnings')).toBe('0');
    expect(await num(page, 'error-count')).toBe(0);
    expect(await num(page, 'warning-count')).toBe(0);
    await screenshot(page, 'bughunt-1-open');

    // The untouched graph stops at the first step: the missing sigmoid makes the Bernoulli loss NaN.
    await waitTrainable(page, { backend: 'wasm', readyTimeout: 60_000, enabledTimeout: 20_000 });
    await page.getByTestId('train-step').click();
    await expect.poll(() => page.getByTestId('breakpoint').count(), { timeout: 30_000 }).toBe(1);
    expect(await page.getByTestId('breakpoint').getAttribute('data-node')).toBe('recon');
    expect(await num(page, 'metric-step')).toBe(0);

    // "Show a hint" reveals exactly one, on its node too.
    await page.getByTestId('bughunt-hint-next').click();
    await expect.poll(() => shownWarnings(page).count()).toBe(1);
    const hintNode = (await shownWarnings(page).first().getAttribute('data-node'))!;
    expect(await page.getByTestId(`node-${hintNode}`).getAttribute('data-warnings')).toBe('1');
    expect(await page.getByTestId('bughunt-hints').getAttribute('data-hidden')).toBe(String(hidden - 1));
    await screenshot(page, 'bughunt-2-one-hint');

    // Leaving the mode (an undoable edit of the file's ui) shows every hint; Undo hides them again.
    await page.getByTestId('bughunt-mode-toggle').click();
    await expect.poll(() => panel.getAttribute('data-active')).toBe('no');
    await expect.poll(() => shownWarnings(page).count()).toBe(hidden);
    expect(await page.getByTestId('unsaved-marker').count()).toBe(1);
    await page.getByTestId('undo').click();
    await expect.poll(() => panel.getAttribute('data-active')).toBe('yes');
    await expect.poll(() => shownWarnings(page).count()).toBe(1);

    // ---- the questions: some right, some wrong
    // q1, pointing on the canvas: a node with a bug, a wire of another bug, and a node without one.
    await page.getByTestId('bughunt-pick-q1').click();
    await expect.poll(() => page.getByTestId('bughunt-picking').count()).toBe(1);
    await page.getByTestId('node-scale').click();
    await page.locator('[data-testid="wire"][data-from="eps.eps"][data-to="mul.a"] .vae-wire-hit').click();
    await page.getByTestId('node-fc1').click();
    await expect.poll(() => page.getByTestId('node-scale').getAttribute('data-bug-picked')).toBe('yes');
    expect(await page.getByTestId('node-fc1').getAttribute('data-bug-picked')).toBe('yes');
    expect(await page.locator('[data-testid="wire"][data-from="eps.eps"][data-to="mul.a"]').getAttribute('data-bug-picked')).toBe('yes');
    expect(await page.getByTestId('node-fc2').getAttribute('data-bug-picked')).toBeNull();
    expect(await page.getByTestId('bughunt-chip-q1').evaluateAll((els) => els.map((e) => e.getAttribute('data-pick')))).toEqual(['scale', 'eps.eps->mul.a', 'fc1']);
    await screenshot(page, 'bughunt-3-picking');
    await page.getByTestId('bughunt-pick-done').click();

    // q2 from the list: seven of the eight nodes (recon left out).
    const q2 = page.getByTestId('bughunt-q-q2');
    await q2.locator('summary').click();
    for (const n of ['eps', 'scale', 'exp', 'mul', 'add', 'fc3', 'fc4']) await page.getByTestId(`bughunt-option-q2-${n}`).check();
    await page.getByTestId('bughunt-answer-q2b').fill('1'); // right: one sample
    // q3 on the canvas: right.
    await page.getByTestId('bughunt-pick-q3').click();
    for (const n of ['kl', 'fc2', 'split']) await page.getByTestId(`node-${n}`).click();
    await page.getByTestId('bughunt-pick-q3').click();
    await page.getByTestId('bughunt-answer-q4').fill('20'); // wrong: the standard VAE's d, not this graph's
    await page.getByTestId('bughunt-answer-q5').fill('2'); // right
    await page.getByTestId('bughunt-choice-q6-1').check(); // wrong: N(μ, σ⁴) is what the buggy graph does
    await page.getByTestId('bughunt-check').click();

    await expect.poll(() => verdict(page, 'q1')).toBe('partly');
    expect(await feedback(page, 'q1')).toMatch(/2 of 6 bugs found\. This pick holds no bug: fc1\./);
    expect(await verdict(page, 'q2')).toBe('partly');
    expect(await feedback(page, 'q2')).toMatch(/7 of 8 nodes right; 1 node missing/);
    expect(await verdict(page, 'q2b')).toBe('right');
    expect(await verdict(page, 'q3')).toBe('right');
    expect(await verdict(page, 'q4')).toBe('wrong');
    expect(await feedback(page, 'q4')).toMatch(/Not 20/);
    expect(await verdict(page, 'q5')).toBe('right');
    expect(await verdict(page, 'q6')).toBe('wrong');
    // The lecture's formula comes with the feedback, rendered by KaTeX.
    expect(await page.getByTestId('bughunt-feedback-q3').locator('.katex').count()).toBe(1);
    expect(await page.getByTestId('bughunt-feedback-q3').getByTestId('bughunt-formula').getAttribute('data-tex')).toMatch(/D_\{\\mathrm\{KL\}\}/);
    expect(await page.getByTestId('bughunt-feedback-q2b').locator('.katex').count()).toBe(1);
    expect(await num(page, 'bughunt-found-count')).toBe(2);
    expect(await page.getByTestId('bughunt-bug-sigma-squared').count()).toBe(1);
    expect(await page.getByTestId('bughunt-bug-shared-eps').count()).toBe(1);
    expect(await page.getByTestId('bughunt-bug-beta-negative').count()).toBe(0);
    expect(await page.getByTestId('bughunt-bug-sigma-squared').textContent()).toMatch(/Symptom:.*probe/);
    await screenshot(page, 'bughunt-4-checked');

    // Corrected answers turn right.
    await page.getByTestId('bughunt-answer-q4').fill('16');
    await page.getByTestId('bughunt-choice-q6-0').check();
    // ---- point at every bug: unpoint fc1, point at the four others on the canvas
    await page.getByTestId('bughunt-chip-q1').filter({ hasText: 'fc1' }).getByRole('button').click();
    await page.getByTestId('bughunt-pick-q1').click();
    for (const n of ['fc2', 'kl', 'fc4', 'beta']) await page.getByTestId(`node-${n}`).click();
    await page.getByTestId('bughunt-pick-done').click();
    await page.getByTestId('bughunt-check').click();
    await expect.poll(() => verdict(page, 'q1')).toBe('right');
    expect(await feedback(page, 'q1')).toMatch(/6 of 6 bugs found\./);
    expect(await verdict(page, 'q4')).toBe('right');
    expect(await verdict(page, 'q6')).toBe('right');
    expect(await num(page, 'bughunt-found-count')).toBe(6);
    const bugIds = await page.locator('[data-testid^="bughunt-bug-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!.replace('bughunt-bug-', '')));
    expect(bugIds.sort()).toEqual(['beta-negative', 'kl-mean', 'no-sigmoid', 'relu-heads', 'shared-eps', 'sigma-squared']);
    await screenshot(page, 'bughunt-5-all-found');

    // ---- apply every fix, one undoable step each; undo one and redo it
    await page.getByTestId('bughunt-hint-all').click();
    await expect.poll(() => shownWarnings(page).count()).toBe(hidden);
    for (const id of bugIds) {
      await page.getByTestId(`bughunt-fix-${id}`).click();
      await expect.poll(() => page.getByTestId(`bughunt-bug-${id}`).getAttribute('data-fixed')).toBe('yes');
    }
    const codes = () => page.getByTestId('diagnostic-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-code')));
    await expect.poll(async () => (await codes()).filter((c) => ['NO_SIGMOID_BERNOULLI', 'BETA_NOT_POSITIVE', 'REDUCTION_MISMATCH'].includes(c!))).toEqual([]);
    const last = bugIds.at(-1)!;
    await page.getByTestId('undo').click();
    await expect.poll(() => page.getByTestId(`bughunt-bug-${last}`).getAttribute('data-fixed')).toBe('no');
    expect(await page.getByTestId(`bughunt-fix-${last}`).count()).toBe(1);
    for (const id of bugIds.slice(0, -1)) expect(await page.getByTestId(`bughunt-bug-${id}`).getAttribute('data-fixed')).toBe('yes');
    await page.getByTestId('redo').click();
    await expect.poll(() => page.getByTestId(`bughunt-bug-${last}`).getAttribute('data-fixed')).toBe('yes');

    // ---- reveal the answers: only after the app's confirm-dialog. By keyboard: it opens on
    // Cancel, Escape keeps the key hidden and the focus goes back to Reveal; then OK shows it.
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);
    await page.getByTestId('bughunt-reveal').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('confirm-dialog').isVisible()).toBe(true);
    expect(await text(page, 'confirm-dialog')).toMatch(/Show the answer key\?.*Every bug and every answer/);
    await expect.poll(focused).toBe('confirm-cancel');
    await page.setViewportSize({ width: 1280, height: 800 });
    await screenshot(page, 'bughunt-reveal-confirm-1280x800');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('confirm-dialog').count()).toBe(0);
    await expect.poll(focused).toBe('bughunt-reveal');
    expect(await page.getByTestId('bughunt-key-q4').count()).toBe(0);
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.getByTestId('bughunt-reveal').click();
    await answerConfirm(page, 'ok', /answer key/);
    await expect.poll(() => text(page, 'bughunt-key-q4')).toBe('Answer: 16');
    await expect.poll(focused).toBe('bughunt-revealed');
    expect(await text(page, 'bughunt-key-q2b')).toBe('Answer: 1');
    await screenshot(page, 'bughunt-6-fixed-revealed');

    // ---- train the fixed graph, then the standard preset, the same number of steps on wasm
    const fixed = await trainSteps(page, STEPS);
    await screenshot(page, 'bughunt-7-fixed-trained');
    await choosePreset(page, 'standard-vae');
    await expect.poll(() => text(page, 'graph-name')).toBe('Standard VAE (MNIST)');
    expect(await page.getByTestId('bughunt-tab').count()).toBe(0);
    const standard = await trainSteps(page, STEPS);

    const fixedTail = mean(fixed.slice(-TAIL));
    const standardTail = mean(standard.slice(-TAIL));
    console.log(`[bughunt e2e] fixed bug hunt: step 1 ${fixed[0]!.toFixed(1)}, steps ${STEPS - TAIL + 1}-${STEPS} mean ${fixedTail.toFixed(1)}; standard: step 1 ${standard[0]!.toFixed(1)}, mean ${standardTail.toFixed(1)}`);
    for (const xs of [fixed, standard]) expect(xs.every(Number.isFinite)).toBe(true);
    // Both learn: the tail is far below the first step's loss (~540 before training).
    expect(fixedTail).toBeLessThan(0.6 * fixed[0]!);
    expect(standardTail).toBeLessThan(0.6 * standard[0]!);
    // ... and alike: within 5% of each other after the same steps (measured: 216.2 against 215.1, seed 1).
    expect(Math.abs(fixedTail - standardTail) / standardTail).toBeLessThan(0.05);

    expect(errors).toEqual([]);
    await page.context().close();
  });
});
