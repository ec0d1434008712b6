/**
 * Data loading benchmark (not a test): `npx tsx --expose-gc bench/data-load.ts [--mb 100]`.
 * Generates a CSV of `mb` MB (10 numeric columns and a text label) in memory, loads it with
 * the data.table loader as the worker and the CLI do, and prints:
 *   - parse time (decode + papaparse + numbers + split + standardise), ms and MB/s;
 *   - memory: the dataset's own bytes per million values, and the peak extra heap +
 *     ArrayBuffer bytes during the load per million values (sampled in the progress callback);
 * then the same for Fashion-MNIST's IDX training images (gzip) when Debian's package is there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadTable } from '../src/runtime/data/table';
import { loadImages } from '../src/runtime/data/images';

const mbArg = process.argv.indexOf('--mb');
const MB = mbArg > 0 ? Number(process.argv[mbArg + 1]) : 100;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function used(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function csv(bytes: number): Uint8Array {
  const rows: string[] = ['c0,c1,c2,c3,c4,c5,c6,c7,c8,c9,label'];
  let size = rows[0]!.length + 1;
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  while (size < bytes) {
    const cells = Array.from({ length: 10 }, () => (rand() * 2000 - 1000).toFixed(4));
    cells.push(rand() < 0.5 ? 'a' : 'b');
    const line = cells.join(',');
    rows.push(line);
    size += line.length + 1;
  }
  return new TextEncoder().encode(rows.join('\n') + '\n');
}

function measure(name: string, load: (onProgress: () => void) => { ok: boolean; values?: number; bytes?: number }, inputBytes: number): void {
  gc();
  const base = used();
  let peak = base;
  const t0 = performance.now();
  const r = load(() => (peak = Math.max(peak, used())));
  const ms = performance.now() - t0;
  peak = Math.max(peak, used());
  if (!r.ok || !r.values) throw new Error(`${name}: the load failed`);
  const perM = (b: number) => ((b / r.values!) * 1e6) / 1048576;
  console.log(
    JSON.stringify({
      name,
      inputMB: +(inputBytes / 1048576).toFixed(1),
      values: r.values,
      ms: Math.round(ms),
      MBperS: +(inputBytes / 1048576 / (ms / 1000)).toFixed(1),
      datasetMBperMillionValues: +perM(r.bytes!).toFixed(2),
      peakExtraMBperMillionValues: +perM(peak - base).toFixed(2),
    }),
  );
}

const bytes = csv(MB * 1e6);
measure(
  `csv ${MB} MB`,
  (onProgress) => {
    const r = loadTable(bytes, { columns: [], labelColumn: 'label', missing: 'drop-rows', standardize: true, heldOutFraction: 0.1 }, { onProgress });
    return r.ok ? { ok: true, values: r.dataset.values.length, bytes: r.dataset.values.byteLength + r.dataset.labels!.byteLength } : { ok: false };
  },
  bytes.length,
);

const FASHION = '/usr/share/datasets/fashion-mnist';
if (existsSync(`${FASHION}/train-images-idx3-ubyte.gz`)) {
  const images = new Uint8Array(readFileSync(`${FASHION}/train-images-idx3-ubyte.gz`));
  const labels = new Uint8Array(readFileSync(`${FASHION}/train-labels-idx1-ubyte.gz`));
  measure(
    'fashion-mnist train idx.gz',
    (onProgress) => {
      const r = loadImages(images, labels, { size: 28, channels: 1, heldOut: 1000 }, { onProgress });
      return r.ok ? { ok: true, values: r.dataset.values.length, bytes: r.dataset.values.byteLength + r.dataset.labels!.byteLength } : { ok: false };
    },
    images.length,
  );
}
