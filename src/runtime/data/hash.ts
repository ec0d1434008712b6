/**
 * A data file's identity (DESIGN.md section 7): its SHA-256, the key it is kept under in the
 * app's IndexedDB and the `sha256` a data node records. A file whose hash differs from the
 * recorded one is DATA_CHANGED (a warning: the graph still trains on what it finds).
 * Web Crypto: the same in a worker, the page and Node ≥ 20.
 */
import { warning, type Diagnostic } from '../../graph/diagnostics';

/** Lower-case hex SHA-256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** DATA_CHANGED when the node recorded a hash and the file's differs; null otherwise. */
export function changedWarning(node: string, fileName: string, recorded: string, actual: string): Diagnostic | null {
  if (recorded === '' || recorded.toLowerCase() === actual) return null;
  return warning('DATA_CHANGED', `${JSON.stringify(fileName)} is not the file this graph was saved with (its SHA-256 differs); results may differ from before.`, {
    node,
    fix: 'Use the original file, or accept this one (saving the graph records its hash).',
  });
}
