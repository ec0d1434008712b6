#!/usr/bin/env node
/**
 * `npm test`: every vitest project (unit, integration, e2e) with a readable reporter on
 * the console and a JSON report in test-results/vitest.json, then ONE final line
 * `N passed, N failed[, N skipped]` counted from that report. Exits non-zero when
 * anything failed or nothing ran. Extra arguments go to vitest (`npm test -- tests/unit`).
 *
 * Without /usr/bin/chromium the e2e project is left out, loudly.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = '/usr/bin/chromium';
const reportFile = join(root, 'test-results', 'vitest.json');
const vitestBin = join(root, 'node_modules', 'vitest', 'vitest.mjs');

const userArgs = process.argv.slice(2);
const hasChromium = existsSync(CHROMIUM);
const userPicksProject = userArgs.some((a) => a === '--project' || a.startsWith('--project='));

const bar = '!'.repeat(76);
const boxLine = (text) => `!!  ${text}`.padEnd(74) + '!!';
const warning = [
  '',
  bar,
  boxLine('WARNING: BROWSER (e2e) TESTS WERE SKIPPED'),
  boxLine(`${CHROMIUM} was not found, so the built app was NOT tested.`),
  boxLine('Install Chromium and run again:'),
  boxLine('    sudo apt-get update && sudo apt-get install -y chromium'),
  bar,
  '',
].join('\n');

const projectArgs = [];
if (!hasChromium) {
  console.warn(warning);
  if (!userPicksProject) projectArgs.push('--project', 'unit', '--project', 'integration');
}

mkdirSync(dirname(reportFile), { recursive: true });
rmSync(reportFile, { force: true });

const args = [
  vitestBin,
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${reportFile}`,
  ...projectArgs,
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

for (const n of notes) console.error(`[test] ${n}`);
if (!hasChromium) console.warn(warning);
if (passed + failed === 0) console.error('[test] no test ran');
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed + failed === 0 ? 1 : 0);
