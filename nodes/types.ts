/**
 * The node module contract. One node type = one module that declares its ports, a zod
 * params schema, controls as data, shape inference, variables and forward. Adding a node
 * touches its module, its test and one line of nodes/index.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { ControlDecl, ControlSpec, NodeTypeInfo } from '../src/graph/catalog';
import { controlsFrom } from '../src/graph/controls';
import type { Shape } from '../src/graph/ports';
import type { Diagnostic } from '../src/graph/diagnostics';
import type { DataInfo, DataStructure } from '../src/graph/structure';

export type { Shape };
export { formatStructure, heldOutCount, structureWidth, type DataInfo, type DataStructure } from '../src/graph/structure';

/** A data node's part of the contract (its role is 'data'). */
export interface DataNodeSpec<P> {
  /** Built-in data (MNIST): what the node knows without loading a file. */
  builtin?: DataInfo;
  /** The file a file-backed node reads: it compiles only with what loading learned (else DATA_MISSING). */
  file?(params: P): string;
  batchSize(params: P): number;
  /** How many of the n examples are held out (a count, or ceil(n·fraction); a sequence's from what loading learned, `info.heldOut`). */
  heldOut(params: P, n: number, info?: DataInfo): number;
}

export interface ShapeContext<P> {
  nodeId: string;
  params: P;
  /** The shape arriving on each wired input; multi inputs give one shape per wire. */
  inputs: Record<string, Shape | undefined>;
  multi: Record<string, Shape[]>;
  /**
   * The shape that a downstream consumer pairs with one of this node's outputs (e.g. a
   * reconstruction loss pairs xHat with x), for params such as the decoder's outputUnits "auto".
   */
  hint(outputPort: string): Shape | undefined;
  /** The structure of what `hint` pairs with that output, when it carries one (a conv decoder's image size). */
  hintStructure?(outputPort: string): DataStructure | undefined;
  /**
   * The structure of the data arriving on each input that carries one (conv and recurrent layers
   * read it). Undefined when the caller knows no structures at all; a missing key: none arrives.
   */
  structures?: Record<string, DataStructure | undefined>;
  /** For a data node: what loading learned about its source (or its built-in info); undefined when unknown. */
  data?: DataInfo;
}

export type ShapeResult =
  | { ok: true; outputs: Record<string, Shape>; structure?: Record<string, DataStructure> }
  | { ok: false; code: 'SHAPE_MISMATCH' | 'BAD_PARAM'; port: string | null; message: string; fix?: string };

export interface VarSpec {
  /** Unique within the node, e.g. "dense0/kernel". */
  name: string;
  shape: number[];
  init: { kind: 'uniform'; bound: number } | { kind: 'zeros' };
}

/**
 * Roles let the trainer find the reconstruction term, the KL and the objective without knowing node types.
 * 'note': kept in the file, never computed: the compiler, its lints and the export leave such a node out.
 */
export type NodeRole = 'data' | 'reconstruction' | 'kl' | 'beta' | 'optimizer' | 'reparameterize' | 'encoder' | 'decoder' | 'op' | 'note';

/**
 * The examples behind a data node, in file order (plain JS, no tfjs): the runtime splits
 * and batches them as DESIGN §3/§7 say, whatever their structure.
 */
export interface DataSource {
  readonly info: DataInfo;
  /** Writes examples `indices`, one after another, D = structureWidth(info.structure) floats each, into `out`. */
  fill(indices: ArrayLike<number>, out: Float32Array): void;
  labels(indices: ArrayLike<number>): Int32Array;
  /** The split loading made, when it is not the §7 permutation (sequences split in time); its heldOut has the plan's held-out count. */
  readonly split?: { train: Uint32Array; heldOut: Uint32Array };
}

/** An in-place, per-batch transform a data node asks of its values (MNIST's binarize and scale). */
export interface FeedTransform {
  /** Names the transform: the same key gives the same held-out values (they are cached). */
  key: string;
  /** It draws random numbers: the runtime passes a uniform [0,1) source keyed by (seed, step, node). */
  random: boolean;
  apply(values: Float32Array, rand?: () => number): void;
}

/** What the runtime gives a data node for the current batch. */
export interface DataFeed {
  /** Number of examples in this batch. */
  size: number;
  /** The batch's examples [size, D] as the source gives them, then `transform` applied. */
  x(nodeId: string, transform?: FeedTransform): tf.Tensor;
  labels(): tf.Tensor;
}

/** A value range [lo, hi], or null when unknown. */
export type Range = [number, number] | null;

/** A node as a lint hook sees it (its own or another node of the plan). */
export interface LintNode {
  id: string;
  type: string;
  role: NodeRole;
  params: Record<string, unknown>;
  /** Feeds the optimizer (runs in training). */
  active: boolean;
}

/** What the compiler tells a node's lint hook, after the graph compiled. */
export interface LintContext<P> {
  nodeId: string;
  params: P;
  active: boolean;
  /** The first wire into an input port and the node at its other end (port: the source's output port). */
  source(port: string): (LintNode & { port: string }) | undefined;
  /** The value range arriving on an input port (from the upstream nodes' `range` hooks). */
  range(port: string): Range;
  /** Every evaluable node of the plan, in topological order. */
  nodes: readonly LintNode[];
}

/** Training metrics a node's output can add to (summed over the active nodes that declare it). */
export type MetricName = 'recon' | 'kl' | 'klWeighted';

/** What a node's badge can show: the last step's metrics and its own measured outputs. */
export interface BadgeContext {
  /** The batch mean of one of this node's output ports: undefined until measured, null when no value was finite. */
  mean(port: string): number | null | undefined;
  /** The last step's metrics, once a step has run. */
  step: { loss: number; recon: number; kl: number; klWeighted: number } | null;
}

/** A badge on a node while training: a label and a number (the view formats it). */
export interface Badge {
  label: string;
  /** null: measured, but no finite value. */
  value: number | null;
}

export interface RandomSource {
  /** Standard normal draws keyed by (seed, step or eval batch, node id, stream). */
  normal(shape: number[], stream?: string): tf.Tensor;
  uniform(shape: number[], stream?: string): tf.Tensor;
}

/** The data structures on a node's ports (DESIGN §7): what arrives at its inputs, what its outputs carry. */
export interface PortStructure {
  in: Record<string, DataStructure | undefined>;
  out: Record<string, DataStructure | undefined>;
}

export interface ForwardContext<P> {
  nodeId: string;
  params: P;
  inputs: Record<string, tf.Tensor>;
  /** Every wire into a multi input, in edge order. */
  multi: Record<string, tf.Tensor[]>;
  vars: Record<string, tf.Variable>;
  /**
   * The compiled (training) shapes. In eval mode a reparameterization draws one sample, so a
   * [K,B,d] shape here arrives as [B,d] at run time: find axes from the right (as op.noise does).
   */
  inShapes: Record<string, Shape | undefined>;
  outShapes: Record<string, Shape>;
  /** The data structures arriving at the inputs and carried by the outputs (the compiler's; absent: none). */
  structure?: PortStructure;
  /** 'eval' computes the held-out −ELBO: sums over features and dims, β = 1, no free bits, one z sample. */
  mode: 'train' | 'eval';
  /** The training step, counted from 1 (for β warm-up). */
  step: number;
  random: RandomSource;
  data: DataFeed;
  /** Use the fast dense path (explicit-transpose gradients). */
  fast: boolean;
}

export interface NodeDef<P = Record<string, unknown>> extends NodeTypeInfo {
  /** The inspector's controls, bounds and choices read from `params` (defineNode derives them). */
  controls: readonly ControlSpec<P>[];
  role: NodeRole;
  inferShapes(ctx: ShapeContext<P>): ShapeResult;
  variables?(params: P, inShapes: Record<string, Shape | undefined>, outShapes: Record<string, Shape>, structure?: PortStructure): VarSpec[];
  forward(ctx: ForwardContext<P>): Record<string, tf.Tensor>;
  /**
   * The range of values an output can take, for lint (e.g. a sigmoid gives [0, 1]); null
   * when unknown. `inputs` holds the ranges of the wired inputs.
   */
  range?(params: P, port: string, inputs: Record<string, [number, number] | null>): [number, number] | null;
  /** For shape hints: this input's shape is what the other input (value) should match, e.g. xHat ↔ x. */
  pairs?: Record<string, string>;
  /** Lint warnings this node raises about itself once the graph compiles (never errors). */
  lint?(ctx: LintContext<P>): Diagnostic[];
  /** Which output port adds to which training metric, e.g. a KL node's `kl` to `kl`. */
  metrics?: Partial<Record<MetricName, string>>;
  /** The badge the node shows while training, or null when there is nothing to show yet. */
  badge?(ctx: BadgeContext): Badge | null;
  /** The fix offered when a NaN or Infinity first appears at this node's output. */
  nonFiniteHint?(params: P): string | undefined;
  /** A data node's batching, split and source (role 'data'). */
  data?: DataNodeSpec<P>;
}

/** Erase the param type for the registry. */
export type AnyNodeDef = NodeDef<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What a node module writes: its controls name params only (controls.ts reads the rest from the schema). */
export type NodeDecl<P> = Omit<NodeDef<P>, 'controls'> & { controls: readonly ControlDecl<P>[] };

/**
 * A node's module default export. Its forward runs inside tf.tidy, so the intermediate
 * tensors it makes are freed and only its outputs outlive the call (the per-node
 * "leaves no tensor behind" tests check this without a tidy of their own).
 */
export function defineNode<P>(decl: NodeDecl<P>): NodeDef<P> {
  const forward = decl.forward;
  return { ...decl, controls: controlsFrom<P>(decl.params, decl.controls), forward: (ctx) => tf.tidy(() => forward(ctx)) };
}
