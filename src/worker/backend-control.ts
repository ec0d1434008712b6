/**
 * The tfjs backend the worker trains on: switching (WebGL falls back to wasm where it cannot
 * start), what renders WebGL (a software renderer is slow) and the lost-context alarm, the
 * shader warm-up of a new plan, and the advice to try wasm when a software renderer makes
 * WebGL slower than wasm on the same graph. (Which backend to start on when none was chosen,
 * and what a WebGL context runs on: backend-choice.ts.)
 */
import * as tf from '@tensorflow/tfjs';
import type { Plan } from '../compiler/compile';
import { createTrainer, disposeCaptured, type Trainer } from '../runtime/trainer';
import { useBackend, wasmRuntime, type WasmRuntime } from '../runtime/backends';
import { median } from '../runtime/stats';
import type { MnistRaw } from '../runtime/data/mnist';
import { WorkerError } from './errors';
import { portStats } from './port-stats';
import { rendererInfo } from './backend-choice';
import type { Backend, RendererInfo, WorkerEventOf } from './protocol';

/** WebGL step times gathered before timing wasm once. */
const ADVICE_AFTER_STEPS = 4;

export interface BackendHooks {
  /** Browser: where Vite serves the tfjs wasm binaries. */
  wasmPaths?: Record<string, string>;
  /** WebGL could not start and wasm runs instead: the message says so. */
  fellBack(message: string): void;
  /** The WebGL context was lost: nothing more can be trained in this worker. */
  contextLost(message: string): void;
}

export class BackendControl {
  private active: Backend = 'webgl';
  private rendererInfo: RendererInfo | null = null;
  private wasmInfo: WasmRuntime | undefined;
  private stepMs: number[] = [];
  private advised = false;
  private watchedCanvas: unknown = null;

  constructor(private readonly hooks: BackendHooks) {}

  /** The backend tfjs runs now. */
  get current(): Backend {
    return this.active;
  }

  /** What renders WebGL (null on wasm and cpu, or when it cannot be read). */
  get renderer(): RendererInfo | null {
    return this.rendererInfo;
  }

  /** On wasm: the build tfjs loaded (threaded where the page is isolated) and its threads. */
  get wasm(): WasmRuntime | undefined {
    return this.wasmInfo;
  }

  /** Switches tfjs to `name`; WebGL or WebGPU that cannot start falls back to wasm (and says so). */
  async use(name: Backend): Promise<void> {
    try {
      await useBackend(name, this.paths());
      this.active = name;
    } catch (err) {
      if (name !== 'webgl' && name !== 'webgpu') throw new WorkerError('BACKEND_FAILED', `The ${name} backend could not start: ${(err as Error).message}`);
      await useBackend('wasm', this.paths());
      this.active = 'wasm';
      this.hooks.fellBack(`${name === 'webgl' ? 'WebGL' : 'WebGPU'} is not available here (${(err as Error).message}); training on wasm instead.`);
    }
    this.rendererInfo = this.active === 'webgl' ? this.readRenderer() : null;
    this.wasmInfo = this.active === 'wasm' ? await wasmRuntime() : undefined;
    this.stepMs = [];
    this.advised = false;
  }

  /**
   * WebGL compiles a shader program the first time each op runs, which makes the first step
   * take seconds on a software renderer. Run one throwaway step of the same plan now (the
   * programs are cached by op and shape), so that Run answers with a step at once.
   */
  warmUp(plan: Plan, mnist: MnistRaw, seed: number): void {
    if (this.active !== 'webgl' && this.active !== 'webgpu') return;
    let temp: Trainer | null = null;
    try {
      temp = createTrainer(plan, { mnist, seed, breakOnKlNegative: false });
      const r = temp.step({ capture: true });
      if (r.ok && r.captured) {
        portStats(r.captured);
        disposeCaptured(r.captured);
      }
    } catch {
      // a warm-up failure shows up again (and is reported) on the real step
    } finally {
      temp?.dispose();
    }
  }

  /**
   * Notes a training step's time. On a software WebGL renderer, after a few steps, times
   * wasm once on the same plan and returns the advice to switch when it is faster.
   */
  async afterStep(step: number, ms: number, trainer: Trainer, mnist: MnistRaw, seed: number): Promise<WorkerEventOf<'backendAdvice'> | null> {
    if (this.active !== 'webgl' || step <= 1) return null;
    this.stepMs.push(ms);
    if (this.advised || !this.rendererInfo?.software || this.stepMs.length < ADVICE_AFTER_STEPS) return null;
    this.advised = true;
    const webglMs = median(this.stepMs);
    let wasmMs = Infinity;
    let temp: Trainer | null = null;
    try {
      await useBackend('wasm', this.paths());
      temp = createTrainer(trainer.plan, { mnist, seed });
      temp.step();
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = temp.step();
        if (r.ok) times.push(r.metrics.ms);
      }
      if (times.length) wasmMs = median(times);
    } catch {
      // wasm not available: no advice
    } finally {
      temp?.dispose();
      await useBackend('webgl');
    }
    if (!(wasmMs < webglMs * 0.9)) return null;
    return { type: 'backendAdvice', current: 'webgl', currentMs: webglMs, suggested: 'wasm', suggestedMs: wasmMs, renderer: this.rendererInfo.renderer };
  }

  private paths(): { wasmPaths?: Record<string, string> } {
    return this.hooks.wasmPaths ? { wasmPaths: this.hooks.wasmPaths } : {};
  }

  private readRenderer(): RendererInfo | null {
    const be = tf.backend() as unknown as { gpgpu?: { gl?: WebGL2RenderingContext } };
    const gl = be.gpgpu?.gl;
    if (!gl) return null;
    const canvas = gl.canvas as unknown as EventTarget | undefined;
    if (canvas && canvas !== this.watchedCanvas && typeof canvas.addEventListener === 'function') {
      this.watchedCanvas = canvas;
      canvas.addEventListener('webglcontextlost', () => {
        this.hooks.contextLost('The GPU was reset or reclaimed, and the trainer cannot go on in this worker: restart it');
      });
    }
    return rendererInfo(gl);
  }
}
