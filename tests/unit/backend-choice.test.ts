/** The backend the app starts on when the person has not chosen one (issue 16). */
import { describe, expect, it } from 'vitest';
import { SOFTWARE_RENDERER, chooseBackend, offeredBackends, probeWebgpu, threadsNote } from '../../src/worker/backend-choice';
import { parseRequest } from '../../src/worker/protocol';

const info = (renderer: string, vendor = 'Google Inc. (Google)') => ({ vendor, renderer, software: SOFTWARE_RENDERER.test(renderer) || SOFTWARE_RENDERER.test(vendor) });

describe('backend choice', () => {
  it('starts on wasm on a software renderer and names it in one line', () => {
    const cases: Array<[string, string]> = [
      ['ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)', 'SwiftShader'],
      ['llvmpipe (LLVM 15.0.6, 256 bits)', 'llvmpipe'],
      ['ANGLE (Microsoft, Microsoft Basic Render Driver Direct3D11 vs_5_0 ps_5_0, D3D11)', 'Microsoft Basic Render'],
    ];
    for (const [renderer, name] of cases) {
      const c = chooseBackend(info(renderer));
      expect(c.backend).toBe('wasm');
      expect(c.reason).toContain(`software renderer (${name})`);
      expect(c.reason).not.toContain('\n');
    }
  });

  it('keeps WebGL on a real GPU, and starts on wasm without any WebGL', () => {
    expect(chooseBackend(info('ANGLE (NVIDIA, Vulkan 1.3.277 (NVIDIA H200 (0x00002335)), NVIDIA)', 'Google Inc. (NVIDIA)')).backend).toBe('webgl');
    expect(chooseBackend(info('ANGLE (Apple, ANGLE Metal Renderer: Apple M2, Unspecified Version)')).backend).toBe('webgl');
    const none = chooseBackend(null);
    expect(none.backend).toBe('wasm');
    expect(none.reason).toMatch(/not available/);
  });

  it("init takes 'auto' besides the backends; nothing else", () => {
    expect(parseRequest({ type: 'init', graph: {}, backend: 'auto', seed: 1 }).ok).toBe(true);
    expect(parseRequest({ type: 'init', graph: {}, backend: 'fastest', seed: 1 }).ok).toBe(false);
    expect(parseRequest({ type: 'setBackend', backend: 'auto' }).ok).toBe(false);
  });

  it('says how many threads wasm runs on, and why only one', () => {
    const iso = threadsNote({ build: 'threaded-simd', threads: 1, isolated: true, cores: 2 });
    expect(iso.text).toBe('1 thread');
    expect(iso.title).toMatch(/threaded SIMD build on 1 thread of 2 cores.*half of the cores, so one thread here/);
    expect(threadsNote({ build: 'threaded-simd', threads: 4, isolated: true, cores: 8 }).text).toBe('4 threads');
    const plain = threadsNote({ build: 'simd', threads: 1, isolated: false, cores: 2 });
    expect(plain.text).toBe('1 thread (not isolated)');
    expect(plain.title).toMatch(/not cross-origin isolated/);
  });

  it('offers webgpu only where navigator.gpu returns an adapter', async () => {
    const gpu = (adapter: () => Promise<unknown>) => ({ requestAdapter: adapter });
    const offered = async (g: Parameters<typeof probeWebgpu>[0]) => offeredBackends(await probeWebgpu(g));
    expect(await offered(gpu(async () => ({ features: new Set() })))).toEqual(['webgl', 'webgpu', 'wasm', 'cpu']);
    // No adapter (headless Chromium without a GPU), no navigator.gpu, or a probe that throws: no webgpu.
    for (const g of [gpu(async () => null), gpu(async () => undefined), undefined, gpu(() => Promise.reject(new Error('blocked')))]) {
      expect(await offered(g)).toEqual(['webgl', 'wasm', 'cpu']);
    }
    // Node has no navigator.gpu: the default probe finds none.
    expect(await probeWebgpu()).toBe(false);
  });
});
