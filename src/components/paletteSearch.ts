/**
 * The palette's search over the registry: every node type, best match first. What a type
 * is called comes from its module (title, type, `stem`, `aliases`, description), so a new
 * node type is found as soon as it is registered. Pure: no Vue.
 */
import { stemFor } from '../graph/ids';
import type { NodeCatalog, NodeTypeInfo } from '../graph/catalog';

/** Every node type of the catalogue, in registry order. */
export function catalogTypes(catalog: NodeCatalog): NodeTypeInfo[] {
  return catalog.types().map((t) => catalog.get(t)!);
}

/** Lower is better; null when the type does not match at all. `q` is trimmed and lower-case. */
export function matchScore(catalog: NodeCatalog, info: NodeTypeInfo, q: string): number | null {
  if (!q) return 0;
  const stem = stemFor(catalog, info.type).toLowerCase();
  const title = info.title.toLowerCase();
  const type = info.type.toLowerCase();
  const aliases = (info.aliases ?? []).map((a) => a.toLowerCase());
  const words = `${title} ${type.replace('.', ' ')} ${aliases.join(' ')}`.split(/[^a-z0-9βεμσ]+/).filter(Boolean);
  if (stem === q) return 0;
  if (stem.startsWith(q) || aliases.includes(q)) return 1;
  if (words.some((w) => w.startsWith(q))) return 2;
  if (title.includes(q) || type.includes(q)) return 3;
  if (info.category.toLowerCase().startsWith(q)) return 4;
  if (info.description.toLowerCase().includes(q)) return 5;
  return null;
}

/** The types matching `query`, best first (registry order breaks ties). */
export function searchNodeTypes(catalog: NodeCatalog, query: string): NodeTypeInfo[] {
  const q = query.trim().toLowerCase();
  return catalogTypes(catalog)
    .map((info, i) => ({ info, s: matchScore(catalog, info, q), i }))
    .filter((x) => x.s !== null)
    .sort((a, b) => a.s! - b.s! || a.i - b.i)
    .map((x) => x.info);
}
