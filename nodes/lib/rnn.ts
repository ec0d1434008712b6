/**
 * GRU and LSTM layers over T steps, shared by layer.gru, layer.lstm and the "rnn" arch of
 * vae.encoder / vae.decoder. Batch-major as tfjs: x [B, T, F] → y [B, T, H] (every step's h).
 *
 * Semantics are PyTorch's nn.GRU / nn.LSTM (one layer, batch_first), DESIGN §8:
 * - GRU, gate order r, z, n: r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)) (the reset gate acts after the hidden product),
 *   h' = (1 − z) ⊙ n + z ⊙ h.
 * - LSTM, gate order i, f, g, o: c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c'); c0 = 0.
 * - weights: `kernel` [F, G·H] (PyTorch's weight_ih_l0 [G·H, F] transposed), `recurrentKernel`
 *   [H, G·H] (weight_hh_l0 transposed), `biasIh` and `biasHh` [G·H] (bias_ih_l0, bias_hh_l0: two
 *   bias vectors, as PyTorch), G = 3 (GRU) or 4 (LSTM), gates in PyTorch's order along the columns.
 *   All uniform in ±1/√H, as PyTorch initialises them.
 *
 * The stock path is the formula step by step in plain tf ops (each step's input product on its
 * own), differentiated by tf. The fast path is one custom gradient over the whole sequence:
 * - the input products of all T steps are one matMul ([T·B, F]·W), forward and backward;
 * - the backward pass (backpropagation through time) is written out: per step only the
 *   recurrent product dA·W_hhᵀ; the weight gradients are one product each over all steps;
 * - on wasm every product is a plain matMul with explicit transposes (a matMul with a
 *   transpose flag falls off XNNPACK onto a naive loop, see nodes/lib/dense.ts); on cpu and
 *   webgl the flags are used.
 * Both compute the same function and gradients up to float32 rounding
 * (tests/unit/conv-rnn-fastpath.test.ts holds them within 1e-5).
 */
import * as tf from '@tensorflow/tfjs';
import type { VarSpec } from '../types';
import { isConstant, layoutFor, type MatMulLayout } from './dense';

export const CELLS = ['gru', 'lstm'] as const;
export type Cell = (typeof CELLS)[number];

export function gateCount(cell: Cell): number {
  return cell === 'gru' ? 3 : 4;
}

export function rnnVars(prefix: string, cell: Cell, features: number, units: number): VarSpec[] {
  const g = gateCount(cell) * units;
  const init = { kind: 'uniform' as const, bound: 1 / Math.sqrt(units) };
  return [
    { name: `${prefix}/kernel`, shape: [features, g], init },
    { name: `${prefix}/recurrentKernel`, shape: [units, g], init },
    { name: `${prefix}/biasIh`, shape: [g], init },
    { name: `${prefix}/biasHh`, shape: [g], init },
  ];
}

export interface RnnWeights {
  kernel: tf.Tensor;
  recurrentKernel: tf.Tensor;
  biasIh: tf.Tensor;
  biasHh: tf.Tensor;
}

export function rnnWeights(vars: Record<string, tf.Variable>, prefix: string): RnnWeights {
  return {
    kernel: vars[`${prefix}/kernel`]!,
    recurrentKernel: vars[`${prefix}/recurrentKernel`]!,
    biasIh: vars[`${prefix}/biasIh`]!,
    biasHh: vars[`${prefix}/biasHh`]!,
  };
}

// ---------------------------------------------------------------------------------------
// Stock: the formula, step by step.

function gruStep(gi: tf.Tensor2D, h: tf.Tensor2D, w: RnnWeights): tf.Tensor2D {
  const gh = tf.add(tf.matMul(h, w.recurrentKernel as tf.Tensor2D), w.biasHh);
  const [ir, iz, inn] = tf.split(gi, 3, 1);
  const [hr, hz, hn] = tf.split(gh, 3, 1);
  const r = tf.sigmoid(tf.add(ir!, hr!));
  const z = tf.sigmoid(tf.add(iz!, hz!));
  const n = tf.tanh(tf.add(inn!, tf.mul(r, hn!)));
  return tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h));
}

function lstmStep(gi: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D, w: RnnWeights): [tf.Tensor2D, tf.Tensor2D] {
  const a = tf.add(gi, tf.add(tf.matMul(h, w.recurrentKernel as tf.Tensor2D), w.biasHh));
  const [ai, af, ag, ao] = tf.split(a, 4, 1);
  const c2 = tf.add(tf.mul(tf.sigmoid(af!), c), tf.mul(tf.sigmoid(ai!), tf.tanh(ag!))) as tf.Tensor2D;
  return [tf.mul(tf.sigmoid(ao!), tf.tanh(c2)) as tf.Tensor2D, c2];
}

function stockRnn(cell: Cell, x: tf.Tensor3D, h0: tf.Tensor2D, w: RnnWeights): tf.Tensor3D {
  const [b, t, f] = x.shape;
  let h = h0;
  let c = tf.zerosLike(h0);
  const ys: tf.Tensor2D[] = [];
  for (let s = 0; s < t; s++) {
    const xs = tf.reshape(tf.slice(x, [0, s, 0], [b, 1, f]), [b, f]) as tf.Tensor2D;
    const gi = tf.add(tf.matMul(xs, w.kernel as tf.Tensor2D), w.biasIh) as tf.Tensor2D;
    if (cell === 'gru') h = gruStep(gi, h, w);
    else [h, c] = lstmStep(gi, h, c, w);
    ys.push(h);
  }
  return tf.stack(ys, 1) as tf.Tensor3D;
}

// ---------------------------------------------------------------------------------------
// Fast: one custom gradient over the sequence.
//
// The cost of a step on wasm is mostly the number of kernel calls, not arithmetic (B·H is
// small). So the loops hold only what depends on the recurrence: forward, the cell (11 calls a
// step); backward, dL/dh through the recurrent product (6-7 calls a step). Every factor of the
// backward pass that depends on forward values only (σ', tanh', h − n, …) is computed once for
// all T steps on stacked [T·B, ·] tensors, and so are the input-side gradients after the loop.

/** a·bᵀ without a transpose flag on wasm (bT given, transposed once per pass). */
function timesT(a: tf.Tensor2D, b: tf.Tensor2D, bT: tf.Tensor2D | null): tf.Tensor2D {
  return bT ? tf.matMul(a, bT) : tf.matMul(a, b, false, true);
}

/** aᵀ·b. */
function tTimes(a: tf.Tensor2D, b: tf.Tensor2D, layout: MatMulLayout): tf.Tensor2D {
  return layout === 'flags' ? tf.matMul(a, b, true, false) : tf.matMul(tf.transpose(a), b);
}

/** σ'(u) through s = σ(u): s(1 − s). */
function dSigmoid(s: tf.Tensor): tf.Tensor {
  return tf.mul(s, tf.sub(1, s));
}

/** tanh'(u) through t = tanh(u): 1 − t². */
function dTanh(t: tf.Tensor): tf.Tensor {
  return tf.sub(1, tf.square(t));
}

/** Time-major rows of all steps: step s is rows [s·B, (s+1)·B). */
function rowsOf(t: tf.Tensor2D, steps: number): tf.Tensor2D[] {
  return tf.split(t, steps, 0) as tf.Tensor2D[];
}

interface Forward {
  /** Every step's h, time-major [T·B, H]. */
  hs: tf.Tensor2D;
  /** Stacked [T·B, ·] tensors the backward pass reads (h_{t−1} first). */
  saved: tf.Tensor2D[];
}

function gruForward(gi: tf.Tensor2D, steps: number, h0: tf.Tensor2D, whh: tf.Tensor2D, bhh: tf.Tensor1D): Forward {
  const units = h0.shape[1];
  const [giRz, giN] = tf.split(gi, [2 * units, units], 1) as [tf.Tensor2D, tf.Tensor2D];
  const [rzRows, nRows] = [rowsOf(giRz, steps), rowsOf(giN, steps)];
  const [whhRz, whhN] = tf.split(whh, [2 * units, units], 1) as [tf.Tensor2D, tf.Tensor2D];
  const [bhhRz, bhhN] = tf.split(bhh, [2 * units, units]) as [tf.Tensor1D, tf.Tensor1D];
  const hs: tf.Tensor2D[] = [];
  const rzs: tf.Tensor2D[] = [];
  const ns: tf.Tensor2D[] = [];
  const ghns: tf.Tensor2D[] = [];
  let h = h0;
  for (let s = 0; s < steps; s++) {
    const rz = tf.sigmoid(tf.add(rzRows[s]!, tf.fused.matMul({ a: h, b: whhRz, bias: bhhRz }))) as tf.Tensor2D;
    const ghn = tf.fused.matMul({ a: h, b: whhN, bias: bhhN }) as tf.Tensor2D;
    const [r, z] = tf.split(rz, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    const n = tf.tanh(tf.add(nRows[s]!, tf.mul(r, ghn))) as tf.Tensor2D;
    h = tf.add(n, tf.mul(z, tf.sub(h, n))) as tf.Tensor2D;
    hs.push(h);
    rzs.push(rz);
    ns.push(n);
    ghns.push(ghn);
  }
  const hPrev = tf.concat([h0, ...hs.slice(0, -1)], 0) as tf.Tensor2D;
  return { hs: tf.concat(hs, 0) as tf.Tensor2D, saved: [hPrev, tf.concat(rzs, 0), tf.concat(ns, 0), tf.concat(ghns, 0)] };
}

function lstmForward(gi: tf.Tensor2D, steps: number, h0: tf.Tensor2D, whh: tf.Tensor2D, bhh: tf.Tensor1D): Forward {
  const units = h0.shape[1];
  const giRows = rowsOf(gi, steps);
  const hs: tf.Tensor2D[] = [];
  const cs: tf.Tensor2D[] = [];
  const sgs: tf.Tensor2D[] = [];
  const ggs: tf.Tensor2D[] = [];
  const tcs: tf.Tensor2D[] = [];
  let h = h0;
  let c = tf.zerosLike(h0) as tf.Tensor2D;
  for (let s = 0; s < steps; s++) {
    const a = tf.add(giRows[s]!, tf.fused.matMul({ a: h, b: whh, bias: bhh })) as tf.Tensor2D;
    const sg = tf.sigmoid(a) as tf.Tensor2D;
    const gg = tf.tanh(tf.slice(a, [0, 2 * units], [-1, units])) as tf.Tensor2D;
    const [i, f, , o] = tf.split(sg, 4, 1) as tf.Tensor2D[];
    cs.push(c);
    c = tf.add(tf.mul(f!, c), tf.mul(i!, gg)) as tf.Tensor2D;
    const tc = tf.tanh(c) as tf.Tensor2D;
    h = tf.mul(o!, tc) as tf.Tensor2D;
    hs.push(h);
    sgs.push(sg);
    ggs.push(gg);
    tcs.push(tc);
  }
  const hPrev = tf.concat([h0, ...hs.slice(0, -1)], 0) as tf.Tensor2D;
  return { hs: tf.concat(hs, 0) as tf.Tensor2D, saved: [hPrev, tf.concat(cs, 0), tf.concat(sgs, 0), tf.concat(ggs, 0), tf.concat(tcs, 0)] };
}

interface Backward {
  /** dL/d(input pre-activations) and dL/d(recurrent pre-activations), [T·B, G·H]. */
  dgi: tf.Tensor2D;
  dgh: tf.Tensor2D;
  dh0: tf.Tensor2D | null;
}

/** dys: dL/dh_t from above, [T·B, H]. */
function gruBackward(dys: tf.Tensor2D, steps: number, saved: tf.Tensor2D[], whh: tf.Tensor2D, whhT: tf.Tensor2D | null, wantH0: boolean): Backward {
  const [hPrev, rz, n, ghn] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const [r, z] = tf.split(rz, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
  // h' = n + z ⊙ (h − n), n = tanh(a_n), a_n = gi_n + r ⊙ gh_n: per unit of dL/dh',
  const p = tf.mul(tf.sub(1, z), dTanh(n)); //                        dL/da_n
  const drz = tf.mul(tf.concat([tf.mul(p, ghn), tf.sub(hPrev, n)], 1), dSigmoid(rz)); // dL/da_r, dL/da_z
  const m = tf.concat([drz, tf.mul(p, r)], 1) as tf.Tensor2D; // dL/d(gh_r, gh_z, gh_n)
  const [mRows, zRows, dyRows] = [rowsOf(m, steps), rowsOf(z, steps), rowsOf(dys, steps)];
  const dhs: tf.Tensor2D[] = new Array(steps);
  const dghs: tf.Tensor2D[] = new Array(steps);
  let dh = dyRows[steps - 1]!;
  let dh0: tf.Tensor2D | null = null;
  for (let s = steps - 1; s >= 0; s--) {
    dhs[s] = dh;
    dghs[s] = tf.mul(tf.concat([dh, dh, dh], 1), mRows[s]!) as tf.Tensor2D;
    if (s === 0 && !wantH0) break;
    const dPrev = tf.add(tf.mul(dh, zRows[s]!), timesT(dghs[s]!, whh, whhT)) as tf.Tensor2D;
    if (s > 0) dh = tf.add(dPrev, dyRows[s - 1]!);
    else dh0 = dPrev;
  }
  const dgh = tf.concat(dghs, 0) as tf.Tensor2D;
  const dH = tf.concat(dhs, 0);
  const units = dh.shape[1];
  const dgi = tf.concat([tf.slice(dgh, [0, 0], [-1, 2 * units]), tf.mul(dH, p)], 1) as tf.Tensor2D;
  return { dgi, dgh, dh0 };
}

function lstmBackward(dys: tf.Tensor2D, steps: number, saved: tf.Tensor2D[], whh: tf.Tensor2D, whhT: tf.Tensor2D | null, wantH0: boolean): Backward {
  const [, cPrev, sg, gg, tc] = saved as tf.Tensor2D[];
  const [i, f, , o] = tf.split(sg!, 4, 1) as tf.Tensor2D[];
  // c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c'): dL/dc' = dL/dh' ⊙ u + dL/dc'' ⊙ f'', and the gates'
  // pre-activations get [dc, dc, dc, dh] ⊙ m.
  const u = tf.mul(o!, dTanh(tc!));
  const zero = tf.zerosLike(tc!);
  const m = tf.add(tf.mul(tf.concat([gg!, cPrev!, zero, tc!], 1), dSigmoid(sg!)), tf.concat([zero, zero, tf.mul(i!, dTanh(gg!)), zero], 1)) as tf.Tensor2D;
  const [mRows, uRows, fRows, dyRows] = [rowsOf(m, steps), rowsOf(u as tf.Tensor2D, steps), rowsOf(f!, steps), rowsOf(dys, steps)];
  const das: tf.Tensor2D[] = new Array(steps);
  let dh = dyRows[steps - 1]!;
  let dc: tf.Tensor2D | null = null;
  let dh0: tf.Tensor2D | null = null;
  for (let s = steps - 1; s >= 0; s--) {
    const fromH = tf.mul(dh, uRows[s]!) as tf.Tensor2D;
    dc = dc ? tf.add(fromH, tf.mul(dc, fRows[s + 1]!)) : fromH;
    das[s] = tf.mul(tf.concat([dc, dc, dc, dh], 1), mRows[s]!) as tf.Tensor2D;
    if (s === 0 && !wantH0) break;
    const dPrev = timesT(das[s]!, whh, whhT);
    if (s > 0) dh = tf.add(dPrev, dyRows[s - 1]!);
    else dh0 = dPrev;
  }
  const da = tf.concat(das, 0) as tf.Tensor2D;
  return { dgi: da, dgh: da, dh0 };
}

/**
 * The sequence as one custom gradient over [x?, h0?, W_ih, W_hh, b_ih, b_hh]: x is left out when
 * it is a constant (no gradient asked), h0 when it is the zero state.
 */
function fastRnn(cell: Cell, x: tf.Tensor3D, h0: tf.Tensor2D | null, w: RnnWeights, withX: boolean): tf.Tensor3D {
  const layout = layoutFor(tf.getBackend());
  const [b, t, f] = x.shape;
  const units = w.recurrentKernel.shape[0]!;
  const f1 = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args.pop() as tf.GradSaveFunc;
    const ins = args as tf.Tensor[];
    let k = 0;
    const cx = (withX ? ins[k++] : x) as tf.Tensor3D;
    const ch0 = (h0 ? ins[k++] : tf.zeros([b, units])) as tf.Tensor2D;
    const [wih, whh, bih, bhh] = ins.slice(k) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
    // Time-major rows: step s is rows [s·B, (s+1)·B); all T input products in one matMul.
    const x2 = tf.reshape(tf.transpose(cx, [1, 0, 2]), [t * b, f]) as tf.Tensor2D;
    const gi = tf.fused.matMul({ a: x2, b: wih, bias: bih }) as tf.Tensor2D;
    const fw = (cell === 'gru' ? gruForward : lstmForward)(gi, t, ch0, whh, bhh);
    const y = tf.transpose(tf.reshape(fw.hs, [t, b, units]), [1, 0, 2]) as tf.Tensor3D;
    save([x2, wih, whh, ...fw.saved]);
    return {
      value: y,
      gradFunc: (dy, s) => {
        const [sx2, swih, swhh, ...saved] = s as tf.Tensor2D[];
        const dys = tf.reshape(tf.transpose(dy as tf.Tensor3D, [1, 0, 2]), [t * b, units]) as tf.Tensor2D;
        const whhT = layout === 'xnnpack' ? (tf.transpose(swhh!) as tf.Tensor2D) : null;
        const bw = (cell === 'gru' ? gruBackward : lstmBackward)(dys, t, saved, swhh!, whhT, h0 !== null);
        const out: tf.Tensor[] = [];
        if (withX) {
          const dx2 = layout === 'flags' ? tf.matMul(bw.dgi, swih!, false, true) : tf.matMul(bw.dgi, tf.transpose(swih!));
          out.push(tf.transpose(tf.reshape(dx2, [t, b, f]), [1, 0, 2]));
        }
        if (h0) out.push(bw.dh0!);
        const dbih = tf.sum(bw.dgi, 0);
        // h_{t−1} for every step is the first saved tensor.
        out.push(tTimes(sx2!, bw.dgi, layout), tTimes(saved[0]!, bw.dgh, layout), dbih, bw.dgh === bw.dgi ? dbih : tf.sum(bw.dgh, 0));
        return out;
      },
    };
  }) as unknown as (...ts: tf.Tensor[]) => tf.Tensor3D;
  const inputs = [...(withX ? [x] : []), ...(h0 ? [h0] : []), w.kernel, w.recurrentKernel, w.biasIh, w.biasHh];
  return f1(...inputs);
}

export interface RnnOptions {
  fast: boolean;
  /** Skip dL/dx (the input is data no gradient is asked of); also implied by markConstant. */
  constantInput?: boolean;
}

/**
 * The cell over the T steps of x [..., B, T, F] (a leading K-sample axis folds into the batch),
 * from h0 [..., B, H] (null: zeros). Returns every step's h, [..., B, T, H]; the last is y[:, T−1].
 */
export function rnn(cell: Cell, x: tf.Tensor, h0: tf.Tensor | null, w: RnnWeights, o: RnnOptions): tf.Tensor {
  const units = w.recurrentKernel.shape[0]!;
  const lead = x.shape.slice(0, -2);
  const x3 = (x.rank === 3 ? x : tf.reshape<tf.Rank>(x, [-1, ...x.shape.slice(-2)] as number[])) as tf.Tensor3D;
  const h2 = h0 ? ((h0.rank === 2 ? h0 : tf.reshape(h0, [-1, units])) as tf.Tensor2D) : null;
  const y = o.fast ? fastRnn(cell, x3, h2, w, !(o.constantInput || isConstant(x))) : stockRnn(cell, x3, h2 ?? tf.zeros([x3.shape[0], units]), w);
  return x.rank === 3 ? y : tf.reshape(y, [...lead, ...y.shape.slice(1)]);
}

/** The last step's h of rnn()'s output y [..., T, H]. */
export function lastStep(y: tf.Tensor): tf.Tensor {
  const t = y.shape[y.rank - 2]!;
  const begin = y.shape.map((_, i) => (i === y.rank - 2 ? t - 1 : 0));
  const size = y.shape.map((d, i) => (i === y.rank - 2 ? 1 : d));
  return tf.squeeze(tf.slice(y, begin, size), [y.rank - 2]);
}
