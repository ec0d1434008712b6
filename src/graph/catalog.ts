/**
 * What the graph layer needs to know about a node type: its ports and its params schema.
 * The full node modules (shape inference, variables, forward) live in nodes/ and extend
 * this; the graph layer sees only this part, so it never depends on tfjs.
 */
import type { z } from 'zod';
import type { PortSpec } from './ports';

export type NodeCategory = 'Data' | 'VAE' | 'Losses' | 'Training' | 'Layers' | 'Ops' | 'Notes';

/** Params as a record, for the erased (registry-wide) view of a node type. */
export type AnyParams = Record<string, unknown>;

/** The param names of a params type. */
export type ParamKey<P> = keyof P & string;

/**
 * Controls described as data, for the inspector (one per param, in display order). Bounds,
 * integer-ness and choices come from the params' zod schema (see controls.ts): a module
 * declares only the param, its label, help and step.
 */
export type ControlSpec<P = AnyParams> = (
  | { param: ParamKey<P>; label: string; kind: 'number'; min?: number; max?: number; minExclusive?: boolean; step?: number; integer?: boolean; help?: string }
  | { param: ParamKey<P>; label: string; kind: 'select'; options: readonly string[]; help?: string }
  | { param: ParamKey<P>; label: string; kind: 'boolean'; help?: string }
  | { param: ParamKey<P>; label: string; kind: 'intList'; min?: number; max?: number; help?: string }
  | { param: ParamKey<P>; label: string; kind: 'autoOrInt'; min?: number; max?: number; help?: string }
  /** Free text (a note's body): a multi-line text box; `maxLength` from the schema. */
  | { param: ParamKey<P>; label: string; kind: 'text'; maxLength?: number; help?: string }
) & { when?: ControlWhen };

/** A control shown only while another param (a variant such as `arch`) holds one of `values`. */
export interface ControlWhen {
  param: string;
  values: readonly string[];
}

/** What a node module writes for one control; the rest is read from its params schema. */
export interface ControlDecl<P = AnyParams> {
  param: ParamKey<P>;
  label: string;
  help?: string;
  /** The arrow keys' step for a number (default 1). */
  step?: number;
  /** Shown only while another param holds one of these values (e.g. `channels` for arch "conv"). */
  when?: ControlWhen;
}

/**
 * A node type's help popover (issue 17 point 3): what the node computes in the lecture's terms
 * (the node's `description` says what it is), where it sits in the graph, and what its badge
 * shows. Each module writes its own; the app's help catalogue reads them from the registry.
 */
export interface NodeHelp {
  /** The formula the node computes, as KaTeX source (the lecture's where it has one). */
  formula: string;
  /** Where it sits in the graph: what is wired into its ports and what its outputs feed. */
  where: string;
  /** What the node's training badge shows (only for a node type that has a badge). */
  badge?: string;
}

export interface NodeTypeInfo {
  type: string;
  category: NodeCategory;
  title: string;
  /** One line in the lecture's terms, e.g. "z = μ + ε ⊙ σ, ε ~ N(0, I)". */
  description: string;
  inputs: readonly PortSpec[];
  outputs: readonly PortSpec[];
  /** A zod object schema whose every field has a default (or is required, as layer.dense units). */
  params: z.ZodObject;
  controls: readonly ControlSpec[];
  /** The stem of new node ids ("enc" gives enc, enc2, …); default: the type's last segment. */
  stem?: string;
  /** More words the palette's search matches exactly (e.g. "beta" for the β weight). */
  aliases?: readonly string[];
  /**
   * A select param that picks a variant with its own params and defaults (vae.encoder's `arch`,
   * DESIGN §8): setting it gives the new variant's defaults, keeping the values a person set
   * (those that differ from the old variant's defaults) where the new variant takes them.
   */
  variantParam?: string;
  /** The node's help popover. */
  help: NodeHelp;
}

export interface NodeCatalog {
  get(type: string): NodeTypeInfo | undefined;
  types(): readonly string[];
}
