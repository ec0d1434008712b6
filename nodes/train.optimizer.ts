import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './types';
import { formatShape } from '../src/graph/ports';
import { isPerExample } from './lib/shapes';
import { LECTURE } from '../src/graph/formulas';
import { adamFusedFor, adamStep } from './lib/fused';

export const params = z.strictObject({
  algorithm: z.enum(['adam', 'sgd', 'rmsprop']).default('adam'),
  learningRate: z.number().gt(0).max(10).default(0.001),
});
export type Params = z.infer<typeof params>;

/**
 * Adam as tf.train.adam computes it (β₁ 0.9, β₂ 0.999, ε = the backend's epsilon), in fewer
 * passes over each variable: 12 kernels instead of 14. The bias corrections become two
 * scalars per step, computed here in double precision:
 *   θ ← θ − lr·(m/c₁) / (√(v/c₂) + ε)  =  θ + (m / (√v + ε·√c₂)) · (−lr·√c₂/c₁),
 * with c₁ = 1 − β₁ᵗ and c₂ = 1 − β₂ᵗ, so the two [in, out]-sized divisions by c₁ and c₂ go.
 * On wasm the update of a variable is one fused kernel (nodes/lib/fused.ts: one WebAssembly
 * SIMD pass over θ, g, m and v, nodes/lib/simd.ts, instead of 12 kernels; without SIMD, a
 * JavaScript pass for small variables only); on webgl it is three GPU programs
 * (nodes/lib/fused-webgl.ts). The result equals
 * tf.train.adam's up to float32 rounding (nodes/train.optimizer.test.ts).
 */
type NamedTensor = { name: string; tensor: tf.Tensor };

export class LeanAdam extends tf.AdamOptimizer {
  private readonly moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();

  constructor(learningRate: number) {
    super(learningRate, 0.9, 0.999);
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries: Array<[string, tf.Tensor]> = Array.isArray(variableGradients)
      ? variableGradients.map((v) => [v.name, v.tensor] as [string, tf.Tensor])
      : Object.entries(variableGradients);
    const t = this.iterations + 1;
    const c1 = 1 - Math.pow(this.beta1, t);
    const c2 = Math.sqrt(1 - Math.pow(this.beta2, t));
    const stepSize = (-this.learningRate * c2) / c1;
    const eps = this.epsilon * c2;
    tf.tidy(() => {
      for (const [name, g] of entries) {
        if (g == null) continue;
        const value = tf.engine().registeredVariables[name]!;
        let mv = this.moments.get(name);
        if (!mv) {
          mv = { m: tf.tidy(() => tf.zerosLike(value).variable(false)), v: tf.tidy(() => tf.zerosLike(value).variable(false)) };
          this.moments.set(name, mv);
        }
        if (adamFusedFor(value.size)) {
          const [p1, m1, v1] = adamStep(value, g, mv.m, mv.v, this.beta1, this.beta2, stepSize, eps);
          mv.m.assign(m1!);
          mv.v.assign(v1!);
          value.assign(p1!);
          continue;
        }
        const m = tf.add(tf.mul(mv.m, this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(mv.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        mv.m.assign(m);
        mv.v.assign(v);
        value.assign(tf.add(value, tf.mul(tf.div(m, tf.add(tf.sqrt(v), eps)), stepSize)));
      }
    });
    this.incrementIterations();
  }

  override dispose(): void {
    super.dispose();
    for (const { m, v } of this.moments.values()) tf.dispose([m, v]);
    this.moments.clear();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const all = [...this.moments];
    return [await this.saveIterations(), ...all.map(([n, mv]) => ({ name: `${n}/m`, tensor: mv.m })), ...all.map(([n, mv]) => ({ name: `${n}/v`, tensor: mv.v }))];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    const half = rest.length / 2;
    for (const { m, v } of this.moments.values()) tf.dispose([m, v]);
    this.moments.clear();
    for (let i = 0; i < half; i++) {
      const name = rest[i]!.name.replace(/\/m$/, '');
      this.moments.set(name, { m: rest[i]!.tensor.variable(false), v: rest[half + i]!.tensor.variable(false) });
    }
  }
}

export function createOptimizer(p: Params): tf.Optimizer {
  switch (p.algorithm) {
    case 'adam':
      return new LeanAdam(p.learningRate);
    case 'sgd':
      return tf.train.sgd(p.learningRate);
    case 'rmsprop':
      return tf.train.rmsprop(p.learningRate);
  }
}

export default defineNode<Params>({
  type: 'train.optimizer',
  category: 'Training',
  title: 'Optimizer',
  description: 'Minimises the mean over the batch of the summed losses (the negative ELBO): θ, φ ← θ, φ − η ∇.',
  help: {
    formula: LECTURE.update,
    where: 'The sink of the graph: every loss wired into its loss input (the reconstruction and the β-weighted KL) is summed per example and averaged over the batch; it then updates every weight upstream (φ of the encoder, θ of the decoder).',
    badge: 'loss: the last step\'s training loss, the batch mean of the summed losses (the negative ELBO at β = 1).',
  },
  role: 'optimizer',
  stem: 'opt',
  aliases: ['adam', 'sgd', 'rmsprop'],
  badge: ({ step }) => (step ? { label: 'loss', value: step.loss } : null),
  inputs: [{ name: 'loss', kind: 'loss', multi: true, doc: 'per-example losses [B], summed' }],
  outputs: [],
  params,
  controls: [
    { param: 'algorithm', label: 'algorithm' },
    { param: 'learningRate', label: 'learning rate', step: 0.0001 },
  ],
  inferShapes: ({ multi }) => {
    const losses = multi.loss ?? [];
    for (const s of losses) {
      if (!isPerExample(s)) {
        return { ok: false, code: 'SHAPE_MISMATCH', port: 'loss', message: `The optimizer takes per-example losses [B], got ${formatShape(s)}.` };
      }
    }
    return { ok: true, outputs: {} };
  },
  forward: ({ multi }) => {
    const losses = multi.loss ?? [];
    const total = losses.length === 1 ? losses[0]! : tf.addN(losses);
    return { objective: tf.mean(total) };
  },
});
