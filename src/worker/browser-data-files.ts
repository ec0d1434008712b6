/**
 * The worker's data files in the browser (DESIGN.md section 7): the samples are fetched from
 * the app's built assets (under Vite's base, as the MNIST asset is), a person's files live
 * in IndexedDB (idb-keyval) under their SHA-256, with the latest hash kept under each file
 * name so a graph whose recorded hash is gone still finds a file of its name (DATA_CHANGED).
 */
import { createStore, get, setMany } from 'idb-keyval';
import type { DataFiles } from './data-loading';

const store = createStore('vae-lab-data', 'files');

const bySha = (sha256: string) => `sha256:${sha256}`;
const byName = (name: string) => `name:${name}`;

export function browserDataFiles(base: string): DataFiles {
  return {
    async asset(path) {
      const url = `${base}data/${path}`;
      const res = await fetch(url);
      if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    },
    async kept(sha256, name) {
      let sha = sha256;
      let blob = sha ? await get<Blob>(bySha(sha), store) : undefined;
      if (!blob) {
        sha = (await get<string>(byName(name), store)) ?? '';
        blob = sha ? await get<Blob>(bySha(sha), store) : undefined;
      }
      if (!blob) return null;
      const found = blob;
      return { sha256: sha, file: { size: found.size, bytes: async () => new Uint8Array(await found.arrayBuffer()) } };
    },
    async keep(name, sha256, bytes) {
      await setMany(
        [
          [bySha(sha256), new Blob([bytes as Uint8Array<ArrayBuffer>])],
          [byName(name), sha256],
        ],
        store,
      );
    },
  };
}
