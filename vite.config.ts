import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// No COOP/COEP headers: the app does not need SharedArrayBuffer (tfjs-backend-wasm runs
// without threads), and cross-origin isolation would break loading its .wasm via ?url.
export default defineConfig({
  plugins: [vue()],
  optimizeDeps: {
    // The wasm backend locates its .wasm files relative to its own module; pre-bundling breaks that.
    exclude: ['@tensorflow/tfjs-backend-wasm'],
  },
  worker: {
    format: 'es',
  },
  build: {
    target: 'es2022',
  },
});
