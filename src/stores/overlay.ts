/**
 * The overlay store: live, non-document state drawn on top of the graph. It is the
 * contract between the editor (which draws it and reports wire clicks/hovers) and the
 * training panel (which writes badges and breakpoints and reads the selected wire).
 *
 * Nothing here is saved with the graph and nothing here is undoable.
 *
 * - `badges[nodeId]`: a small live text shown on the node's header (e.g. "KL 12.3").
 * - `portValues["node.port"]`: an optional text shown next to that port (e.g. a probe summary).
 * - `highlight`: a breakpoint; the node is drawn with a strong red outline and `reason`
 *   is shown on it (port may be null).
 * - `selectedEdge` / `hoveredEdge`: set by the editor when the user clicks / hovers a wire
 *   (`from`, `to` are endpoints "node.port"); null when none.
 * - `valuesOnWires`: every wire shows its source's value at its middle (on by default); off,
 *   only the selected wire does.
 *
 * Everything changes through the actions below; the state is read-only from outside.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { parseEndpoint } from '../graph/ports';

export interface OverlayHighlight {
  node: string;
  port: string | null;
  reason: string;
}

export interface OverlayEdge {
  from: string;
  to: string;
}

export const useOverlayStore = defineStore('overlay', () => {
  const badges = ref<Record<string, string>>({});
  const portValues = ref<Record<string, string>>({});
  const highlight = ref<OverlayHighlight | null>(null);
  const selectedEdge = ref<OverlayEdge | null>(null);
  const hoveredEdge = ref<OverlayEdge | null>(null);
  const valuesOnWires = ref(true);

  /** Write one key in place (null or '' removes it); an unchanged text is not written. */
  function setKey(target: Record<string, string>, key: string, text: string | null): void {
    if (text === null || text === '') delete target[key];
    else if (target[key] !== text) target[key] = text;
  }

  /** One badge; null or '' removes it. Written in place, like setBadges. */
  function setBadge(node: string, text: string | null): void {
    setKey(badges.value, node, text);
  }

  /** One port value; null or '' removes it. Written in place, like setPortValues. */
  function setPortValue(endpoint: string, text: string | null): void {
    setKey(portValues.value, endpoint, text);
  }

  /**
   * Make `target` equal `next` in place: only the keys whose text changed are written, so a
   * component that reads one key (a node's badge) re-renders only when that key changes.
   */
  function syncRecord(target: Record<string, string>, next: Record<string, string>): void {
    for (const k of Object.keys(target)) if (!(k in next)) delete target[k];
    for (const [k, v] of Object.entries(next)) if (target[k] !== v) target[k] = v;
  }

  /** Set every badge at once (live values while training); unchanged badges are not touched. */
  function setBadges(next: Record<string, string>): void {
    syncRecord(badges.value, next);
  }

  /** Set every port value at once; unchanged values are not touched. */
  function setPortValues(next: Record<string, string>): void {
    syncRecord(portValues.value, next);
  }

  /** Forget everything that refers to nodes no longer in the graph. */
  function prune(nodeIds: Iterable<string>): void {
    const keep = new Set(nodeIds);
    const nodeOf = (ep: string) => parseEndpoint(ep)?.node ?? '';
    if (Object.keys(badges.value).some((k) => !keep.has(k))) {
      badges.value = Object.fromEntries(Object.entries(badges.value).filter(([k]) => keep.has(k)));
    }
    if (Object.keys(portValues.value).some((k) => !keep.has(nodeOf(k)))) {
      portValues.value = Object.fromEntries(Object.entries(portValues.value).filter(([k]) => keep.has(nodeOf(k))));
    }
    if (highlight.value && !keep.has(highlight.value.node)) highlight.value = null;
    for (const e of [selectedEdge, hoveredEdge]) {
      if (e.value && (!keep.has(nodeOf(e.value.from)) || !keep.has(nodeOf(e.value.to)))) e.value = null;
    }
  }

  /** Draws a highlight (null removes it). */
  function setHighlight(h: OverlayHighlight | null): void {
    highlight.value = h ? { node: h.node, port: h.port, reason: h.reason } : null;
  }

  /** Removes the highlight; with `reason`, only a highlight drawn for that reason. */
  function clearHighlight(reason?: string): void {
    if (highlight.value && (reason === undefined || highlight.value.reason === reason)) highlight.value = null;
  }

  /** The wire the user selected (null: none). */
  function selectEdge(e: OverlayEdge | null): void {
    selectedEdge.value = e ? { from: e.from, to: e.to } : null;
  }

  /** The wire under the mouse (null: none). */
  function hoverEdge(e: OverlayEdge | null): void {
    hoveredEdge.value = e ? { from: e.from, to: e.to } : null;
  }

  function setValuesOnWires(on: boolean): void {
    valuesOnWires.value = on;
  }

  function clear(): void {
    badges.value = {};
    portValues.value = {};
    highlight.value = null;
    selectedEdge.value = null;
    hoveredEdge.value = null;
  }

  const readOnly = <T>(r: { value: T }) => computed(() => r.value);
  return {
    badges: readOnly(badges),
    portValues: readOnly(portValues),
    highlight: readOnly(highlight),
    selectedEdge: readOnly(selectedEdge),
    hoveredEdge: readOnly(hoveredEdge),
    valuesOnWires: readOnly(valuesOnWires),
    setBadge,
    setPortValue,
    setBadges,
    setPortValues,
    setHighlight,
    clearHighlight,
    selectEdge,
    hoverEdge,
    setValuesOnWires,
    prune,
    clear,
  };
});
