import { describe, expect, it } from 'vitest';
import { usableLanguage } from '../../src/locale-guard';

describe('usableLanguage', () => {
  it('keeps a tag Intl accepts', () => {
    expect(usableLanguage('de-CH')).toBe('de-CH');
  });
  it('cuts a POSIX suffix that Intl rejects (Chromium headless under LANG=C)', () => {
    expect(() => new Intl.NumberFormat('en-US@posix')).toThrow();
    expect(usableLanguage('en-US@posix')).toBe('en-US');
    expect(usableLanguage('fr-FR.UTF-8')).toBe('fr-FR');
  });
  it('falls back to en-US for nothing usable', () => {
    expect(usableLanguage(undefined)).toBe('en-US');
    expect(usableLanguage('@@@')).toBe('en-US');
  });
});
