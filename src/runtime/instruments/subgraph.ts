/**
 * Running part of a plan: the instruments need μ and log σ² without the decoder (latent
 * statistics), or the decoder again and again with z swapped for a sample of their own
 * (IWAE). runNodes is Model.forward restricted to a list of nodes, with the same keyed
 * randomness, so a node computes exactly what it computes in training or evaluation.
 * No Node APIs: runs in a Web Worker.
 */
import * as tf from '@tensorflow/tfjs';
import type { Plan, PlanInput } from '../../compiler/compile';
import { error, type Diagnostic } from '../../graph/diagnostics';
import type { Shape } from '../../graph/ports';
import type { DataFeed } from '../../../nodes/types';
import type { Model } from '../model';

export type Outputs = Map<string, Record<string, tf.Tensor>>;

export interface RunOptions {
  mode: 'train' | 'eval';
  step: number;
  streamKey: string | number;
  data: DataFeed;
  fast: boolean;
}

/**
 * Runs `ids` (a subset of plan.order, in that order) and adds their outputs to `outputs`,
 * which must already hold every input they read from nodes outside `ids`. The optimizer is
 * skipped (it has no outputs). Call inside tf.tidy.
 */
export function runNodes(model: Model, ids: readonly string[], opts: RunOptions, outputs: Outputs): Outputs {
  model.run(
    ids.filter((id) => model.plan.nodes.get(id)!.def.role !== 'optimizer'),
    opts,
    outputs,
  );
  return outputs;
}

/** The nodes that `targets` depend on (themselves included), in plan order. */
export function ancestors(plan: Plan, targets: Iterable<string>): string[] {
  const seen = new Set<string>();
  const stack = [...targets];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id) || !plan.nodes.has(id)) continue;
    seen.add(id);
    for (const list of Object.values(plan.nodes.get(id)!.inputs)) for (const s of list) stack.push(s.node);
  }
  return plan.order.filter((id) => seen.has(id));
}

/** The nodes that read the tensor `from` directly or through other nodes, in plan order. */
export function descendants(plan: Plan, from: PlanInput): string[] {
  const seen = new Set<string>();
  const reads = (id: string, src: (s: PlanInput) => boolean) => Object.values(plan.nodes.get(id)!.inputs).some((list) => list.some(src));
  for (const id of plan.order) {
    if (reads(id, (s) => (s.node === from.node && s.port === from.port) || seen.has(s.node))) seen.add(id);
  }
  return plan.order.filter((id) => seen.has(id));
}

/** Where the approximate posterior q(z|x) = N(μ, diag σ²) lives in a plan. */
export interface LatentSite {
  /** The KL node whose inputs define q(z|x). */
  kl: string;
  mu: PlanInput;
  logvar: PlanInput;
  /** [B, d]. */
  muShape: Shape;
  /** The tensor the decoder path reads as z (the last [B,d] tensor on the way to the reconstruction). */
  z: PlanInput | null;
  /** The reconstruction nodes that count in the ELBO (the active ones), in plan order. */
  recon: string[];
}

function pick(plan: Plan, role: string): string[] {
  const active = plan.activeOrder.filter((id) => plan.nodes.get(id)!.def.role === role);
  return active.length ? active : plan.order.filter((id) => plan.nodes.get(id)!.def.role === role);
}

/**
 * Finds q(z|x) through the KL node (role 'kl'): its `mu` and `logvar` inputs. The first KL
 * node that trains is used (else the first evaluable one). z is the last tensor, in plan
 * order, that has μ's shape (allowing a leading sample axis) and lies on the path into
 * the first reconstruction's xHat: vae.reparameterize's z, or the op.add of a reparameterization
 * wired by hand.
 */
export function findLatent(plan: Plan, needZ: boolean): { ok: true; site: LatentSite } | { ok: false; diagnostic: Diagnostic } {
  const kl = pick(plan, 'kl')[0];
  if (!kl) {
    return {
      ok: false,
      diagnostic: error('MISSING_INPUT', 'The latent instruments read μ and log σ² from a KL node, and this graph has none that can run.', {
        fix: 'Add a loss.kl node and wire the encoder\'s μ and log σ² into it.',
      }),
    };
  }
  const klNode = plan.nodes.get(kl)!;
  const mu = klNode.inputs.mu?.[0];
  const logvar = klNode.inputs.logvar?.[0];
  const muShape = klNode.inShapes.mu;
  if (!mu || !logvar || !muShape) {
    return { ok: false, diagnostic: error('MISSING_INPUT', `The KL node "${kl}" has no μ or log σ² wired.`, { node: kl, port: mu ? 'logvar' : 'mu' }) };
  }
  const recon = pick(plan, 'reconstruction');
  let z: PlanInput | null = null;
  if (needZ) {
    const first = recon[0];
    const src = first ? plan.nodes.get(first)!.inputs.xHat?.[0] : undefined;
    if (!first || !src) {
      return {
        ok: false,
        diagnostic: error('MISSING_INPUT', 'The log-likelihood estimate needs a reconstruction loss fed by a decoder.', {
          node: first ?? null,
          port: first ? 'xHat' : null,
          fix: 'Wire the decoder output into a loss.reconstruction node.',
        }),
      };
    }
    // Tensors on the way into xHat: every wire read by an ancestor of xHat's source, and xHat itself.
    const up = new Set(ancestors(plan, [src.node]));
    const candidates: PlanInput[] = [src];
    for (const id of up) for (const list of Object.values(plan.nodes.get(id)!.inputs)) for (const s of list) candidates.push(s);
    const position = new Map(plan.order.map((id, i) => [id, i]));
    const latentLike = (s: PlanInput) => {
      const shape = plan.nodes.get(s.node)!.outShapes[s.port];
      return !!shape && (sameShape(shape, muShape) || (shape.length === muShape.length + 1 && typeof shape[0] === 'number' && sameShape(shape.slice(1), muShape)));
    };
    const hits = candidates.filter(latentLike).sort((a, b) => position.get(a.node)! - position.get(b.node)!);
    z = hits[hits.length - 1] ?? null;
    if (!z) {
      return {
        ok: false,
        diagnostic: error('SHAPE_MISMATCH', `No tensor of μ's shape leads into ${first}.xHat, so there is no z to importance-sample.`, { node: first, port: 'xHat' }),
      };
    }
  }
  return { ok: true, site: { kl, mu, logvar, muShape, z, recon } };
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
