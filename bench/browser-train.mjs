#!/usr/bin/env node
/**
 * A person's training run in the browser (a measurement, not a test):
 * `node bench/browser-train.mjs [--preset conv-vae] [--backend wasm] [--epochs 10] [--goal 134]
 * [--dist DIR] [--timeout-min 120] [--out FILE]`.
 *
 * Builds the app (or serves --dist) with `vite preview`, opens it in Debian's Chromium
 * (headless, 1280×800), picks the preset from the preset menu, selects the backend, presses Run
 * and, inside the page, presses Pause as soon as the step counter reaches the end of epoch
 * `epochs` (epochs × the steps per epoch the app shows). Then it reads what the app shows: the
 * held-out −ELBO (`metric-heldout`, evaluated by the app at each epoch's end) and the step it
 * belongs to, ms/step (`metric-ms`), and, from the app's own CSV export, the held-out −ELBO at
 * every epoch's end and the median ms per step. Beside them: the CPU time of all of Chromium's
 * processes (this script's children but the server) per step (user + sys from /proc, so a loaded machine can be compared), the load
 * average, the wasm build and threads the page reports, and a screenshot
 * (test-results/screenshots/browser-train-<preset>-<backend>.png).
 * Prints a summary and writes the results as JSON (default test-results/browser-train-<preset>-<backend>.json).
 * Exit code 0 when the held-out −ELBO is at most --goal, 1 when it is above, 2 when the run failed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { freePort, viteEnv, waitRunnable, wasmInfo } from './browser-app.mjs';
import { arg } from './args.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const viteBin = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
const PRESET = arg('preset', 'conv-vae');
const BACKEND = arg('backend', 'wasm');
const EPOCHS = Number(arg('epochs', '10'));
const GOAL = Number(arg('goal', '134'));
const DIST = arg('dist', null);
const TIMEOUT_MS = Number(arg('timeout-min', '120')) * 60_000;
const OUT = resolve(root, arg('out', `test-results/browser-train-${PRESET}-${BACKEND}.json`));
const SHOT = join(root, 'test-results', 'screenshots', `browser-train-${PRESET}-${BACKEND}.png`);
const round = (x, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);
const log = (s) => console.log(`[browser-train] ${new Date().toISOString().slice(11, 19)} ${s}`);

/** user + sys CPU seconds of the descendants of `pid` (Linux /proc), but those of `skip` and theirs. */
function treeCpuSeconds(pid, skip) {
  const parent = new Map();
  const cpu = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(d), Number(f[1]));
      cpu.set(Number(d), (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  for (const [p, s] of cpu) {
    if (p === pid) continue;
    for (let cur = p; cur; cur = parent.get(cur)) {
      if (cur === skip) break;
      if (cur === pid) {
        total += s;
        break;
      }
    }
  }
  return total;
}

async function main() {
  mkdirSync(dirname(SHOT), { recursive: true });
  const port = await freePort();
  let dir = DIST ? resolve(DIST) : null;
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'vae-lab-train-'));
    log(`building into ${dir} …`);
    const b = spawnSync(process.execPath, [viteBin, 'build', '--outDir', dir, '--emptyOutDir', '--logLevel', 'error'], { cwd: root, env: viteEnv(), stdio: 'inherit' });
    if (b.status !== 0) throw new Error('vite build failed');
  }
  const server = spawn(process.execPath, [viteBin, 'preview', '--outDir', dir, '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd: root, env: viteEnv(), stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/`;
  let browser = null;
  try {
    for (let i = 0; ; i++) {
      if (server.exitCode !== null) throw new Error(`vite preview exited (${server.exitCode})`);
      if (i > 300) throw new Error(`no answer from ${url}`);
      const ok = await fetch(url).then((r) => r.ok, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('dialog', (d) => void d.accept());
    await page.goto(url, { waitUntil: 'load' });

    // As a person: the preset from the menu, then the backend.
    await page.getByTestId('preset-menu').selectOption(PRESET);
    const name = JSON.parse(readFileSync(join(root, 'presets', `${PRESET}.json`), 'utf8')).meta.name;
    await page.waitForFunction((n) => document.querySelector('[data-testid=graph-name]')?.textContent?.trim() === n, name, { timeout: 60_000 });
    await page.getByTestId('backend-select').selectOption(BACKEND);
    await waitRunnable(page, BACKEND, 180_000);
    const seed = await page.getByTestId('train-seed').inputValue();
    const wasm = await wasmInfo(page);
    // The app says how many steps an epoch has once the trainer is built (the epoch counter's title).
    const perEpochTitle = await page.getByTestId('metric-epoch').locator('..').getAttribute('title');
    const stepsPerEpoch = Number(/(\d+) steps per epoch/.exec(perEpochTitle ?? '')?.[1]);
    if (!stepsPerEpoch) throw new Error(`the app shows no steps per epoch ("${perEpochTitle}")`);
    const target = EPOCHS * stepsPerEpoch;
    log(`${PRESET} on ${BACKEND} (${wasm.build ?? '?'} build, ${wasm.threads ?? '?'} thread(s)), seed ${seed}: ${EPOCHS} epochs = ${target} steps (${stepsPerEpoch} per epoch); load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);

    // Press Run; the page itself presses Pause when the step counter reaches the target.
    const cpu0 = treeCpuSeconds(process.pid, server.pid);
    const load0 = loadavg();
    const t0 = Date.now();
    await page.evaluate((n) => {
      const el = document.querySelector('[data-testid=metric-step]');
      const mo = new MutationObserver(() => {
        if (Number(el.textContent) >= n) {
          mo.disconnect();
          document.querySelector('[data-testid=train-pause]').click();
        }
      });
      mo.observe(el, { childList: true, characterData: true, subtree: true });
      document.querySelector('[data-testid=train-run]').click();
    }, target);
    let lastEpoch = 0;
    const tensors = [];
    for (;;) {
      if (Date.now() - t0 > TIMEOUT_MS) throw new Error(`not at step ${target} after ${TIMEOUT_MS / 60_000} min`);
      await page.waitForTimeout(5000);
      const s = await page.evaluate(() => ({
        step: Number(document.querySelector('[data-testid=metric-step]')?.textContent),
        phase: document.querySelector('[data-testid=training-panel]')?.dataset.phase,
        heldOut: document.querySelector('[data-testid=metric-heldout]')?.parentElement?.textContent?.trim(),
        ms: document.querySelector('[data-testid=metric-ms]')?.textContent,
        tensors: Number(document.querySelector('[data-testid=metric-tensors]')?.textContent),
      }));
      if (s.step >= 2 && Number.isFinite(s.tensors)) tensors.push(s.tensors);
      const epoch = Math.floor(s.step / stepsPerEpoch);
      if (epoch > lastEpoch) {
        lastEpoch = epoch;
        log(`step ${s.step}, ${s.ms} ms/step, ${s.heldOut}`);
      }
      if (s.phase !== 'running' && s.step >= target) break;
      if (s.phase !== 'running' && s.step > 0 && s.step < target) throw new Error(`training stopped at step ${s.step} (phase ${s.phase})`);
    }
    const wallS = (Date.now() - t0) / 1000;
    const cpuS = treeCpuSeconds(process.pid, server.pid) - cpu0;
    const load1 = loadavg();
    // The held-out −ELBO of the last step: the app evaluates it at each epoch's end (wait for it to show).
    await page.waitForFunction(
      (n) => new RegExp(`@${n}\\b`).test(document.querySelector('[data-testid=metric-heldout]')?.parentElement?.textContent ?? ''),
      target,
      { timeout: 300_000 },
    ).catch(() => {});
    const shown = await page.evaluate(() => ({
      heldOut: Number(document.querySelector('[data-testid=metric-heldout]')?.textContent),
      heldOutKl: Number(document.querySelector('[data-testid=metric-heldout-kl]')?.textContent),
      at: Number(/@(\d+)/.exec(document.querySelector('[data-testid=metric-heldout]')?.parentElement?.textContent ?? '')?.[1]),
      step: Number(document.querySelector('[data-testid=metric-step]')?.textContent),
      msPerStep: Number(document.querySelector('[data-testid=metric-ms]')?.textContent),
      tensors: Number(document.querySelector('[data-testid=metric-tensors]')?.textContent),
    }));
    await page.screenshot({ path: SHOT });

    // Every epoch's held-out −ELBO and the per-step times, from the app's CSV export.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    const rows = readFileSync(await download.path(), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const perEpoch = rows.filter((r) => r[7] !== '' && Number(r[0]) % stepsPerEpoch === 0).map((r) => ({ epoch: Number(r[0]) / stepsPerEpoch, step: Number(r[0]), heldOut: round(Number(r[7]), 2) }));
    const ms = rows.map((r) => Number(r[6])).filter(Number.isFinite).sort((a, b) => a - b);
    const result = {
      preset: PRESET,
      backend: BACKEND,
      seed: Number(seed),
      page: wasm,
      stepsPerEpoch,
      epochs: EPOCHS,
      shown,
      goal: GOAL,
      pass: shown.at === target && shown.heldOut <= GOAL,
      perEpoch,
      msPerStepMedian: round(ms[Math.floor(ms.length / 2)] ?? null),
      wallS: round(wallS),
      chromiumCpuMsPerStep: round((cpuS * 1000) / shown.step),
      numTensorsWhileRunning: tensors.length ? { min: Math.min(...tensors), max: Math.max(...tensors), samples: tensors.length } : null,
      loadAverage: { start: load0.map((x) => round(x, 2)), end: load1.map((x) => round(x, 2)) },
      pageErrors: errors,
      screenshot: SHOT.replace(`${root}/`, ''),
      chromium: browser.version(),
    };
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, JSON.stringify(result, null, 2) + '\n');
    log(`held-out −ELBO per epoch: ${perEpoch.map((e) => e.heldOut).join(', ')}`);
    log(
      `the app shows held-out −ELBO ${shown.heldOut} (KL ${shown.heldOutKl}) @${shown.at} after pausing at step ${shown.step}; goal ≤ ${GOAL}: ${result.pass ? 'met' : 'NOT met'}. ` +
        `ms/step: app ${shown.msPerStep} (last 20), median ${result.msPerStepMedian}; Chromium CPU ${result.chromiumCpuMsPerStep} ms/step; ${result.wallS} s wall; ` +
        `load average ${result.loadAverage.start[0]} → ${result.loadAverage.end[0]}; numTensors ${result.numTensorsWhileRunning?.min}…${result.numTensorsWhileRunning?.max} while running, ${shown.tensors} after; page errors ${errors.length}. ${OUT.replace(`${root}/`, '')}, ${result.screenshot}`,
    );
    await context.close();
    return result.pass ? 0 : 1;
  } finally {
    await browser?.close();
    server.kill('SIGTERM');
    if (!DIST) rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`[browser-train] failed: ${err.stack ?? err}`);
    process.exit(2);
  },
);
