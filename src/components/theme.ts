/**
 * The colour scheme the app follows (the system's prefers-color-scheme, issue 18 point 4) and
 * the palette's custom properties (src/styles/app.css, dark.css) for what CSS cannot colour:
 * canvases and uPlot charts read their colours here and redraw when `colorScheme` changes.
 */
import { ref } from 'vue';

const query = typeof window !== 'undefined' && typeof window.matchMedia === 'function' ? window.matchMedia('(prefers-color-scheme: dark)') : null;

/** 'dark' while the system (or the browser's emulation) prefers a dark scheme. */
export const colorScheme = ref<'light' | 'dark'>(query?.matches ? 'dark' : 'light');
query?.addEventListener('change', (e) => {
  colorScheme.value = e.matches ? 'dark' : 'light';
});

/** A custom property of the palette (`--name`) as the page resolves it now, or `fallback`. */
export function themeColor(name: string, fallback: string): string {
  if (typeof document === 'undefined') return fallback;
  const v = getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim();
  return v || fallback;
}
