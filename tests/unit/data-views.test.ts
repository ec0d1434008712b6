/**
 * The training panel's views of tables and sequences (src/runtime/instruments/data-views.ts)
 * and of images of any H × W × C (src/worker/grey-images.ts imagesOf), the helpers their Vue
 * views draw with (src/components/training/dataViews.ts), and the latent scatter's classes
 * (labelClasses, classLegend): pure functions on plain arrays.
 */
import { describe, expect, it } from 'vitest';
import { columnErrors, evenlySpaced, sampleRows, seriesView, tableView, toFileUnits } from '../../src/runtime/instruments/data-views';
import { loadTable } from '../../src/runtime/data/table';
import { datasetInfo } from '../../src/runtime/data/node-data';
import { imagesOf } from '../../src/worker/grey-images';
import { columnScale, errorShare, featureSeries, fmt, polylinePoints, seriesRange } from '../../src/components/training/dataViews';
import { classColour, classLegend, DIGIT_COLOURS } from '../../src/components/instruments/latent-math';
import type { DataInfo } from '../../src/graph/structure';

const enc = (s: string) => new TextEncoder().encode(s);

/** A table whose columns have very different units: metres and grams. */
const CSV = ['height,mass,kind', '1.5,3000,a', '1.7,4100,b', '1.6,3900,a', '1.9,5200,b', '1.4,2800,a', '1.8,4700,b', '1.65,4000,a', '1.75,4500,b', '1.55,3500,a', '1.85,5000,b'].join('\n');

function loaded() {
  const r = loadTable(enc(CSV), { columns: [], labelColumn: 'kind', missing: 'drop-rows', standardize: true, heldOutFraction: 0.2 });
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.dataset;
}

describe('values in the file’s units', () => {
  it('undoes the loader’s standardisation: the standardised rows come back as the CSV’s numbers', () => {
    const ds = loaded();
    const info = datasetInfo(ds);
    expect(info.scale?.mean).toHaveLength(2);
    const raw = toFileUnits(ds.values, 2, info.scale);
    const rows = CSV.split('\n').slice(1).map((l) => l.split(',').slice(0, 2).map(Number));
    rows.forEach((r, i) => {
      expect(raw[2 * i]!).toBeCloseTo(r[0]!, 5);
      expect(raw[2 * i + 1]!).toBeCloseTo(r[1]!, 2);
    });
    // the model sees standardised values, not these
    expect(Math.abs(ds.values[1]!)).toBeLessThan(3);
  });

  it('a constant column (std 0) was only centred: it comes back by adding the mean', () => {
    expect(Array.from(toFileUnits([0.5, -2, 1, 0], 2, { mean: [10, 3], std: [0, 2] }))).toEqual([10.5, -1, 11, 3]);
  });

  it('without a scale the values stay as they are', () => {
    expect(Array.from(toFileUnits([1, 2, 3], 3, null))).toEqual([1, 2, 3]);
  });
});

describe('per-column errors', () => {
  it('RMSE, MAE and spread per column: value i belongs to column i mod F', () => {
    // columns a = [1, 3], b = [2, 4]; a's reconstruction misses by 0 and 2, b's is exact
    const e = columnErrors([1, 2, 3, 4], [1, 2, 5, 4], 2, ['a', 'b']);
    expect(e[0]).toEqual({ column: 'a', rmse: Math.SQRT2, spread: 1, mae: 1 });
    expect(e[1]).toEqual({ column: 'b', rmse: 0, spread: 1, mae: 0 });
  });

  it('a non-finite reconstruction makes its column’s error null (never NaN in an event)', () => {
    const e = columnErrors([1, 2, 3, 4], [NaN, 2, 3, 4], 2, ['a', 'b']);
    expect(e[0]!.rmse).toBeNull();
    expect(e[1]!.rmse).toBe(0);
  });

  it('inputs and reconstructions of different lengths are a bug, not a silent truncation', () => {
    expect(() => columnErrors([1, 2], [1], 1, ['a'])).toThrow(RangeError);
  });
});

describe('the table view', () => {
  it('gives each column’s error in its own units over all rows, and the first rows beside their reconstructions', () => {
    const info: DataInfo = { structure: { kind: 'table', f: 2 }, n: 3, columns: ['height', 'mass'], scale: { mean: [1.7, 4000], std: [0.1, 500] } };
    // standardised inputs and reconstructions: the reconstruction of mass is off by one std in row 2
    const x = [0, 0, 1, 1, -1, -1];
    const xHat = [0, 0, 1, 0, -1, -1];
    const v = tableView({ x, xHat, n: 3, info, labels: ['a', 'b', 'a'], shown: 2 });
    expect(v.units).toBe('file');
    expect(v.count).toBe(3);
    expect(v.errors.map((e) => e.column)).toEqual(['height', 'mass']);
    expect(v.errors[0]!.rmse).toBeCloseTo(0, 9);
    // one error of 500 g among three rows: √(500² / 3)
    expect(v.errors[1]!.rmse).toBeCloseTo(500 / Math.sqrt(3), 6);
    expect(v.rows).toHaveLength(2);
    expect(v.rows[1]!.label).toBe('b');
    expect(v.rows[1]!.input[0]).toBeCloseTo(1.8, 9);
    expect(v.rows[1]!.input[1]).toBeCloseTo(4500, 6);
    expect(v.rows[1]!.recon[1]).toBeCloseTo(4000, 6);
  });

  it('without standardisation it says the values are as the model sees them', () => {
    const v = tableView({ x: [1, 2], xHat: [1, 2], n: 1, info: { structure: { kind: 'table', f: 2 }, n: 1 } });
    expect(v.units).toBe('model');
    expect(v.columns).toEqual(['column 1', 'column 2']);
    expect(v.rows[0]!.label).toBeNull();
  });

  it('is for tables only', () => {
    expect(() => tableView({ x: [], xHat: [], n: 0, info: { structure: { kind: 'sequence', t: 2, f: 1 }, n: 0 } })).toThrow(RangeError);
  });
});

describe('the series view', () => {
  const info: DataInfo = { structure: { kind: 'sequence', t: 3, f: 2 }, n: 5, columns: ['temp', 'wind'], scale: { mean: [10, 4], std: [5, 2] } };
  /** Window i: temp (standardised) i/10 at every step, wind 0; time-major: t0 temp, t0 wind, t1 temp, … */
  const windows = (shift: (i: number, s: number) => number) => Array.from({ length: 5 }, (_, i) => [0, 1, 2].flatMap((s) => [i / 10 + shift(i, s), 0])).flat();

  it('draws a few windows spread over the held-out ones, each feature’s error over all of them, in the file’s units', () => {
    // the reconstruction misses temp by 1 std at time step 2 of every window; wind is exact
    const v = seriesView({ x: windows(() => 0), xHat: windows((_, s) => (s === 2 ? 1 : 0)), n: 5, info, shown: 3 });
    expect(v.steps).toBe(3);
    expect(v.windows.map((w) => w.index)).toEqual([0, 2, 4]);
    // window 4, time step 1: temp = 0.4 std → 10 + 0.4·5 = 12 °, wind = 4
    expect(v.windows[2]!.input[2]).toBeCloseTo(12, 9);
    expect(v.windows[2]!.input[3]).toBeCloseTo(4, 9);
    expect(v.windows[2]!.recon[4]).toBeCloseTo(17, 9);
    // temp: one of three steps off by 5 °: √(25 / 3); wind exact
    expect(v.errors[0]!.rmse).toBeCloseTo(5 / Math.sqrt(3), 9);
    expect(v.errors[1]!.rmse).toBeCloseTo(0, 9);
  });

  it('evenlySpaced takes the first and the last', () => {
    expect(evenlySpaced(10, 3)).toEqual([0, 5, 9]);
    expect(evenlySpaced(2, 3)).toEqual([0, 1]);
    expect(evenlySpaced(7, 1)).toEqual([0]);
    expect(evenlySpaced(0, 3)).toEqual([]);
  });

  it('decoded samples come back as rows (or windows) in the file’s units', () => {
    expect(sampleRows([0, 1, -1, 0, 0, 0], 1, info)).toEqual([[10, 6, 5, 4, 10, 4]]);
    expect(() => sampleRows([0], 1, { structure: { kind: 'image', h: 1, w: 1, c: 1 }, n: 1 })).toThrow(RangeError);
  });
});

describe('images of any H × W × C', () => {
  it('an RGB image keeps its size and colours (channels last); a grey one its H × W even when not square', () => {
    const rgb = imagesOf([1, 0, 0, 0, 0, 1], 1, 6, { kind: 'image', h: 1, w: 2, c: 3 })!;
    expect(rgb).toMatchObject({ count: 1, width: 2, height: 1, channels: 3 });
    expect(Array.from(rgb.pixels)).toEqual([255, 0, 0, 0, 0, 255]);
    const grey = imagesOf(new Array(2 * 3 * 5).fill(0.5), 2, 15, { kind: 'image', h: 3, w: 5, c: 1 })!;
    expect(grey).toMatchObject({ count: 2, width: 5, height: 3 });
    expect(grey.channels).toBeUndefined();
  });

  it('a table or a sequence is never drawn as images, even when its width is a square', () => {
    expect(imagesOf(new Array(16).fill(0), 1, 16, { kind: 'table', f: 16 })).toBeNull();
    expect(imagesOf(new Array(16).fill(0), 1, 16, { kind: 'sequence', t: 4, f: 4 })).toBeNull();
    // without a structure: square widths are grey squares, as before
    expect(imagesOf(new Array(16).fill(0), 1, 16)).toMatchObject({ width: 4, height: 4 });
  });
});

describe('the views’ drawing helpers', () => {
  it("fmt shows float noise of a column's scale as 0, and keeps tiny values of a tiny column", () => {
    const col = { min: -4.12e-8, max: 231.5 };
    expect(fmt(col.min, columnScale(col))).toBe('0');
    expect(fmt(-0.003, columnScale(col))).toBe('-0.003');
    expect(fmt(231.5, columnScale(col))).toBe('231.5');
    // A column that is tiny everywhere keeps its values.
    const tiny = { min: 1e-9, max: 4e-8 };
    expect(fmt(2.5e-8, columnScale(tiny))).toBe('2.50e-8');
    expect(fmt(-4.12e-8)).toBe('-4.12e-8');
    expect(columnScale({ min: -7, max: 3 })).toBe(7);
  });

  it('fmt gives about four significant digits', () => {
    expect(fmt(4299.999996)).toBe('4300');
    expect(fmt(18.8999)).toBe('18.9');
    expect(fmt(null)).toBe('–');
    expect(fmt(NaN)).toBe('–');
    expect(fmt(1.234e-5)).toBe('1.23e-5');
  });

  it('errorShare is RMSE over spread, clamped for a bar', () => {
    expect(errorShare(1, 2)).toBe(0.5);
    expect(errorShare(9, 2)).toBe(1.5);
    expect(errorShare(1, 0)).toBeNull();
  });

  it('featureSeries reads one feature of time-major values; polylinePoints maps the range onto the height, larger up', () => {
    expect(featureSeries([1, 10, 2, 20, 3, 30], 2, 1)).toEqual([10, 20, 30]);
    expect(seriesRange([[0, 10]])).toEqual([-0.5, 10.5]);
    expect(polylinePoints([0, 5, 10], 100, 50, 20, 0, 10)).toBe('100.0,20.0 125.0,10.0 150.0,0.0');
    expect(polylinePoints([0, null, 10], 0, 10, 10, 0, 10)).toBe('0.0,10.0 10.0,0.0');
  });
});

describe('the latent scatter’s classes', () => {
  it('a legend of the class names with their colours; none without labels; the digits for an older worker', () => {
    const l = classLegend(['Adelie', 'Chinstrap', 'Gentoo']);
    expect(l.items).toEqual([
      { name: 'Adelie', colour: DIGIT_COLOURS[0] },
      { name: 'Chinstrap', colour: DIGIT_COLOURS[1] },
      { name: 'Gentoo', colour: DIGIT_COLOURS[2] },
    ]);
    expect(l.items[2]!.colour).toBe(classColour(2));
    expect(classLegend(null).items).toEqual([]);
    expect(classLegend(undefined).items.map((i) => i.name)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const many = classLegend(Array.from({ length: 15 }, (_, i) => `c${i}`));
    expect(many.items).toHaveLength(12);
    expect(many.more).toBe(3);
    expect(classColour(11)).toBe(DIGIT_COLOURS[1]);
  });
});
