/**
 * The share link (DESIGN.md §9): the open graph, exactly as Save writes it, in the URL
 * fragment (src/graph/share.ts), and opening such a link: decoded with its limits, parsed as
 * a file is, opened as an unsaved document, never trained; when the graph open here has
 * unsaved changes the person is asked first (`confirm-dialog`). A link that does not decode,
 * or a graph that does not parse, is reported in `error-message` and changes nothing.
 */
import { defineStore } from 'pinia';
import { computed } from 'vue';
import { decodeShareFragment, encodeShareFragment, MAX_SHARE_FRAGMENT } from '../graph/share';
import { useGraphStore } from './graph';
import { useConfirmStore } from './confirm';

export const useShareStore = defineStore('share', () => {
  const graphStore = useGraphStore();
  const confirm = useConfirmStore();

  /** The fragment (without '#') for the open graph. */
  const fragment = computed(() => encodeShareFragment(graphStore.serialize()));
  const tooLong = computed(() => fragment.value.length > MAX_SHARE_FRAGMENT);

  /** The absolute link: the app's address (without its own fragment) + '#' + the fragment; null when too long. */
  function linkFor(appUrl: string): string | null {
    if (tooLong.value) return null;
    const hash = appUrl.indexOf('#');
    return `${hash >= 0 ? appUrl.slice(0, hash) : appUrl}#${fragment.value}`;
  }

  /**
   * Open the graph a link's fragment carries. Resolves true when it replaced the document.
   * Synchronous up to the question (no question: the document is replaced before it returns).
   */
  async function openFragment(hash: string): Promise<boolean> {
    const d = decodeShareFragment(hash);
    if (!d.ok) {
      graphStore.setError(d.diagnostic.code, `The shared link could not be opened: ${d.diagnostic.message}`, [d.diagnostic]);
      return false;
    }
    const parsed = graphStore.parseDocument(d.text, 'The shared link');
    if (!parsed.ok) return false;
    if (graphStore.dirty) {
      const ok = await confirm.ask({
        title: 'Open the shared graph?',
        message: `“${graphStore.graph.meta.name}” has unsaved changes (kept in this browser only). Opening the shared graph “${parsed.graph.meta.name}” replaces it, and those changes are lost.`,
        confirmLabel: 'Open the shared graph',
        cancelLabel: `Keep “${graphStore.graph.meta.name}”`,
      });
      if (!ok) return false;
    }
    graphStore.loadGraph(parsed.graph, { unsaved: true });
    return true;
  }

  return { fragment, tooLong, linkFor, openFragment };
});
