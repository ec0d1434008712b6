import { defineConfig, type Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';

/**
 * Cross-origin isolation (issue 16): with COOP same-origin and COEP require-corp the page gets
 * SharedArrayBuffer, and tfjs-backend-wasm runs its threaded SIMD build in the training worker.
 * Every asset is same-origin (the .wasm files, the worker, the MNIST asset), which COEP accepts
 * without a Cross-Origin-Resource-Policy header. Static hosts that cannot set headers: README.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * tfjs-backend-wasm starts its pthreads from the threaded factory's source text
 * (`wasmFactoryThreadedSimd.toString()` in a Blob). That function reads `_scriptDir`, a variable
 * of the closure around it; once a minifier renames it (or folds `typeof _scriptDir !==
 * "undefined"` into a bare read), the text no longer stands alone, every pthread throws a
 * ReferenceError, and the backend never finishes loading. tfjs always passes the Blob itself
 * (`mainScriptUrlOrBlob`) and a locateFile for the .wasm, so `_scriptDir` is never needed in a
 * browser: remove both reads before the minifier sees the file, and fail the build if tfjs
 * changes them. tests/e2e/backend.test.ts loads the built app isolated and would catch a hang.
 */
export function tfjsWasmThreadsSelfContained(): Plugin {
  const FILE = /tfjs-backend-wasm[\\/]wasm-out[\\/]tfjs-backend-wasm-threaded-simd\.js$/;
  const EDITS: Array<[string, string]> = [
    ['if(typeof _scriptDir !== "undefined" && _scriptDir){scriptDirectory=_scriptDir}', ''],
    ['"urlOrBlob":Module["mainScriptUrlOrBlob"]||_scriptDir,', '"urlOrBlob":Module["mainScriptUrlOrBlob"],'],
  ];
  return {
    name: 'vae-lab:tfjs-wasm-threads-self-contained',
    enforce: 'pre',
    transform(code, id) {
      if (!FILE.test(id.split('?')[0]!)) return null;
      let out = code;
      for (const [from, to] of EDITS) {
        if (!out.includes(from)) this.error(`tfjs-backend-wasm changed: "${from}" not found in ${id}; re-check the threaded factory's closure reads`);
        out = out.replace(from, to);
      }
      const inner = out.slice(out.indexOf('return (\nfunction('));
      if (/\b_scriptDir\b/.test(inner)) this.error(`tfjs-backend-wasm: the threaded factory still reads _scriptDir in ${id}`);
      return { code: out, map: null };
    },
  };
}

export default defineConfig({
  plugins: [vue(), tfjsWasmThreadsSelfContained()],
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  worker: {
    format: 'es',
    plugins: () => [tfjsWasmThreadsSelfContained()],
  },
  build: {
    target: 'es2022',
  },
});
