/**
 * `data.images` files as a dataset (DESIGN.md section 7): IDX image files (the format of
 * MNIST and Fashion-MNIST, gzip allowed) with an optional IDX labels file, or a .zip of PNG
 * and JPEG files whose parent folder names are the labels. Pixels stay bytes (x = byte/255),
 * channels last. Pure: no tfjs, no DOM, no Node APIs.
 */
import type { Diagnostic } from '../../graph/diagnostics';
import {
  checkValues,
  classIndex,
  DataError,
  dropRow,
  droppedWarning,
  limitsOf,
  runLoader,
  splitExamples,
  type DataStructure,
  type Dataset,
  type LoadContext,
  type LoadResult,
} from './dataset';
import { isZip, maybeGunzip, unzipEntries } from './decompress';
import { decodeImage, imageSize, isJpeg, isPng, resizeToBytes, toChannels } from './pixels';

export interface ImagesParams {
  /** Zip only: images are resized to size × size. */
  size: number;
  /** Zip only. */
  channels: 1 | 3;
  heldOut: number;
}

/** The element types an IDX file may declare (its third magic byte). */
const IDX_TYPES: Record<number, string> = { 0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64' };

export interface Idx {
  dims: number[];
  data: Uint8Array;
}

/** Parses an IDX file of unsigned bytes (gzip allowed): DATA_PARSE for a wrong magic or type, DATA_SHAPE when the header does not match the length. */
export function parseIdx(raw: Uint8Array, ctx: LoadContext, what: string): Idx {
  const bytes = maybeGunzip(raw, ctx, what);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || !(bytes[2]! in IDX_TYPES) || bytes[3] === 0) {
    const hint = isZip(bytes) ? ' It looks like a zip: a zip of images goes in `file`.' : isPng(bytes) || isJpeg(bytes) ? ' It is a single image: zip a folder of images instead.' : '';
    throw new DataError('DATA_PARSE', `${what} is not an IDX file: it does not start with the IDX magic (0x00 0x00, a type, a dimension count).${hint}`, {
      line: 1,
      column: 1,
      fix: 'Use IDX files such as train-images-idx3-ubyte(.gz), or a .zip of PNG/JPEG files.',
    });
  }
  if (bytes[2] !== 0x08) {
    throw new DataError('DATA_PARSE', `${what} holds ${IDX_TYPES[bytes[2]!]} values; only unsigned-byte IDX files (type 0x08) are read.`, { line: 1, column: 3 });
  }
  const ndim = bytes[3]!;
  const header = 4 + 4 * ndim;
  if (bytes.length < header) {
    throw new DataError('DATA_SHAPE', `${what} ends inside its IDX header (${bytes.length} bytes, the header needs ${header}).`, { fix: 'The file is cut short: download it again.' });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < ndim; d++) {
    dims.push(view.getUint32(4 + 4 * d));
    count *= dims[d]!;
  }
  if (bytes.length - header !== count) {
    throw new DataError(
      'DATA_SHAPE',
      `${what}'s IDX header says ${dims.join(' × ')} = ${count.toLocaleString('en-US')} values, but the file holds ${(bytes.length - header).toLocaleString('en-US')}.`,
      { fix: 'The file is cut short or is not what its header says: download it again.' },
    );
  }
  return { dims, data: bytes.subarray(header) };
}

/** The images of `file` (IDX or zip), with labels from `labelsFile` (IDX; null: none) or the zip's folders. */
export function loadImages(file: Uint8Array, labelsFile: Uint8Array | null, params: ImagesParams, ctx: LoadContext = {}): LoadResult {
  return runLoader(ctx, () => (isZip(file) ? buildZip(file, params, ctx) : buildIdx(file, labelsFile, params, ctx)));
}

function buildIdx(file: Uint8Array, labelsFile: Uint8Array | null, params: ImagesParams, ctx: LoadContext): Dataset {
  const img = parseIdx(file, ctx, 'The images file');
  if (img.dims.length !== 3 && !(img.dims.length === 4 && (img.dims[3] === 1 || img.dims[3] === 3))) {
    throw new DataError('DATA_SHAPE', `The images file has dimensions ${img.dims.join(' × ')}; images need count × height × width (or × 1 or × 3 channels).`);
  }
  const [n, h, w] = img.dims as [number, number, number];
  const c = img.dims.length === 4 ? img.dims[3]! : 1;
  checkValues(img.data.length, ctx, 'The images file');
  if (n === 0 || h === 0 || w === 0) throw new DataError('DATA_EMPTY', 'The images file holds no image.');
  let labels: { labels: Int32Array; classes: string[] } | null = null;
  if (labelsFile) {
    const lab = parseIdx(labelsFile, ctx, 'The labels file');
    if (lab.dims.length !== 1) throw new DataError('DATA_SHAPE', `The labels file has dimensions ${lab.dims.join(' × ')}; labels need one dimension (the count).`);
    if (lab.dims[0] !== n) {
      throw new DataError('DATA_SHAPE', `The labels file holds ${lab.dims[0]} labels for ${n} images.`, { fix: 'Pair each images file with its own labels file.' });
    }
    labels = classIndex(Array.from(lab.data, String));
  }
  return imageDataset(img.data, n, { kind: 'image', h, w, c }, labels, params.heldOut, { count: 0, first: [] }, []);
}

/** An images dataset over `values` (n images of h × w × c bytes), split as §7 says. */
function imageDataset(
  values: Uint8Array,
  n: number,
  structure: Extract<DataStructure, { kind: 'image' }>,
  labels: { labels: Int32Array; classes: string[] } | null,
  heldOutCount: number,
  dropped: Dataset['dropped'],
  warnings: Diagnostic[],
): Dataset {
  const { train, heldOut } = splitExamples(n, heldOutCount);
  return {
    n,
    dim: structure.h * structure.w * structure.c,
    structure,
    values,
    labels: labels?.labels ?? null,
    classes: labels?.classes ?? null,
    columns: [],
    train,
    heldOut,
    standardization: null,
    dropped,
    warnings,
  };
}

const IMAGE_NAME = /\.(png|jpe?g)$/i;

/** Skipped without a word: folders, macOS metadata, dot files. */
function hidden(name: string): boolean {
  return name.endsWith('/') || name.startsWith('__MACOSX/') || name.split('/').some((part) => part.startsWith('.'));
}

function buildZip(file: Uint8Array, params: ImagesParams, ctx: LoadContext): Dataset {
  const dropped: Dataset['dropped'] = { count: 0, first: [] };
  const entries = unzipEntries(file, ctx, (name) => !hidden(name));
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const images = entries.filter((e) => {
    if (IMAGE_NAME.test(e.name) || isPng(e.bytes) || isJpeg(e.bytes)) return true;
    dropRow(dropped, { field: e.name, reason: 'not a PNG or JPEG file' });
    return false;
  });
  if (images.length === 0) throw new DataError('DATA_EMPTY', 'The zip holds no PNG or JPEG file.', { fix: 'Zip folders of .png or .jpg images (one folder per label).' });
  const { size, channels: c } = params;
  const D = size * size * c;
  checkValues(images.length * D, ctx, `The ${images.length} images at ${size}×${size}×${c}`);
  const maxPixels = limitsOf(ctx).values;
  const values = new Uint8Array(images.length * D);
  const folders: string[] = [];
  images.forEach((e, i) => {
    const dims = imageSize(e.bytes);
    if (dims && dims.w * dims.h > maxPixels) {
      throw new DataError('DATA_TOO_LARGE', `The image ${JSON.stringify(e.name)} is ${dims.w}×${dims.h} pixels, more than ${maxPixels.toLocaleString('en-US')}.`, {
        fix: 'Shrink the images before zipping them.',
      });
    }
    let px;
    try {
      px = decodeImage(e.bytes, maxPixels);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new DataError('DATA_PARSE', `The image ${JSON.stringify(e.name)} cannot be decoded: ${why}.`, { fix: 'Replace or remove that file.' });
    }
    if (px.w === 0 || px.h === 0) throw new DataError('DATA_SHAPE', `The image ${JSON.stringify(e.name)} has no pixels.`);
    resizeToBytes(toChannels(px, c), size, values, i * D);
    const parts = e.name.split('/');
    folders.push(parts.length > 1 ? parts[parts.length - 2]! : '');
    if (ctx.onProgress && i % 64 === 0) ctx.onProgress(0.5 + (0.5 * i) / images.length);
  });
  const labelled = folders.some((f) => f !== '');
  const labels = labelled ? classIndex(folders) : null;
  const warnings = dropped.count > 0 ? [droppedWarning(dropped, entries.length, 'files', ctx)] : [];
  return imageDataset(values, images.length, { kind: 'image', h: size, w: size, c }, labels, params.heldOut, dropped, warnings);
}
