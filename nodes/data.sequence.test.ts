import { describe, expect, it } from 'vitest';
import dataSequence from './data.sequence';
import type { DataInfo, ShapeResult } from './types';
import { paramsOf } from '../tests/fixtures/node-harness';

function shapes(data?: DataInfo): ShapeResult {
  return dataSequence.inferShapes({ nodeId: 'seq', params: paramsOf(dataSequence, {}), inputs: {}, multi: {}, hint: () => undefined, data });
}

describe('data.sequence', () => {
  it('has the params of DESIGN §7 with their defaults', () => {
    expect(paramsOf(dataSequence, {})).toEqual({ file: '', sha256: '', columns: [], length: 32, stride: 0, standardize: true, batchSize: 64, heldOutFraction: 0.1 });
  });

  it('its held-out count is what loading decided (windows split in time), else ceil(n·heldOutFraction)', () => {
    const p = paramsOf(dataSequence, { file: 'series.csv', heldOutFraction: 0.1 });
    const info: DataInfo = { structure: { kind: 'sequence', t: 16, f: 4 }, n: 359, heldOut: 37 };
    expect(dataSequence.data!.file!(p)).toBe('series.csv');
    expect(dataSequence.data!.heldOut(p, 359, info)).toBe(37);
    expect(dataSequence.data!.heldOut(p, 91)).toBe(10);
  });

  it('x is [B,T·F] with the sequence structure; an image is BAD_PARAM', () => {
    expect(shapes({ structure: { kind: 'sequence', t: 16, f: 4 }, n: 91 })).toEqual({
      ok: true,
      outputs: { x: ['B', 64], label: ['B'] },
      structure: { x: { kind: 'sequence', t: 16, f: 4 } },
    });
    const r = shapes({ structure: { kind: 'image', h: 2, w: 2, c: 1 }, n: 3 });
    expect(r.ok ? null : r.code).toBe('BAD_PARAM');
  });
});
