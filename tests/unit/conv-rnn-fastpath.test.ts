/**
 * The fast conv and recurrent paths (nodes/lib/conv.ts, nodes/lib/rnn.ts) compute the same
 * function and gradients as stock tfjs. The reference is the stock path on the cpu backend
 * (tf.conv2d / tf.conv2dTranspose / the step-by-step cell, differentiated by tf): on wasm the
 * stock conv filter gradient does not exist (no Conv2DBackpropFilter kernel). The fast path
 * runs on cpu and on wasm; every output and gradient must agree within 1e-5 relative
 * (per tensor: max |fast − stock| ≤ 1e-5 · max |stock|, as tests/unit/fastpath.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { conv2d, conv2dTranspose, convOutSize, convTransposeOutSize, type ConvGeometry } from '../../nodes/lib/conv';
import { markConstant } from '../../nodes/lib/dense';
import { rnn, type Cell } from '../../nodes/lib/rnn';
import { useBackend, type BackendName } from '../../src/runtime/backends';
import { randArray } from '../fixtures/node-harness';

const TOL = 1e-5;

interface Case {
  name: string;
  /** Input shapes by name; `x` first. */
  shapes: Record<string, number[]>;
  /** Differentiate with respect to x, or feed it as a marked constant. */
  input: 'variable' | 'constant';
  run: (t: Record<string, tf.Tensor>, fast: boolean) => tf.Tensor;
}

function convCase(transposed: boolean, b: number, h: number, w: number, cin: number, cout: number, g: ConvGeometry, input: Case['input'] = 'variable'): Case {
  const kernel = transposed ? [g.kernel, g.kernel, cout, cin] : [g.kernel, g.kernel, cin, cout];
  const f = transposed ? conv2dTranspose : conv2d;
  return {
    name: `${transposed ? 'conv2dTranspose' : 'conv2d'} [${b},${h},${w},${cin}]→${cout} k${g.kernel} s${g.stride} p${g.padding}${input === 'constant' ? ', constant input' : ''}`,
    shapes: { x: [b, h, w, cin], kernel, bias: [cout] },
    input,
    run: (t, fast) => f(t.x!, t.kernel!, t.bias!, { ...g, activation: 'relu', fast }),
  };
}

function rnnCase(cell: Cell, b: number, steps: number, f: number, units: number, withH0: boolean, input: Case['input'] = 'variable'): Case {
  const g = (cell === 'gru' ? 3 : 4) * units;
  return {
    name: `${cell} [${b},${steps},${f}]→${units}${withH0 ? ' from h0' : ''}${input === 'constant' ? ', constant input' : ''}`,
    shapes: { x: [b, steps, f], kernel: [f, g], recurrentKernel: [units, g], biasIh: [g], biasHh: [g], ...(withH0 ? { h0: [b, units] } : {}) },
    input,
    run: (t, fast) => rnn(cell, t.x!, t.h0 ?? null, { kernel: t.kernel!, recurrentKernel: t.recurrentKernel!, biasIh: t.biasIh!, biasHh: t.biasHh! }, { fast }),
  };
}

const CASES: Case[] = [
  convCase(false, 3, 8, 8, 2, 5, { kernel: 4, stride: 2, padding: 1 }),
  convCase(false, 2, 9, 7, 3, 4, { kernel: 3, stride: 2, padding: 1 }),
  convCase(false, 2, 6, 6, 2, 3, { kernel: 3, stride: 1, padding: 0 }),
  convCase(false, 2, 10, 10, 3, 2, { kernel: 5, stride: 3, padding: 2 }),
  convCase(false, 4, 8, 8, 1, 6, { kernel: 4, stride: 2, padding: 1 }, 'constant'),
  // 8 channels in: on wasm the filter gradient as a dilated conv (not im2col), dx phase by phase
  convCase(false, 2, 8, 8, 8, 4, { kernel: 4, stride: 2, padding: 1 }),
  convCase(false, 2, 9, 9, 8, 3, { kernel: 3, stride: 2, padding: 1 }),
  convCase(true, 3, 4, 4, 5, 2, { kernel: 4, stride: 2, padding: 1 }),
  convCase(true, 2, 5, 3, 3, 4, { kernel: 3, stride: 2, padding: 1 }),
  convCase(true, 2, 4, 4, 2, 3, { kernel: 3, stride: 1, padding: 1 }),
  convCase(true, 2, 3, 4, 3, 2, { kernel: 5, stride: 3, padding: 2 }),
  convCase(true, 2, 3, 3, 2, 2, { kernel: 2, stride: 3, padding: 0 }),
  // 8 channels out: on wasm the forward phase by phase (not one combined kernel), dW as a dilated conv
  convCase(true, 2, 4, 4, 6, 8, { kernel: 4, stride: 2, padding: 1 }),
  convCase(true, 2, 4, 5, 3, 8, { kernel: 3, stride: 2, padding: 1 }),
  rnnCase('gru', 3, 5, 4, 6, false),
  rnnCase('gru', 2, 4, 3, 5, true),
  rnnCase('gru', 3, 6, 2, 4, false, 'constant'),
  rnnCase('lstm', 3, 5, 4, 6, false),
  rnnCase('lstm', 2, 4, 3, 5, true),
  rnnCase('lstm', 3, 6, 2, 4, false, 'constant'),
];

interface Result {
  y: Float32Array;
  grads: Record<string, Float32Array>;
}

/** Loss Σ y ⊙ R (fixed random R) and its gradient with respect to every input but a constant x. */
function evaluate(c: Case, fast: boolean): Result {
  const names = Object.keys(c.shapes);
  const values = Object.fromEntries(names.map((n, i) => [n, randArray(c.shapes[n]!.reduce((a, d) => a * d, 1), 11 + i, -0.8, 0.8)]));
  const vars = Object.fromEntries(names.filter((n) => n !== 'x' || c.input === 'variable').map((n) => [n, tf.tidy(() => tf.variable(tf.tensor(values[n]!, c.shapes[n]!), true))]));
  let y!: Float32Array;
  const { value, grads } = tf.variableGrads(() => {
    const t: Record<string, tf.Tensor> = { ...vars };
    if (c.input === 'constant') t.x = markConstant(tf.tensor(values.x!, c.shapes.x!));
    const out = c.run(t, fast);
    y = out.dataSync() as Float32Array;
    return tf.sum(tf.mul(out, tf.tensor(randArray(out.size, 99), out.shape))) as tf.Scalar;
  }, Object.values(vars));
  const byName: Record<string, Float32Array> = {};
  for (const [n, v] of Object.entries(vars)) byName[n] = grads[v.name]!.dataSync() as Float32Array;
  tf.dispose([value, ...Object.values(grads), ...Object.values(vars)]);
  return { y, grads: byName };
}

function relErr(got: Float32Array, want: Float32Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]!));
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

describe('conv and recurrent fast paths against stock tfjs (cpu)', () => {
  const reference = new Map<string, Result>();
  afterAll(async () => {
    await useBackend('cpu');
  });

  for (const backend of ['cpu', 'wasm'] as BackendName[]) {
    for (const c of CASES) {
      it(`${c.name}: fast on ${backend} = stock on cpu`, async () => {
        if (!reference.has(c.name)) {
          await useBackend('cpu');
          reference.set(c.name, evaluate(c, false));
        }
        const want = reference.get(c.name)!;
        await useBackend(backend);
        const before = tf.memory().numTensors;
        const got = evaluate(c, true);
        expect(tf.memory().numTensors).toBe(before);
        expect(got.y.length).toBe(want.y.length);
        expect(relErr(got.y, want.y)).toBeLessThanOrEqual(TOL);
        expect(Object.keys(got.grads).sort()).toEqual(Object.keys(want.grads).sort());
        for (const n of Object.keys(want.grads)) {
          expect(got.grads[n]!.length, n).toBe(want.grads[n]!.length);
          expect(relErr(got.grads[n]!, want.grads[n]!), `d/d${n}`).toBeLessThanOrEqual(TOL);
        }
      });
    }
  }

  it('wasm has no stock conv filter gradient (why the fast path exists; if this fails, tfjs added the kernel)', async () => {
    await useBackend('wasm');
    const x = tf.ones([1, 4, 4, 1]);
    const w = tf.variable(tf.ones([2, 2, 1, 1]));
    expect(() => tf.variableGrads(() => tf.sum(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid')) as tf.Scalar, [w])).toThrow(/Conv2DBackpropFilter/);
    tf.dispose([x, w]);
  });

  it('output sizes are PyTorch’s', () => {
    const g = { kernel: 4, stride: 2, padding: 1 };
    expect([28, 14, 7].map((n) => convOutSize(n, g))).toEqual([14, 7, 3]);
    expect([7, 14].map((n) => convTransposeOutSize(n, g))).toEqual([14, 28]);
    expect(convOutSize(9, { kernel: 3, stride: 2, padding: 1 })).toBe(5);
    expect(convTransposeOutSize(5, { kernel: 3, stride: 2, padding: 1 })).toBe(9);
  });
});
