/**
 * The badges nodes show while training, from each node type's `badge` hook (the store calls
 * this; the node modules know what their outputs mean). Pure: no tfjs, no Vue.
 */
import type { AnyNodeDef, BadgeContext } from '../../nodes/types';

export interface BadgeInput {
  /** The nodes of the running plan (the worker's list). */
  nodes: ReadonlyArray<{ id: string; type: string; active: boolean }>;
  /** Measured port statistics, keyed "node.port". */
  stats: Readonly<Record<string, { mean: number | null } | undefined>>;
  /** The last step's metrics, or null before the first step. */
  step: BadgeContext['step'];
}

/** Badge text per active node id: the node's label and its value, formatted by `format`. */
export function nodeBadges(registry: { get(type: string): Pick<AnyNodeDef, 'badge'> | undefined }, input: BadgeInput, format: (x: number | null) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of input.nodes) {
    if (!n.active) continue;
    const badge = registry.get(n.type)?.badge?.({ mean: (port) => input.stats[`${n.id}.${port}`]?.mean, step: input.step });
    if (badge) out[n.id] = `${badge.label} ${format(badge.value)}`;
  }
  return out;
}
