/**
 * Adam's update as one WebAssembly SIMD loop over tfjs-backend-wasm's own heap.
 *
 * Why: for a large variable ([784, 400]) tfjs-wasm runs Adam's 12 passes at ~3.8 ns an
 * element in all (its square root is scalar), and one JavaScript pass is slower still (~5 ns:
 * V8 neither vectorises nor computes in float32). One f32x4 pass reads θ, g, m, v once and
 * writes θ', m', v' once.
 *
 * How: a 14-parameter function, assembled here byte by byte (about 200 bytes; no toolchain),
 * imports the backend's WebAssembly.Memory (`asm.memory`, or `wasmMemory` for the threaded
 * build's shared memory) and is called with byte offsets from the backend's data map. It
 * computes in float32 in tf.train.adam's order (m·β₁ + g·(1 − β₁); g²·(1 − β₂) + v·β₂;
 * θ + m' / (√v' + ε) · step), without fused multiply-adds, so its results are those of the
 * stock float32 ops. `adamSimd()` is null where WebAssembly SIMD or the memory is missing;
 * the caller then falls back.
 */

type AdamFn = (p0: number, g: number, m0: number, v0: number, p1: number, m1: number, v1: number, bytes: number, b1: number, c1: number, b2: number, c2: number, step: number, eps: number) => void;

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const str = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

// Opcodes.
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const I32_ADD = 0x6a;
const I32_GE_U = 0x4f;
const I32_CONST = 0x41;
const SIMD = 0xfd;
const V128_LOAD = [SIMD, 0x00, 2, 0]; // align 2^2, offset 0
const V128_STORE = [SIMD, 0x0b, 2, 0];
const F32X4_SPLAT = [SIMD, 0x13];
const F32X4_SQRT = [SIMD, ...uleb(0xe3)];
const F32X4_ADD = [SIMD, ...uleb(0xe4)];
const F32X4_MUL = [SIMD, ...uleb(0xe6)];
const F32X4_DIV = [SIMD, ...uleb(0xe7)];

/** The module's bytes; `shared`: import a shared memory (the threaded build's). */
export function adamModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  // Parameters 0–6 byte offsets (θ, g, m, v, θ', m', v'), 7 the byte count (a multiple of 16),
  // 8–13 f32 (β₁, 1 − β₁, β₂, 1 − β₂, step, ε). Locals: 14 the offset i; 15–20 the splatted
  // constants; 21 g, 22 m', 23 v'.
  const get = (i: number) => [LOCAL_GET, i];
  const set = (i: number) => [LOCAL_SET, i];
  const at = (base: number) => [...get(base), ...get(14), I32_ADD];
  const splats = [8, 9, 10, 11, 12, 13].flatMap((p, k) => [...get(p), ...F32X4_SPLAT, ...set(15 + k)]);
  const body = [
    ...splats,
    0x02, 0x40, // block
    0x03, 0x40, // loop
    ...get(14), ...get(7), I32_GE_U, 0x0d, 1, // br_if 1 when i >= bytes
    ...at(1), ...V128_LOAD, ...set(21), // g
    ...at(2), ...V128_LOAD, ...get(15), ...F32X4_MUL, ...get(21), ...get(16), ...F32X4_MUL, ...F32X4_ADD, ...set(22), // m' = m·β₁ + g·(1 − β₁)
    ...at(5), ...get(22), ...V128_STORE,
    ...at(3), ...V128_LOAD, ...get(17), ...F32X4_MUL, ...get(21), ...get(21), ...F32X4_MUL, ...get(18), ...F32X4_MUL, ...F32X4_ADD, ...set(23), // v' = v·β₂ + g²·(1 − β₂)
    ...at(6), ...get(23), ...V128_STORE,
    ...at(4), // θ' address
    ...at(0), ...V128_LOAD,
    ...get(22), ...get(23), ...F32X4_SQRT, ...get(20), ...F32X4_ADD, ...F32X4_DIV, ...get(19), ...F32X4_MUL,
    ...F32X4_ADD, ...V128_STORE, // θ' = θ + m' / (√v' + ε) · step
    ...get(14), I32_CONST, 16, I32_ADD, ...set(14),
    0x0c, 0, // br 0
    0x0b, // end loop
    0x0b, // end block
    0x0b, // end function
  ];
  const locals = vec([
    [1, 0x7f],
    [9, 0x7b],
  ]);
  const code = [...locals, ...body];
  const I32 = 0x7f;
  const F32 = 0x7d;
  const type = [0x60, ...uleb(14), ...Array<number>(8).fill(I32), ...Array<number>(6).fill(F32), 0];
  const memLimits = shared ? [0x03, 0, ...uleb(65536)] : [0x00, 0];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([type])),
    ...section(2, vec([[...str('env'), ...str('memory'), 0x02, ...memLimits]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...str('adam'), 0x00, 0]])),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ]);
}

const cache = new WeakMap<WebAssembly.Memory, AdamFn | null>();

/** The SIMD Adam loop bound to `memory`, or null where it cannot be built. */
export function adamSimd(memory: WebAssembly.Memory | undefined): AdamFn | null {
  if (!memory || typeof WebAssembly === 'undefined') return null;
  if (cache.has(memory)) return cache.get(memory)!;
  let fn: AdamFn | null = null;
  try {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const module = new WebAssembly.Module(adamModuleBytes(shared));
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    fn = instance.exports.adam as AdamFn;
  } catch {
    fn = null;
  }
  cache.set(memory, fn);
  return fn;
}
