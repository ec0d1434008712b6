/**
 * The hand-assembled WebAssembly SIMD Adam loop (nodes/lib/simd.ts) on a plain and on a shared
 * memory (the threaded tfjs-wasm build's): it validates, and one step over 4·k elements equals
 * the float32 reference (Math.fround after every operation, in tf.train.adam's order) exactly.
 * Its use inside training is held against tf.train.adam by nodes/train.optimizer.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { adamModuleBytes, adamSimd } from '../../nodes/lib/simd';
import { randArray } from '../fixtures/node-harness';

const f = Math.fround;

function reference(p: number, g: number, m: number, v: number, b1: number, b2: number, step: number, eps: number): [number, number, number] {
  const m1 = f(f(m * f(b1)) + f(g * f(1 - b1)));
  const v1 = f(f(v * f(b2)) + f(f(g * g) * f(1 - b2)));
  const p1 = f(p + f(f(m1 / f(f(Math.sqrt(v1)) + f(eps))) * f(step)));
  return [p1, m1, v1];
}

for (const shared of [false, true]) {
  describe(`SIMD Adam on a ${shared ? 'shared' : 'plain'} memory`, () => {
    it('is valid WebAssembly', () => {
      expect(WebAssembly.validate(adamModuleBytes(shared))).toBe(true);
    });

    it('one step over 4·k elements equals the float32 reference exactly, and writes nothing else', () => {
      const memory = shared ? new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true }) : new WebAssembly.Memory({ initial: 1 });
      const fn = adamSimd(memory);
      expect(fn).not.toBeNull();
      const n = 64;
      const heap = new Float32Array(memory.buffer);
      // θ, g, m, v at 0..3·n, outputs θ', m', v' at 4n..6n, a guard block after them.
      const inputs = [randArray(n, 1), randArray(n, 2), randArray(n, 3, -0.1, 0.1), randArray(n, 4, 0, 0.01)].map((a) => a.map(f));
      inputs.forEach((a, k) => heap.set(a, k * n));
      heap.fill(7, 7 * n, 8 * n);
      const [b1, b2, step, eps] = [0.9, 0.999, -0.00123, 1e-7];
      const bytes = 4;
      fn!(0, n * bytes, 2 * n * bytes, 3 * n * bytes, 4 * n * bytes, 5 * n * bytes, 6 * n * bytes, (n - 4) * bytes, b1, 1 - b1, b2, 1 - b2, step, eps);
      for (let i = 0; i < n - 4; i++) {
        const [p1, m1, v1] = reference(inputs[0]![i]!, inputs[1]![i]!, inputs[2]![i]!, inputs[3]![i]!, b1, b2, step, eps);
        expect([heap[4 * n + i], heap[5 * n + i], heap[6 * n + i]], `element ${i}`).toEqual([p1, m1, v1]);
      }
      // The last group of four was not asked for; the inputs and the guard block are untouched.
      for (let i = n - 4; i < n; i++) expect(heap[4 * n + i]).toBe(0);
      inputs.forEach((a, k) => expect(Array.from(heap.subarray(k * n, (k + 1) * n))).toEqual(a));
      expect(heap.subarray(7 * n, 8 * n).every((x) => x === 7)).toBe(true);
    });
  });
}
