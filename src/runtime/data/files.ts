/**
 * A data node's `file` param (DESIGN.md section 7): a plain file name, never a path or a URL,
 * or `sample:<name>`, a dataset the app ships (built at install into public/data/samples/).
 * Pure: the CLI resolves names in the graph's folder, the app looks them up in IndexedDB.
 */
import { error, type Diagnostic } from '../../graph/diagnostics';

/** The samples that ship, and the asset each is built into (under public/data/). */
export const SAMPLES = {
  penguins: { asset: 'samples/penguins.csv', kind: 'table', description: 'Palmer penguins: 344 birds, 4 measurements, species, island and sex (vega-datasets, BSD-3)' },
  'seattle-weather': { asset: 'samples/seattle-weather.csv', kind: 'sequence', description: 'Seattle daily weather 2012–2015: 1,461 days of precipitation, temperatures and wind (vega-datasets, BSD-3)' },
} as const;

export type SampleName = keyof typeof SAMPLES;

export const SAMPLE_PREFIX = 'sample:';

export type FileRef = { kind: 'sample'; name: SampleName; asset: string } | { kind: 'file'; name: string };

/**
 * Checks a file name from a graph: DATA_MISSING when it is empty or an unknown sample,
 * DATA_PATH when it is a path, `..`, absolute, a drive or a URL.
 */
export function checkFileName(
  name: string,
  where: { node: string; port?: string | null; param?: string },
): { ok: true; ref: FileRef } | { ok: false; diagnostic: Diagnostic } {
  const param = where.param ?? 'file';
  const at = { node: where.node, port: where.port ?? null };
  if (name === '') {
    return { ok: false, diagnostic: error('DATA_MISSING', `No data file is chosen (${param} is empty).`, { ...at, fix: 'Pick or drop a data file on the node.' }) };
  }
  if (name.startsWith(SAMPLE_PREFIX)) {
    const sample = name.slice(SAMPLE_PREFIX.length);
    if (Object.prototype.hasOwnProperty.call(SAMPLES, sample)) {
      const s = sample as SampleName;
      return { ok: true, ref: { kind: 'sample', name: s, asset: SAMPLES[s].asset } };
    }
    return {
      ok: false,
      diagnostic: error('DATA_MISSING', `There is no sample named ${JSON.stringify(sample)}.`, {
        ...at,
        fix: `The samples are ${Object.keys(SAMPLES).map((k) => SAMPLE_PREFIX + k).join(', ')}.`,
      }),
    };
  }
  const why = pathReason(name);
  if (why) {
    return {
      ok: false,
      diagnostic: error('DATA_PATH', `${param} ${JSON.stringify(name)} ${why}; a graph names its data file by a plain file name only.`, {
        ...at,
        fix: 'Put the file beside the graph and give its name, or bind it with --data NODE=PATH.',
      }),
    };
  }
  return { ok: true, ref: { kind: 'file', name } };
}

/** Why a name is not a plain file name, or null when it is one. */
function pathReason(name: string): string | null {
  if (/[/\\]/.test(name)) return 'is a path';
  if (name === '.' || name === '..' || name.includes('..')) return 'climbs out of its folder';
  if (/^[A-Za-z]:/.test(name)) return 'names a drive';
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(name)) return 'is a URL';
  if (/[\0-\x1f]/.test(name)) return 'holds control characters';
  return null;
}

/**
 * A picked or dropped file's name as a data node records it: a plain file name that
 * checkFileName accepts (characters a path or a URL would need become `_`), at most 200
 * characters, the extension kept.
 */
export function plainFileName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? '';
  let s = base.replace(/[\0-\x1f:]/g, '_').replace(/\.{2,}/g, '_');
  if (s.length > 200) {
    const ext = /\.[A-Za-z0-9]{1,8}$/.exec(s)?.[0] ?? '';
    s = s.slice(0, 200 - ext.length) + ext;
  }
  return s === '' || s === '.' ? 'data' : s;
}
