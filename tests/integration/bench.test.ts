/**
 * The bench's contenders (bench/contenders.ts, and for the conv-vae and sequence-vae rows
 * bench/arch-contenders.ts) train the same model from the same numbers, so that timing them
 * compares like with like: their losses at steps 1–3 agree to 1e-4, and the bench's own check
 * refuses contenders that do not. On wasm the stock conv contender cannot train (no
 * Conv2DBackpropFilter kernel): the bench leaves it out and says why.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/runtime/backends';
import { loadMnistNode } from '../../src/runtime/data/mnist-node';
import type { MnistRaw } from '../../src/runtime/data/mnist';
import {
  compiledContender,
  handFastContender,
  sameModelCheck,
  SAME_MODEL_STEPS,
  SAME_MODEL_TOLERANCE,
  standardPlan,
  stockContender,
  type Contender,
} from '../../bench/contenders';
import { archCompiled, archHandFast, archStock, loadArch } from '../../bench/arch-contenders';
import { timeContenders } from '../../bench/run';

let mnist: MnistRaw;
beforeAll(async () => {
  await useBackend('wasm');
  mnist = await loadMnistNode();
});

function firstLosses(c: Contender): number[] {
  try {
    return Array.from({ length: SAME_MODEL_STEPS }, (_, i) => c.step(i + 1));
  } finally {
    c.dispose();
  }
}

describe('bench contenders', () => {
  it('stock, handFast and compiled give the same losses at steps 1–3 (same weights, noise and batches)', () => {
    const losses = { stock: firstLosses(stockContender(mnist)), handFast: firstLosses(handFastContender(mnist)), compiled: firstLosses(compiledContender(mnist)) };
    const r = sameModelCheck(losses);
    console.log(`[bench] losses at steps 1–3: ${JSON.stringify(losses)}; max relative difference ${r.maxRelDiff.toExponential(2)}`);
    expect(r.maxRelDiff).toBeLessThanOrEqual(SAME_MODEL_TOLERANCE);
    // the steps train: the loss moves from step to step
    expect(losses.compiled[2]).not.toBe(losses.compiled[0]);
  });

  it('the check refuses a contender whose model starts elsewhere (another seed of the compiled graph)', () => {
    const other = firstLosses(compiledContender(mnist, standardPlan(), 2));
    const same = firstLosses(compiledContender(mnist, standardPlan()));
    expect(() => sameModelCheck({ compiled: same, other })).toThrow(/do not compute the same model: at step 1 other/);
  });

  it('the check refuses a difference just above 1e-4 and accepts one just below', () => {
    const base = [546, 540, 530];
    expect(() => sameModelCheck({ a: base, b: base.map((x, i) => (i === 2 ? x * (1 + 2e-4) : x)) })).toThrow(/at step 3 b/);
    expect(sameModelCheck({ a: base, b: base.map((x) => x * (1 + 5e-5)) }).maxRelDiff).toBeLessThan(1e-4);
  });
});

describe('bench contenders of the conv-vae and sequence-vae rows', () => {
  it('sequence-vae: stock, handFast and compiled give the same losses at steps 1–3', async () => {
    const setup = await loadArch('sequence-vae', mnist);
    const losses = { stock: firstLosses(archStock(setup)), handFast: firstLosses(archHandFast(setup)), compiled: firstLosses(archCompiled(setup)) };
    const r = sameModelCheck(losses);
    console.log(`[bench] sequence-vae losses at steps 1–3: ${JSON.stringify(losses)}; max relative difference ${r.maxRelDiff.toExponential(2)}`);
    expect(r.maxRelDiff).toBeLessThanOrEqual(SAME_MODEL_TOLERANCE);
    expect(losses.compiled[2]).not.toBe(losses.compiled[0]);
  });

  it('conv-vae: handFast and compiled agree at steps 1–3; the stock contender is reported as failing on wasm, not timed', async () => {
    const setup = await loadArch('conv-vae', mnist);
    const r = await timeContenders([archStock, archHandFast, archCompiled].map((make) => () => make(setup)), { rounds: 0 });
    console.log(`[bench] conv-vae losses at steps 1–3: ${JSON.stringify(r.sameModel.losses)}; max relative difference ${r.sameModel.maxRelDiff.toExponential(2)}`);
    expect(r.failed).toEqual([{ name: 'stock', reason: expect.stringContaining('Conv2DBackpropFilter') }]);
    expect(Object.keys(r.sameModel.losses)).toEqual(['handFast', 'compiled']);
    expect(r.sameModel.maxRelDiff).toBeLessThanOrEqual(SAME_MODEL_TOLERANCE);
  });
});
