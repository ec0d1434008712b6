/**
 * Without a mouse (issue 18): from an empty canvas (New), a keyboard-only user builds the
 * standard VAE with keyboard.press/type alone — the palette to add nodes, the outline
 * (`outline`) to move between nodes, connect through its port picker, edit params (in the
 * inspector), delete and undo — saves it (Ctrl+S: the file equals the preset's nodes,
 * params and wires), sees it compile, and trains one step. Every element the Tab key
 * reaches on the way shows a focus ring.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openApp, screenshot, waitTrainable } from './harness';
import { describeWithTool } from '../fixtures/tools';

interface GraphFile {
  nodes: Array<{ id: string; type: string; params?: Record<string, unknown> }>;
  edges: Array<{ from: string; to: string }>;
}
const preset = JSON.parse(readFileSync(new URL('../../presets/standard-vae.json', import.meta.url), 'utf8')) as GraphFile;

const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);

/** Elements the keyboard focused without a visible ring (outline or box-shadow). */
const ringless: string[] = [];

async function checkRing(page: Page): Promise<void> {
  const r = await page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return null;
    const cs = getComputedStyle(el);
    const visible = (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== 'none';
    return visible ? null : `${el.tagName.toLowerCase()}[data-testid=${el.getAttribute('data-testid')}] ${el.textContent?.trim().slice(0, 30)}`;
  });
  if (r && !ringless.includes(r)) ringless.push(r);
}

/** Press Tab until the element with this test id has the focus (as a keyboard user would). */
async function tabTo(page: Page, testId: string, max = 400): Promise<void> {
  for (let i = 0; i < max; i++) {
    if ((await focusedId(page)) === testId) return;
    await page.keyboard.press('Tab');
    await checkRing(page);
  }
  throw new Error(`Tab never reached ${testId}`);
}

const count = (page: Page, sel: string) => page.locator(sel).count();

describeWithTool('chromium', 'a keyboard-only user', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('builds the standard VAE from an empty canvas, with the palette and the outline, and trains one step', async () => {
    const { page, errors } = await openApp(browser, { width: 1280, height: 800 });
    await expect.poll(() => count(page, '.vae-node'), { timeout: 15_000 }).toBeGreaterThan(0);

    // New: an empty canvas
    await tabTo(page, 'file-new');
    await page.keyboard.press('Enter');
    await expect.poll(() => count(page, '.vae-node')).toBe(0);

    // add the eight nodes from the palette: "/" then the type and Enter
    await page.keyboard.press('/');
    await expect.poll(() => focusedId(page)).toBe('palette-search');
    for (const [i, n] of preset.nodes.entries()) {
      await page.keyboard.type(n.type);
      await page.keyboard.press('Enter');
      await expect.poll(() => count(page, '.vae-node')).toBe(i + 1);
    }
    await page.keyboard.press('Escape');
    for (const n of preset.nodes) expect(await count(page, `[data-testid="node-${n.id}"]`), n.id).toBe(1);

    // the outline: Alt+O, then ↑/↓ move between nodes (the canvas selects them)
    await page.keyboard.press('Alt+o');
    await expect.poll(() => page.getByTestId('outline').isVisible()).toBe(true);
    await expect.poll(() => focusedId(page)).toMatch(/^outline-select-/);
    await page.keyboard.press('Home');
    await expect.poll(() => focusedId(page)).toBe('outline-select-data');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => focusedId(page)).toBe('outline-select-enc');
    await expect.poll(() => page.getByTestId('node-enc').getAttribute('class')).toMatch(/\bselected\b/);

    // connect every wire through the port picker: the node's Connect…, its output, then a compatible input
    const outputsOf = (id: string) => page.getByTestId(`outline-node-${id}`).locator('[data-testid^="outline-port-"][data-testid*="-out-"]').count();
    for (const e of preset.edges) {
      const [node, port] = e.from.split('.') as [string, string];
      await tabTo(page, `outline-connect-${node}`);
      await page.keyboard.press('Enter');
      if ((await outputsOf(node)) > 1) {
        await tabTo(page, `outline-pick-out-${port}`, 10);
        await page.keyboard.press('Enter');
      }
      await expect.poll(() => focusedId(page)).toBe('outline-pick-filter');
      await page.keyboard.type(e.to);
      await page.keyboard.press('Enter');
      await expect.poll(() => count(page, `[data-testid="outline-wire-${e.from}-${e.to}"]`)).toBe(1);
      await expect.poll(() => focusedId(page)).toBe(`outline-connect-${node}`);
    }
    expect(await page.getByTestId('outline').locator('[data-testid^="outline-wire-"]').count()).toBe(preset.edges.length);
    await expect.poll(() => page.getByTestId('outline-port-enc-out-mu').textContent()).toContain('[B,20]');

    // edit a param in the inspector (Edit moves the focus there), see the shape change, come back and undo it
    await tabTo(page, 'outline-select-data', 600);
    await tabTo(page, 'outline-edit-enc');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => !!document.activeElement?.closest('[data-testid="inspector"]'))).toBe(true);
    await tabTo(page, 'param-latentDim', 30);
    await page.keyboard.press('Control+a');
    await page.keyboard.type('2');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('outline-port-enc-out-mu').textContent()).toContain('[B,2]');
    await page.keyboard.press('Alt+o');
    await expect.poll(() => focusedId(page)).toBe('outline-select-enc');
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.getByTestId('outline-port-enc-out-mu').textContent()).toContain('[B,20]');

    // delete a node (Delete on its outline entry) and undo it: the node and its three wires come back
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => focusedId(page)).toBe('outline-select-kl');
    await page.keyboard.press('Delete');
    await expect.poll(() => count(page, '[data-testid="node-kl"]')).toBe(0);
    expect(await page.getByTestId('outline').locator('[data-testid^="outline-wire-"]').count()).toBe(preset.edges.length - 3);
    await page.keyboard.press('Control+z');
    await expect.poll(() => count(page, '[data-testid="node-kl"]')).toBe(1);
    expect(await page.getByTestId('outline').locator('[data-testid^="outline-wire-"]').count()).toBe(preset.edges.length);

    // it compiles: no errors; and the saved file (Ctrl+S) is the standard VAE
    await expect.poll(() => page.getByTestId('error-count').textContent()).toBe('0');
    await expect.poll(() => page.getByTestId('compile-status').textContent()).toMatch(/compiles/);
    const download = page.waitForEvent('download');
    await page.keyboard.press('Control+s');
    const saved = JSON.parse(readFileSync((await (await download).path())!, 'utf8')) as GraphFile;
    const nodesOf = (g: GraphFile) => g.nodes.map((n) => ({ id: n.id, type: n.type, params: n.params ?? {} })).sort((a, b) => a.id.localeCompare(b.id));
    const edgesOf = (g: GraphFile) => g.edges.map((e) => `${e.from}->${e.to}`).sort();
    expect(nodesOf(saved)).toEqual(nodesOf(preset));
    expect(edgesOf(saved)).toEqual(edgesOf(preset));

    // train one step: the Training tab, then Step
    await tabTo(page, 'dock-tab-training');
    await page.keyboard.press('Enter');
    await waitTrainable(page, { readyTimeout: 60_000, enabledTimeout: 20_000 });
    await tabTo(page, 'train-step');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('metric-step').textContent(), { timeout: 30_000 }).toBe('1');
    expect(Number.isFinite(Number(await page.getByTestId('metric-loss').textContent()))).toBe(true);
    await screenshot(page, 'keyboard-built-standard-vae');

    expect(ringless, 'focused without a visible ring').toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
