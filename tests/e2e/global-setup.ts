/**
 * e2e global setup: builds the app once (skipped when dist/ is newer than its sources)
 * and serves it with `vite preview` on a free port of 127.0.0.1. Tests read the URL with
 * `inject('baseUrl')` (or process.env.VAE_LAB_URL). The preview server stops in teardown.
 *
 * Without /usr/bin/chromium nothing is built: the e2e tests are skipped (and fail in CI; see
 * tests/fixtures/tools.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { hasTool } from '../fixtures/tools';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const viteBin = join(root, 'node_modules', 'vite', 'bin', 'vite.js');

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

function distIsFresh(): boolean {
  const built = join(root, 'dist', 'index.html');
  if (!existsSync(built)) return false;
  const inputs = ['src', 'nodes', 'presets', 'lessons', 'public', 'index.html', 'vite.config.ts', 'package.json', 'package-lock.json'];
  const newest = Math.max(...inputs.map((p) => newestMtime(join(root, p))));
  return statSync(built).mtimeMs > newest;
}

function childEnv(): NodeJS.ProcessEnv {
  // Vitest sets NODE_ENV=test; a production build must not inherit it.
  const env = { ...process.env };
  delete env.NODE_ENV;
  delete env.VITEST;
  return env;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`vite preview exited early with code ${child.exitCode}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`vite preview did not answer at ${url} within ${timeoutMs} ms`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!hasTool('chromium')) {
    project.provide('baseUrl', '');
    return async () => {};
  }
  if (!distIsFresh()) {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [viteBin, 'build', '--logLevel', 'warn'], { cwd: root, env: childEnv(), stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`vite build failed (exit ${r.status})`);
    console.log(`[e2e] vite build done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const port = await freePort();
  const child = spawn(process.execPath, [viteBin, 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
    cwd: root,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}/`;
  try {
    await waitForHttp(url, child, 30_000);
  } catch (err) {
    child.kill('SIGTERM');
    throw new Error(`${(err as Error).message}\n${log}`);
  }
  project.provide('baseUrl', url);
  process.env.VAE_LAB_URL = url;
  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  };
}
