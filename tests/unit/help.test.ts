/**
 * The help catalogue (issue 17 point 3) walked entry by entry: every node type of the registry,
 * every port kind and every app topic has an entry; each says something specific (its formula
 * renders in KaTeX, its "where" names the graph's nodes or ports, no generic filler, no entry
 * copies another); and every topic a component asks for (`<HelpButton topic="…">`) exists.
 * tests/e2e/help.test.ts opens each visible popover in the app.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import katex from 'katex';
import { registry } from '../../nodes';
import { PORT_KINDS } from '../../src/graph/ports';
import { APP_TOPICS, helpEntries, helpEntry, nodeTopic, portTopic, type HelpEntry } from '../../src/components/help/catalogue';
import { COLLAPSE_CONSECUTIVE, COLLAPSE_MIN_STEPS, collapseRuleText } from '../../src/runtime/instruments/collapse';

const entries = helpEntries(registry);
const byTopic = new Map(entries.map((e) => [e.topic, e]));
const nodeTypes = registry.types();

/** Words that would make an entry filler, not an explanation. */
const FILLER = /\b(todo|tbd|lorem|ipsum|placeholder|coming soon|help text|no help|not documented|this (thing|widget|item))\b/i;

function mentionsGraph(e: HelpEntry): boolean {
  const text = `${e.where} ${e.what}`;
  if (nodeTypes.some((t) => text.includes(t))) return true;
  const info = e.topic.startsWith('node-') ? registry.get(e.topic.slice(5)) : undefined;
  return !!info && [...info.inputs, ...info.outputs].some((p) => new RegExp(`\\b${p.name}\\b`).test(e.where));
}

describe('the help catalogue', () => {
  it('has an entry for every node type, every port kind and every app topic, and no topic twice', () => {
    expect(entries.length).toBe(new Set(entries.map((e) => e.topic)).size);
    for (const type of nodeTypes) expect(byTopic.has(nodeTopic(type)), type).toBe(true);
    for (const kind of PORT_KINDS) expect(byTopic.has(portTopic(kind)), kind).toBe(true);
    for (const t of APP_TOPICS) expect(helpEntry(registry, t)?.topic).toBe(t);
    for (const e of entries) expect(helpEntry(registry, e.topic)).toEqual(e);
    expect(helpEntry(registry, 'metric-nothing')).toBeUndefined();
  });

  it.each(entries.map((e) => [e.topic, e] as const))('%s: says what it is, gives a formula that renders, and where in the graph it comes from', (_topic, e) => {
    expect(e.title.trim().length).toBeGreaterThan(2);
    expect(e.what.length, 'what').toBeGreaterThanOrEqual(40);
    expect(e.where.length, 'where').toBeGreaterThanOrEqual(40);
    for (const text of [e.title, e.what, e.where, e.note ?? '']) expect(text).not.toMatch(FILLER);
    // the formula is real TeX that KaTeX renders (throwOnError: a typo fails here, not on screen)
    expect(() => katex.renderToString(e.formula, { throwOnError: true, strict: 'ignore' })).not.toThrow();
    expect(e.formula.length).toBeGreaterThan(8);
    // "where" names the graph: a node type of the registry, or one of the node's own ports
    expect(mentionsGraph(e), `${e.topic}: "${e.where}" names no node type or port`).toBe(true);
  });

  it('no entry copies another: titles, "what" and "where" texts are all different, and so are (what, formula) pairs', () => {
    for (const key of ['title', 'what', 'where'] as const) {
      const seen = new Map<string, string>();
      for (const e of entries) {
        expect(seen.get(e[key]), `${e.topic} repeats ${seen.get(e[key])}'s ${key}`).toBeUndefined();
        seen.set(e[key], e.topic);
      }
    }
    // An app entry never just repeats the description of a node (the node's own entry says that).
    const descriptions = new Set(registry.all().map((d) => d.description));
    for (const t of APP_TOPICS) expect(descriptions.has(byTopic.get(t)!.what)).toBe(false);
  });

  it('node entries come from the node modules: the description, the module’s formula and where, its badge', () => {
    for (const def of registry.all()) {
      const e = byTopic.get(nodeTopic(def.type))!;
      expect(e.what).toBe(def.description);
      expect(e.formula).toBe(def.help.formula);
      expect(e.where).toBe(def.help.where);
      expect(e.title).toContain(def.type);
      // a node with a training badge says what it shows
      if (def.badge) expect(e.note, def.type).toMatch(/^Badge: .{20,}/);
      else expect(def.help.badge, def.type).toBeUndefined();
    }
  });

  it('the collapse alarm’s entry documents its rule (minimum step, consecutive evaluations, thresholds)', () => {
    const e = byTopic.get('collapse-alarm')!;
    expect(e.note).toContain(collapseRuleText());
    expect(e.note).toContain(`step ${COLLAPSE_MIN_STEPS}`);
    expect(e.note).toContain(`${COLLAPSE_CONSECUTIVE} consecutive`);
    expect(e.formula).toMatch(/0\.01/);
    expect(e.formula).toMatch(/0\.5/);
  });

  it('every topic a component shows a "?" for (HelpButton topic, ImageGrid help) has an entry', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const f of readdirSync(dir)) {
        const p = join(dir, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.vue')) files.push(p);
      }
    };
    walk(new URL('../../src', import.meta.url).pathname);
    const used = new Set<string>();
    for (const f of files) for (const m of readFileSync(f, 'utf8').matchAll(/<(?:HelpButton\b[^>]*\stopic|ImageGrid\b[^>]*\shelp)="([^"]+)"/g)) used.add(m[1]!);
    expect(used.size).toBeGreaterThanOrEqual(20);
    for (const t of used) expect(byTopic.has(t), `<HelpButton topic="${t}"> has no help entry`).toBe(true);
    // and every app topic is shown somewhere
    for (const t of APP_TOPICS) expect(used.has(t), `app topic ${t} has no "?" in any component`).toBe(true);
  });
});
