/**
 * Unpacking .gz and .zip data files with fflate, streamed in small chunks so that inflating
 * stops at the size limit (DESIGN.md section 7: the limits count decompressed bytes) instead
 * of filling memory first. Pure: no Node APIs.
 */
import { Gunzip, Unzip, UnzipInflate } from 'fflate';
import { DataError, limitsOf, megabytes, type LoadContext } from './dataset';

/** Compressed bytes fed per push: one push can inflate at most ~1032× this, so the overshoot past the limit stays small. */
const CHUNK = 16 * 1024;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5) && (bytes[3] === 4 || bytes[3] === 6);
}

function tooLarge(limit: number, what: string): DataError {
  return new DataError('DATA_TOO_LARGE', `${what} unpacks to more than ${megabytes(limit)}; data files are limited to ${megabytes(limit)} (decompressed).`, {
    fix: 'Use a smaller sample of the data.',
  });
}

/** Pushes `bytes` in CHUNK-sized pieces, reporting progress (unpacking is the first half of a load). */
function feed(bytes: Uint8Array, push: (chunk: Uint8Array, final: boolean) => void, ctx: LoadContext): void {
  for (let i = 0; i < bytes.length; i += CHUNK) {
    const end = Math.min(bytes.length, i + CHUNK);
    push(bytes.subarray(i, end), end === bytes.length);
    if (ctx.onProgress && (i / CHUNK) % 64 === 0) ctx.onProgress((0.5 * end) / bytes.length);
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** The bytes of a gzip file, or the bytes themselves when they are not gzip. DATA_PARSE on a broken stream, DATA_TOO_LARGE past the limit. */
export function maybeGunzip(bytes: Uint8Array, ctx: LoadContext, what = 'The file'): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  const limit = limitsOf(ctx).bytes;
  const chunks: Uint8Array[] = [];
  let total = 0;
  let failure: unknown = null;
  let ended = false;
  const g = new Gunzip((data, final) => {
    total += data.length;
    if (total > limit) throw tooLarge(limit, what);
    if (data.length) chunks.push(data);
    if (final) ended = true;
  });
  try {
    feed(bytes, (chunk, final) => g.push(chunk, final), ctx);
  } catch (e) {
    failure = e;
  }
  if (failure instanceof DataError) throw failure;
  if (failure !== null || !ended) {
    const why = failure instanceof Error ? failure.message : 'the stream ends early';
    throw new DataError('DATA_PARSE', `${what} is a broken gzip file (${why}).`, { fix: 'Download or compress it again.' });
  }
  return concat(chunks, total);
}

export interface ZipEntry {
  /** Full path inside the archive. */
  name: string;
  bytes: Uint8Array;
}

/**
 * The entries of a zip whose names pass `want`, in archive order. Stops inflating when the
 * entries taken together pass the byte limit (DATA_TOO_LARGE); a broken archive is DATA_PARSE.
 */
export function unzipEntries(bytes: Uint8Array, ctx: LoadContext, want: (name: string) => boolean): ZipEntry[] {
  const limit = limitsOf(ctx).bytes;
  let total = 0;
  const entries: ZipEntry[] = [];
  const unfinished = new Set<ZipEntry>();
  let failure: unknown = null;
  const unzip = new Unzip((file) => {
    if (!want(file.name)) return;
    const chunks: Uint8Array[] = [];
    let size = 0;
    const entry: ZipEntry = { name: file.name, bytes: new Uint8Array(0) };
    entries.push(entry);
    unfinished.add(entry);
    file.ondata = (err, data, final) => {
      if (err) {
        failure ??= new DataError('DATA_PARSE', `The zip entry ${JSON.stringify(file.name)} is broken (${err.message}).`, { fix: 'Zip the files again.' });
        throw failure;
      }
      size += data.length;
      total += data.length;
      if (total > limit) {
        failure ??= tooLarge(limit, 'The zip file');
        throw failure;
      }
      if (data.length) chunks.push(data);
      if (final) {
        entry.bytes = concat(chunks, size);
        unfinished.delete(entry);
      }
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    feed(bytes, (chunk, final) => unzip.push(chunk, final), ctx);
  } catch (e) {
    failure ??= e;
  }
  if (failure instanceof DataError) throw failure;
  if (failure !== null) {
    const why = failure instanceof Error ? failure.message : String(failure);
    throw new DataError('DATA_PARSE', `The zip file is broken (${why}).`, { fix: 'Zip the files again.' });
  }
  for (const e of unfinished) {
    throw new DataError('DATA_PARSE', `The zip file ends inside the entry ${JSON.stringify(e.name)}: it is cut short.`, { fix: 'Download or zip it again.' });
  }
  return entries;
}
