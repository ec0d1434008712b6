/**
 * New / Open / Save / presets. Over unsaved changes New, a preset and opening a file ask
 * first, in the app's confirm-dialog (never window.confirm); Cancel keeps everything. A file
 * that does not parse is reported (coded, in the error banner) and leaves the graph as it was.
 */
import { useGraphStore } from '../stores/graph';
import { useConfirmStore } from '../stores/confirm';
import { findPreset, PRESETS } from '../stores/presets';
import { LIMITS } from '../graph/schema';
import { graphFromPng } from '../graph/png-text';

/** The largest PNG read for its graph (the image around a 10 MB graph). */
const MAX_PNG_BYTES = 64 * 1024 * 1024;

export function useFileActions() {
  const store = useGraphStore();
  const confirm = useConfirmStore();

  /**
   * Over unsaved changes, asks (confirm-dialog) before `what` replaces them: true when there
   * are none or the person said yes.
   */
  async function confirmDiscard(title: string, what: string, confirmLabel: string): Promise<boolean> {
    if (!store.dirty) return true;
    const current = store.graph.meta.name;
    return confirm.ask({
      title,
      message: `“${current}” has unsaved changes (kept in this browser only). ${what} replaces it, and those changes are lost.`,
      confirmLabel,
      cancelLabel: `Keep “${current}”`,
    });
  }

  async function newGraph(): Promise<boolean> {
    if (!(await confirmDiscard('Start a new graph?', 'A new, empty graph', 'Discard changes and start new'))) return false;
    store.newGraph();
    return true;
  }

  async function openFile(file: File): Promise<boolean> {
    if (/\.png$/i.test(file.name) || file.type === 'image/png') return openPng(file);
    if (!/\.json$/i.test(file.name) && file.type !== 'application/json') {
      store.setError('USAGE', `"${file.name}" is not a graph file: VAE Lab opens .json graphs (and PNGs it exported).`);
      return false;
    }
    if (file.size > LIMITS.fileBytes) {
      store.setError('TOO_LARGE', `"${file.name}" is ${(file.size / 1048576).toFixed(1)} MB; graphs are limited to 10 MB.`);
      return false;
    }
    let text: string;
    try {
      text = await file.text();
    } catch (e) {
      store.setError('FILE_NOT_FOUND', `"${file.name}" could not be read: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
    return openParsed(text, `"${file.name}"`, file.name);
  }

  /**
   * Open a graph file's text: parsed first (a bad file is reported and asks nothing); over
   * unsaved changes the in-app confirmation (`confirm-dialog`) asks before it replaces them.
   */
  async function openParsed(text: string, source: string, fileName: string): Promise<boolean> {
    const parsed = store.parseDocument(text, source);
    if (!parsed.ok) return false;
    if (!(await confirmDiscard(`Open “${fileName}”?`, `Opening “${parsed.graph.meta.name}” from “${fileName}”`, 'Discard changes and open'))) return false;
    store.loadGraph(parsed.graph);
    return true;
  }

  /** A PNG VAE Lab exported carries its graph (DESIGN.md §9): open that, validated as a file. */
  async function openPng(file: File): Promise<boolean> {
    if (file.size > MAX_PNG_BYTES) {
      store.setError('TOO_LARGE', `"${file.name}" is ${(file.size / 1048576).toFixed(1)} MB; VAE Lab reads graphs from PNGs up to ${MAX_PNG_BYTES / 1048576} MB.`);
      return false;
    }
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
    } catch (e) {
      store.setError('FILE_NOT_FOUND', `"${file.name}" could not be read: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
    const r = graphFromPng(bytes, `"${file.name}"`);
    if (!r.ok) {
      store.setError(r.diagnostic.code, r.diagnostic.message, [r.diagnostic]);
      return false;
    }
    return openParsed(r.text, `The graph in "${file.name}"`, file.name);
  }

  function save(): void {
    const text = store.serialize();
    const blob = new Blob([text], { type: 'application/json' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = store.fileName();
    a.style.display = 'none';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    store.markSaved();
  }

  async function loadPreset(id: string): Promise<boolean> {
    const p = findPreset(id);
    if (!p) return false;
    if (!(await confirmDiscard(`Open the preset “${p.name}”?`, `The preset “${p.name}”`, 'Discard changes and open'))) return false;
    return store.loadPreset(id).ok;
  }

  return { newGraph, openFile, openPng, save, loadPreset, presets: PRESETS };
}
