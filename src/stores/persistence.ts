/**
 * Autosave: the open document (and the text it was last saved as, for its dirty state) kept
 * in localStorage after every edit, and read back, through the graph schema, on the next
 * visit. Best effort: no storage (privacy mode, Node) or a full one is not an error.
 */
import { parseGraph, type Graph } from '../graph/schema';
import { registry } from '../../nodes';

export const AUTOSAVE_KEY = 'vae-lab:autosave:v1';
const AUTOSAVE_FORMAT = 'vae-lab/autosave';

export type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** The browser's localStorage, or null where there is none (Node, a refusing browser). */
export function browserStorage(): StorageLike | null {
  try {
    return typeof localStorage !== 'undefined' ? localStorage : null;
  } catch {
    return null;
  }
}

/** Keep `graph` (the document's text) and `saved` (its last saved text). */
export function writeAutosave(storage: StorageLike | null, graph: string, saved: string): void {
  if (!storage) return;
  try {
    storage.setItem(AUTOSAVE_KEY, JSON.stringify({ format: AUTOSAVE_FORMAT, version: 1, graph, saved }));
  } catch {
    // quota or privacy mode: autosave is best effort
  }
}

/** The autosaved document, parsed; null when there is none or it does not parse. */
export function readAutosave(storage: StorageLike | null): { graph: Graph; saved: string | null } | null {
  if (!storage) return null;
  try {
    const raw = storage.getItem(AUTOSAVE_KEY);
    if (!raw) return null;
    const rec = JSON.parse(raw) as { format?: unknown; graph?: unknown; saved?: unknown };
    if (rec.format !== AUTOSAVE_FORMAT || typeof rec.graph !== 'string') return null;
    const parsed = parseGraph(rec.graph, registry);
    if (!parsed.ok) return null;
    return { graph: parsed.graph, saved: typeof rec.saved === 'string' ? rec.saved : null };
  } catch {
    return null;
  }
}
