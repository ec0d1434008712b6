#!/usr/bin/env node
/**
 * `npm test`: every vitest project (unit, integration, e2e) with a readable reporter on
 * the console and a JSON report in test-results/vitest.json, then ONE final line
 * `N passed, N failed, N skipped` counted from that report. Exits non-zero when
 * anything failed or nothing ran. Extra arguments go to vitest (`npm test -- tests/unit`).
 *
 * Tests that need a system tool that is missing here (Chromium, PyTorch, the Fashion-MNIST
 * files: scripts/tools.mjs) are collected and SKIPPED, counted in the last line, and named in
 * a loud warning. In CI (CI=true) a missing tool is a failure, never a skip.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installHint, isCI, missingTools } from './tools.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const reportFile = join(root, 'test-results', 'vitest.json');
const vitestBin = join(root, 'node_modules', 'vitest', 'vitest.mjs');

const userArgs = process.argv.slice(2);
const missing = missingTools();
const ci = isCI();

const bar = '!'.repeat(76);
const boxLine = (text) => `!!  ${text}`.padEnd(74) + '!!';
const warning = missing.length
  ? [
      '',
      bar,
      boxLine(ci ? 'ERROR: A TOOL THE TESTS NEED IS MISSING IN CI' : 'WARNING: TESTS THAT NEED A MISSING TOOL WERE SKIPPED'),
      ...missing.map((t) => boxLine(`- ${t.name}: ${t.needs}`)),
      boxLine(ci ? 'CI must install it (.ci/run does); this run FAILS.' : 'They are counted as skipped below. Install and run again:'),
      boxLine(`    ${installHint(missing)}`),
      bar,
      '',
    ].join('\n')
  : '';
if (warning) console.warn(warning);

mkdirSync(dirname(reportFile), { recursive: true });
rmSync(reportFile, { force: true });

const args = [
  vitestBin,
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${reportFile}`,
  ...userArgs,
];
const run = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: process.env });
const vitestCode = run.status ?? 1;

let passed = 0;
let failed = 0;
let skipped = 0;
const notes = [];
if (existsSync(reportFile)) {
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  for (const file of report.testResults ?? []) {
    let fileFailed = 0;
    for (const t of file.assertionResults ?? []) {
      if (t.status === 'passed') passed++;
      else if (t.status === 'failed') {
        failed++;
        fileFailed++;
      } else skipped++; // pending, skipped, todo, disabled
    }
    // A file that failed to load (or whose hooks failed) counts as one failure.
    if (file.status === 'failed' && fileFailed === 0) {
      failed++;
      notes.push(`file failed: ${file.name}${file.message ? `: ${String(file.message).split('\n')[0]}` : ''}`);
    }
  }
} else {
  notes.push(`no JSON report was written (${reportFile})`);
}
if (vitestCode !== 0 && failed === 0) {
  // Unhandled errors, a crashed run, or "no test files found".
  failed++;
  notes.push(`vitest exited with code ${vitestCode} (an error outside any test case; see above)`);
}

if (ci) {
  for (const t of missing) {
    failed++;
    notes.push(`CI: ${t.name} is missing (${t.needs}); install it: ${installHint([t])}`);
  }
}

for (const n of notes) console.error(`[test] ${n}`);
if (warning) console.warn(warning);
if (passed + failed === 0) console.error('[test] no test ran');
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed + failed === 0 ? 1 : 0);
