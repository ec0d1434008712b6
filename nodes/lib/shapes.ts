import type { Shape } from '../../src/graph/ports';
import { formatShape } from '../../src/graph/ports';
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
