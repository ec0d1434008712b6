/** The bug hunt's lecture formulas: each one is valid KaTeX, and every question of the key has one. */
import { readFileSync } from 'node:fs';
import katex from 'katex';
import { describe, expect, it } from 'vitest';
import { FORMULAS, QUESTION_FORMULAS } from '../../src/components/bughunt/formulas';
import { parseAnswerKey } from '../../src/graph/answers';

describe('bug-hunt formulas', () => {
  it('every formula renders with KaTeX in strict mode', () => {
    for (const [id, tex] of Object.entries(FORMULAS)) {
      expect(() => katex.renderToString(tex, { displayMode: true, throwOnError: true }), id).not.toThrow();
    }
  });
  it('every question of the bug-hunt key gets a formula with its feedback', () => {
    const key = parseAnswerKey(readFileSync(new URL('../../presets/bug-hunt.answers.json', import.meta.url), 'utf8'));
    if (!key.ok) throw new Error(JSON.stringify(key.diagnostics));
    for (const q of key.key.questions) {
      expect(QUESTION_FORMULAS[q.id]?.length, q.id).toBeGreaterThan(0);
      for (const f of QUESTION_FORMULAS[q.id]!) expect(FORMULAS[f], `${q.id} → ${f}`).toBeTruthy();
    }
  });
});
