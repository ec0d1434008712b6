/**
 * The conv, transposed conv, GRU and LSTM layers (nodes/lib/conv.ts, nodes/lib/rnn.ts) against
 * PyTorch itself: the same numbers go through F.conv2d, F.conv_transpose2d, nn.GRU and nn.LSTM
 * (tests/fixtures/torch_reference.py, float64), weights mapped from VAE Lab's layout as the file
 * comments of those modules say. Outputs and the gradients of Σ y ⊙ R with respect to the input
 * and every weight must agree within 1e-5 relative, on both the fast and the stock path.
 *
 * Needs PyTorch at PYTHON_PATH (tests/fixtures/tools.ts): skipped without it, failing without it in CI.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { conv2d, conv2dTranspose } from '../../nodes/lib/conv';
import { rnn, type Cell } from '../../nodes/lib/rnn';
import { randArray, useCpu } from '../fixtures/node-harness';
import { describeWithTool, PYTHON_PATH } from '../fixtures/tools';

const SCRIPT = fileURLToPath(new URL('../fixtures/torch_reference.py', import.meta.url));
const TOL = 1e-5;


interface TorchCase {
  name: string;
  kind: 'conv2d' | 'conv2dTranspose' | Cell;
  kernel?: number;
  stride?: number;
  padding?: number;
  units?: number;
  tensors: Record<string, { shape: number[]; values: number[] }>;
  outShape: number[];
  upstream: number[];
}

function tensors(shapes: Record<string, number[]>, seed: number): TorchCase['tensors'] {
  return Object.fromEntries(Object.entries(shapes).map(([n, shape], i) => [n, { shape, values: randArray(shape.reduce((a, d) => a * d, 1), seed + i, -0.9, 0.9) }]));
}

function convCase(kind: 'conv2d' | 'conv2dTranspose', b: number, h: number, w: number, cin: number, cout: number, k: number, s: number, p: number): TorchCase {
  const out = (n: number) => (kind === 'conv2d' ? Math.floor((n + 2 * p - k) / s) + 1 : (n - 1) * s - 2 * p + k);
  const kernel = kind === 'conv2d' ? [k, k, cin, cout] : [k, k, cout, cin];
  const outShape = [b, out(h), out(w), cout];
  return {
    name: `${kind} [${b},${h},${w},${cin}]→${cout} k${k} s${s} p${p}`,
    kind,
    kernel: k,
    stride: s,
    padding: p,
    tensors: tensors({ x: [b, h, w, cin], kernel, bias: [cout] }, 3 * k + s + 7 * p + cin),
    outShape,
    upstream: randArray(outShape.reduce((a, d) => a * d, 1), 77),
  };
}

function rnnCase(kind: Cell, b: number, steps: number, f: number, units: number, withH0: boolean): TorchCase {
  const g = (kind === 'gru' ? 3 : 4) * units;
  const outShape = [b, steps, units];
  return {
    name: `${kind} [${b},${steps},${f}]→${units}${withH0 ? ' from h0' : ''}`,
    kind,
    units,
    tensors: tensors({ x: [b, steps, f], kernel: [f, g], recurrentKernel: [units, g], biasIh: [g], biasHh: [g], ...(withH0 ? { h0: [b, units] } : {}) }, steps + f + units),
    outShape,
    upstream: randArray(outShape.reduce((a, d) => a * d, 1), 78),
  };
}

const CASES: TorchCase[] = [
  convCase('conv2d', 2, 8, 8, 2, 3, 4, 2, 1),
  convCase('conv2d', 2, 7, 9, 3, 2, 3, 2, 1),
  convCase('conv2d', 1, 6, 5, 2, 2, 3, 1, 0),
  convCase('conv2dTranspose', 2, 4, 4, 3, 2, 4, 2, 1),
  convCase('conv2dTranspose', 2, 3, 5, 2, 3, 3, 2, 1),
  convCase('conv2dTranspose', 1, 3, 3, 2, 2, 5, 3, 2),
  rnnCase('gru', 3, 5, 2, 4, false),
  rnnCase('gru', 2, 4, 3, 3, true),
  rnnCase('lstm', 3, 5, 2, 4, false),
  rnnCase('lstm', 2, 4, 3, 3, true),
];

interface TorchResult {
  y: number[];
  shape: number[];
  grads: Record<string, number[]>;
}

function runOurs(c: TorchCase, fast: boolean): TorchResult {
  const vars = Object.fromEntries(Object.entries(c.tensors).map(([n, t]) => [n, tf.tidy(() => tf.variable(tf.tensor(t.values, t.shape)))]));
  let y: number[] = [];
  let shape: number[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const v = vars as Record<string, tf.Tensor>;
    let out: tf.Tensor;
    if (c.kind === 'conv2d' || c.kind === 'conv2dTranspose') {
      const f = c.kind === 'conv2d' ? conv2d : conv2dTranspose;
      out = f(v.x!, v.kernel!, v.bias!, { kernel: c.kernel!, stride: c.stride!, padding: c.padding!, activation: 'none', fast });
    } else {
      out = rnn(c.kind, v.x!, v.h0 ?? null, { kernel: v.kernel!, recurrentKernel: v.recurrentKernel!, biasIh: v.biasIh!, biasHh: v.biasHh! }, { fast });
    }
    y = Array.from(out.dataSync());
    shape = out.shape;
    return tf.sum(tf.mul(out, tf.tensor(c.upstream, out.shape))) as tf.Scalar;
  }, Object.values(vars));
  const g = Object.fromEntries(Object.entries(vars).map(([n, v]) => [n, Array.from(grads[v.name]!.dataSync())]));
  tf.dispose([value, ...Object.values(grads), ...Object.values(vars)]);
  return { y, shape, grads: g };
}

function relErr(got: number[], want: number[]): number {
  let scale = 0;
  let diff = 0;
  want.forEach((w, i) => {
    scale = Math.max(scale, Math.abs(w));
    diff = Math.max(diff, Math.abs(got[i]! - w));
  });
  return diff / Math.max(scale, 1e-30);
}

describeWithTool('torch', 'conv, transposed conv, GRU and LSTM against PyTorch', () => {
  let reference: TorchResult[] = [];
  beforeAll(async () => {
    await useCpu();
    const r = spawnSync(PYTHON_PATH, [SCRIPT], { input: JSON.stringify(CASES), encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`torch_reference.py failed: ${r.stderr}`);
    reference = JSON.parse(r.stdout) as TorchResult[];
  }, 120_000);

  CASES.forEach((c, i) => {
    for (const fast of [true, false]) {
      it(`${c.name} (${fast ? 'fast' : 'stock'} path)`, () => {
        const want = reference[i]!;
        const got = runOurs(c, fast);
        expect(got.shape).toEqual(c.outShape);
        expect(want.shape).toEqual(c.outShape);
        expect(relErr(got.y, want.y)).toBeLessThanOrEqual(TOL);
        expect(Object.keys(got.grads).sort()).toEqual(Object.keys(want.grads).sort());
        for (const n of Object.keys(want.grads)) expect(relErr(got.grads[n]!, want.grads[n]!), `d/d${n}`).toBeLessThanOrEqual(TOL);
      });
    }
  });
});
