/**
 * What the browser measurements (bench/browser.mjs, bench/browser-train.mjs) share: a free
 * port, the environment Vite builds in, and two readings of the app's training panel.
 */
import { createServer } from 'node:net';

/** The environment for `vite build` / `vite preview` (no test-mode leftovers). */
export function viteEnv() {
  const e = { ...process.env };
  delete e.NODE_ENV;
  delete e.VITEST;
  return e;
}

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** Waits until the training panel runs on `backend` (null: on any), is ready and Run is enabled. */
export async function waitRunnable(page, backend, timeout) {
  await page.waitForFunction(
    (b) => {
      const p = document.querySelector('[data-testid=training-panel]');
      const s = document.querySelector('[data-testid=train-run]');
      return (b === null || p?.dataset.backend === b) && p?.dataset.phase === 'ready' && s && !s.disabled;
    },
    backend,
    { timeout },
  );
}

/** The page's isolation and cores, and the wasm build and threads the app reports. */
export function wasmInfo(page) {
  return page.evaluate(() => {
    const el = document.querySelector('[data-testid=wasm-threads]');
    return { isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency, ...(el ? { build: el.dataset.build, threads: Number(el.dataset.threads), note: el.getAttribute('title') } : {}) };
  });
}
