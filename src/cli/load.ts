/**
 * Read a graph file, parse it and compile it: a plan or diagnostics, never an exception
 * for anything about the file.
 */
import { readFile, stat } from 'node:fs/promises';
import { error, type Diagnostic } from '../graph/diagnostics';
import { LIMITS, parseGraph, type Graph } from '../graph/schema';
import { compile, type Plan } from '../compiler/compile';
import { registry } from '../../nodes';
import type { DataSource } from '../../nodes/types';
import { loadGraphData } from './graph-data';

export type LoadResult =
  | { ok: true; graph: Graph; plan: Plan; warnings: Diagnostic[]; /** The examples of the plan's data node when it reads a file. */ data?: DataSource }
  | { ok: false; diagnostics: Diagnostic[]; warnings: Diagnostic[] };

export async function readGraphText(path: string): Promise<{ ok: true; text: string } | { ok: false; diagnostic: Diagnostic }> {
  try {
    const s = await stat(path);
    if (s.isDirectory()) return { ok: false, diagnostic: error('FILE_NOT_FOUND', `${path} is a directory, not a graph file.`) };
    if (s.size > LIMITS.fileBytes) {
      return { ok: false, diagnostic: error('TOO_LARGE', `${path} is ${(s.size / 1048576).toFixed(1)} MB; graphs are limited to 10 MB.`) };
    }
    return { ok: true, text: await readFile(path, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    return { ok: false, diagnostic: error('FILE_NOT_FOUND', `Cannot read ${path}: ${why}.`, { fix: code === 'ENOENT' ? 'Check the path (presets live in presets/).' : undefined }) };
  }
}

export interface LoadOptions {
  seed?: number;
  /** The --data values (NODE=PATH, NODE.PARAM=PATH). */
  data?: readonly string[];
}

/** Reads, parses, loads the data of its file-backed data nodes (DESIGN §7) and compiles with what loading learned. */
export async function loadGraph(path: string, opts: LoadOptions = {}): Promise<LoadResult> {
  const read = await readGraphText(path);
  if (!read.ok) return { ok: false, diagnostics: [read.diagnostic], warnings: [] };
  const parsed = parseGraph(read.text, registry);
  if (!parsed.ok) return { ok: false, diagnostics: parsed.diagnostics, warnings: [] };
  const graph = parsed.graph;
  if (opts.seed !== undefined) graph.training = { ...(graph.training ?? {}), seed: opts.seed };
  const data = await loadGraphData(path, graph, opts.data ?? []);
  if (!data.ok) return { ok: false, diagnostics: data.diagnostics, warnings: data.warnings };
  const compiled = compile(graph, registry, data.info);
  const warnings = [...data.warnings, ...compiled.warnings];
  if (!compiled.ok) return { ok: false, diagnostics: compiled.diagnostics, warnings };
  const source = data.sources[compiled.plan.data];
  return { ok: true, graph, plan: compiled.plan, warnings, ...(source ? { data: source } : {}) };
}

/** loadGraph, printing its warnings and (on failure) its diagnostics: the plan, or null after an error. */
export async function loadGraphReporting(
  path: string,
  out: { diagnostic(d: Diagnostic): void },
  opts: LoadOptions = {},
): Promise<Extract<LoadResult, { ok: true }> | null> {
  const loaded = await loadGraph(path, opts);
  for (const w of loaded.warnings) out.diagnostic(w);
  if (loaded.ok) return loaded;
  for (const d of loaded.diagnostics) out.diagnostic(d);
  return null;
}
