#!/usr/bin/env node
/**
 * Builds the sample datasets that ship with the app (DESIGN.md section 7) from the npm
 * `vega-datasets` package (BSD-3-Clause), as `postinstall` (after build-mnist.mjs):
 *   public/data/samples/penguins.csv         sample:penguins (from penguins.json; null → empty cell)
 *   public/data/samples/seattle-weather.csv  sample:seattle-weather (as published)
 * Compact CSV, read by the same table loader as a person's own files.
 * Never fails an install: if the package is missing it says so and exits 0.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = join(root, 'node_modules', 'vega-datasets', 'data');
const outDir = join(root, 'public', 'data', 'samples');

/** One CSV cell: quoted when it holds a comma, a quote or a line break (RFC 4180). */
function cell(v) {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function recordsToCsv(records) {
  const keys = [];
  for (const r of records) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
  const lines = [keys.map(cell).join(',')];
  for (const r of records) lines.push(keys.map((k) => cell(r[k])).join(','));
  return `${lines.join('\n')}\n`;
}

const SAMPLES = [
  { out: 'penguins.csv', from: 'penguins.json', build: (text) => recordsToCsv(JSON.parse(text)) },
  { out: 'seattle-weather.csv', from: 'seattle-weather.csv', build: (text) => text.replace(/\r\n/g, '\n') },
];

function main() {
  const self = statSync(fileURLToPath(import.meta.url)).mtimeMs;
  for (const s of SAMPLES) {
    const input = join(pkg, s.from);
    const output = join(outDir, s.out);
    if (!existsSync(input)) {
      console.warn(`[build-samples] the npm "vega-datasets" package was not found (${input} is missing); ${output} was NOT built.`);
      continue;
    }
    if (existsSync(output) && !process.argv.includes('--force')) {
      const t = statSync(output).mtimeMs;
      if (t >= statSync(input).mtimeMs && t >= self) {
        console.log(`[build-samples] public/data/samples/${s.out} is up to date`);
        continue;
      }
    }
    const csv = s.build(readFileSync(input, 'utf8'));
    mkdirSync(outDir, { recursive: true });
    const tmp = `${output}.tmp-${process.pid}`;
    writeFileSync(tmp, csv);
    renameSync(tmp, output);
    console.log(`[build-samples] wrote public/data/samples/${s.out}: ${csv.split('\n').length - 2} rows, ${csv.length} bytes`);
  }
}

try {
  main();
} catch (err) {
  console.error(`[build-samples] failed: ${err instanceof Error ? err.message : err}`);
  process.exitCode = 0;
}
