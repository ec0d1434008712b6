/**
 * Helpers for the e2e tests: the built app (served by global-setup.ts) in Debian's
 * Chromium through playwright-core. Test files wrap themselves in
 * `describeWithTool('chromium', …)` (tests/fixtures/tools.ts): skipped without Chromium,
 * failing without it in CI.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect, inject } from 'vitest';
import { CHROMIUM_PATH } from '../fixtures/tools';

export const SCREENSHOT_DIR = resolve(fileURLToPath(new URL('../../test-results/screenshots', import.meta.url)));

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** The preview server's URL (from global-setup.ts). */
export function baseUrl(): string {
  const url = inject('baseUrl') || process.env.VAE_LAB_URL || '';
  if (!url) throw new Error('e2e: no preview URL (global-setup did not run or Chromium is missing)');
  return url;
}

export interface OpenedApp {
  page: Page;
  /** Console errors, uncaught page errors and failed (or >= 400) requests, in order. */
  errors: string[];
}

/** A new page of the given viewport, navigated to the app (after `init` runs in it); records console/page/request errors. */
export async function openApp(
  browser: Browser,
  opts: { width?: number; height?: number; path?: string; init?: () => void; colorScheme?: 'light' | 'dark' } = {},
): Promise<OpenedApp> {
  const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 }, colorScheme: opts.colorScheme ?? 'light' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('response', (res) => {
    if (res.status() >= 400) errors.push(`http ${res.status()}: ${res.url()}`);
  });
  page.on('requestfailed', (req) => errors.push(`requestfailed: ${req.url()} (${req.failure()?.errorText ?? '?'})`));
  // The app asks in its own confirm-dialog (answerConfirm): a native alert/confirm/prompt is a
  // defect. It is dismissed (a confirm answers "no") and recorded, so the test fails. The
  // browser's own "leave the page?" over unsaved changes (beforeunload, on a reload) is left.
  page.on('dialog', (d) => {
    if (d.type() === 'beforeunload') {
      void d.accept().catch(() => undefined);
      return;
    }
    errors.push(`native ${d.type()} dialog: ${d.message()}`);
    void d.dismiss().catch(() => undefined);
  });
  if (opts.init) await page.addInitScript(opts.init);
  await page.goto(new URL(opts.path ?? '', baseUrl()).toString(), { waitUntil: 'load' });
  return { page, errors };
}

/** Writes test-results/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = join(SCREENSHOT_DIR, `${name.replace(/[^A-Za-z0-9._-]+/g, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export interface TrainableOptions {
  /** When given, the panel must read `<backend>/ready` (data-backend/data-phase), not only `ready`. */
  backend?: string;
  /** How long the panel may take to be ready (ms; 60 s unless told). */
  readyTimeout?: number;
  /** How long Step may then take to be enabled (ms; 30 s unless told). */
  enabledTimeout?: number;
}

/** Waits until the training panel is ready (on `opts.backend` when given) and Step is enabled. */
export async function waitTrainable(page: Page, opts: TrainableOptions = {}): Promise<void> {
  const panel = page.getByTestId('training-panel');
  const readyTimeout = opts.readyTimeout ?? 60_000;
  if (opts.backend === undefined) {
    await expect.poll(() => panel.getAttribute('data-phase'), { timeout: readyTimeout }).toBe('ready');
  } else {
    await expect
      .poll(() => panel.evaluate((el) => `${el.getAttribute('data-backend')}/${el.getAttribute('data-phase')}`), { timeout: readyTimeout })
      .toBe(`${opts.backend}/ready`);
  }
  await expect.poll(() => page.getByTestId('train-step').isEnabled(), { timeout: opts.enabledTimeout ?? 30_000 }).toBe(true);
}

/** Run until the step counter shows at least `atLeast` (120 s), then Pause and wait until it has stopped; returns the steps shown. */
export async function runUntil(page: Page, atLeast: number): Promise<number> {
  const steps = async () => Number(((await page.getByTestId('metric-step').first().textContent()) ?? '').trim());
  await page.getByTestId('train-run').click();
  await expect.poll(steps, { timeout: 120_000, interval: 250 }).toBeGreaterThanOrEqual(atLeast);
  await page.getByTestId('train-pause').click();
  await expect.poll(() => page.getByTestId('train-pause').isEnabled(), { timeout: 20_000 }).toBe(false);
  return steps();
}

/** Clicks Step and waits until the step counter reads `expected` and Step is enabled again. */
export async function stepTo(page: Page, expected: number): Promise<void> {
  await page.getByTestId('train-step').click();
  await expect.poll(async () => Number(((await page.getByTestId('metric-step').first().textContent()) ?? '').trim()), { timeout: 30_000 }).toBe(expected);
  await expect.poll(() => page.getByTestId('train-step').isEnabled(), { timeout: 30_000 }).toBe(true);
}

/**
 * Answers the app's confirmation (`confirm-dialog`, DESIGN §6): waits for it, checks its text
 * against `text` when given, clicks OK (`confirm-ok`) or Cancel (`confirm-cancel`) and waits
 * until it is gone. Returns the dialog's text.
 */
export async function answerConfirm(page: Page, answer: 'ok' | 'cancel' = 'ok', text?: RegExp): Promise<string> {
  const dialog = page.getByTestId('confirm-dialog');
  await expect.poll(() => dialog.isVisible(), { timeout: 20_000 }).toBe(true);
  const said = (await dialog.textContent()) ?? '';
  if (text) expect(said).toMatch(text);
  await page.getByTestId(answer === 'ok' ? 'confirm-ok' : 'confirm-cancel').click();
  await expect.poll(() => dialog.count()).toBe(0);
  return said;
}

/**
 * Runs `action` (New, a preset, opening a file), which replaces the graph: over unsaved
 * changes (`unsaved-marker`) the app asks first in confirm-dialog, and this answers OK.
 */
export async function discardingChanges(page: Page, action: () => Promise<unknown>): Promise<void> {
  const dirty = (await page.getByTestId('unsaved-marker').count()) > 0;
  await action();
  if (dirty) await answerConfirm(page, 'ok', /unsaved changes/);
}

/** Opens a preset from `preset-menu` (by id, or `{ label }`), discarding unsaved changes (see discardingChanges). */
export async function choosePreset(page: Page, preset: string | { label: string }): Promise<void> {
  await discardingChanges(page, () => page.getByTestId('preset-menu').selectOption(preset));
}
