/**
 * The fused kernels' WebGL programs (nodes/lib/fused-webgl.ts) against the stock tfjs ops, run
 * on webgl in Debian's headless Chromium (SwiftShader here): Adam's θ, m and v after three
 * steps, the Bernoulli BCE row sums and both gradients (p = 0 and 1 included), the column
 * sum, the reparameterization and the KL with their gradients, each within 1e-5 of the reference's scale; the fused programs really ran, and repeated
 * calls leave no tensor behind; and the standard preset's steps with them (bench/webgl-step.page.ts).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runInPage } from '../../bench/webgl-page.mjs';
import { CHROMIUM_PATH, describeWithTool } from '../fixtures/tools';

const ENTRY = resolve(fileURLToPath(new URL('../fixtures/webgl-fused.page.ts', import.meta.url)));
const STEP_ENTRY = resolve(fileURLToPath(new URL('../../bench/webgl-step.page.ts', import.meta.url)));
const TOL = 1e-5;

describeWithTool('chromium', 'fused kernels on webgl (headless Chromium)', () => {
  it('equal the stock ops within 1e-5, run as their own programs, and leave no tensor behind', async () => {
    const [r] = (await runInPage(ENTRY, 'webglFused', [null], CHROMIUM_PATH)) as Array<Record<string, unknown>>;
    expect(r!.backend).toBe('webgl');
    expect(r!.fusedOn).toBe(true); // those on webgl, the transpose (no GPU program) stock
    expect(r!.ran).toEqual(['VaeLabAdamProgram', 'VaeLabBceGradProgram', 'VaeLabBceRowsProgram', 'VaeLabColSumProgram', 'VaeLabKlGradProgram', 'VaeLabKlRowsProgram', 'VaeLabLatentProgram']);
    for (const k of ['adam', 'bceValue', 'bceGradP', 'bceGradX', 'colSum', 'z', 'kl', 'latentGradMu', 'latentGradLogvar']) expect.soft(r![k], k).toBeLessThan(TOL);
    expect(r!.leftBehind).toEqual({ adam: 0, "adam (stock)": 0, bce: 0, "bce (stock)": 0, colSum: 0, "colSum (stock)": 0, latent: 0, "latent (stock)": 0 });
  });

  it('the standard preset trains on webgl with them: the same losses as the stock ops, fewer programs dispatched, numTensors flat', async () => {
    const [stock, fused] = (await runInPage(STEP_ENTRY, 'webglStep', [{ steps: 2, fused: false }, { steps: 2, fused: true }], CHROMIUM_PATH)) as Array<Record<string, number>>;
    for (const k of ['lossFirst', 'lossLast']) expect(Math.abs(fused![k]! - stock![k]!) / Math.abs(stock![k]!), k).toBeLessThan(TOL);
    expect(fused!.dispatchesPerStep).toBeLessThan(stock!.dispatchesPerStep!);
    expect(fused!.numTensorsDrift).toBe(0);
    expect(stock!.numTensorsDrift).toBe(0);
  });
});
