#!/usr/bin/env node
/**
 * Data loading in the browser (a measurement, not a test): `node bench/browser-data.mjs
 * [--mb 100] [--columns 10] [--port 4199]`. Serves the built app (dist/, `npm run build`
 * first) with `vite preview`, opens tests/fixtures/graphs/table-vae.json in Debian's
 * Chromium, makes a CSV of about `mb` MB inside the page (numeric columns and a text
 * label), drops it on the data.table node as a person would, and measures:
 *   - parse: from the drop to the preview (the worker read, hashed, parsed and kept it);
 *   - first step: from pressing Step (the trainer built on the new rows) to step 1;
 *   - the worker's JS heap before and after loading (gc'd), per million values of the dataset;
 *   - the page's longest main-thread task while it parsed (the page never waits on it).
 * Prints one JSON object.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { arg } from './args.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MB = Number(arg('mb', '100'));
const COLUMNS = Number(arg('columns', '10'));
const PORT = Number(arg('port', '4199'));

if (!existsSync(join(root, 'dist', 'index.html'))) {
  console.error('bench/browser-data: build the app first (npm run build)');
  process.exit(2);
}
const server = spawn(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'preview', '--host', '127.0.0.1', '--port', String(PORT), '--strictPort'], { cwd: root, stdio: 'ignore' });
const url = `http://127.0.0.1:${PORT}/`;
for (let i = 0; i < 100; i++) {
  try {
    if ((await fetch(url)).ok) break;
  } catch {
    await new Promise((r) => setTimeout(r, 200));
  }
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--js-flags=--expose-gc', '--enable-blink-features=ForceEagerMeasureMemory'] });
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.addInitScript(() => localStorage.setItem('vae-lab:backend', 'wasm'));
  await page.goto(url, { waitUntil: 'load' });
  page.on('dialog', (d) => void d.accept());
  const graph = JSON.parse(readFileSync(join(root, 'tests/fixtures/graphs/table-vae.json'), 'utf8'));
  await page.getByTestId('file-open').setInputFiles({ name: 'table.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(graph)) });
  await page.getByTestId('node-table').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="training-panel"]')?.getAttribute('data-phase') === 'ready', null, { timeout: 120_000 });
  // The worker's memory (JS heap and the typed arrays' buffers), as the browser attributes it
  // (measureUserAgentSpecificMemory: the page is cross-origin isolated), after a gc there.
  const heap = async () => {
    for (const w of page.workers()) await w.evaluate(() => globalThis.gc?.()).catch(() => {});
    return page.evaluate(async () => {
      if (!self.crossOriginIsolated || !performance.measureUserAgentSpecificMemory) return null;
      const m = await performance.measureUserAgentSpecificMemory();
      let worker = 0;
      for (const b of m.breakdown) if (b.attribution.some((a) => a.scope === 'DedicatedWorkerGlobalScope')) worker += b.bytes;
      return worker;
    });
  };
  const before = await heap();

  // The CSV, made in the page: rows of COLUMNS numbers and a label, about MB megabytes.
  const made = await page.evaluateHandle(
    ([mb, columns]) => {
      const parts = [];
      let size = 0;
      let rows = 0;
      const header = `${Array.from({ length: columns }, (_, j) => `c${j}`).join(',')},kind\n`;
      parts.push(header);
      size += header.length;
      let seed = 1;
      const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
      while (size < mb * 1e6) {
        const lines = [];
        for (let k = 0; k < 1000; k++) {
          const u = rand() * 4 - 2;
          const cells = Array.from({ length: columns }, (_, j) => (u * (j + 1) + rand()).toFixed(4));
          lines.push(`${cells.join(',')},${rows % 3 === 0 ? 'a' : 'b'}`);
          rows++;
        }
        const chunk = `${lines.join('\n')}\n`;
        parts.push(chunk);
        size += chunk.length;
      }
      const dt = new DataTransfer();
      dt.items.add(new File(parts, 'big.csv', { type: 'text/csv' }));
      window.__bigRows = rows;
      window.__bigBytes = size;
      return dt;
    },
    [MB, COLUMNS],
  );
  const rows = await page.evaluate(() => window.__bigRows);
  const bytes = await page.evaluate(() => window.__bigBytes);
  // Long tasks on the page while the worker parses.
  await page.evaluate(() => {
    window.__long = 0;
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) window.__long = Math.max(window.__long, e.duration);
    }).observe({ type: 'longtask', buffered: false });
  });
  const node = page.getByTestId('node-table');
  const t0 = Date.now();
  await node.dispatchEvent('dragover', { dataTransfer: made });
  await node.dispatchEvent('drop', { dataTransfer: made });
  await page.waitForFunction((n) => document.querySelector('[data-testid="data-preview"]')?.getAttribute('data-examples') === String(n), rows, { timeout: 600_000 });
  const parseMs = Date.now() - t0;
  const longest = await page.evaluate(() => window.__long);
  await page.waitForFunction(() => !document.querySelector('[data-testid="train-step"]')?.hasAttribute('disabled'), null, { timeout: 600_000 });
  const after = await heap();
  const t1 = Date.now();
  await page.getByTestId('train-step').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="metric-step"]')?.textContent?.trim() === '1', null, { timeout: 600_000 });
  const firstStepMs = Date.now() - t1;
  const values = rows * COLUMNS;
  console.log(
    JSON.stringify(
      {
        fileMB: +(bytes / 1e6).toFixed(1),
        rows,
        columns: COLUMNS,
        values,
        parseMs,
        firstStepMs,
        pageLongestTaskMs: longest,
        workerHeapBeforeMB: before === null ? null : +(before / 1e6).toFixed(1),
        workerHeapAfterMB: after === null ? null : +(after / 1e6).toFixed(1),
        bytesPerValue: before === null || after === null ? null : +((after - before) / values).toFixed(2),
        mbPerMillionValues: before === null || after === null ? null : +((after - before) / 1e6 / (values / 1e6)).toFixed(2),
      },
      null,
      2,
    ),
  );
} finally {
  await browser.close();
  server.kill();
}
