import type { Shape } from '../../src/graph/ports';
import { formatShape } from '../../src/graph/ports';
import { formatStructure, structureWidth, type DataInfo, type DataStructure } from '../../src/graph/structure';
import type { ShapeResult } from '../types';

export function mismatch(port: string, message: string, fix?: string): ShapeResult {
  return { ok: false, code: 'SHAPE_MISMATCH', port, message, ...(fix ? { fix } : {}) };
}

/** The last axis of a shape when it is a known width. */
export function lastDim(shape: Shape): number | null {
  const d = shape[shape.length - 1];
  return typeof d === 'number' ? d : null;
}

/** A shape the loss ports accept: per example, [B]. */
export function isPerExample(shape: Shape): boolean {
  return shape.length === 1 && shape[0] === 'B';
}

export function needFeatures(port: string, shape: Shape | undefined, what: string): ShapeResult | null {
  if (!shape) return null;
  if (shape.length < 2 || lastDim(shape) === null) {
    return mismatch(port, `${what} expects a batch of feature vectors [B,n] on "${port}", got ${formatShape(shape)}.`);
  }
  return null;
}

/**
 * The shapes of a file-backed data node: nothing until its file is loaded, then x [B,D] (D the
 * structure's width) carrying the loaded structure, and label [B]; a file of another kind is BAD_PARAM.
 */
export function fileDataShapes(data: DataInfo | undefined, kind: DataStructure['kind'], expects: string): ShapeResult {
  if (!data) return { ok: true, outputs: {} };
  const s = data.structure;
  if (s.kind !== kind) return { ok: false, code: 'BAD_PARAM', port: 'x', message: `expects ${expects}, got a ${formatStructure(s)}` };
  return { ok: true, outputs: { x: ['B', structureWidth(s)], label: ['B'] }, structure: { x: s } };
}
