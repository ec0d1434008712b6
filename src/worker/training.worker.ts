/**
 * The training worker (a module Web Worker): a TrainingSession wired to `self`. tfjs runs
 * here only; WebGL goes through an OffscreenCanvas (tfjs picks it automatically in a
 * worker). The tfjs wasm binaries are served by Vite (?url imports). The MNIST asset and the
 * data samples are fetched from the app's own public/ folder; picked data files are kept in
 * IndexedDB (browser-data-files.ts).
 */
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { decodeMnistAsset } from '../runtime/data/mnist';
import { transferablesOf, type WorkerEvent } from './protocol';
import { TrainingSession } from './session';
import { browserDataFiles } from './browser-data-files';
import { Outbox } from './outbox';

const scope = self as unknown as {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
  addEventListener(type: 'unhandledrejection', listener: (ev: PromiseRejectionEvent) => void): void;
};

/** Run's 'stepped' events leave in batches, at most 10 messages a second (outbox.ts). */
const outbox = new Outbox((message, transfer) => scope.postMessage(message, transfer));

function post(ev: WorkerEvent, transfer?: ArrayBuffer[]): void {
  outbox.post(ev, transfer && transfer.length ? transfer : transferablesOf(ev));
}

async function loadMnist() {
  const url = `${import.meta.env.BASE_URL}data/mnist.bin`;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return decodeMnistAsset(new Uint8Array(await res.arrayBuffer()));
}

const session = new TrainingSession({
  post,
  loadMnist,
  dataFiles: browserDataFiles(import.meta.env.BASE_URL),
  wasmPaths: {
    'tfjs-backend-wasm.wasm': wasmPlain,
    'tfjs-backend-wasm-simd.wasm': wasmSimd,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
  },
});

scope.addEventListener('message', (ev: MessageEvent) => {
  void session.handle(ev.data);
});

scope.addEventListener('unhandledrejection', (ev: PromiseRejectionEvent) => {
  const reason = ev.reason instanceof Error ? ev.reason.message : String(ev.reason);
  post({ type: 'error', code: 'INTERNAL', message: `The training worker failed: ${reason}`, fatal: false });
});
