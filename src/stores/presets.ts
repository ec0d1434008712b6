/**
 * The presets: every presets/*.json except the bug hunt's answer keys, standard first. Raw
 * JSON values; the graph store opens one through the same schema as a user's file.
 */
export interface PresetInfo {
  /** File name without .json, e.g. "standard-vae". */
  id: string;
  name: string;
  description: string;
  /** The raw JSON value (parsed through the schema when loaded). */
  value: unknown;
}

const presetModules = import.meta.glob(['../../presets/*.json', '!../../presets/*.answers.json'], { eager: true, import: 'default' }) as Record<string, unknown>;

export const PRESETS: PresetInfo[] = Object.entries(presetModules)
  .map(([path, value]) => {
    const id = path.replace(/^.*\//, '').replace(/\.json$/, '');
    const meta = (value as { meta?: { name?: unknown; description?: unknown } } | null)?.meta;
    return {
      id,
      name: typeof meta?.name === 'string' ? meta.name : id,
      description: typeof meta?.description === 'string' ? meta.description : '',
      value,
    };
  })
  .filter((p) => !p.id.endsWith('.answers'))
  .sort((a, b) => (a.id === 'standard-vae' ? -1 : b.id === 'standard-vae' ? 1 : a.name.localeCompare(b.name)));

export function findPreset(id: string): PresetInfo | undefined {
  return PRESETS.find((p) => p.id === id);
}
