/**
 * Imported first by main.ts. Some browsers report a language tag that Intl rejects (Chromium's
 * headless shell under LANG=C says "en-US@posix"); uPlot formats numbers with
 * `new Intl.NumberFormat(navigator.language)` when it loads, so such a tag left the page blank.
 * Here the tag is checked once and, when Intl refuses it, replaced by its valid prefix.
 */
export function usableLanguage(tag: string | undefined): string {
  for (const c of [tag ?? '', (tag ?? '').split(/[@.]/)[0] ?? '']) {
    if (!c) continue;
    try {
      new Intl.NumberFormat(c);
      return c;
    } catch {
      // try the next
    }
  }
  return 'en-US';
}

if (typeof navigator !== 'undefined') {
  const usable = usableLanguage(navigator.language);
  if (usable !== navigator.language) {
    Object.defineProperty(navigator, 'language', { configurable: true, get: () => usable });
    const list = navigator.languages.map(usableLanguage);
    Object.defineProperty(navigator, 'languages', { configurable: true, get: () => list });
  }
}
