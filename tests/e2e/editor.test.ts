/**
 * The editor in Chromium: build the lecture's VAE from nothing through the UI alone, save,
 * open, undo/redo, autosave, refused wires, diagnostics, canvas gestures. Screenshots of
 * every state at 1280x800 and 1920x1080 go to test-results/screenshots/editor-*.png.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Download, Page } from 'playwright-core';
import { answerConfirm, choosePreset, discardingChanges, launchBrowser, openApp, screenshot } from './harness';
import { describeWithTool } from '../fixtures/tools';
import { parseGraph } from '../../src/graph/schema';
import { registry } from '../../nodes';

const standard = JSON.parse(readFileSync(new URL('../../presets/standard-vae.json', import.meta.url), 'utf8')) as GraphJson;

interface GraphJson {
  meta: { name: string };
  nodes: Array<{ id: string; type: string; params: Record<string, unknown>; position?: { x: number; y: number }; label?: string }>;
  edges: Array<{ from: string; to: string }>;
}

/** The graph up to node ids and positions: each node as its type and params, wires as type.port pairs. */
function structure(g: GraphJson): { nodes: string[]; edges: string[] } {
  const parsed = parseGraph(g, registry);
  if (!parsed.ok) throw new Error(`not a graph: ${JSON.stringify(parsed.diagnostics)}`);
  const byId = new Map(parsed.graph.nodes.map((n) => [n.id, n]));
  const key = (id: string) => {
    const n = byId.get(id)!;
    return `${n.type}${JSON.stringify(n.params)}`;
  };
  const ep = (e: string) => {
    const [id, port] = e.split('.') as [string, string];
    return `${key(id)}.${port}`;
  };
  return {
    nodes: parsed.graph.nodes.map((n) => key(n.id)).sort(),
    edges: parsed.graph.edges.map((e) => `${ep(e.from)} -> ${ep(e.to)}`).sort(),
  };
}

/** `vae-lab check <file> --json` on a saved graph: the CLI compiles what the editor saves. */
function cliCheck(text: string): { status: number | null; lines: Array<Record<string, unknown>> } {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const file = join(mkdtempSync(join(tmpdir(), 'vae-lab-e2e-')), 'saved.json');
  writeFileSync(file, text);
  const r = spawnSync(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), 'src/cli/main.ts', 'check', file, '--json'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: r.status, lines };
}

async function shots(page: Page, name: string): Promise<void> {
  const vp = page.viewportSize()!;
  for (const [width, height] of [
    [1280, 800],
    [1920, 1080],
  ] as const) {
    await page.setViewportSize({ width, height });
    await page.waitForTimeout(120);
    await screenshot(page, `editor-${name}-${width}x${height}`);
  }
  await page.setViewportSize(vp);
  await page.waitForTimeout(80);
}

async function center(page: Page, testId: string): Promise<{ x: number; y: number }> {
  const b = await page.getByTestId(testId).boundingBox();
  if (!b) throw new Error(`${testId} is not visible`);
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}

/** Drag from one socket to another with the mouse, as a person wires. */
async function wire(page: Page, from: string, to: string): Promise<void> {
  const [fn, fp] = from.split('.') as [string, string];
  const [tn, tp] = to.split('.') as [string, string];
  const a = await center(page, `socket-${fn}-out-${fp}`);
  const b = await center(page, `socket-${tn}-in-${tp}`);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2 + 20, { steps: 6 });
  await page.mouse.move(b.x, b.y, { steps: 6 });
  await page.mouse.up();
}

/** Drag a node by its title to a point of the canvas (top-left corner of the node, canvas coordinates). */
async function dragNode(page: Page, id: string, x: number, y: number): Promise<void> {
  const canvas = (await page.getByTestId('canvas').boundingBox())!;
  const node = (await page.getByTestId(`node-${id}`).boundingBox())!;
  const grab = { x: node.x + 40, y: node.y + 12 };
  await page.mouse.move(grab.x, grab.y);
  await page.mouse.down();
  await page.mouse.move(canvas.x + x + 40, canvas.y + y + 12, { steps: 10 });
  await page.mouse.up();
}

const wires = (page: Page) => page.getByTestId('wire');
const text = async (page: Page, id: string) => ((await page.getByTestId(id).first().textContent()) ?? '').trim();

/** expect.poll with room for a busy machine (the default gives up after 1 s). */
function poll<T>(fn: () => T | Promise<T>, message?: string) {
  return expect.poll(fn, { timeout: 15_000, interval: 50, ...(message ? { message } : {}) });
}
const nodes = (page: Page) => page.locator('[data-testid^="node-"][data-node-type]');

async function download(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const [d] = (await Promise.all([page.waitForEvent('download'), click()])) as [Download, void];
  const path = await d.path();
  return { name: d.suggestedFilename(), text: readFileSync(path!, 'utf8') };
}

async function pressUntilDisabled(page: Page, keys: string, button: string, limit = 300): Promise<number> {
  let n = 0;
  while (n < limit && (await page.getByTestId(button).isEnabled())) {
    await page.keyboard.press(keys);
    n++;
  }
  return n;
}

/** The palette's search box (on narrow screens the palette floats over the canvas: open it). */
async function paletteSearch(page: Page) {
  const search = page.getByTestId('palette-search');
  if (!(await search.isVisible())) await page.getByTestId('palette-toggle').click();
  await poll(() => search.isVisible()).toBe(true);
  return search;
}

/** Close a floating palette (Escape in its empty search box). */
async function closePalette(page: Page) {
  if ((await page.getByTestId('palette').getAttribute('data-docked')) === 'false' && (await page.getByTestId('palette-search').isVisible())) {
    await page.getByTestId('palette-search').press('Escape');
    await poll(() => page.getByTestId('palette-search').isVisible()).toBe(false);
  }
}

/** Click an empty spot of the canvas (clears the selection, takes focus off inputs). */
async function clickBackground(page: Page): Promise<void> {
  const c = (await page.getByTestId('canvas').boundingBox())!;
  await page.mouse.click(c.x + 8, c.y + c.height - 8);
}

describeWithTool('chromium', 'editor', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('builds the standard VAE from an empty canvas through the UI alone, saves it, undoes to the start and redoes', async () => {
    const { page, errors } = await openApp(browser, { width: 1920, height: 1080 });
    await poll(() => nodes(page).count()).toBe(8);
    await poll(() => wires(page).count()).toBe(11);
    await poll(() => page.getByTestId('compile-status').textContent()).toContain('compiles');
    await shots(page, 'preset-standard');

    await discardingChanges(page, () => page.getByTestId('file-new').click());
    await poll(() => nodes(page).count()).toBe(0);
    await expect(page.getByTestId('graph-name').textContent()).resolves.toBe('Untitled VAE');
    await shots(page, 'empty');

    // name the graph
    await page.getByTestId('graph-name').click();
    await page.getByTestId('graph-name-input').fill('Lecture VAE');
    await page.getByTestId('graph-name-input').press('Enter');
    await expect(page.getByTestId('graph-name').textContent()).resolves.toBe('Lecture VAE');

    // add the eight nodes by palette search + Enter, and place each by dragging it
    const plan: Array<[string, string, number, number]> = [
      ['mnist', 'data', 20, 170],
      ['enc', 'enc', 290, 170],
      ['rep', 'rep', 560, 30],
      ['kl', 'kl', 560, 330],
      ['dec', 'dec', 830, 30],
      ['beta', 'beta', 830, 330],
      ['recon', 'recon', 1100, 30],
      ['opt', 'opt', 1100, 330],
    ];
    const search = page.getByTestId('palette-search');
    for (const [query, id, x, y] of plan) {
      await search.fill(query);
      await search.press('Enter');
      await poll(() => page.getByTestId(`node-${id}`).count(), `${query} adds ${id}`).toBe(1);
      await expect(search.inputValue()).resolves.toBe('');
      await dragNode(page, id, x, y);
    }
    await poll(() => nodes(page).count()).toBe(8);
    await shots(page, 'build-nodes-placed');

    // wire it, socket to socket; the encoder's input last, so that a cycle can be tried first
    await wire(page, 'enc.mu', 'rep.mu');
    await wire(page, 'enc.logvar', 'rep.logvar');
    await wire(page, 'rep.z', 'dec.z');
    await poll(() => wires(page).count()).toBe(3);
    await expect(page.getByTestId('shape-dec-in-z').textContent()).resolves.toBe('');

    // a cycle is refused, with its reason at the cursor
    await wire(page, 'dec.xHat', 'enc.x');
    await poll(() => page.getByTestId('canvas-hint').textContent()).toMatch(/cycle/i);
    await expect(page.getByTestId('canvas-hint').getAttribute('data-kind')).resolves.toBe('error');
    await shots(page, 'build-refused-cycle');
    expect(await wires(page).count()).toBe(3);

    await wire(page, 'data.x', 'enc.x');
    await poll(() => page.getByTestId('shape-dec-in-z').textContent()).toBe('[B,20]');
    await wire(page, 'dec.xHat', 'recon.xHat');
    await wire(page, 'data.x', 'recon.x');

    // a second wire into a single input is refused
    await wire(page, 'enc.mu', 'rep.logvar');
    await poll(() => page.getByTestId('canvas-hint').textContent()).toMatch(/already has a wire/);
    await shots(page, 'build-refused-second-wire');
    expect(await wires(page).count()).toBe(6);

    await wire(page, 'enc.mu', 'kl.mu');
    await wire(page, 'enc.logvar', 'kl.logvar');
    await wire(page, 'kl.kl', 'beta.kl');
    await wire(page, 'recon.nll', 'opt.loss');
    await wire(page, 'beta.kl', 'opt.loss');
    await poll(() => wires(page).count()).toBe(11);

    // every port shows its inferred shape, and the graph compiles
    await poll(() => page.getByTestId('shape-dec-out-xHat').textContent()).toBe('[B,784]');
    expect(await page.getByTestId('shape-enc-out-logvar').textContent()).toBe('[B,20]');
    expect(await page.getByTestId('shape-recon-in-x').textContent()).toBe('[B,784]');
    expect(await page.getByTestId('shape-opt-in-loss').textContent()).toBe('[B]');
    await poll(() => page.getByTestId('compile-status').textContent()).toContain('compiles');
    expect(await page.locator('[data-testid="diagnostic-item"][data-severity="error"]').count()).toBe(0);
    await expect(page.getByTestId('unsaved-marker').isVisible()).resolves.toBe(true);
    await shots(page, 'build-wired');

    // inspector edits: validated as typed, applied as one setParam each
    await page.getByTestId('node-enc').locator('.vae-node-title').click();
    await poll(() => page.getByTestId('inspector-title').textContent()).toBe('Encoder q(z|x)');
    const latent = page.getByTestId('param-latentDim');
    await latent.fill('0');
    await poll(() => page.getByTestId('param-error-latentDim').textContent()).toMatch(/>=\s*1|too small/i);
    await latent.press('Enter');
    await shots(page, 'inspector-invalid');
    expect(await page.getByTestId('shape-enc-out-mu').textContent()).toBe('[B,20]');
    await latent.fill('2');
    await latent.press('Enter');
    await poll(() => page.getByTestId('shape-enc-out-mu').textContent()).toBe('[B,2]');
    await poll(() => page.getByTestId('shape-dec-in-z').textContent()).toBe('[B,2]');
    await latent.fill('20');
    await latent.press('Enter');
    await poll(() => page.getByTestId('shape-enc-out-mu').textContent()).toBe('[B,20]');
    const hidden = page.getByTestId('param-hidden');
    await hidden.fill('400, x');
    await poll(() => page.getByTestId('param-error-hidden').isVisible()).toBe(true);
    await hidden.fill('512, 256');
    await hidden.press('Enter');
    await poll(() => page.getByTestId('node-enc').locator('.vae-node-footer').textContent()).toContain('[512,256]');
    await hidden.fill('400');
    await hidden.press('Enter');
    await poll(() => page.getByTestId('node-enc').locator('.vae-node-footer').textContent()).toContain('[400]');

    // a lint warning on the node where it is: a decoder without sigmoid feeding a Bernoulli loss
    await page.getByTestId('node-dec').locator('.vae-node-title').click();
    await page.getByTestId('param-outputActivation').selectOption('none');
    await poll(() => page.getByTestId('node-dec').getAttribute('data-warnings')).toBe('1');
    await poll(() => page.locator('[data-testid="diagnostic-item"][data-code="NO_SIGMOID_BERNOULLI"]').getAttribute('data-node')).toBe('dec');
    await shots(page, 'lint-no-sigmoid');
    await page.getByTestId('param-outputActivation').selectOption('sigmoid');
    await poll(() => page.getByTestId('node-dec').getAttribute('data-warnings')).toBe('0');

    // save: the download is the standard preset up to ids and positions
    const saved = await download(page, () => page.getByTestId('file-save').click());
    expect(saved.name).toBe('Lecture VAE.json');
    const savedJson = JSON.parse(saved.text) as GraphJson;
    expect(savedJson.meta.name).toBe('Lecture VAE');
    expect(structure(savedJson)).toEqual(structure(standard));
    expect(saved.text.endsWith('\n')).toBe(true);
    expect(saved.text).toContain('\n  "nodes": [\n    {\n      "id": "data",');
    await poll(() => page.getByTestId('unsaved-marker').count()).toBe(0);
    const cli = cliCheck(saved.text);
    expect(cli.status).toBe(0);
    expect(cli.lines.at(-1)).toMatchObject({ event: 'ok', nodes: 8, edges: 11 });
    await shots(page, 'saved');

    // undo back to the very start (before New), then redo forward again
    await clickBackground(page);
    const undos = await pressUntilDisabled(page, 'Control+z', 'undo');
    expect(undos).toBeGreaterThan(30);
    await poll(() => nodes(page).count()).toBe(0);
    await expect(page.getByTestId('graph-name').textContent()).resolves.toBe('Untitled VAE');
    await shots(page, 'undone-to-start');
    await page.keyboard.press('Control+y');
    await poll(() => page.getByTestId('graph-name').textContent()).toBe('Lecture VAE');
    const redos = 1 + (await pressUntilDisabled(page, 'Control+Shift+z', 'redo'));
    expect(redos).toBe(undos);
    await poll(() => nodes(page).count()).toBe(8);
    await poll(() => wires(page).count()).toBe(11);
    await poll(() => page.getByTestId('compile-status').textContent()).toContain('compiles');
    const again = await download(page, () => page.getByTestId('file-save').click());
    expect(again.text).toBe(saved.text);
    await shots(page, 'redone');

    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('opens what it saves to the identical graph; a bad file leaves the graph as it was and says why', async () => {
    const { page, errors } = await openApp(browser, { width: 1280, height: 800 });
    await poll(() => nodes(page).count()).toBe(8);
    const first = await download(page, () => page.getByTestId('file-save').click());
    expect(first.name).toBe('Standard VAE (MNIST).json');
    expect(JSON.parse(first.text)).toEqual(JSON.parse(JSON.stringify(standard)));

    // edit something, then open the saved file: a confirmation, then the saved graph
    await page.getByTestId('node-beta').locator('.vae-node-title').click();
    await page.getByTestId('param-beta').fill('4');
    await page.getByTestId('param-beta').press('Enter');
    await poll(() => page.getByTestId('unsaved-marker').count()).toBe(1);
    // (the app's own confirm-dialog, never window.confirm; Cancel keeps the edit)
    await page.getByTestId('file-open').setInputFiles({ name: 'mine.json', mimeType: 'application/json', buffer: Buffer.from(first.text) });
    await poll(() => page.getByTestId('confirm-dialog').isVisible()).toBe(true);
    expect(await page.getByTestId('confirm-dialog').textContent()).toMatch(/unsaved changes.*mine\.json/);
    await page.getByTestId('confirm-cancel').click();
    await poll(() => page.getByTestId('confirm-dialog').count()).toBe(0);
    expect(await page.getByTestId('unsaved-marker').count()).toBe(1);
    // New and a preset over the edit ask the same way; Cancel keeps the edited graph, focus back on New
    await page.getByTestId('file-new').click();
    await answerConfirm(page, 'cancel', /Start a new graph\?.*unsaved changes/);
    await poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('file-new');
    await page.getByTestId('preset-menu').selectOption('bug-hunt');
    await answerConfirm(page, 'cancel', /preset “Bug hunt.*unsaved changes/);
    expect(await page.getByTestId('unsaved-marker').count()).toBe(1);
    expect(await page.getByTestId('graph-name').textContent()).toBe('Standard VAE (MNIST)');
    expect(await nodes(page).count()).toBe(8);
    expect(await page.getByTestId('param-beta').inputValue()).toBe('4');
    await page.getByTestId('file-open').setInputFiles({ name: 'mine.json', mimeType: 'application/json', buffer: Buffer.from(first.text) });
    await poll(() => page.getByTestId('confirm-dialog').isVisible()).toBe(true);
    await page.getByTestId('confirm-ok').click();
    await poll(() => page.getByTestId('unsaved-marker').count()).toBe(0);
    const second = await download(page, () => page.getByTestId('file-save').click());
    expect(second.text).toBe(first.text);

    // an edit that stays while bad files are refused
    await page.getByTestId('node-beta').locator('.vae-node-title').click();
    await page.getByTestId('param-beta').fill('2');
    await page.getByTestId('param-beta').press('Enter');
    await poll(() => page.getByTestId('node-beta').locator('.vae-node-footer').textContent()).toContain('β: 2');
    // arrow keys step a number by its control's step, each step one edit
    await page.getByTestId('param-warmupSteps').press('ArrowUp');
    await page.getByTestId('param-warmupSteps').press('ArrowUp');
    await poll(() => page.getByTestId('param-warmupSteps').inputValue()).toBe('2');
    await poll(() => page.getByTestId('node-beta').locator('.vae-node-footer').textContent()).toContain('warm-up steps: 2');
    await page.getByTestId('param-warmupSteps').press('ArrowDown');
    await page.getByTestId('param-warmupSteps').press('ArrowDown');
    await page.getByTestId('param-warmupSteps').press('ArrowDown');
    await poll(() => page.getByTestId('param-warmupSteps').inputValue()).toBe('0');
    const before = await download(page, () => page.getByTestId('file-save').click());
    await page.getByTestId('param-beta').fill('3');
    await page.getByTestId('param-beta').press('Enter');
    await poll(() => page.getByTestId('unsaved-marker').count()).toBe(1);

    const bad: Array<[string, string, string]> = [
      ['broken.json', '{ "format": "vae-lab/graph", "version": 1,\n  "nodes": [ {', 'INVALID_JSON'],
      ['answers.json', JSON.stringify({ format: 'vae-lab/answers', version: 1, graph: 'bug-hunt.json', bugs: [] }), 'WRONG_FORMAT'],
      ['future.json', JSON.stringify({ format: 'vae-lab/graph', version: 99, meta: { name: 'x' }, nodes: [], edges: [] }), 'UNSUPPORTED_VERSION'],
      ['typo.json', first.text.replace('"vae.decoder"', '"vae.decodr"'), 'UNKNOWN_NODE_TYPE'],
      ['param.json', first.text.replace('"latentDim": 20', '"latentDim": 0'), 'BAD_PARAM'],
    ];
    for (const [name, text, code] of bad) {
      await page.getByTestId('file-open').setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(text) });
      await poll(() => page.getByTestId('error-message').getAttribute('data-code'), name).toBe(code);
      expect(await page.getByTestId('error-message').getAttribute('role')).toBe('alert');
      expect(await page.getByTestId('error-message').textContent()).toContain(name);
      if (code === 'INVALID_JSON') {
        expect(await page.getByTestId('error-message').textContent()).toMatch(/line \d+, column \d+/);
        await shots(page, 'bad-file');
      }
      await page.getByTestId('error-dismiss').click();
    }
    // refused files never ask to discard anything (a native dialog would be in `errors`)
    expect(await page.getByTestId('confirm-dialog').count()).toBe(0);
    await expect(page.getByTestId('graph-name').textContent()).resolves.toBe('Standard VAE (MNIST)');
    await expect(page.getByTestId('unsaved-marker').count()).resolves.toBe(1);
    expect(await nodes(page).count()).toBe(8);
    expect(await wires(page).count()).toBe(11);
    await page.keyboard.press('Escape');
    await clickBackground(page);
    await page.keyboard.press('Control+z');
    const after = await download(page, () => page.getByTestId('file-save').click());
    expect(after.text).toBe(before.text);

    // dropping files on the canvas: a bad one is refused, a graph opens
    const drop = async (name: string, text: string, type = 'application/json') => {
      const dt = await page.evaluateHandle(
        ([n, t, ty]) => {
          const d = new DataTransfer();
          d.items.add(new File([t!], n!, { type: ty! }));
          return d;
        },
        [name, text, type],
      );
      await page.getByTestId('canvas').dispatchEvent('dragover', { dataTransfer: dt });
      await page.getByTestId('canvas').dispatchEvent('drop', { dataTransfer: dt });
    };
    await drop('notes.txt', 'hello', 'text/plain');
    await poll(() => page.getByTestId('error-message').getAttribute('data-code')).toBe('USAGE');
    await page.getByTestId('error-dismiss').click();
    const renamed = first.text.replace('"name": "Standard VAE (MNIST)"', '"name": "Dropped VAE"');
    await drop('dropped.json', renamed);
    await poll(() => page.getByTestId('graph-name').textContent()).toBe('Dropped VAE');
    expect(await page.getByTestId('error-message').count()).toBe(0);

    // the preset menu lists the presets by name, never an answer key
    const options = await page.getByTestId('preset-menu').locator('option').allTextContents();
    expect(options).toContain('Standard VAE (MNIST)');
    expect(options.some((o) => /answers/i.test(o))).toBe(false);
    await choosePreset(page, { label: 'Standard VAE (MNIST)' });
    await poll(() => page.getByTestId('graph-name').textContent()).toBe('Standard VAE (MNIST)');

    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('refuses a shape mismatch with its reason, flags problems on their node and finds them from the list', async () => {
    const { page, errors } = await openApp(browser, { width: 1280, height: 800 });
    await poll(() => nodes(page).count()).toBe(8);

    // a primitive op: data.x [B,784] into a, then μ [B,20] into b does not broadcast
    const search = await paletteSearch(page);
    await shots(page, 'palette-floating');
    await search.fill('add');
    await search.press('Enter');
    await poll(() => page.getByTestId('node-add').count()).toBe(1);
    await closePalette(page);
    await dragNode(page, 'add', 240, 330);
    await wire(page, 'data.x', 'add.a');
    await poll(() => wires(page).count()).toBe(12);
    await wire(page, 'enc.mu', 'add.b');
    await poll(() => page.getByTestId('canvas-hint').textContent()).toMatch(/Shape mismatch.*\[B,784\].*\[B,20\]/);
    await shots(page, 'refused-shape');
    expect(await wires(page).count()).toBe(12);
    // the unused op is a lint hint on the node
    await poll(() => page.getByTestId('node-add').getAttribute('data-warnings')).toBe('1');

    // pull the encoder's input wire off: MISSING_INPUT on the encoder, training blocked
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    await poll(() => page.getByTestId('node-add').count()).toBe(0);
    const x = await center(page, 'socket-enc-in-x');
    await page.mouse.move(x.x, x.y);
    await page.mouse.down();
    await page.mouse.move(x.x - 60, x.y + 120, { steps: 8 });
    await page.mouse.up();
    await poll(() => wires(page).count()).toBe(10);
    await poll(() => page.getByTestId('node-enc').getAttribute('data-errors')).toBe('1');
    expect(await page.getByTestId('node-enc').getAttribute('class')).toContain('has-error');
    expect(await page.getByTestId('compile-status').textContent()).toMatch(/1 error/);
    expect(await page.getByTestId('train-blocked').textContent()).toContain('MISSING_INPUT');
    const item = page.locator('[data-testid="diagnostic-item"][data-code="MISSING_INPUT"]');
    expect(await item.getAttribute('data-node')).toBe('enc');
    expect(await page.getByTestId('node-enc').getAttribute('title')).toContain('MISSING_INPUT');
    // pan away, then find the node from the problem list
    const c = (await page.getByTestId('canvas').boundingBox())!;
    await page.mouse.move(c.x + 30, c.y + c.height - 30);
    await page.mouse.down();
    await page.mouse.move(c.x + c.width - 30, c.y + 30, { steps: 8 });
    await page.mouse.up();
    await item.click();
    await poll(() => page.getByTestId('node-enc').getAttribute('class')).toContain('selected');
    await poll(async () => {
        const b = (await page.getByTestId('node-enc').boundingBox())!;
        return Math.hypot(b.x + b.width / 2 - (c.x + c.width / 2), b.y + b.height / 2 - (c.y + c.height / 2));
      })
      .toBeLessThan(4);
    await poll(() => page.getByTestId('inspector-title').textContent()).toBe('Encoder q(z|x)');
    await shots(page, 'missing-input');
    // the wire removal is one undo step
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+z');
    await poll(() => wires(page).count()).toBe(11);
    await poll(() => page.getByTestId('node-enc').getAttribute('data-errors')).toBe('0');

    // a semantic mismatch is allowed, with a lint warning and a dashed wire
    await page.getByTestId('zoom-fit').click();
    const klMu = await center(page, 'socket-kl-in-mu');
    await page.mouse.move(klMu.x, klMu.y);
    await page.mouse.down();
    await page.mouse.move(klMu.x + 40, klMu.y + 140, { steps: 8 });
    await page.mouse.up();
    await poll(() => wires(page).count()).toBe(10);
    await wire(page, 'enc.logvar', 'kl.mu');
    await poll(() => wires(page).count()).toBe(11);
    await poll(() => page.locator('[data-testid="diagnostic-item"][data-code="SEMANTIC_MISMATCH"]').getAttribute('data-node')).toBe('kl');
    expect(await page.locator('[data-testid="wire"][data-from="enc.logvar"][data-to="kl.mu"]').getAttribute('class')).toContain('semantic');
    await shots(page, 'semantic-mismatch');

    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a note: added from the palette, its text typed in the inspector shows on the canvas, saved and reopened byte for byte', async () => {
    const { page, errors } = await openApp(browser, { width: 1280, height: 800 });
    await poll(() => nodes(page).count()).toBe(8);
    const search = await paletteSearch(page);
    await search.fill('note');
    await search.press('Enter');
    await poll(() => nodes(page).count()).toBe(9);
    await closePalette(page);
    const note = page.getByTestId('node-note');
    await expect(note.getAttribute('data-node-type')).resolves.toBe('note.text');
    expect(await note.locator('[data-socket-side]').count()).toBe(0);
    await note.locator('.vae-node-title').click();
    const text = '# Encoder\nq(z|x) = N(μ, σ²I): **two heads**, and a long line that has to wrap inside the note on the canvas.';
    await page.getByTestId('param-text').fill(text);
    await page.getByTestId('param-text').press('Control+Enter');
    await poll(() => page.getByTestId('note-text-note').textContent()).toBe(text);
    const body = (await page.getByTestId('note-text-note').boundingBox())!;
    expect(body.width).toBeLessThan(260); // the long line wraps inside the node
    await poll(() => page.getByTestId('unsaved-marker').count()).toBe(1);
    // the compiler ignores it: no diagnostic on the note, and the graph still has no errors
    expect(await note.getAttribute('data-warnings')).toBe('0');
    expect(await note.getAttribute('data-errors')).toBe('0');
    await shots(page, 'note');

    const saved = await download(page, () => page.getByTestId('file-save').click());
    const json = JSON.parse(saved.text) as GraphJson;
    expect(json.nodes.find((n) => n.id === 'note')).toMatchObject({ type: 'note.text', params: { text } });
    const cli = cliCheck(saved.text); // the CLI compiles it too, the note ignored
    expect(cli.status).toBe(0);
    expect(cli.lines.at(-1)).toMatchObject({ event: 'ok', edges: 11 });
    await discardingChanges(page, () => page.getByTestId('file-new').click());
    await poll(() => nodes(page).count()).toBe(0);
    await page.getByTestId('file-open').setInputFiles({ name: 'noted.json', mimeType: 'application/json', buffer: Buffer.from(saved.text) });
    await poll(() => nodes(page).count()).toBe(9);
    await poll(() => page.getByTestId('note-text-note').textContent()).toBe(text);
    const again = await download(page, () => page.getByTestId('file-save').click());
    expect(again.text).toBe(saved.text);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('restores the autosaved graph after a reload', async () => {
    const { page, errors } = await openApp(browser, { width: 1280, height: 800 });
    await poll(() => nodes(page).count()).toBe(8);
    await discardingChanges(page, () => page.getByTestId('file-new').click());
    const search = await paletteSearch(page);
    for (const q of ['mnist', 'encoder']) {
      await search.fill(q);
      await search.press('Enter');
    }
    await poll(() => nodes(page).count()).toBe(2);
    await closePalette(page);
    await dragNode(page, 'enc', 320, 60);
    await wire(page, 'data.x', 'enc.x');
    await page.getByTestId('graph-name').click();
    await page.getByTestId('graph-name-input').fill('Half built');
    await page.getByTestId('graph-name-input').press('Enter');
    await poll(() => wires(page).count()).toBe(1);
    const pos = await page.getByTestId('node-enc').boundingBox();
    await page.reload();
    await poll(() => nodes(page).count()).toBe(2);
    await poll(() => wires(page).count()).toBe(1);
    expect(await page.getByTestId('graph-name').textContent()).toBe('Half built');
    expect(await page.getByTestId('unsaved-marker').count()).toBe(1);
    expect(await page.getByTestId('shape-enc-out-mu').textContent()).toBe('[B,20]');
    expect(pos).not.toBeNull();
    await shots(page, 'autosave-restored');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('canvas gestures: context menus, copy/paste, multi-select drag as one step, wire select and delete, auto-arrange', async () => {
    const { page, errors } = await openApp(browser, { width: 1280, height: 800 });
    await poll(() => nodes(page).count()).toBe(8);
    // fitted, the whole graph is in view and the minimap hides; zoomed in, it shows
    await poll(() => page.getByTestId('minimap').isVisible()).toBe(false);
    await page.getByTestId('zoom-in').click();
    await poll(() => page.getByTestId('minimap').isVisible()).toBe(true);
    await page.getByTestId('zoom-fit').click();
    await poll(() => page.getByTestId('minimap').isVisible()).toBe(false);
    const c = (await page.getByTestId('canvas').boundingBox())!;

    // canvas context menu: add a node where the pointer is
    await page.mouse.click(c.x + 60, c.y + c.height - 60, { button: 'right' });
    await poll(() => page.getByTestId('context-menu').count()).toBe(1);
    await page.getByTestId('context-menu').getByText('Layers', { exact: true }).hover();
    await page.getByTestId('context-menu').getByText('Dense', { exact: true }).click();
    await poll(() => page.getByTestId('node-dense').count()).toBe(1);
    expect(await page.getByTestId('node-dense').locator('.vae-node-footer').textContent()).toContain('units: 64');
    await page.keyboard.press('Control+z');
    await poll(() => page.getByTestId('node-dense').count()).toBe(0);

    // node context menu: duplicate, rename, delete
    const enc = (await page.getByTestId('node-enc').boundingBox())!;
    await page.mouse.click(enc.x + 50, enc.y + 10, { button: 'right' });
    await poll(() => page.getByTestId('context-menu').count()).toBe(1);
    await shots(page, 'context-menu-node');
    await page.getByTestId('context-menu').getByText('Duplicate', { exact: true }).click();
    await poll(() => page.getByTestId('node-enc2').count()).toBe(1);
    await poll(() => page.getByTestId('node-enc2').getAttribute('class')).toContain('selected');
    await page.keyboard.press('Delete');
    await poll(() => page.getByTestId('node-enc2').count()).toBe(0);
    await page.mouse.click(enc.x + 50, enc.y + 10, { button: 'right' });
    await page.getByTestId('context-menu').getByText('Rename…', { exact: true }).click();
    await poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('inspector-label');
    await page.keyboard.type('encoder φ');
    await page.keyboard.press('Enter');
    await poll(() => page.getByTestId('node-enc').locator('.vae-node-label').textContent()).toBe('encoder φ');
    // typing Backspace in an input does not delete the node
    await page.getByTestId('inspector-label').press('Backspace');
    expect(await page.getByTestId('node-enc').count()).toBe(1);

    // copy/paste the encoder and the reparameterization with their inner wires
    await clickBackground(page);
    await page.getByTestId('node-enc').locator('.vae-node-title').click();
    await page.getByTestId('node-rep').locator('.vae-node-title').click({ modifiers: ['Control'] });
    await poll(() => page.locator('.vae-node.selected').count()).toBe(2);
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await poll(() => page.getByTestId('node-rep2').count()).toBe(1);
    expect(await page.getByTestId('node-enc2').count()).toBe(1);
    expect(await page.locator('[data-testid="wire"][data-from^="enc2."][data-to^="rep2."]').count()).toBe(2);
    await shots(page, 'pasted');
    await page.keyboard.press('Control+z');
    await poll(() => page.getByTestId('node-enc2').count()).toBe(0);
    expect(await page.getByTestId('node-rep2').count()).toBe(0);

    // shift-drag a box around data and enc, drag both, undo both in one step
    await clickBackground(page);
    const d0 = (await page.getByTestId('node-data').boundingBox())!;
    const e0 = (await page.getByTestId('node-enc').boundingBox())!;
    await page.keyboard.down('Shift');
    await page.mouse.move(d0.x - 12, Math.min(d0.y, e0.y) - 12);
    await page.mouse.down();
    await page.mouse.move(e0.x + e0.width + 6, Math.max(d0.y + d0.height, e0.y + e0.height) + 8, { steps: 6 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    await poll(() => page.locator('.vae-node.selected').count()).toBe(2);
    await page.mouse.move(e0.x + 60, e0.y + 10);
    await page.mouse.down();
    await page.mouse.move(e0.x + 60, e0.y + 110, { steps: 8 });
    await page.mouse.up();
    await poll(async () => (await page.getByTestId('node-data').boundingBox())!.y - d0.y).toBeGreaterThan(60);
    expect((await page.getByTestId('node-enc').boundingBox())!.y - e0.y).toBeGreaterThan(60);
    await shots(page, 'multi-select-dragged');
    const moved = JSON.parse((await download(page, () => page.getByTestId('file-save').click())).text) as GraphJson;
    const posOf = (g: GraphJson, id: string) => g.nodes.find((n) => n.id === id)!.position!;
    const std = (id: string) => standard.nodes.find((n) => n.id === id)!.position!;
    const dy = posOf(moved, 'data').y - std('data').y;
    expect(dy).toBeGreaterThan(100);
    expect(posOf(moved, 'enc').y - std('enc').y).toBe(dy);
    expect(posOf(moved, 'data').x).toBe(std('data').x);
    expect(posOf(moved, 'rep')).toEqual(std('rep'));
    await page.keyboard.press('Control+z');
    await poll(() => page.getByTestId('undo').getAttribute('title')).not.toMatch(/Move/);
    const back = JSON.parse((await download(page, () => page.getByTestId('file-save').click())).text) as GraphJson;
    expect(posOf(back, 'data')).toEqual(std('data'));
    expect(posOf(back, 'enc')).toEqual(std('enc'));

    // click a wire: it is selected (the training panel probes it); Delete removes it
    await clickBackground(page);
    const wireEl = page.locator('[data-testid="wire"][data-from="kl.kl"][data-to="beta.kl"] .vae-wire-hit');
    const kl = await center(page, 'socket-kl-out-kl');
    const beta = await center(page, 'socket-beta-in-kl');
    await page.mouse.click((kl.x + beta.x) / 2, (kl.y + beta.y) / 2);
    await poll(() => page.locator('[data-testid="wire"][data-from="kl.kl"]').getAttribute('class')).toContain('selected');
    expect(await wireEl.count()).toBe(1);
    await shots(page, 'wire-selected');
    await page.keyboard.press('Delete');
    await poll(() => wires(page).count()).toBe(10);
    await page.keyboard.press('Control+z');
    await poll(() => wires(page).count()).toBe(11);

    // auto-arrange (ELK, loaded on demand) is one undoable step
    await page.getByTestId('auto-arrange').click();
    await poll(() => page.getByTestId('undo').getAttribute('title')).toContain('Auto-arrange');
    const xs = await Promise.all(['data', 'enc', 'rep', 'dec', 'recon', 'opt'].map(async (id) => (await page.getByTestId(`node-${id}`).boundingBox())!.x));
    for (let i = 1; i < xs.length; i++) expect(xs[i]!).toBeGreaterThan(xs[i - 1]!);
    await shots(page, 'auto-arranged');
    const arranged = JSON.parse((await download(page, () => page.getByTestId('file-save').click())).text) as GraphJson;
    expect(arranged.nodes.map((n) => n.position)).not.toEqual(standard.nodes.map((n) => n.position));
    await page.keyboard.press('Control+z');
    await poll(() => page.getByTestId('undo').getAttribute('title')).not.toContain('Auto-arrange');
    const restored = JSON.parse((await download(page, () => page.getByTestId('file-save').click())).text) as GraphJson;
    expect(restored.nodes.map((n) => [n.id, n.position])).toEqual(standard.nodes.map((n) => [n.id, n.position]));

    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('nodes added from the palette (click or keyboard) land in view, beside the selected node, on no other node and not under the floating palette; each add is one undo', async () => {
    const { page, errors } = await openApp(browser, { width: 1280, height: 800 });
    await poll(() => nodes(page).count()).toBe(8);
    type Box = { x: number; y: number; width: number; height: number };
    const boxes = async () =>
      page.locator('[data-testid^="node-"][data-node-type]').evaluateAll((els) =>
        els.map((e) => {
          const r = e.getBoundingClientRect();
          return { id: e.getAttribute('data-testid')!.slice(5), x: r.x, y: r.y, width: r.width, height: r.height };
        }),
      );
    const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    /** The node `id` lies inside the canvas, outside `cover` (the floating palette) and on no other node. */
    async function checkPlaced(id: string, cover: Box | null) {
      await poll(async () => (await boxes()).some((b) => b.id === id)).toBe(true);
      // the view may zoom out to make room: wait until it stands still
      let last = '';
      await poll(async () => {
        const now = JSON.stringify(await boxes());
        const same = now === last;
        last = now;
        return same;
      }).toBe(true);
      const all = await boxes();
      const me = all.find((b) => b.id === id)!;
      const canvas = (await page.getByTestId('canvas').boundingBox())!;
      expect(me.x >= canvas.x && me.y >= canvas.y && me.x + me.width <= canvas.x + canvas.width && me.y + me.height <= canvas.y + canvas.height, `${id} in view`).toBe(true);
      for (const other of all) if (other.id !== id) expect(overlap(me, other), `${id} on ${other.id}`).toBe(false);
      if (cover) expect(overlap(me, cover), `${id} under the palette`).toBe(false);
      return me;
    }

    // the keyboard: "/" opens the floating palette, type, Enter
    await clickBackground(page);
    await page.keyboard.press('/');
    const search = page.getByTestId('palette-search');
    await poll(() => search.isVisible()).toBe(true);
    const cover = (await page.getByTestId('palette').boundingBox())!;
    await page.keyboard.type('noise');
    await page.keyboard.press('Enter');
    await checkPlaced('noise', cover);
    await page.keyboard.type('scale');
    await page.keyboard.press('Enter');
    const scale = await checkPlaced('scale', cover);
    await shots(page, 'palette-added-keyboard');
    // a click on a palette item, then another one beside it (the new node is selected, the next goes beside it)
    await page.getByTestId('palette-item-op.exp').click();
    const exp = await checkPlaced('exp', cover);
    await page.getByTestId('palette-item-op.mul').click();
    const mul = await checkPlaced('mul', cover);
    const dist = (a: Box, b: Box) => Math.hypot(a.x - b.x, a.y - b.y);
    expect(dist(mul, exp), 'beside the selected node').toBeLessThan(2 * exp.width);
    expect(dist(exp, scale)).toBeLessThan(3 * exp.width);
    await shots(page, 'palette-added-click');
    // each add is one edit: four undos remove the four, in reverse order
    await closePalette(page);
    await clickBackground(page);
    for (const [id, left] of [['mul', 11], ['exp', 10], ['scale', 9], ['noise', 8]] as const) {
      expect(await page.getByTestId('undo').getAttribute('title')).toContain(`Add ${id}`);
      await page.keyboard.press('Control+z');
      await poll(() => nodes(page).count()).toBe(left);
      expect(await page.getByTestId(`node-${id}`).count()).toBe(0);
    }
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('the toolbar shows the graph name whole at 1280 px and fits at 1024 px; a long name is cut with an ellipsis, whole in its title and accessible name', async () => {
    const { page, errors } = await openApp(browser, { width: 1280, height: 800 });
    await poll(() => nodes(page).count()).toBe(8);
    const nameButton = page.getByTestId('graph-name-button');
    const cut = () => nameButton.evaluate((el) => el.scrollWidth - el.clientWidth);
    const overflow = () => page.getByTestId('toolbar').evaluate((el) => el.scrollWidth - el.clientWidth);
    /** Every toolbar control lies inside the window. */
    const outside = () =>
      page.getByTestId('toolbar').evaluate((el) =>
        [...el.querySelectorAll('button, select, label, a, [data-testid="compile-status"]')]
          .filter((c) => c.getClientRects().length > 0 && getComputedStyle(c).position !== 'absolute')
          .filter((c) => c.getBoundingClientRect().right > window.innerWidth + 0.5)
          .map((c) => c.getAttribute('data-testid') ?? c.textContent!.trim()),
      );
    expect(await text(page, 'graph-name')).toBe('Standard VAE (MNIST)');
    expect(await cut()).toBeLessThanOrEqual(0);
    expect(await page.getByTestId('compile-status').evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await screenshot(page, 'editor-toolbar-1280x800');
    await page.setViewportSize({ width: 1024, height: 768 });
    await poll(() => overflow()).toBeLessThanOrEqual(0);
    expect(await outside()).toEqual([]);
    expect(await nameButton.getAttribute('title')).toContain('Standard VAE (MNIST)');
    await screenshot(page, 'editor-toolbar-1024x768');
    // a long name: cut, whole in the title and the accessible name, the toolbar still fits
    const long = 'A convolutional VAE on Fashion-MNIST with a 32-dimensional latent space';
    await nameButton.click();
    await page.getByTestId('graph-name-input').fill(long);
    await page.getByTestId('graph-name-input').press('Enter');
    await poll(() => text(page, 'graph-name')).toBe(long);
    for (const [width, height] of [[1024, 768], [1280, 800]] as const) {
      await page.setViewportSize({ width, height });
      await poll(() => overflow()).toBeLessThanOrEqual(0);
      expect(await outside()).toEqual([]);
      expect(await cut()).toBeGreaterThan(0);
      expect(await nameButton.evaluate((el) => getComputedStyle(el).textOverflow)).toBe('ellipsis');
      expect(await nameButton.getAttribute('title')).toContain(long);
      expect(await nameButton.getAttribute('aria-label')).toContain(long);
      expect(await page.getByTestId('unsaved-marker').isVisible()).toBe(true);
      // the status pill stays whole (at 1024 px its short form)
      expect(await page.getByTestId('compile-status').evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0);
      await screenshot(page, `editor-toolbar-long-name-${width}x${height}`);
    }
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
