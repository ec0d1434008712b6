/**
 * Which backend the trainer starts on when the person has not chosen one (issue 16), and
 * what WebGL runs on. WebGL on a software renderer (SwiftShader, llvmpipe, Microsoft Basic
 * Render…) is many times slower than wasm on the same cores, so the app starts on wasm there
 * and says why; on a real GPU WebGL stays the default.
 *
 * The probe opens a 1×1 WebGL context in the worker (OffscreenCanvas), reads the unmasked
 * renderer (WEBGL_debug_renderer_info) and releases the context; it never starts tfjs-webgl.
 * WebGPU is offered only where the browser hands out a GPU adapter (probeWebgpu); headless
 * Chromium without a GPU has none. No tfjs here.
 */
import type { Backend, RendererInfo } from './protocol';

export const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|lavapipe|software|basic render/i;

/** What a WebGL context runs on. */
export function rendererInfo(gl: WebGL2RenderingContext | WebGLRenderingContext): RendererInfo {
  let vendor = '';
  let renderer = '';
  try {
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    vendor = String(gl.getParameter(ext ? ext.UNMASKED_VENDOR_WEBGL : gl.VENDOR) ?? '');
    renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
  } catch {
    // keep blanks
  }
  return { vendor, renderer, software: SOFTWARE_RENDERER.test(renderer) || SOFTWARE_RENDERER.test(vendor) };
}

/** The renderer a WebGL context gets here, or null when there is no WebGL at all. */
export function probeWebgl(): RendererInfo | null {
  if (typeof OffscreenCanvas === 'undefined') return null;
  let gl: WebGL2RenderingContext | WebGLRenderingContext | null = null;
  try {
    const canvas = new OffscreenCanvas(1, 1);
    gl = canvas.getContext('webgl2') ?? canvas.getContext('webgl');
  } catch {
    return null;
  }
  if (!gl) return null;
  const info = rendererInfo(gl);
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return info;
}

/** The part of `navigator.gpu` the probe uses. */
export interface GpuLike {
  requestAdapter(): Promise<unknown>;
}

/** Whether WebGPU can run here: `navigator.gpu` exists and returns an adapter. Never throws. */
export async function probeWebgpu(gpu: GpuLike | undefined = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu): Promise<boolean> {
  if (!gpu || typeof gpu.requestAdapter !== 'function') return false;
  try {
    return (await gpu.requestAdapter()) != null;
  } catch {
    return false;
  }
}

/** The backends the menu lists, in order: webgpu only where the browser has an adapter. */
export function offeredBackends(webgpu: boolean): Backend[] {
  return webgpu ? ['webgl', 'webgpu', 'wasm', 'cpu'] : ['webgl', 'wasm', 'cpu'];
}

export interface BackendChoice {
  backend: Backend;
  /** One line: why the app chose it. */
  reason: string;
}

/** A short name for a renderer string such as "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) …)), SwiftShader driver)". */
function shortName(r: RendererInfo): string {
  const m = SOFTWARE_RENDERER.exec(r.renderer) ?? SOFTWARE_RENDERER.exec(r.vendor);
  if (m) return /^basic render/i.test(m[0]) ? 'Microsoft Basic Render' : m[0].replace(/^swiftshader$/i, 'SwiftShader');
  const s = r.renderer || r.vendor || 'unknown';
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

/** The backend to start on when none was chosen, given what WebGL runs on (null: no WebGL). */
export function chooseBackend(webgl: RendererInfo | null): BackendChoice {
  if (!webgl) return { backend: 'wasm', reason: 'Started on wasm: WebGL is not available in this browser.' };
  if (webgl.software) {
    return {
      backend: 'wasm',
      reason: `Started on wasm: WebGL here is a software renderer (${shortName(webgl)}), much slower than wasm on the same CPU.`,
    };
  }
  return { backend: 'webgl', reason: `Started on WebGL: it runs on the GPU (${shortName(webgl)}).` };
}

/** What the wasm backend runs on, as the app shows it (a few words, and a sentence for the tooltip). */
export function threadsNote(w: { build: 'threaded-simd' | 'simd' | 'plain'; threads: number; isolated: boolean; cores: number | null }): { text: string; title: string } {
  const n = `${w.threads} thread${w.threads === 1 ? '' : 's'}`;
  if (w.build !== 'threaded-simd') {
    return {
      text: `${n} (not isolated)`,
      title: w.isolated
        ? `wasm runs its ${w.build} build on one thread: this browser lacks WebAssembly threads.`
        : 'wasm runs on one thread: the page is not cross-origin isolated (it needs COOP same-origin and COEP require-corp), so the threaded build cannot load.',
    };
  }
  const cores = w.cores ? ` of ${w.cores} cores` : '';
  return {
    text: n,
    title: `wasm runs its threaded SIMD build on ${n}${cores} (tfjs uses about half of the cores${w.cores !== null && w.cores <= 3 ? ', so one thread here' : ''}).`,
  };
}
