/**
 * The numbers of the conv and rnn archs of vae.encoder and vae.decoder (DESIGN §8), on the cpu
 * backend: each forward equals the architecture §8 describes, written here with plain tf ops
 * (PyTorch's padding for the convs; the GRU/LSTM from nodes/lib/rnn.ts's stock path, itself
 * tested against PyTorch), with a leading K-sample axis folded into the batch; the fast path's
 * gradients equal the stock path's; and no forward leaves a tensor behind (counted without a tidy).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import encoder from '../../nodes/vae.encoder';
import decoder from '../../nodes/vae.decoder';
import type { DataStructure, PortStructure } from '../../nodes/types';
import { rnn, rnnWeights, type Cell } from '../../nodes/lib/rnn';
import { disposeVars, flat, forward, leakCheck, makeVars, paramsOf, useCpu } from '../fixtures/node-harness';

beforeAll(useCpu);

const IMG: DataStructure = { kind: 'image', h: 8, w: 8, c: 2 };
const SEQ: DataStructure = { kind: 'sequence', t: 5, f: 3 };
const B = 3;
const PAD: [[number, number], [number, number], [number, number], [number, number]] = [
  [0, 0],
  [1, 1],
  [1, 1],
  [0, 0],
];

const convEnc = { arch: 'conv', channels: [3, 4], hidden: [5], latentDim: 2, activation: 'tanh' };
const convDec = { arch: 'conv', channels: [3, 4], hidden: [5], activation: 'elu', outputActivation: 'sigmoid' };
const rnnEnc = (cell: Cell) => ({ arch: 'rnn', cell, rnnUnits: 6, hidden: [4], latentDim: 2, activation: 'relu' });
const rnnDec = (cell: Cell) => ({ arch: 'rnn', cell, rnnUnits: 6, hidden: [4], activation: 'tanh', outputActivation: 'none' });

const act = (a: string) => (t: tf.Tensor) => (a === 'relu' ? tf.relu(t) : a === 'tanh' ? tf.tanh(t) : a === 'elu' ? tf.elu(t) : a === 'sigmoid' ? tf.sigmoid(t) : t);
const lin = (x: tf.Tensor, v: Record<string, tf.Variable>, name: string) => tf.add(tf.matMul(x as tf.Tensor2D, v[`${name}/kernel`] as tf.Variable<tf.Rank.R2>), v[`${name}/bias`]!);

function encVars(p: Record<string, unknown>, s: DataStructure, seed: number) {
  const params = paramsOf(encoder, p);
  const width = s.kind === 'image' ? s.h * s.w * s.c : s.kind === 'sequence' ? s.t * s.f : s.f;
  return makeVars(encoder.variables!(params, { x: ['B', width] }, { mu: ['B', params.latentDim] }, { in: { x: s }, out: {} }), seed);
}

function decVars(p: Record<string, unknown>, s: DataStructure, d: number, seed: number) {
  const params = paramsOf(decoder, p);
  return makeVars(decoder.variables!(params, { z: ['B', d] }, {}, { in: {}, out: { xHat: s } }), seed);
}

const encStructure = (s: DataStructure): PortStructure => ({ in: { x: s }, out: {} });
const decStructure = (s: DataStructure): PortStructure => ({ in: {}, out: { xHat: s } });

/** §8's conv encoder, by hand: conv 4×4 / 2 / 1 + activation per channel, flatten H, W, C, dense, heads. */
function refConvEncoder(x: tf.Tensor2D, v: Record<string, tf.Variable>): [tf.Tensor, tf.Tensor] {
  const a = act(convEnc.activation);
  let h: tf.Tensor = tf.reshape(x, [B, 8, 8, 2]);
  for (const i of [0, 1]) h = a(tf.add(tf.conv2d(h as tf.Tensor4D, v[`conv${i}/kernel`] as tf.Variable<tf.Rank.R4>, 2, PAD), v[`conv${i}/bias`]!));
  h = tf.reshape(h, [B, 2 * 2 * 4]);
  h = a(lin(h, v, 'hidden0'));
  return [lin(h, v, 'mu'), lin(h, v, 'logvar')];
}

/** §8's conv decoder, by hand: dense, dense to 2×2×4, transposed convs 4 → 3 → C (sigmoid last), flatten. */
function refConvDecoder(z: tf.Tensor2D, v: Record<string, tf.Variable>): tf.Tensor {
  const a = act(convDec.activation);
  const n = z.shape[0];
  let h: tf.Tensor = a(lin(a(lin(z, v, 'hidden0')), v, 'grid'));
  h = tf.reshape(h, [n, 2, 2, 4]);
  h = a(tf.add(tf.conv2dTranspose(h as tf.Tensor4D, v['deconv0/kernel'] as tf.Variable<tf.Rank.R4>, [n, 4, 4, 3], 2, PAD), v['deconv0/bias']!));
  h = tf.sigmoid(tf.add(tf.conv2dTranspose(h as tf.Tensor4D, v['deconv1/kernel'] as tf.Variable<tf.Rank.R4>, [n, 8, 8, 2], 2, PAD), v['deconv1/bias']!));
  return tf.reshape(h, [n, 128]);
}

/** §8's rnn encoder: the cell over T steps from zeros, its last h, dense, heads. */
function refRnnEncoder(cell: Cell, x: tf.Tensor2D, v: Record<string, tf.Variable>): [tf.Tensor, tf.Tensor] {
  const y = rnn(cell, tf.reshape(x, [B, 5, 3]), null, rnnWeights(v, 'rnn'), { fast: false });
  const last = tf.reshape(tf.slice(y, [0, 4, 0], [B, 1, 6]), [B, 6]);
  const h = tf.relu(lin(last, v, 'hidden0'));
  return [lin(h, v, 'mu'), lin(h, v, 'logvar')];
}

/** §8's rnn decoder: h0 = tanh(dense(z)), z at every step, each state → dense → F, time-major. */
function refRnnDecoder(cell: Cell, z: tf.Tensor2D, v: Record<string, tf.Variable>): tf.Tensor {
  const n = z.shape[0];
  const h0 = tf.tanh(lin(z, v, 'h0'));
  const steps = tf.stack([z, z, z, z, z], 1);
  const y = rnn(cell, steps, h0, rnnWeights(v, 'rnn'), { fast: false });
  const rows = tf.reshape(y, [n * 5, 6]);
  const out = lin(tf.tanh(lin(rows, v, 'hidden0')), v, 'out');
  return tf.reshape(out, [n, 15]);
}

function close(a: number[], b: number[], tol = 1e-5) {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => expect(Math.abs(x - b[i]!), `at ${i}: ${x} vs ${b[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i]!))));
}

describe('conv arch forward', () => {
  for (const fast of [true, false]) {
    it(`the encoder is §8's conv encoder (${fast ? 'fast' : 'stock'} path)`, () => {
      const v = encVars(convEnc, IMG, 11);
      const x = tf.randomUniform([B, 128], 0, 1, 'float32', 5) as tf.Tensor2D;
      const [got, want] = tf.tidy(() => {
        const o = forward(encoder, { params: convEnc, vars: v, inputs: { x }, structure: encStructure(IMG), fast });
        const [mu, lv] = refConvEncoder(x, v);
        expect(o.mu!.shape).toEqual([B, 2]);
        return [[...flat(o.mu!), ...flat(o.logvar!)], [...flat(mu), ...flat(lv)]];
      });
      close(got, want);
      expect(new Set(got.map((g) => g.toFixed(4))).size).toBeGreaterThan(3);
      x.dispose();
      disposeVars(v);
    });

    it(`the decoder is §8's conv decoder, and maps over a K-sample axis (${fast ? 'fast' : 'stock'} path)`, () => {
      const v = decVars(convDec, IMG, 2, 12);
      const z = tf.randomNormal([2, B, 2], 0, 1, 'float32', 6);
      const [got, want] = tf.tidy(() => {
        const o = forward(decoder, { params: convDec, vars: v, inputs: { z }, structure: decStructure(IMG), fast });
        expect(o.xHat!.shape).toEqual([2, B, 128]);
        const ref = tf.stack([0, 1].map((k) => refConvDecoder(tf.reshape(tf.slice(z, [k, 0, 0], [1, B, 2]), [B, 2]) as tf.Tensor2D, v)));
        return [flat(o.xHat!), flat(ref)];
      });
      close(got, want);
      z.dispose();
      disposeVars(v);
    });
  }
});

describe('rnn arch forward', () => {
  for (const cell of ['gru', 'lstm'] as const) {
    for (const fast of [true, false]) {
      it(`the encoder is §8's ${cell.toUpperCase()} encoder (${fast ? 'fast' : 'stock'} path)`, () => {
        const v = encVars(rnnEnc(cell), SEQ, 21);
        const x = tf.randomNormal([B, 15], 0, 1, 'float32', 7) as tf.Tensor2D;
        const [got, want] = tf.tidy(() => {
          const o = forward(encoder, { params: rnnEnc(cell), vars: v, inputs: { x }, structure: encStructure(SEQ), fast });
          const [mu, lv] = refRnnEncoder(cell, x, v);
          return [[...flat(o.mu!), ...flat(o.logvar!)], [...flat(mu), ...flat(lv)]];
        });
        close(got, want);
        x.dispose();
        disposeVars(v);
      });

      it(`the decoder is §8's ${cell.toUpperCase()} decoder, time-major, over a K-sample axis (${fast ? 'fast' : 'stock'} path)`, () => {
        const v = decVars(rnnDec(cell), SEQ, 2, 22);
        const z = tf.randomNormal([2, B, 2], 0, 1, 'float32', 8);
        const [got, want] = tf.tidy(() => {
          const o = forward(decoder, { params: rnnDec(cell), vars: v, inputs: { z }, structure: decStructure(SEQ), fast });
          expect(o.xHat!.shape).toEqual([2, B, 15]);
          const ref = tf.stack([0, 1].map((k) => refRnnDecoder(cell, tf.reshape(tf.slice(z, [k, 0, 0], [1, B, 2]), [B, 2]) as tf.Tensor2D, v)));
          return [flat(o.xHat!), flat(ref)];
        });
        close(got, want);
        z.dispose();
        disposeVars(v);
      });
    }
  }
});

describe('gradients: the fast path equals the stock path', () => {
  const cases = [
    { name: 'conv encoder', def: encoder, p: convEnc, s: IMG, input: 'x', shape: [B, 128], structure: encStructure(IMG) },
    { name: 'conv decoder', def: decoder, p: convDec, s: IMG, input: 'z', shape: [B, 2], structure: decStructure(IMG) },
    { name: 'GRU encoder', def: encoder, p: rnnEnc('gru'), s: SEQ, input: 'x', shape: [B, 15], structure: encStructure(SEQ) },
    { name: 'LSTM decoder', def: decoder, p: rnnDec('lstm'), s: SEQ, input: 'z', shape: [B, 2], structure: decStructure(SEQ) },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const v = c.input === 'x' ? encVars(c.p, c.s, 31) : decVars(c.p, c.s, 2, 31);
      const input = tf.randomUniform(c.shape, 0, 1, 'float32', 9);
      const names = Object.keys(v);
      const grads = (fast: boolean) =>
        tf.tidy(() => {
          const g = tf.grads((...ts: tf.Tensor[]) => {
            const vars = Object.fromEntries(names.map((n, i) => [n, ts[i + 1] as tf.Variable]));
            const o = forward(c.def, { params: c.p, vars, inputs: { [c.input]: ts[0]! }, structure: c.structure, fast });
            // weight each output differently, so a wrong gradient cannot hide in a sum
            return tf.addN(Object.values(o).map((t, k) => tf.sum(tf.mul(tf.square(t), k + 1)))) as tf.Scalar;
          });
          return g([input, ...names.map((n) => v[n]!)]).map(flat);
        });
      const [a, b] = [grads(true), grads(false)];
      a.forEach((g, i) => close(g, b[i]!, 1e-4));
      expect(a.flat().some((x) => Math.abs(x) > 1e-6)).toBe(true);
      input.dispose();
      disposeVars(v);
    });
  }
});

describe('leaves no tensor behind (counted without a tidy)', () => {
  const cases = [
    { name: 'conv encoder', def: encoder, p: convEnc, vars: () => encVars(convEnc, IMG, 41), input: 'x', shape: [B, 128], structure: encStructure(IMG) },
    { name: 'conv decoder', def: decoder, p: convDec, vars: () => decVars(convDec, IMG, 2, 41), input: 'z', shape: [2, B, 2], structure: decStructure(IMG) },
    { name: 'GRU encoder', def: encoder, p: rnnEnc('gru'), vars: () => encVars(rnnEnc('gru'), SEQ, 41), input: 'x', shape: [B, 15], structure: encStructure(SEQ) },
    { name: 'LSTM encoder', def: encoder, p: rnnEnc('lstm'), vars: () => encVars(rnnEnc('lstm'), SEQ, 41), input: 'x', shape: [B, 15], structure: encStructure(SEQ) },
    { name: 'GRU decoder', def: decoder, p: rnnDec('gru'), vars: () => decVars(rnnDec('gru'), SEQ, 2, 41), input: 'z', shape: [2, B, 2], structure: decStructure(SEQ) },
    { name: 'LSTM decoder', def: decoder, p: rnnDec('lstm'), vars: () => decVars(rnnDec('lstm'), SEQ, 2, 41), input: 'z', shape: [B, 2], structure: decStructure(SEQ) },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const v = c.vars();
      for (const fast of [true, false]) {
        const input = tf.randomNormal(c.shape);
        expect(leakCheck(() => forward(c.def, { params: c.p, vars: v, inputs: { [c.input]: input }, structure: c.structure, fast })).leaked, `fast ${fast}`).toBe(0);
        input.dispose();
      }
      disposeVars(v);
    });
  }
});
