#!/usr/bin/env node
/**
 * The full training check (not CI; a few minutes): the standard preset, 5 epochs on wasm,
 * through the command line exactly as a person runs it:
 *
 *   vae-lab train presets/standard-vae.json --epochs 5 --backend wasm --json
 *
 * Prints the held-out −ELBO after each epoch next to the reference (a plain tfjs loop on
 * the same split, mean of seeds 1–3, DESIGN.md section 3) and the median ms/step, and exits
 * 1 unless the final held-out −ELBO is ≤ 137.0.
 *
 *   node scripts/full-train.mjs                 # the preset's seed (1)
 *   node scripts/full-train.mjs --seeds 1,2,3   # one run per seed, then their mean
 *   node scripts/full-train.mjs --json          # the summary as one JSON line
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const REFERENCE = [197.1, 162.7, 149.5, 140.7, 134.9];
const GOAL = 137.0;
const EPOCHS = REFERENCE.length;

const argv = process.argv.slice(2);
const asJson = argv.includes('--json');
const seedsArg = argv.find((a, i) => argv[i - 1] === '--seeds') ?? argv.find((a) => a.startsWith('--seeds='))?.slice(8);
const seeds = seedsArg ? seedsArg.split(',').map((s) => Number(s)) : [undefined];
if (seeds.some((s) => s !== undefined && !(Number.isInteger(s) && s >= 0))) {
  console.error('--seeds takes a comma-separated list of whole numbers, e.g. --seeds 1,2,3');
  process.exit(1);
}

function trainOnce(seed) {
  const args = [join(ROOT, 'bin', 'vae-lab.mjs'), 'train', join(ROOT, 'presets', 'standard-vae.json'), '--epochs', String(EPOCHS), '--backend', 'wasm', '--json', '--log-every', '71'];
  if (seed !== undefined) args.push('--seed', String(seed));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    const events = [];
    child.stdout.on('data', (d) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const e = JSON.parse(line);
        events.push(e);
        if (!asJson && e.event === 'eval') process.stderr.write(`  seed ${seed ?? 'file'}: step ${e.step}  held-out −ELBO ${e.heldOutLoss.toFixed(2)}\n`);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, events }));
  });
}

const runs = [];
for (const seed of seeds) {
  const t0 = Date.now();
  const { code, events } = await trainOnce(seed);
  const errors = events.filter((e) => e.event === 'error');
  if (code !== 0 || errors.length) {
    console.error(`training failed (exit ${code}): ${errors.map((e) => `${e.code} ${e.message}`).join('; ')}`);
    process.exit(1);
  }
  const evals = events.filter((e) => e.event === 'eval').map((e) => e.heldOutLoss);
  const done = events.find((e) => e.event === 'done');
  runs.push({ seed: seed ?? 'file', evals, msPerStep: done.msPerStep, steps: done.steps, numTensors: done.numTensors, seconds: (Date.now() - t0) / 1000 });
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const perEpoch = REFERENCE.map((_, i) => mean(runs.map((r) => r.evals[i])));
const final = perEpoch[EPOCHS - 1];
const summary = { runs, perEpoch, reference: REFERENCE, goal: GOAL, final, pass: final <= GOAL };

if (asJson) {
  process.stdout.write(`${JSON.stringify(summary)}\n`);
} else {
  console.log(`Standard preset, ${EPOCHS} epochs on wasm, seeds ${runs.map((r) => r.seed).join(', ')}`);
  console.log('epoch   held-out −ELBO   reference');
  perEpoch.forEach((v, i) => console.log(`${String(i + 1).padStart(5)}   ${v.toFixed(2).padStart(14)}   ${REFERENCE[i].toFixed(1).padStart(9)}`));
  for (const r of runs) console.log(`seed ${r.seed}: ${r.steps} steps, ${r.msPerStep} ms/step (median), ${r.seconds.toFixed(0)} s, tensors ${r.numTensors.afterFirstStep} → ${r.numTensors.end}`);
  console.log(`final ${final.toFixed(2)} ${final <= GOAL ? '≤' : '>'} ${GOAL}: ${final <= GOAL ? 'PASS' : 'FAIL'}`);
}
process.exit(final <= GOAL ? 0 : 1);
