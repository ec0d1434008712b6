/** freeSpot: where a node added from the palette lands (src/graph/geometry.ts). */
import { describe, expect, it } from 'vitest';
import { freeSpot, PLACE_GAP, type Rect } from '../../src/graph/geometry';

const size = { width: 216, height: 120 };
const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('freeSpot', () => {
  it('takes the anchor itself when nothing is there', () => {
    expect(freeSpot([], size, { x: 100, y: 50 })).toEqual({ x: 100, y: 50, inView: false });
    expect(freeSpot([], size, { x: 100, y: 50 }, { x: 0, y: 0, width: 1000, height: 800 })).toEqual({ x: 100, y: 50, inView: true });
  });

  it('ten nodes added at the same anchor land on ten distinct spots, none on another, all in view', () => {
    const view = { x: -600, y: -400, width: 1400, height: 900 };
    const placed: Rect[] = [];
    for (let i = 0; i < 10; i++) {
      const s = freeSpot(placed, size, { x: 0, y: 0 }, view);
      expect(s.inView).toBe(true);
      const r = { x: s.x, y: s.y, ...size };
      for (const p of placed) expect(overlaps(r, { x: p.x - PLACE_GAP + 1, y: p.y - PLACE_GAP + 1, width: p.width + 2 * PLACE_GAP - 2, height: p.height + 2 * PLACE_GAP - 2 })).toBe(false);
      expect(r.x >= view.x && r.y >= view.y && r.x + r.width <= view.x + view.width && r.y + r.height <= view.y + view.height).toBe(true);
      placed.push(r);
    }
  });

  it('stays near the anchor: the second node sits beside the first, not across the view', () => {
    const first = { x: 0, y: 0, ...size };
    const s = freeSpot([first], size, { x: 0, y: 0 }, { x: -2000, y: -2000, width: 4000, height: 4000 });
    expect(Math.hypot(s.x, s.y)).toBeLessThanOrEqual(size.width + PLACE_GAP + 16);
  });

  it('a crowded view: the nearest free spot outside it, flagged for the view to follow', () => {
    const view = { x: 0, y: 0, width: 300, height: 200 };
    const s = freeSpot([{ x: 0, y: 0, width: 300, height: 200 }], size, { x: 0, y: 0 }, view);
    expect(s.inView).toBe(false);
    expect(overlaps({ x: s.x, y: s.y, ...size }, { x: 0, y: 0, width: 300, height: 200 })).toBe(false);
  });
});
