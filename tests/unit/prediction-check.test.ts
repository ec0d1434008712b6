/**
 * Predict, then step: the pure checks (each predicted item against the readings before and
 * after), the readings themselves (what counts as fresh, the reconstruction-grid error, the
 * inactive set by the active-units rule) and the history's JSON and CSV.
 */
import { describe, expect, it } from 'vitest';
import Papa from 'papaparse';
import { checkPrediction, historyCsv, historyJson, isEmpty, lossSizeOf, metricsFor, parseHistory, scoreOf, type HistoryEntry, type Prediction } from '../../src/stores/prediction-check';
import { dimsText, freshSources, gridError, readingsFrom, type ReadingSources, type Readings } from '../../src/stores/readings';

function readings(over: Partial<Readings>): Readings {
  return {
    step: 0,
    loss: null,
    recon: null,
    kl: null,
    klWeighted: null,
    heldOutLoss: null,
    heldOutRecon: null,
    heldOutKl: null,
    activeUnits: null,
    inactiveUnits: null,
    latentDim: null,
    topDimKl: null,
    gridError: null,
    msPerStep: null,
    inactive: null,
    ...over,
  };
}

const none: Prediction = { horizon: 1, loss: null, inactive: null, recon: null, klRises: null };

function block(values: number[]) {
  return { count: 1, width: values.length, height: 1, pixels: Uint8Array.from(values) };
}

describe('checkPrediction', () => {
  const before = readings({ step: 0, heldOutLoss: 546.4, heldOutKl: 0.098, gridError: 0.2, inactive: [0, 1, 2], latentDim: 3 });
  const after = readings({ step: 1, heldOutLoss: 519.3, heldOutKl: 0.082, gridError: 0.15, inactive: [0, 2], latentDim: 3 });

  it('marks "the KL will rise" wrong when the held-out KL fell, with both numbers in the reason', () => {
    const [v] = checkPrediction({ ...none, klRises: true }, before, after);
    expect(v).toMatchObject({ item: 'kl', right: false, actual: 'fell' });
    expect(v!.reason).toContain('0.098');
    expect(v!.reason).toContain('0.082');
    expect(v!.reason).toContain('step 0 → 1');
    expect(checkPrediction({ ...none, klRises: false }, before, after)[0]!.right).toBe(true);
  });

  it('checks the loss direction and its size band on the held-out −ELBO', () => {
    const v = checkPrediction({ ...none, loss: { direction: 'down', size: 'medium' } }, before, after);
    expect(v.map((x) => [x.item, x.right])).toEqual([
      ['lossDirection', true],
      ['lossSize', true], // 546.4 → 519.3 is −5.0%
    ]);
    expect(v[0]!.reason).toContain('−5.0%');
    const up = checkPrediction({ ...none, loss: { direction: 'up', size: 'small' } }, before, after);
    expect(up.map((x) => x.right)).toEqual([false, false]);
    expect(lossSizeOf(100, 99.5)).toBe('small');
    expect(lossSizeOf(100, 101)).toBe('medium');
    expect(lossSizeOf(100, 150)).toBe('large');
    expect(lossSizeOf(100, 10)).toBe('large');
  });

  it('wants exactly the inactive set, and names what was missed and what was active after all', () => {
    const exact = checkPrediction({ ...none, inactive: [2, 0] }, before, after)[0]!;
    expect(exact.right).toBe(true);
    const off = checkPrediction({ ...none, inactive: [1, 2] }, before, after)[0]!;
    expect(off.right).toBe(false);
    expect(off.reason).toContain('2 of 3 dimensions are inactive');
    expect(off.reason).toContain('Also inactive: z0');
    expect(off.reason).toContain('Active after all: z1');
    expect(checkPrediction({ ...none, inactive: [] }, before, readings({ step: 1, inactive: [], latentDim: 3 }))[0]!.right).toBe(true);
  });

  it('calls the reconstructions sharper when the grid error falls', () => {
    expect(checkPrediction({ ...none, recon: 'sharper' }, before, after)[0]).toMatchObject({ right: true, actual: 'sharper' });
    expect(checkPrediction({ ...none, recon: 'blurrier' }, before, after)[0]).toMatchObject({ right: false });
    expect(checkPrediction({ ...none, recon: 'sharper' }, after, before)[0]).toMatchObject({ right: false, actual: 'blurrier' });
  });

  it('does not score what the graph cannot show', () => {
    const v = checkPrediction({ ...none, recon: 'sharper', inactive: [0] }, readings({}), readings({ step: 1 }));
    expect(v.map((x) => x.right)).toEqual([null, null]);
    expect(scoreOf(v)).toEqual({ right: 0, checked: 0 });
  });

  it('knows which numbers each prediction needs, and that an empty one is nothing to commit', () => {
    expect(isEmpty(none)).toBe(true);
    expect(metricsFor({ ...none, loss: { direction: 'up', size: null }, klRises: false, recon: 'sharper', inactive: [] })).toEqual([
      'heldOutLoss',
      'inactiveUnits',
      'gridError',
      'heldOutKl',
    ]);
  });
});

describe('readings', () => {
  const src: ReadingSources = {
    step: 5,
    last: { step: 5, epoch: 0, loss: 300, recon: 290, kl: 10, klWeighted: 10, ms: 20 },
    lastEval: { step: 5, heldOutLoss: 280, recon: 272, kl: 8, count: 1000 },
    stats: { step: 5, klPerDim: [4, 0.001, 4], muVariance: [0.5, 0.01, 0.02], activeUnits: 2, latentDim: 3, activeThreshold: 0.01 },
    images: { step: 5, inputs: block([0, 255, 255, 0]), recons: block([0, 255, 0, 0]) },
    msPerStep: 20,
  };

  it('reads every metric from fresh sources, and the inactive set by Var μ_j ≤ 0.01', () => {
    const r = readingsFrom(src);
    expect(r).toMatchObject({ step: 5, loss: 300, heldOutLoss: 280, heldOutKl: 8, activeUnits: 2, inactiveUnits: 1, latentDim: 3, topDimKl: 4, msPerStep: 20 });
    expect(r.inactive).toEqual([1]);
    expect(r.gridError).toBeCloseTo(0.25, 12); // one pixel of four off by 1
  });

  it('drops numbers that describe another step', () => {
    const stale = readingsFrom({ ...src, step: 6, last: { ...src.last!, step: 6 } });
    expect(stale).toMatchObject({ step: 6, loss: 300, heldOutLoss: null, activeUnits: null, gridError: null });
    expect(stale.inactive).toBeNull();
    expect([...freshSources({ ...src, step: 6, last: { ...src.last!, step: 6 } })].sort()).toEqual(['batch', 'timing']);
  });

  it('grid error: 0 for a perfect copy, null without both grids', () => {
    expect(gridError(block([3, 4]), block([3, 4]))).toBe(0);
    expect(gridError(null, block([1]))).toBeNull();
  });

  it('writes dimension sets compactly', () => {
    expect(dimsText([])).toBe('none');
    expect(dimsText([7, 0, 1, 2, 3, 4, 9, 10])).toBe('z0–z4, z7, z9, z10');
  });
});

describe('history', () => {
  const entry: HistoryEntry = {
    at: '2026-01-01T00:00:00.000Z',
    graph: 'Posterior collapse (β = 50)',
    fromStep: 0,
    toStep: 1,
    horizon: 1,
    verdicts: [
      { item: 'kl', predicted: 'rises', actual: 'fell', right: false, reason: 'Held-out KL 0.098 nats → 0.082 nats, "quoted", a, comma' },
      { item: 'recon', predicted: 'sharper', actual: '–', right: null, reason: 'Not checked' },
    ],
  };

  it('round-trips through its JSON, with the score', () => {
    const text = historyJson([entry]);
    expect(JSON.parse(text).score).toEqual({ right: 0, checked: 1 });
    expect(parseHistory(text)).toEqual([entry]);
    expect(parseHistory('{"format":"other"}')).toEqual([]);
    expect(parseHistory('not json')).toEqual([]);
  });

  it('writes one CSV row per item that a CSV reader reads back', () => {
    const rows = Papa.parse<string[]>(historyCsv([entry]).trim()).data;
    expect(rows[0]).toEqual(['at', 'graph', 'fromStep', 'toStep', 'item', 'predicted', 'actual', 'right', 'reason']);
    expect(rows).toHaveLength(3);
    expect(rows[1]).toEqual([entry.at, entry.graph, '0', '1', 'kl', 'rises', 'fell', 'no', entry.verdicts[0]!.reason]);
    expect(rows[2]![7]).toBe('');
  });
});
