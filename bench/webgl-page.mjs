/**
 * A TypeScript entry bundled by esbuild and run in a blank page of Debian's Chromium (headless,
 * flags as the e2e tests'): what bench/webgl-step.mjs and tests/integration/webgl-fused.test.ts
 * share. Without a GPU, WebGL there is SwiftShader (a software renderer).
 */
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

/** Bundles `entry` (it sets globalThis[fn]) and calls `fn(arg)` in a fresh page per arg; the results in order. */
export async function runInPage(entry, fn, args, executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium') {
  const bundle = await build({ entryPoints: [entry], bundle: true, write: false, format: 'iife', platform: 'browser', target: 'es2022', logLevel: 'error', define: { 'process.env.NODE_ENV': '"production"' } });
  const code = bundle.outputFiles[0].text;
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const results = [];
    for (const arg of args) {
      // A fresh page each: the shader cache starts empty.
      const page = await browser.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.addScriptTag({ content: code });
      try {
        results.push(await page.evaluate(([f, a]) => globalThis[f](a), [fn, arg]));
      } catch (e) {
        throw new Error(`${String(e)}${errors.length ? `\n${errors.join('\n')}` : ''}`);
      }
      await page.close();
    }
    return results;
  } finally {
    await browser.close();
  }
}
