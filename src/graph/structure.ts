/**
 * The structure of a data node's examples (DESIGN §7): x is flat [B, D] and its structure
 * says how to read D (an image H×W×C, a sequence T×F, a table of F columns). Pure data,
 * shared by the compiler, the runtime and the views.
 */

/** What a data batch's rows are (DESIGN §7): x stays flat [B, D], its structure says how to read D. */
export type DataStructure = { kind: 'image'; h: number; w: number; c: number } | { kind: 'sequence'; t: number; f: number } | { kind: 'table'; f: number };

/** D, the floats per example of a structure: H·W·C, T·F or F. */
export function structureWidth(s: DataStructure): number {
  return s.kind === 'image' ? s.h * s.w * s.c : s.kind === 'sequence' ? s.t * s.f : s.f;
}

/** "28×28×1 image", "32×4 sequence", "5 columns": for ports and messages. */
export function formatStructure(s: DataStructure): string {
  return s.kind === 'image' ? `${s.h}×${s.w}×${s.c} image` : s.kind === 'sequence' ? `${s.t}×${s.f} sequence` : `${s.f}-column table`;
}

/** "28×28×1", "32×4 seq", "5 cols": beside a port's shape, where space is short. */
export function formatStructureShort(s: DataStructure): string {
  return s.kind === 'image' ? `${s.h}×${s.w}×${s.c}` : s.kind === 'sequence' ? `${s.t}×${s.f} seq` : `${s.f} cols`;
}

/**
 * What loading learned about a data node's source (DESIGN §1, §7), or what a built-in
 * source (MNIST) knows without loading. Plain data: it crosses the worker boundary.
 */
export interface DataInfo {
  structure: DataStructure;
  /** Examples, after dropped rows (windows, for sequences). */
  n: number;
  /** The feature columns, for tables and sequences. */
  columns?: readonly string[];
  /** Held-out examples, when loading decided them (sequences: the last windows in time). */
  heldOut?: number;
  /** The label classes, when labels are strings. */
  labels?: readonly string[];
  /**
   * How tables and sequences were standardised, per column (training rows, ddof 0): a value
   * is (raw − mean) / std, or raw − mean where std is 0 (a constant column). The instruments
   * use it to show values and errors in the file's own units.
   */
  scale?: { readonly mean: readonly number[]; readonly std: readonly number[] };
}


/** ceil(n·fraction): the held-out count of a fraction (DESIGN §7), for the data nodes and the loaders alike. */
export function heldOutCount(n: number, fraction: number): number {
  return Math.ceil(n * fraction - 1e-9);
}
