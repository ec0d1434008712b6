#!/usr/bin/env node
/**
 * WebGL's cost in programs (not a test): `node bench/webgl-step.mjs [--steps N] [--stock | --both [--pairs P]]`.
 * Bundles bench/webgl-step.page.ts with esbuild, runs it in Debian's Chromium (headless; no GPU
 * here, so WebGL is SwiftShader, a software renderer: its times do not transfer to a GPU, its
 * counts do) and prints, for the compiled standard preset on webgl: the shader programs compiled
 * in the first step, the first step's ms, programs dispatched per step and ms per step.
 * `--stock` turns the fused kernels off (the stock tfjs ops); `--both` interleaves P pairs
 * (default 2) of stock and fused rows (fresh pages), for the before/after.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInPage } from './webgl-page.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--steps');
const steps = i > 0 ? Number(process.argv[i + 1]) : 20;
const pairs = process.argv.includes('--pairs') ? Number(process.argv[process.argv.indexOf('--pairs') + 1]) : 2;
const rounds = process.argv.includes('--stock') ? [false] : process.argv.includes('--both') ? Array.from({ length: 2 * pairs }, (_, k) => k % 2 === 1) : [true];
const results = await runInPage(resolve(root, 'bench/webgl-step.page.ts'), 'webglStep', rounds.map((fused) => ({ steps, fused })));
for (const r of results) console.log(JSON.stringify(r, null, 1));
