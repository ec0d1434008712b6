/**
 * The worker loads data itself (DESIGN.md section 7): the TrainingSession, driven inline in
 * Node on wasm as the Web Worker runs it, with its data files in memory (the browser's are
 * the built assets and IndexedDB, src/worker/browser-data-files.ts). A picked table loads
 * with progress, is kept under its SHA-256 and reported for the node to record; the graph
 * that records it compiles with what loading learned and trains on its rows; bad files are
 * refused with their coded diagnostic and leave nothing behind; a graph whose file is not
 * kept is DATA_MISSING, one whose kept file has another hash DATA_CHANGED.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/runtime/backends';
import { sha256Hex } from '../../src/runtime/data/hash';
import { ASSET_DIR } from '../../src/cli/data-files';
import type { DataFiles } from '../../src/worker/data-loading';
import { SessionHarness } from '../fixtures/session-harness';

const tableGraph = JSON.parse(readFileSync(new URL('../fixtures/graphs/table-vae.json', import.meta.url), 'utf8'));

function withTable(params: Record<string, unknown>) {
  const g = JSON.parse(JSON.stringify(tableGraph));
  const n = g.nodes.find((x: { id: string }) => x.id === 'table');
  Object.assign(n.params, params);
  return g;
}

/** 300 rows: four smooth functions of a hidden t and a class; rows 7 and 40 lack a value. */
function tableCsv(): string {
  const lines = ['a,b,c,d,kind'];
  for (let r = 0; r < 300; r++) {
    const t = ((r * 37) % 300) / 50;
    const cells = [Math.sin(t), Math.cos(t), t * 2 + 1, Math.sin(2 * t) * 3].map((v) => v.toFixed(4));
    if (r === 7) cells[2] = 'NA';
    if (r === 40) cells[0] = '';
    lines.push([...cells, r % 3 === 0 ? 'x' : 'y'].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Data files in memory, as IndexedDB keeps them: by hash, and the latest hash of each name. */
class MemoryFiles implements DataFiles {
  bySha = new Map<string, Uint8Array>();
  byName = new Map<string, string>();
  assets = 0;
  async asset(path: string) {
    this.assets++;
    return new Uint8Array(readFileSync(join(ASSET_DIR, path)));
  }
  async kept(sha256: string, name: string) {
    let sha = sha256;
    let bytes = sha ? this.bySha.get(sha) : undefined;
    if (!bytes) {
      sha = this.byName.get(name) ?? '';
      bytes = this.bySha.get(sha);
    }
    if (!bytes) return null;
    const b = bytes;
    return { sha256: sha, file: { size: b.length, bytes: async () => b } };
  }
  async keep(name: string, sha256: string, bytes: Uint8Array) {
    this.bySha.set(sha256, bytes);
    this.byName.set(name, sha256);
  }
}

/** The session with its data files in memory. */
class Harness extends SessionHarness {
  constructor(readonly files = new MemoryFiles()) {
    super({ dataFiles: files });
  }
}

/** A file of 201 MB that must be refused from its size: reading it fails the test. */
class HugeBlob extends Blob {
  override get size() {
    return 201 * 1024 * 1024;
  }
  override arrayBuffer(): Promise<ArrayBuffer> {
    return Promise.reject(new Error('read a file it should have refused by its size'));
  }
}

const csvBytes = new TextEncoder().encode(tableCsv());

describe('the worker loads data files (inline, wasm)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('a picked table: parsed with progress, kept under its SHA-256, reported for the node; the recorded graph trains on it', async () => {
    const h = new Harness();
    await h.send({ type: 'dataFile', graph: tableGraph, node: 'table', param: 'file', name: 'rows.csv', file: new Blob([csvBytes]) });
    const sha = await sha256Hex(csvBytes);
    expect(h.last('dataPicked')).toMatchObject({ node: 'table', param: 'file', file: 'rows.csv', ok: true, sha256: sha });
    expect(h.files.bySha.get(sha)).toEqual(csvBytes);
    expect(h.of('dataProgress').at(-1)).toMatchObject({ node: 'table', stage: 'done' });
    const data = h.last('data')!;
    expect(data).toMatchObject({ node: 'table', ok: true, sha256: sha, info: { structure: { kind: 'table', f: 4 }, n: 298, labels: ['x', 'y'] } });
    expect(data.warnings.map((w) => [w.code, w.node, w.line])).toEqual([['DATA_ROWS_DROPPED', 'table', 9]]);
    expect(data.preview!.dropped.text).toBe('2 rows dropped: missing value in "c" (line 9); missing value in "a" (line 42)');
    expect(data.preview!.columns.map((c) => c.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(data.preview!.columns.map((c) => c.missing)).toEqual([1, 0, 1, 0]);
    // The preview is in the file's units (standardising undone): row 1 is t = 0.
    expect(data.preview!.head!.rows[0]).toEqual([expect.closeTo(0, 4), expect.closeTo(1, 4), expect.closeTo(1, 4), expect.closeTo(0, 4), 'x']);

    // The page records file and sha256; init compiles with what loading learned (the file is not read again).
    h.clear();
    const recorded = withTable({ file: 'rows.csv', sha256: sha });
    await h.send({ type: 'init', graph: recorded, backend: 'wasm', seed: 3 });
    const ready = h.last('ready');
    expect(ready, JSON.stringify(h.last('error'))).toBeDefined();
    expect(ready!.stepsPerEpoch).toBe(Math.ceil((298 - 30) / 32));
    expect(h.of('data')).toHaveLength(0);
    await h.send({ type: 'step', n: 40 });
    const losses = h.of('stepped').map((e) => e.metrics.loss);
    expect(losses).toHaveLength(40);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(losses.slice(-10))).toBeLessThan(mean(losses.slice(0, 10)));
    await h.send({ type: 'dispose' });
  });

  it('a fresh worker finds the file by its hash (a reload); loadData reports a node already loaded again', async () => {
    const h = new Harness();
    const sha = await sha256Hex(csvBytes);
    await h.files.keep('rows.csv', sha, csvBytes);
    const g = withTable({ file: 'rows.csv', sha256: sha });
    await h.send({ type: 'loadData', graph: g });
    await h.send({ type: 'loadData', graph: g });
    const data = h.of('data');
    expect(data).toHaveLength(2);
    expect(data.map((d) => [d.ok, d.info?.n, d.warnings.map((w) => w.code)])).toEqual([
      [true, 298, ['DATA_ROWS_DROPPED']],
      [true, 298, ['DATA_ROWS_DROPPED']],
    ]);
    expect(data[0]!.key).toBe(data[1]!.key);
    expect(h.of('dataProgress').filter((p) => p.stage === 'reading')).toHaveLength(1); // parsed once
  });

  it('not kept: DATA_MISSING naming the file; kept under its name with another hash: DATA_CHANGED, and it loads', async () => {
    const h = new Harness();
    await h.send({ type: 'loadData', graph: withTable({ file: 'rows.csv', sha256: 'ab'.repeat(32) }) });
    expect(h.last('data')).toMatchObject({ ok: false, diagnostics: [expect.objectContaining({ code: 'DATA_MISSING', node: 'table' })] });
    expect(h.last('data')!.diagnostics[0]!.message).toContain('rows.csv');
    await h.files.keep('rows.csv', await sha256Hex(csvBytes), csvBytes);
    h.clear();
    await h.send({ type: 'loadData', graph: withTable({ file: 'rows.csv', sha256: 'cd'.repeat(32) }) });
    const data = h.last('data')!;
    expect(data.ok).toBe(true);
    expect(data.warnings.map((w) => w.code)).toEqual(['DATA_CHANGED', 'DATA_ROWS_DROPPED']);
  });

  it('a sample is read from the built assets: sample:penguins with its label column', async () => {
    const h = new Harness();
    await h.send({ type: 'loadData', graph: withTable({ file: 'sample:penguins', labelColumn: 'Species' }) });
    const data = h.last('data')!;
    expect(h.files.assets).toBe(1);
    expect(data).toMatchObject({ ok: true, info: { structure: { kind: 'table', f: 4 }, labels: ['Adelie', 'Chinstrap', 'Gentoo'] } });
    expect(data.preview!.dropped.text).toMatch(/^\d+ rows dropped: missing value in "Beak Length \(mm\)" \(lines 5\b/);
  });

  it('bad files are refused with their code, line and column; nothing is kept and the node keeps what it had', async () => {
    const h = new Harness();
    const sha = await sha256Hex(csvBytes);
    await h.files.keep('rows.csv', sha, csvBytes);
    const g = withTable({ file: 'rows.csv', sha256: sha });
    await h.send({ type: 'loadData', graph: g });
    const kept = h.files.bySha.size;
    const strict = withTable({ file: 'rows.csv', sha256: sha, columns: ['a', 'b', 'c', 'd'] });
    const cases: Array<[string, string | Blob, Record<string, unknown>, unknown?]> = [
      ['quote.csv', 'a,b,c,d,kind\n1,2,3,4,x\n5,"6,7,8,y\n', { code: 'DATA_PARSE', line: 3, column: 3 }],
      ['ragged.csv', 'a,b,c,d,kind\n1,2,3,4,x\n5,6,7,y\n', { code: 'DATA_SHAPE', line: 3 }],
      ['text.csv', 'a,b,c,d,kind\n1,2,3,4,x\n5,six,7,8,y\n', { code: 'DATA_NOT_NUMERIC', line: 3, field: 'b' }, strict],
      ['empty.csv', '', { code: 'DATA_EMPTY' }],
      ['huge.csv', new HugeBlob(), { code: 'DATA_TOO_LARGE' }],
    ];
    for (const [name, content, want, graph] of cases) {
      h.clear();
      const file = typeof content === 'string' ? new Blob([content]) : content;
      await h.session.handle({ type: 'dataFile', graph: graph ?? g, node: 'table', param: 'file', name, file });
      const picked = h.last('dataPicked');
      expect(picked, name).toMatchObject({ node: 'table', ok: false, file: name });
      expect(picked!.diagnostics[0], name).toMatchObject({ ...want, node: 'table' });
      expect(h.of('error'), name).toEqual([]);
    }
    expect(h.files.bySha.size).toBe(kept);
    // The node's own data is still there: init trains on it without reading anything again.
    h.clear();
    await h.send({ type: 'init', graph: g, backend: 'wasm', seed: 1 });
    expect(h.last('ready')).toBeDefined();
    expect(h.of('dataProgress')).toHaveLength(0);
    await h.send({ type: 'dispose' });
  });

  it('a param that fails on the loaded file (no such label column) is the node’s DATA_NOT_NUMERIC; init is a COMPILE error, not a crash', async () => {
    const h = new Harness();
    const sha = await sha256Hex(csvBytes);
    await h.files.keep('rows.csv', sha, csvBytes);
    const g = withTable({ file: 'rows.csv', sha256: sha, labelColumn: 'species' });
    await h.send({ type: 'loadData', graph: g });
    expect(h.last('data')).toMatchObject({ ok: false, diagnostics: [expect.objectContaining({ code: 'DATA_NOT_NUMERIC', node: 'table', field: 'species' })] });
    h.clear();
    await h.send({ type: 'init', graph: g, backend: 'wasm', seed: 1 });
    expect(h.last('error')).toMatchObject({ code: 'COMPILE', fatal: false });
    expect(h.last('error')!.diagnostics!.map((d) => d.code)).toContain('DATA_MISSING');
  });
});
