#!/usr/bin/env node
/**
 * Browser benchmark (not a test): `npm run bench:browser [-- --steps N --backends wasm,wasm-1t,webgl]`.
 *
 * Builds the app, serves it with `vite preview` on 127.0.0.1 (cross-origin isolated: the
 * threaded SIMD wasm build) and from a second, plain server without COOP/COEP (row `wasm-1t`:
 * the single-threaded fallback), drives Debian's Chromium (playwright-core) and, for each row:
 *   - long tasks: every main-thread task over 50 ms while training runs (PerformanceObserver 'longtask');
 *   - time from pressing Run to the first finished step (measured inside the page);
 *   - tf.memory().numTensors in the worker, sampled while running (flat = no leak);
 *   - ms per step (the trainer's own per-step wall time, median over steps 2…N) and steps per second;
 *   - the main thread's busy share while running (Chromium's Performance.getMetrics), and the
 *     main-thread time of each kind of worker event (handler + the Vue updates it queued).
 * Diagnosis: `--cpu-throttle R` slows the page's main thread R× (a 6× run shows the tasks that
 * would stretch first on a starved machine); `--profile S` builds unminified and writes a CPU
 * profile of the first S seconds of Run (test-results/bench-browser-<backend>.cpuprofile) with
 * its top functions in the results.
 * Beside them, a PyTorch CPU row on the same machine: bench/pytorch_vae.py trains the same
 * VAE the same way under /usr/bin/python3 (python3-torch), once before the browser rows and
 * once after (the machine may be shared: the ratio uses their mean). `--torch-blas DIR` puts
 * an OpenBLAS on its LD_LIBRARY_PATH (Debian's reference BLAS is many times slower);
 * `--torch-steps N` (default 300); `--no-torch` skips it.
 * Writes bench/browser-results.json and prints a summary with each row's ratio to PyTorch.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir, cpus, loadavg } from 'node:os';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const viteBin = join(root, 'node_modules', 'vite', 'bin', 'vite.js');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const STEPS = Number(arg('steps', '1000'));
const BACKENDS = arg('backends', 'wasm,wasm-1t,webgl').split(',');
const TORCH_STEPS = Number(arg('torch-steps', '300'));
const TORCH_BLAS = arg('torch-blas', null);
const NO_TORCH = process.argv.includes('--no-torch');
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
const OUT = resolve(root, arg('out', 'bench/browser-results.json'));
const STEP_TIMEOUT_MS = Number(arg('timeout-min', '20')) * 60_000;
/** Another Chromium (e.g. a headless shell on a GPU machine) and extra flags for it. */
const CHROMIUM = arg('chromium', '/usr/bin/chromium');
const CHROMIUM_ARGS = arg('chromium-args', '').split(' ').filter(Boolean);
/** --dist DIR: serve an app built elsewhere (a machine without the dev dependencies) instead of building it. */
const DIST = arg('dist', null);
/** --profile S: an unminified build, and a CPU profile of the main thread for the first S seconds of Run. */
const PROFILE_S = Number(arg('profile', '0'));
/** --cpu-throttle R: slow the page's main thread R× (CDP), to find the heaviest main-thread tasks (diagnosis only). */
const THROTTLE = Number(arg('cpu-throttle', '1'));

function env() {
  const e = { ...process.env };
  delete e.NODE_ENV;
  delete e.VITEST;
  return e;
}

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2', '.woff': 'font/woff', '.ttf': 'font/ttf' };

/** A static server for --dist (what `vite preview` does, without Vite), and the plain (not isolated) server. */
function serveStatic(dir, port, isolated) {
  const server = createHttpServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = join(dir, path);
    if (!existsSync(file) || statSync(file).isDirectory()) file = join(dir, 'index.html');
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', ...(isolated ? ISOLATION : {}) });
    res.end(readFileSync(file));
  });
  return new Promise((res) => server.listen(port, '127.0.0.1', () => res(server)));
}

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

async function waitHttp(url, child, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`vite preview exited (${child.exitCode})`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no answer from ${url}`);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : null;
};
const round = (x, d = 1) => (x === null || x === undefined ? null : Math.round(x * 10 ** d) / 10 ** d);

/** Runs in the page before the app: records long tasks and when the step counter first moves. */
function pageProbe() {
  window.__bench = { longtasks: [], firstStepAt: null, runClickAt: null };
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__bench.longtasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    window.__bench.noLongtaskApi = true;
  }
  // Main-thread time spent on each kind of worker event: the handler plus the Vue updates
  // it queued (the microtasks that run before the task ends).
  window.__bench.events = {};
  const OrigWorker = window.Worker;
  window.Worker = class extends OrigWorker {
    set onmessage(fn) {
      super.onmessage = fn
        ? (ev) => {
            const t0 = performance.now();
            try {
              fn.call(this, ev);
            } finally {
              const type = ev.data?.type ?? '?';
              Promise.resolve().then(() => {
                const ms = performance.now() - t0;
                const e = (window.__bench.events[type] ??= { count: 0, totalMs: 0, maxMs: 0 });
                e.count++;
                e.totalMs += ms;
                e.maxMs = Math.max(e.maxMs, ms);
              });
            }
          }
        : fn;
    }
    get onmessage() {
      return super.onmessage;
    }
  };
  // Long animation frames say which scripts made a frame long (diagnosis only).
  window.__bench.loaf = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.duration <= 50) continue;
        window.__bench.loaf.push({
          start: e.startTime,
          duration: e.duration,
          blocking: e.blockingDuration,
          scripts: (e.scripts ?? []).map((x) => ({ invoker: x.invoker, fn: x.sourceFunctionName, src: (x.sourceURL ?? '').replace(/^.*\//, ''), ms: Math.round(x.duration) })),
        });
      }
    }).observe({ type: 'long-animation-frame', buffered: true });
  } catch {
    // not supported
  }
}

async function mainThreadMetrics(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}

/** Share of wall time the page's main thread spent in tasks, script, layout and style between two readings. */
function busyShare(a, b) {
  const wall = b.Timestamp - a.Timestamp;
  const share = (k) => round((100 * (b[k] - a[k])) / wall, 1);
  return { wallS: round(wall, 1), taskPct: share('TaskDuration'), scriptPct: share('ScriptDuration'), layoutPct: share('LayoutDuration'), stylePct: share('RecalcStyleDuration') };
}

/** Top functions of a CPU profile by self time (ms), with their total (self + callees) time. */
function summariseProfile(profile, backend) {
  writeFileSync(join(root, 'test-results', `bench-browser-${backend}.cpuprofile`), JSON.stringify(profile));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const dt = new Map();
  profile.samples.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\//, '')}:${n.callFrame.lineNumber + 1}`;
  const self = new Map();
  const total = new Map();
  for (const [id, ms] of dt) {
    const n = byId.get(id);
    self.set(key(n), (self.get(key(n)) ?? 0) + ms);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur));
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + ms);
    }
  }
  const wall = (profile.endTime - profile.startTime) / 1000;
  const top = (m) => [...m].filter(([k]) => !k.startsWith("(idle)") && !k.startsWith("(root)")).sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, ms]) => ({ fn: k, ms: round(ms), pct: round((100 * ms) / wall) }));
  return { wallMs: round(wall), bySelf: top(self), byTotal: top(total) };
}

/** The PyTorch CPU anchor: bench/pytorch_vae.py under /usr/bin/python3 (python3-torch). */
function torchRow() {
  const env = { ...process.env };
  if (TORCH_BLAS) env.LD_LIBRARY_PATH = [resolve(TORCH_BLAS), env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  const r = spawnSync('/usr/bin/python3', [join(root, 'bench', 'pytorch_vae.py'), '--steps', String(TORCH_STEPS)], { cwd: root, env, encoding: 'utf8', timeout: 30 * 60_000 });
  if (r.status !== 0) {
    console.log(`[bench:browser] PyTorch row failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
    return null;
  }
  return { ...JSON.parse(r.stdout.trim().split('\n').pop()), loadAverage: loadavg().map((x) => round(x, 2)) };
}

async function benchBackend(browser, url, row) {
  const backend = row === 'wasm-1t' ? 'wasm' : row;
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.addInitScript(pageProbe);
  await page.goto(url, { waitUntil: 'load' });
  page.on('dialog', (d) => void d.accept());
  await page.getByTestId('preset-menu').selectOption('standard-vae');
  await page.getByTestId('backend-select').selectOption(backend);
  const tReady = Date.now();
  await page.waitForFunction(
    (b) => {
      const p = document.querySelector('[data-testid=training-panel]');
      const s = document.querySelector('[data-testid=train-run]');
      return p?.dataset.backend === b && p?.dataset.phase === 'ready' && s && !s.disabled;
    },
    backend,
    { timeout: 120_000 },
  );
  const readyMs = Date.now() - tReady;
  const renderer = await page.evaluate(() => document.querySelector('[data-testid=renderer]')?.getAttribute('title') ?? null);
  const wasm = await page.evaluate(() => {
    const el = document.querySelector('[data-testid=wasm-threads]');
    return { isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency, ...(el ? { build: el.dataset.build, threads: Number(el.dataset.threads), note: el.getAttribute('title') } : {}) };
  });

  // Main-thread busy time (Chromium's own counters) from Run to Pause, and optionally a CPU profile.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  if (THROTTLE > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: THROTTLE });
  const metricsBefore = await mainThreadMetrics(cdp);
  if (PROFILE_S > 0) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
    await cdp.send('Profiler.start');
  }
  let profile = null;

  // Press Run; note when the step counter first shows 1 (inside the page, so no polling delay).
  await page.evaluate(() => {
    const el = document.querySelector('[data-testid=metric-step]');
    const mo = new MutationObserver(() => {
      if (window.__bench.firstStepAt === null && Number(el.textContent) >= 1) {
        window.__bench.firstStepAt = performance.now();
        mo.disconnect();
      }
    });
    mo.observe(el, { childList: true, characterData: true, subtree: true });
    window.__bench.runClickAt = performance.now();
    document.querySelector('[data-testid=train-run]').click();
  });

  const samples = [];
  const t0 = Date.now();
  let step = 0;
  while (step < STEPS) {
    if (Date.now() - t0 > STEP_TIMEOUT_MS) break;
    await page.waitForTimeout(1000);
    const s = await page.evaluate(() => ({
      step: Number(document.querySelector('[data-testid=metric-step]')?.textContent),
      tensors: Number(document.querySelector('[data-testid=metric-tensors]')?.textContent),
      phase: document.querySelector('[data-testid=training-panel]')?.dataset.phase,
    }));
    step = s.step;
    if (PROFILE_S > 0 && !profile && Date.now() - t0 > PROFILE_S * 1000) profile = (await cdp.send('Profiler.stop')).profile;
    samples.push({ t: Date.now() - t0, step: s.step, numTensors: s.tensors });
    if (s.phase !== 'running' && s.step > 0) break; // stopped by itself (breakpoint, error)
  }
  const runWallMs = Date.now() - t0;
  const metricsAfter = await mainThreadMetrics(cdp);
  if (PROFILE_S > 0 && !profile) profile = (await cdp.send('Profiler.stop')).profile;
  await page.getByTestId('train-pause').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=training-panel]')?.dataset.phase === 'ready', null, { timeout: 60_000 });
  const bench = await page.evaluate(() => window.__bench);
  const finalStep = Number(await page.getByTestId('metric-step').textContent());
  const finalTensors = Number(await page.getByTestId('metric-tensors').textContent());
  const advice = (await page.getByTestId('backend-advice').count()) ? ((await page.getByTestId('backend-advice').textContent()) ?? '').trim().replace(/\s+/g, ' ') : null;
  const shot = join(root, 'test-results', `bench-browser-${row}.png`);
  await page.screenshot({ path: shot });

  // Per-step ms from the app's own CSV export.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  const csvPath = await download.path();
  const rows = readFileSync(csvPath, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const ms = rows.map((r) => Number(r[6])).filter(Number.isFinite);
  const heldOut = rows.filter((r) => r[7] !== '').map((r) => ({ step: Number(r[0]), heldOutNegElbo: round(Number(r[7]), 2) }));

  const runFrom = bench.runClickAt;
  const during = bench.longtasks.filter((t) => t.start >= runFrom);
  const tensorsWhileRunning = samples.filter((s) => s.step >= 2).map((s) => s.numTensors);
  await context.close();
  return {
    row,
    backend,
    renderer,
    page: wasm,
    steps: finalStep,
    readyAfterSelectMs: readyMs,
    runToFirstStepMs: bench.firstStepAt !== null ? round(bench.firstStepAt - bench.runClickAt) : null,
    msPerStepMedian: round(median(ms.slice(1))),
    msPerStepFirst: round(ms[0] ?? null),
    stepsPerSecondWall: round((finalStep / runWallMs) * 1000, 2),
    longTasksWhileRunning: during.length,
    longestTaskMs: during.length ? round(Math.max(...during.map((t) => t.duration))) : 0,
    longTaskApi: !bench.noLongtaskApi,
    mainThreadWhileRunning: busyShare(metricsBefore, metricsAfter),
    workerEventsOnMainThread: Object.fromEntries(
      Object.entries(bench.events ?? {}).map(([k, e]) => [k, { count: e.count, meanMs: round(e.totalMs / e.count, 2), maxMs: round(e.maxMs, 1) }]),
    ),
    ...(profile ? { profileTop: summariseProfile(profile, backend) } : {}),
    longTaskStartsMsAfterRun: during.map((t) => round(t.start - runFrom)),
    longFramesWhileRunning: (bench.loaf ?? []).filter((f) => f.start >= runFrom).slice(0, PROFILE_S > 0 || THROTTLE > 1 ? 200 : 10),
    numTensors: {
      min: tensorsWhileRunning.length ? Math.min(...tensorsWhileRunning) : null,
      max: tensorsWhileRunning.length ? Math.max(...tensorsWhileRunning) : null,
      afterPause: finalTensors,
      samples: samples.filter((_, i) => i % Math.max(1, Math.floor(samples.length / 12)) === 0).map((s) => ({ step: s.step, numTensors: s.numTensors })),
    },
    heldOut,
    backendAdvice: advice,
    pageErrors: errors,
    screenshot: shot.replace(`${root}/`, ''),
  };
}

async function main() {
  mkdirSync(join(root, 'test-results'), { recursive: true });
  const port = await freePort();
  const plainPort = await freePort();
  let stopServer;
  let outDir = null;
  let plain = null;
  if (DIST) {
    const srv = await serveStatic(resolve(DIST), port, true);
    plain = await serveStatic(resolve(DIST), plainPort, false);
    stopServer = () => srv.close();
  } else {
    outDir = mkdtempSync(join(tmpdir(), 'vae-lab-bench-'));
    console.log(`[bench:browser] building into ${outDir} …`);
    const extra = PROFILE_S > 0 ? ['--minify', 'false', '--sourcemap'] : [];
    const b = spawnSync(process.execPath, [viteBin, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'error', ...extra], { cwd: root, env: env(), stdio: 'inherit' });
    if (b.status !== 0) throw new Error('vite build failed');
    const server = spawn(process.execPath, [viteBin, 'preview', '--outDir', outDir, '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd: root, env: env(), stdio: 'ignore' });
    stopServer = () => server.kill('SIGTERM');
    await waitHttp(`http://127.0.0.1:${port}/`, server, 30_000);
    plain = await serveStatic(outDir, plainPort, false);
  }
  const url = `http://127.0.0.1:${port}/`;
  const plainUrl = `http://127.0.0.1:${plainPort}/`;
  const torch = [];
  if (!NO_TORCH) {
    console.log(`[bench:browser] PyTorch CPU row (before): ${TORCH_STEPS} steps …`);
    torch.push(torchRow());
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...CHROMIUM_ARGS],
  });
  const results = [];
  const chromiumVersion = browser.version();
  try {
    for (const row of BACKENDS) {
      console.log(`[bench:browser] ${row}: ${STEPS} steps …`);
      const r = await benchBackend(browser, row === 'wasm-1t' ? plainUrl : url, row);
      results.push(r);
      console.log(
        `[bench:browser] ${row}${r.page.build ? ` (${r.page.build}, ${r.page.threads} thread(s), isolated ${r.page.isolated})` : ''}: ${r.steps} steps, ${r.msPerStepMedian} ms/step (median), Run → first step ${r.runToFirstStepMs} ms, ` +
          `${r.longTasksWhileRunning} long tasks (longest ${r.longestTaskMs} ms), numTensors ${r.numTensors.min}…${r.numTensors.max}, ` +
          `main thread busy ${r.mainThreadWhileRunning.taskPct}% (script ${r.mainThreadWhileRunning.scriptPct}%), ` +
          `slowest worker event on the main thread ${Math.max(0, ...Object.values(r.workerEventsOnMainThread).map((e) => e.maxMs))} ms`,
      );
    }
  } finally {
    await browser.close();
    stopServer();
    plain?.close();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  }
  if (!NO_TORCH) {
    console.log(`[bench:browser] PyTorch CPU row (after): ${TORCH_STEPS} steps …`);
    torch.push(torchRow());
  }
  const torchMs = torch.filter(Boolean).map((t) => t.msPerStepMedian);
  const torchMean = torchMs.length ? torchMs.reduce((a, b) => a + b, 0) / torchMs.length : null;
  for (const r of results) r.ratioToPytorch = torchMean && r.msPerStepMedian ? round(r.msPerStepMedian / torchMean, 2) : null;
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout?.trim() || null;
  const dirty = !!spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }).stdout?.trim();
  const commit = head && dirty ? `${head}+uncommitted changes` : head;
  const report = {
    when: new Date().toISOString(),
    commit,
    loadAverageAtEnd: loadavg().map((x) => round(x, 2)),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, node: process.version, chromium: chromiumVersion, chromiumPath: CHROMIUM, chromiumArgs: CHROMIUM_ARGS },
    graph: 'presets/standard-vae.json (batch 128, 784-400-20-400-784)',
    stepsRequested: STEPS,
    criteria: { longTasksWhileRunning: 0, runToFirstStepMs: '< 3000', numTensors: 'flat (min == max)' },
    pytorch: torch.length ? { runs: torch, msPerStepMean: round(torchMean, 2) } : null,
    results,
  };
  writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
  console.log('\n| row | ms/step (median) | × PyTorch CPU | Run → first step | long tasks | numTensors |');
  console.log('|---|---|---|---|---|---|');
  for (const r of results) {
    const what = r.page.build ? `${r.row} (${r.page.build}, ${r.page.threads} thread${r.page.threads === 1 ? '' : 's'})` : r.row;
    console.log(`| ${what} | ${r.msPerStepMedian} | ${r.ratioToPytorch ?? '–'} | ${r.runToFirstStepMs} ms | ${r.longTasksWhileRunning} | ${r.numTensors.min}…${r.numTensors.max} |`);
  }
  if (torchMean) console.log(`| PyTorch ${torch[0]?.torch ?? ''} CPU (${torch.filter(Boolean).map((t) => t.msPerStepMedian).join(' / ')} before / after; BLAS ${torch[0]?.blas?.replace(/^.*\//, '') ?? '?'}) | ${round(torchMean, 2)} | 1 | | | |`);
  console.log(`[bench:browser] wrote ${OUT.replace(`${root}/`, '')}`);
}

main().catch((err) => {
  console.error(`[bench:browser] failed: ${err.message}`);
  process.exit(1);
});
