/**
 * What the main thread learns about a compiled plan when its trainer is ready: each node's
 * role and whether it trains, and the decoder that prior samples go through.
 */
import type { Plan } from '../compiler/compile';
import { registry } from '../../nodes';
import { findLatent } from '../runtime/instruments/subgraph';
import type { NodeInfo } from './protocol';

export function nodeInfo(plan: Plan): NodeInfo[] {
  return plan.graph.nodes.map((n) => {
    const p = plan.nodes.get(n.id);
    return { id: n.id, type: n.type, role: registry.get(n.type)?.role ?? 'op', active: !!p?.active };
  });
}

/** The decoder path for prior samples: z (found through the KL node, as the instruments find it) → the reconstruction's xHat. */
export function findDecoder(plan: Plan): { node: string; dim: number } | null {
  const latent = findLatent(plan, true);
  if (!latent.ok || !latent.site.z || !latent.site.recon.length) return null;
  const d = latent.site.muShape[latent.site.muShape.length - 1];
  if (typeof d !== 'number' || d <= 0) return null;
  const xHat = plan.nodes.get(latent.site.recon[0]!)!.inputs.xHat?.[0];
  return { node: xHat?.node ?? latent.site.z.node, dim: d };
}

/** MNIST's classes: its labels are the digits. */
const DIGITS = Array.from({ length: 10 }, (_, i) => String(i));

/**
 * The names of the data's label classes, by label index: the label column's or the zip's
 * folders' (what loading learned), the digits for the built-in MNIST; null when the data has
 * no labels (every label is 0 then).
 */
export function labelClasses(plan: Plan): string[] | null {
  if (plan.dataInfo.labels?.length) return [...plan.dataInfo.labels];
  return plan.nodes.get(plan.data)?.def.data?.builtin ? DIGITS : null;
}
