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

/** a·bᵀ without a transpose flag on wasm (bT given, transposed once per pass). */
function timesT(a: tf.Tensor2D, b: tf.Tensor2D, bT: tf.Tensor2D | null): tf.Tensor2D {
  return bT ? tf.matMul(a, bT) : tf.matMul(a, b, false, true);
}

/** aᵀ·b. */
function tTimes(a: tf.Tensor2D, b: tf.Tensor2D, layout: MatMulLayout): tf.Tensor2D {
  return layout === 'flags' ? tf.matMul(a, b, true, false) : tf.matMul(tf.transpose(a), b);
}

interface Forward {
  /** Every step's h, time-major [T·B, H]. */
  hs: tf.Tensor2D[];
  /** Tensors the backward pass reads, per step. */
  saved: tf.Tensor2D[];
}

const PER_STEP: Record<Cell, number> = { gru: 4, lstm: 6 };

function fastForward(cell: Cell, gi: tf.Tensor2D[], h0: tf.Tensor2D, whh: tf.Tensor2D, bhh: tf.Tensor1D): Forward {
  const units = h0.shape[1];
  const hs: tf.Tensor2D[] = [];
  const saved: tf.Tensor2D[] = [];
  let h = h0;
  let c: tf.Tensor2D | null = null;
  for (const g of gi) {
    const gh = tf.fused.matMul({ a: h, b: whh, bias: bhh });
    if (cell === 'gru') {
      const [gir, gin] = tf.split(g, [2 * units, units], 1) as [tf.Tensor2D, tf.Tensor2D];
      const [ghrz, ghn] = tf.split(gh, [2 * units, units], 1) as [tf.Tensor2D, tf.Tensor2D];
      const rz = tf.sigmoid(tf.add(gir, ghrz)) as tf.Tensor2D;
      const [r, z] = tf.split(rz, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      const n = tf.tanh(tf.add(gin, tf.mul(r, ghn))) as tf.Tensor2D;
      saved.push(h, rz, n, ghn);
      h = tf.add(n, tf.mul(z, tf.sub(h, n)));
    } else {
      const a = tf.add(g, gh) as tf.Tensor2D;
      const sg = tf.sigmoid(a) as tf.Tensor2D;
      const [i, f, , o] = tf.split(sg, 4, 1) as tf.Tensor2D[];
      const gg = tf.tanh(tf.slice(a, [0, 2 * units], [-1, units])) as tf.Tensor2D;
      const cPrev = c ?? tf.zerosLike(h0);
      c = tf.add(tf.mul(f!, cPrev), tf.mul(i!, gg)) as tf.Tensor2D;
      const tc = tf.tanh(c) as tf.Tensor2D;
      saved.push(h, cPrev, sg, gg, tc, o!);
      h = tf.mul(o!, tc);
    }
    hs.push(h);
  }
  return { hs, saved };
}

/**
 * Backpropagation through time. dys: dL/dh for each step (time order); returns the per-step
 * gradients with respect to the input pre-activations (dGI) and to the recurrent
 * pre-activations (dGH), and dL/dh0 when asked.
 */
function fastBackward(
  cell: Cell,
  dys: tf.Tensor2D[],
  saved: tf.Tensor2D[],
  whh: tf.Tensor2D,
  layout: MatMulLayout,
  wantH0: boolean,
): { dgi: tf.Tensor2D[]; dgh: tf.Tensor2D[]; dh0: tf.Tensor2D | null } {
  const steps = dys.length;
  const per = PER_STEP[cell];
  const whhT = layout === 'xnnpack' ? (tf.transpose(whh) as tf.Tensor2D) : null;
  const dgi: tf.Tensor2D[] = new Array(steps);
  const dgh: tf.Tensor2D[] = new Array(steps);
  let dh = dys[steps - 1]!;
  let dcCarry: tf.Tensor2D | null = null;
  let dh0: tf.Tensor2D | null = null;
  for (let s = steps - 1; s >= 0; s--) {
    const k = s * per;
    let dhPrev: tf.Tensor2D | null = null;
    if (cell === 'gru') {
      const [hPrev, rz, n, ghn] = saved.slice(k, k + per) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const [r, z] = tf.split(rz, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      // h' = n + z ⊙ (h − n)
      const dan = tf.mul(tf.mul(dh, tf.sub(1, z)), tf.sub(1, tf.square(n))) as tf.Tensor2D;
      const dz = tf.mul(dh, tf.sub(hPrev, n));
      const dr = tf.mul(dan, ghn);
      const drz = tf.mul(tf.concat([dr, dz], 1), tf.mul(rz, tf.sub(1, rz))) as tf.Tensor2D;
      dgi[s] = tf.concat([drz, dan], 1);
      dgh[s] = tf.concat([drz, tf.mul(dan, r)], 1);
      if (s > 0 || wantH0) dhPrev = tf.add(tf.mul(dh, z), timesT(dgh[s]!, whh, whhT));
    } else {
      const [, cPrev, sg, gg, tc, o] = saved.slice(k, k + per) as tf.Tensor2D[];
      const [i, f] = tf.split(sg!, 4, 1) as tf.Tensor2D[];
      let dc = tf.mul(tf.mul(dh, o!), tf.sub(1, tf.square(tc!))) as tf.Tensor2D;
      if (dcCarry) dc = tf.add(dc, dcCarry);
      // σ' for i, f, o through sg; tanh' for g.
      const dSig = tf.mul(tf.concat([tf.mul(dc, gg!), tf.mul(dc, cPrev!), tf.zerosLike(dc), tf.mul(dh, tc!)], 1), tf.mul(sg!, tf.sub(1, sg!)));
      const dg = tf.mul(tf.mul(dc, i!), tf.sub(1, tf.square(gg!)));
      const [dsi, dsf, , dso] = tf.split(dSig, 4, 1);
      const da = tf.concat([dsi!, dsf!, dg, dso!], 1) as tf.Tensor2D;
      dgi[s] = da;
      dgh[s] = da;
      dcCarry = tf.mul(dc, f!) as tf.Tensor2D;
      if (s > 0 || wantH0) dhPrev = timesT(da, whh, whhT);
    }
    if (s > 0) dh = tf.add(dhPrev!, dys[s - 1]!);
    else dh0 = dhPrev;
  }
  return { dgi, dgh, dh0 };
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
    // Time-major rows: step s is rows [s·B, (s+1)·B).
    const x2 = tf.reshape(tf.transpose(cx, [1, 0, 2]), [t * b, f]) as tf.Tensor2D;
    const gi = tf.split(tf.fused.matMul({ a: x2, b: wih, bias: bih }), t, 0) as tf.Tensor2D[];
    const fw = fastForward(cell, gi, ch0, whh, bhh);
    const y = tf.transpose(tf.reshape(tf.concat(fw.hs, 0), [t, b, units]), [1, 0, 2]) as tf.Tensor3D;
    save([x2, wih, whh, ...fw.saved]);
    return {
      value: y,
      gradFunc: (dy, s) => {
        const [sx2, swih, swhh, ...perStep] = s as tf.Tensor2D[];
        const dys = tf.split(tf.reshape(tf.transpose(dy as tf.Tensor3D, [1, 0, 2]), [t * b, units]), t, 0) as tf.Tensor2D[];
        const bw = fastBackward(cell, dys, perStep, swhh!, layout, h0 !== null);
        const dGI = tf.concat(bw.dgi, 0) as tf.Tensor2D;
        const dGH = cell === 'lstm' ? dGI : (tf.concat(bw.dgh, 0) as tf.Tensor2D);
        // h_{s−1} for every step, time-major: the first saved tensor of each step.
        const per = PER_STEP[cell];
        const hPrev = tf.concat(
          perStep.filter((_, i) => i % per === 0),
          0,
        ) as tf.Tensor2D;
        const out: tf.Tensor[] = [];
        if (withX) {
          const dx2 = layout === 'flags' ? tf.matMul(dGI, swih!, false, true) : tf.matMul(dGI, tf.transpose(swih!));
          out.push(tf.transpose(tf.reshape(dx2, [t, b, f]), [1, 0, 2]));
        }
        if (h0) out.push(bw.dh0!);
        const dbih = tf.sum(dGI, 0);
        out.push(tTimes(sx2!, dGI, layout), tTimes(hPrev, dGH, layout), dbih, cell === 'lstm' ? dbih : tf.sum(dGH, 0));
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
