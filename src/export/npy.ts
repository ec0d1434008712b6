/**
 * NumPy's .npy format (version 1.0), for the files `train --record` writes: numpy reads them
 * with np.load(path, allow_pickle=False), which runs no code. Pure: no tfjs, no Node APIs.
 */

export type NpyArray = Float32Array | Int32Array | Uint8Array;

function descr(a: NpyArray): string {
  if (a instanceof Float32Array) return '<f4';
  if (a instanceof Int32Array) return '<i4';
  return '|u1';
}

export function encodeNpy(data: NpyArray, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((x, y) => x * y, 1);
  if (count !== data.length) throw new RangeError(`encodeNpy: shape [${shape.join(', ')}] holds ${count} values, data has ${data.length}`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr(data)}', 'fortran_order': False, 'shape': (${dims}), }`;
  // magic (6) + version (2) + length (2) + header + '\n', padded to a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const body = new DataView(out.buffer, total);
  if (data instanceof Uint8Array) out.set(data, total);
  else if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) body.setFloat32(i * 4, data[i]!, true);
  else for (let i = 0; i < data.length; i++) body.setInt32(i * 4, data[i]!, true);
  return out;
}
