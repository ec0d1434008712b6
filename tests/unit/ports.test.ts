import { describe, expect, it } from 'vitest';
import { broadcastShapes, canConnect, endpoint, formatShape, parseEndpoint, PORT_KIND_INFO, PORT_KINDS, sameShape } from '../../src/graph/ports';
import { registry } from '../../nodes';

describe('canConnect', () => {
  it('every pair of kinds may be wired (nothing is a hard error)', () => {
    for (const a of PORT_KINDS) for (const b of PORT_KINDS) expect(canConnect(a, b).ok).toBe(true);
  });
  it('two different named kinds are a semantic mismatch; tensor and equal kinds are not', () => {
    expect(canConnect('mean', 'sample').semantic).toBe(true);
    expect(canConnect('recon', 'data').semantic).toBe(true);
    expect(canConnect('logvar', 'mean').semantic).toBe(true);
    expect(canConnect('mean', 'mean').semantic).toBe(false);
    expect(canConnect('tensor', 'sample').semantic).toBe(false);
    expect(canConnect('loss', 'tensor').semantic).toBe(false);
    const named = PORT_KINDS.filter((k) => k !== 'tensor');
    let count = 0;
    for (const a of named) for (const b of named) if (canConnect(a, b).semantic) count++;
    expect(count).toBe(named.length * (named.length - 1));
  });
  it('every kind has a label, a colour and a shape', () => {
    for (const k of PORT_KINDS) expect(PORT_KIND_INFO[k]).toMatchObject({ label: expect.any(String), color: expect.stringMatching(/^#[0-9a-f]{6}$/), shape: expect.any(String) });
  });
  it('every port in the catalogue has a known kind, and only the optimizer loss is multi', () => {
    const multi: string[] = [];
    for (const def of registry.all()) {
      for (const p of [...def.inputs, ...def.outputs]) expect(PORT_KINDS).toContain(p.kind);
      for (const p of def.inputs) if (p.multi) multi.push(`${def.type}.${p.name}`);
    }
    expect(multi).toEqual(['train.optimizer.loss']);
  });
});

describe('shapes', () => {
  it('formatShape', () => {
    expect(formatShape(['B', 784])).toBe('[B,784]');
    expect(formatShape([5, 'B', 20])).toBe('[5,B,20]');
    expect(formatShape([])).toBe('[]');
    expect(formatShape(undefined)).toBe('?');
  });
  it('sameShape', () => {
    expect(sameShape(['B', 20], ['B', 20])).toBe(true);
    expect(sameShape(['B', 20], [20, 'B'])).toBe(false);
    expect(sameShape(['B', 20], ['B', 20, 1])).toBe(false);
  });
  it('broadcastShapes follows NumPy, with B a dimension of its own', () => {
    expect(broadcastShapes(['B', 20], [5, 'B', 20])).toEqual([5, 'B', 20]);
    expect(broadcastShapes([1, 20], ['B', 1])).toEqual(['B', 20]);
    expect(broadcastShapes([20], ['B', 20])).toEqual(['B', 20]);
    expect(broadcastShapes([], ['B', 3])).toEqual(['B', 3]);
    expect(broadcastShapes(['B', 20], ['B', 10])).toBeNull();
    expect(broadcastShapes(['B'], [20])).toBeNull(); // B is not known to equal 20
    expect(broadcastShapes([3, 'B', 2], [4, 'B', 2])).toBeNull();
  });
});

describe('endpoints', () => {
  it('parseEndpoint splits at the first dot', () => {
    expect(parseEndpoint('enc.mu')).toEqual({ node: 'enc', port: 'mu' });
    expect(parseEndpoint('a.b.c')).toEqual({ node: 'a', port: 'b.c' });
    for (const bad of ['enc', '.mu', 'enc.', '']) expect(parseEndpoint(bad)).toBeNull();
  });
  it('endpoint joins them', () => {
    expect(endpoint('rep', 'z')).toBe('rep.z');
    expect(parseEndpoint(endpoint('rep', 'z'))).toEqual({ node: 'rep', port: 'z' });
  });
});
