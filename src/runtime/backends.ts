/**
 * Backend selection: webgl | wasm | cpu | webgpu. The same trainer runs on each.
 * In the browser the wasm binaries are served by Vite (see src/worker); in Node they load themselves.
 * webgpu is imported on first use only (its own chunk), so browsers without WebGPU never load it.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { getThreadsCount, setWasmPaths, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

export const BACKENDS = ['webgl', 'wasm', 'cpu', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendOptions {
  /** Browser only: where the .wasm files are served (Vite ?url imports). */
  wasmPaths?: Record<string, string> | string;
  /** wasm thread pool size, when threads are available. */
  threads?: number;
}

let configured = false;
let webgpuLoaded: Promise<unknown> | null = null;

export async function useBackend(name: BackendName, opts: BackendOptions = {}): Promise<string> {
  if (name === 'wasm' && !configured) {
    if (opts.wasmPaths) setWasmPaths(opts.wasmPaths as Parameters<typeof setWasmPaths>[0]);
    if (opts.threads) setThreadsCount(opts.threads);
    configured = true;
  }
  if (name === 'webgpu') {
    if (typeof navigator === 'undefined' || !(navigator as { gpu?: unknown }).gpu) throw new Error('this browser has no WebGPU');
    // Registers the backend with tfjs on import; a failed import may be retried.
    webgpuLoaded ??= import('@tensorflow/tfjs-backend-webgpu').catch((err: unknown) => {
      webgpuLoaded = null;
      throw err;
    });
    await webgpuLoaded;
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`The ${name} backend could not be initialised.`);
  await tf.ready();
  return tf.getBackend();
}

export function isBackendName(s: string): s is BackendName {
  return (BACKENDS as readonly string[]).includes(s);
}

/** How tfjs-backend-wasm runs here: which build it loaded and how many threads XNNPACK uses. */
export interface WasmRuntime {
  build: 'threaded-simd' | 'simd' | 'plain';
  threads: number;
  /** The page is cross-origin isolated (SharedArrayBuffer): the threaded build can load. */
  isolated: boolean;
  /** navigator.hardwareConcurrency (null in Node). tfjs uses about half of them. */
  cores: number | null;
}

/** After useBackend('wasm'): the build tfjs picked (its own flags decide) and its thread count. */
export async function wasmRuntime(): Promise<WasmRuntime> {
  const [simd, threads] = await Promise.all([tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')]);
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  return {
    build: simd && threads ? 'threaded-simd' : simd ? 'simd' : 'plain',
    threads: getThreadsCount(),
    isolated: g.crossOriginIsolated === true,
    cores: g.navigator?.hardwareConcurrency ?? null,
  };
}
