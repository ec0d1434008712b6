#!/usr/bin/env node
/**
 * The system tools some tests need, in one table: what each is for, how to tell it is
 * present, and the Debian package that provides it. Used by
 *   - tests/fixtures/tools.ts: a test block that needs a tool is SKIPPED (and counted) where the
 *     tool is missing, and FAILS in CI (CI=true), where a missing tool is never a reason to skip;
 *   - scripts/test.mjs (`npm test`): a loud warning naming the missing tools, and in CI a failure;
 *   - .ci/run: `node scripts/tools.mjs apt` lists the packages to install, `check` fails when a
 *     tool is still missing after the install.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const PYTHON_PATH = '/usr/bin/python3';
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
const FASHION_MNIST_FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];

/** @typedef {'chromium' | 'torch' | 'fashion-mnist'} ToolName */
/** @typedef {{ name: ToolName, apt: string, needs: string, present: () => boolean }} Tool */

/** @type {Tool[]} */
export const TOOLS = [
  {
    name: 'chromium',
    apt: 'chromium',
    needs: `the browser (e2e) tests: Chromium at ${CHROMIUM_PATH}`,
    present: () => existsSync(CHROMIUM_PATH),
  },
  {
    name: 'torch',
    apt: 'python3-torch',
    needs: `the PyTorch export tests: ${PYTHON_PATH} with torch`,
    present: () => existsSync(PYTHON_PATH) && spawnSync(PYTHON_PATH, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 }).status === 0,
  },
  {
    name: 'fashion-mnist',
    apt: 'dataset-fashion-mnist',
    needs: `the Fashion-MNIST data tests: the IDX files in ${FASHION_MNIST_DIR}/`,
    present: () => FASHION_MNIST_FILES.every((f) => existsSync(`${FASHION_MNIST_DIR}/${f}`)),
  },
];

/** @type {Map<ToolName, boolean>} */
const seen = new Map();

/** @param {ToolName} name @returns {Tool} */
export function tool(name) {
  const t = TOOLS.find((x) => x.name === name);
  if (!t) throw new Error(`unknown tool "${name}" (scripts/tools.mjs knows ${TOOLS.map((x) => x.name).join(', ')})`);
  return t;
}

/** Whether a tool is present (checked once per process). @param {ToolName} name */
export function hasTool(name) {
  if (!seen.has(name)) seen.set(name, tool(name).present());
  return /** @type {boolean} */ (seen.get(name));
}

/** @returns {Tool[]} */
export function missingTools() {
  return TOOLS.filter((t) => !hasTool(t.name));
}

/** Whether this run is CI, where a missing tool is a failure and never a skip. */
export function isCI() {
  const v = process.env.CI;
  return !!v && v !== '0' && v.toLowerCase() !== 'false';
}

/** The install command for some tools. @param {Tool[]} tools */
export function installHint(tools) {
  return `sudo apt-get update && sudo apt-get install -y ${tools.map((t) => t.apt).join(' ')}`;
}

// `node scripts/tools.mjs apt`: the Debian packages of the missing tools, one a line.
// `node scripts/tools.mjs check`: exit 1, naming each, when a tool is missing.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const cmd = process.argv[2];
  const missing = missingTools();
  if (cmd === 'apt') {
    for (const t of missing) console.log(t.apt);
  } else if (cmd === 'check') {
    for (const t of TOOLS) console.log(`[tools] ${hasTool(t.name) ? 'present' : 'MISSING'}: ${t.name} (${t.needs}; Debian package ${t.apt})`);
    process.exit(missing.length ? 1 : 0);
  } else {
    console.error('usage: node scripts/tools.mjs apt|check');
    process.exit(2);
  }
}
