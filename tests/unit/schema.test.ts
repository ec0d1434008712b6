/**
 * The file format v1 at the boundary: every malformed file gets a coded diagnostic, never
 * an exception; a saved file round-trips byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { jsonErrorOffset, parseGraph, serializeGraph, LIMITS, type ParseResult } from '../../src/graph/schema';
import type { Diagnostic } from '../../src/graph/diagnostics';
import { registry } from '../../nodes';
import { rng } from '../fixtures/node-harness';
import { readText, setParam, standardDoc, STANDARD_PATH, PRIMITIVES_PATH, type RawGraph } from '../fixtures/graph-helpers';

/** Parse, asserting it never throws; return the diagnostics of a failed parse. */
function refuse(input: unknown): Diagnostic[] {
  let r: ParseResult | undefined;
  expect(() => {
    r = parseGraph(input, registry);
  }).not.toThrow();
  expect(r!.ok).toBe(false);
  const ds = (r as { ok: false; diagnostics: Diagnostic[] }).diagnostics;
  expect(ds.length).toBeGreaterThan(0);
  for (const d of ds) {
    expect(d.severity).toBe('error');
    expect(typeof d.message).toBe('string');
    expect(d.message.length).toBeGreaterThan(10);
  }
  return ds;
}

function first(input: unknown): Diagnostic {
  return refuse(input)[0]!;
}

function text(doc: unknown): string {
  return JSON.stringify(doc, null, 2);
}

describe('parseGraph: not JSON, not a graph', () => {
  it('invalid JSON gives INVALID_JSON with the line and column of the offending character', () => {
    const src = '{\n  "format": "vae-lab/graph",\n  "version": 1,\n  oops\n}';
    const d = first(src);
    expect(d.code).toBe('INVALID_JSON');
    expect(d.line).toBe(4);
    expect(d.column).toBe(3);
  });

  it('an unexpected token gives its own line and column (V8 gives no position for these)', () => {
    // '}' where a value belongs: line 3, column 11.
    const src = '{\n  "format": "vae-lab/graph",\n  "meta": }\n';
    const d = first(src);
    expect(d.code).toBe('INVALID_JSON');
    expect([d.line, d.column]).toEqual([3, 11]);
    expect(d.message).toMatch(/line 3, column 11/);
  });

  it('a trailing comma and a truncated file point where the JSON breaks', () => {
    const trailing = first('{\n  "a": 1,\n}');
    expect([trailing.code, trailing.line, trailing.column]).toEqual(['INVALID_JSON', 3, 1]);
    const truncated = first('{\n  "nodes": [\n');
    expect(truncated.code).toBe('INVALID_JSON');
    expect(truncated.line).toBe(3);
  });

  it('an empty file is INVALID_JSON', () => {
    expect(first('').code).toBe('INVALID_JSON');
  });

  it('the INVALID_JSON message does not echo the whole file', () => {
    const src = `{"meta": ${'"x",'.repeat(2000)} }`;
    const d = first(src);
    expect(d.code).toBe('INVALID_JSON');
    expect(d.message.length).toBeLessThan(300);
  });

  it('the position scan agrees with JSON.parse on 3000 mutated files: valid iff JSON.parse accepts, and at the position V8 gives where it gives one', () => {
    const base = readText(STANDARD_PATH);
    const alphabet = ['{', '}', '[', ']', ',', ':', '"', '\\', '-', '0', '1', '.', 'e', 'n', 't', ' ', '\n', 'x', '\u0001'];
    const r = rng(7);
    let invalid = 0;
    for (let k = 0; k < 3000; k++) {
      let t = base;
      const edits = 1 + Math.floor(r() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(r() * t.length);
        const op = r();
        const ch = alphabet[Math.floor(r() * alphabet.length)]!;
        t = op < 0.4 ? t.slice(0, at) + t.slice(at + 1) : op < 0.7 ? t.slice(0, at) + ch + t.slice(at) : t.slice(0, at) + ch + t.slice(at + 1);
      }
      let valid = true;
      let v8: number | null = null;
      try {
        JSON.parse(t);
      } catch (e) {
        valid = false;
        invalid++;
        const m = /at position (\d+)/.exec((e as Error).message);
        if (m) v8 = Number(m[1]);
      }
      const off = jsonErrorOffset(t);
      if (v8 !== null && v8 !== off) throw new Error(`V8 says position ${v8}, the scan ${off}: ${JSON.stringify(t.slice(Math.max(0, v8 - 20), v8 + 20))}`);
      if (valid !== (off === -1)) throw new Error(`disagrees on ${JSON.stringify(t.slice(Math.max(0, off - 20), off + 20))} (offset ${off}, JSON.parse ${valid ? 'accepts' : 'refuses'})`);
    }
    expect(invalid).toBeGreaterThan(1000);
    for (const ok of ['0', '-0.5e+3', '"a\\u00e9\\n"', '[]', '{}', ' [1, {"a": [true, false, null]}] ']) expect(jsonErrorOffset(ok)).toBe(-1);
    expect(jsonErrorOffset('[1,]')).toBe(3);
    expect(jsonErrorOffset('{"a" 1}')).toBe(5);
    expect(jsonErrorOffset('01')).toBe(1);
  });

  it('JSON that is not an object is WRONG_FORMAT', () => {
    for (const v of ['[]', '42', '"vae-lab/graph"', 'null', 'true']) expect(first(v).code).toBe('WRONG_FORMAT');
  });

  it('another format is WRONG_FORMAT at "format"', () => {
    const d = first(text(standardDoc((g) => (g.format = 'comfyui/workflow'))));
    expect(d).toMatchObject({ code: 'WRONG_FORMAT', path: 'format' });
  });

  it('a missing format is WRONG_FORMAT', () => {
    const doc = standardDoc() as Partial<RawGraph>;
    delete doc.format;
    expect(first(doc).code).toBe('WRONG_FORMAT');
  });

  it('a bug-hunt answer key is WRONG_FORMAT and says so', () => {
    const answers = { format: 'vae-lab/answers', version: 1, graph: 'bug-hunt.json', bugs: [], questions: [] };
    const d = first(text(answers));
    expect(d.code).toBe('WRONG_FORMAT');
    expect(d.message).toMatch(/answer key/);
  });
});

describe('parseGraph: versions', () => {
  it('version 2 is UNSUPPORTED_VERSION', () => {
    const d = first(standardDoc((g) => (g.version = 2)));
    expect(d).toMatchObject({ code: 'UNSUPPORTED_VERSION', path: 'version' });
    expect(d.message).toMatch(/version 2/);
  });
  it('version 0 is a coded error (no migration from 0)', () => {
    expect(first(standardDoc((g) => (g.version = 0))).code).toBe('UNSUPPORTED_VERSION');
  });
  it('a negative version is a coded error', () => {
    expect(first(standardDoc((g) => (g.version = -3))).code).toBe('UNSUPPORTED_VERSION');
  });
  it('a missing or non-integer version is SCHEMA at "version"', () => {
    const doc = standardDoc() as Partial<RawGraph>;
    delete doc.version;
    expect(first(doc)).toMatchObject({ code: 'SCHEMA', path: 'version' });
    expect(first(standardDoc((g) => (g.version = '1')))).toMatchObject({ code: 'SCHEMA', path: 'version' });
    expect(first(standardDoc((g) => (g.version = 1.5)))).toMatchObject({ code: 'SCHEMA', path: 'version' });
  });
});

describe('parseGraph: schema', () => {
  it('an unknown top-level key is SCHEMA with its path', () => {
    const ds = refuse(standardDoc((g) => (g.extra = 1)));
    expect(ds[0]!.code).toBe('SCHEMA');
    expect(ds[0]!.message).toMatch(/extra/);
  });
  it('an unknown key in a node is SCHEMA with the node and path', () => {
    const d = first(standardDoc((g) => ((g.nodes[1] as Record<string, unknown>).colour = 'red')));
    expect(d).toMatchObject({ code: 'SCHEMA', node: 'enc', path: 'nodes[1]' });
    expect(d.message).toMatch(/colour/);
  });
  it('a missing meta.name is SCHEMA at meta.name', () => {
    expect(first(standardDoc((g) => (g.meta = {} as RawGraph['meta'])))).toMatchObject({ code: 'SCHEMA', path: 'meta.name' });
  });
  it('edges that are not an array is SCHEMA at edges', () => {
    expect(first(standardDoc((g) => ((g as Record<string, unknown>).edges = {})))).toMatchObject({ code: 'SCHEMA', path: 'edges' });
  });
  it('a non-finite or string position is SCHEMA', () => {
    expect(first(standardDoc((g) => (g.nodes[0]!.position = { x: '1' as unknown as number, y: 0 }))).code).toBe('SCHEMA');
  });
  it('a seed outside 0…2³²−1 is SCHEMA at training.seed', () => {
    expect(first(standardDoc((g) => (g.training = { seed: -1 })))).toMatchObject({ code: 'SCHEMA', path: 'training.seed' });
    expect(first(standardDoc((g) => (g.training = { seed: 2 ** 32 })))).toMatchObject({ code: 'SCHEMA', path: 'training.seed' });
  });
  it('a ui object is allowed (the compiler ignores it)', () => {
    const r = parseGraph(standardDoc((g) => (g.ui = { viewport: { x: 1, y: 2, zoom: 1 }, bugHunt: true })), registry);
    expect(r.ok).toBe(true);
  });
});

describe('parseGraph: params', () => {
  it('a misspelt param is BAD_PARAM naming the node and the param', () => {
    const d = first(standardDoc((g) => setParam(g, 'enc', 'latentDims', 20)));
    expect(d).toMatchObject({ code: 'BAD_PARAM', node: 'enc', path: 'nodes[1].params.latentDims' });
    expect(d.message).toMatch(/latentDims/);
    expect(d.fix).toMatch(/latentDim/);
  });

  const outOfRange: Array<[string, string, string, unknown, Record<string, unknown>?]> = [
    ['units 0', 'layer.dense', 'units', 0],
    ['units 16385', 'layer.dense', 'units', 16385],
    ['units 1.5', 'layer.dense', 'units', 1.5],
    ['batchSize 10001', 'data.mnist', 'batchSize', 10001],
    ['batchSize 0', 'data.mnist', 'batchSize', 0],
    ['learningRate 0', 'train.optimizer', 'learningRate', 0],
    ['learningRate 11', 'train.optimizer', 'learningRate', 11],
    ['learningRate −0.1', 'train.optimizer', 'learningRate', -0.1],
    ['samples 0', 'vae.reparameterize', 'samples', 0],
    ['samples 1001', 'vae.reparameterize', 'samples', 1001],
    ['latentDim 0', 'vae.encoder', 'latentDim', 0],
    ['hidden [0]', 'vae.encoder', 'hidden', [0]],
    ['binarize "yes"', 'data.mnist', 'binarize', 'yes'],
    ['outputUnits "manual"', 'vae.decoder', 'outputUnits', 'manual'],
    ['likelihood "poisson"', 'loss.reconstruction', 'likelihood', 'poisson'],
    ['a string for a number', 'loss.beta', 'beta', '1'],
  ];
  for (const [name, type, param, value] of outOfRange) {
    it(`${type} ${name} is BAD_PARAM at its path`, () => {
      const doc = standardDoc((g) => {
        g.nodes.push({ id: 'probe', type, params: { ...(type === 'layer.dense' ? { units: 4 } : {}), [param]: value } });
      });
      const d = first(doc);
      expect(d).toMatchObject({ code: 'BAD_PARAM', node: 'probe', path: `nodes[${doc.nodes.length - 1}].params.${param}` });
    });
  }

  it('values at the edges of the ranges are accepted', () => {
    const doc = standardDoc((g) => {
      g.nodes.push({ id: 'd1', type: 'layer.dense', params: { units: 1 } });
      g.nodes.push({ id: 'd2', type: 'layer.dense', params: { units: 16384 } });
      g.nodes.push({ id: 'o2', type: 'vae.reparameterize', params: { samples: 1000 } });
      setParam(g, 'data', 'batchSize', 10000);
      setParam(g, 'opt', 'learningRate', 10);
    });
    expect(parseGraph(doc, registry).ok).toBe(true);
  });

  it('op.scale takes any finite factor, 1e30 included', () => {
    const doc = standardDoc((g) => g.nodes.push({ id: 's', type: 'op.scale', params: { factor: 1e30 } }));
    const r = parseGraph(text(doc), registry);
    expect(r.ok).toBe(true);
    expect(r.ok && r.graph.nodes.find((n) => n.id === 's')!.params.factor).toBe(1e30);
    expect(parseGraph(standardDoc((g) => g.nodes.push({ id: 's', type: 'op.scale', params: { factor: -1e30 } })), registry).ok).toBe(true);
  });

  it('layer.dense without its required units is BAD_PARAM', () => {
    expect(first(standardDoc((g) => g.nodes.push({ id: 'd', type: 'layer.dense', params: {} })))).toMatchObject({ code: 'BAD_PARAM', node: 'd' });
  });

  it('params omitted in a file come back with the defaults filled', () => {
    const doc = standardDoc((g) => {
      for (const n of g.nodes) delete n.params;
    });
    const r = parseGraph(text(doc), registry);
    expect(r.ok).toBe(true);
    const byId = Object.fromEntries((r.ok ? r.graph.nodes : []).map((n) => [n.id, n.params]));
    expect(byId.data).toEqual({ batchSize: 128, binarize: 'none', scale: 1, heldOut: 1000 });
    expect(byId.enc).toEqual({ arch: 'mlp', hidden: [400], activation: 'relu', latentDim: 20 });
    expect(byId.dec).toEqual({ arch: 'mlp', hidden: [400], activation: 'relu', outputActivation: 'sigmoid', outputUnits: 'auto' });
    expect(byId.recon).toEqual({ likelihood: 'bernoulli', reduction: 'sum' });
    expect(byId.beta).toEqual({ beta: 1, warmupSteps: 0, freeBits: 0 });
    expect(byId.opt).toEqual({ algorithm: 'adam', learningRate: 0.001 });
  });
});

describe('parseGraph: limits', () => {
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    it(`the key ${key} is FORBIDDEN_KEY wherever it appears`, () => {
      // JSON.parse makes "__proto__" an own property, as a file would.
      const top = `{"format":"vae-lab/graph","version":1,"${key}":{}}`;
      expect(first(top)).toMatchObject({ code: 'FORBIDDEN_KEY', path: key });
      const deep = text(standardDoc()).replace('"binarize": "none"', `"binarize": "none", "${key}": {"polluted": true}`);
      expect(first(deep)).toMatchObject({ code: 'FORBIDDEN_KEY', path: `nodes[0].params.${key}` });
      const inUi = text(standardDoc()).replace('"training"', `"ui": {"a": [{"${key}": 1}]}, "training"`);
      expect(first(inUi)).toMatchObject({ code: 'FORBIDDEN_KEY', path: `ui.a[0].${key}` });
    });
  }

  it('parsing a __proto__ key pollutes nothing', () => {
    refuse('{"__proto__": {"polluted": true}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a string over 1000 characters is TOO_LARGE with its path and node', () => {
    const d = first(standardDoc((g) => (g.nodes[1]!.label = 'x'.repeat(1001))));
    expect(d).toMatchObject({ code: 'TOO_LARGE', path: 'nodes[1].label', node: 'enc' });
    expect(parseGraph(standardDoc((g) => (g.nodes[1]!.label = 'x'.repeat(1000))), registry).ok).toBe(true);
  });

  it('meta.description may hold up to 20000 characters, not more', () => {
    expect(parseGraph(standardDoc((g) => (g.meta.description = 'd'.repeat(20000))), registry).ok).toBe(true);
    expect(first(standardDoc((g) => (g.meta.description = 'd'.repeat(20001))))).toMatchObject({ code: 'TOO_LARGE', path: 'meta.description' });
    expect(first(standardDoc((g) => (g.meta.name = 'n'.repeat(1001))))).toMatchObject({ code: 'TOO_LARGE', path: 'meta.name' });
  });

  it('a key over 1000 characters is TOO_LARGE', () => {
    expect(first(`{"format":"vae-lab/graph","version":1,"ui":{"${'k'.repeat(1001)}":1}}`).code).toBe('TOO_LARGE');
  });

  it('more than 2000 nodes is TOO_LARGE at nodes; 2000 is not refused for its size', () => {
    const many = (n: number) =>
      standardDoc((g) => {
        for (let i = 0; i < n - 8; i++) g.nodes.push({ id: `s${i}`, type: 'op.scale', params: {} });
      });
    expect(first(many(2001))).toMatchObject({ code: 'TOO_LARGE', path: 'nodes' });
    expect(parseGraph(many(2000), registry).ok).toBe(true);
  });

  it('more than 10000 edges is TOO_LARGE at edges', () => {
    const doc = standardDoc((g) => {
      for (let i = g.edges.length; i < 10001; i++) g.edges.push({ from: 'data.x', to: 'enc.x' });
    });
    expect(first(doc)).toMatchObject({ code: 'TOO_LARGE', path: 'edges' });
  });

  it('a text over 10 MB is TOO_LARGE before it is parsed', () => {
    const big = text(standardDoc()).replace('"training"', `"ui": {"pad": "${' '.repeat(10)}"}, "training"`) + ' '.repeat(LIMITS.fileBytes + 1);
    const t0 = Date.now();
    const d = first(big);
    expect(d.code).toBe('TOO_LARGE');
    expect(d.message).toMatch(/10 MB/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('multi-byte characters count as their UTF-8 bytes against the 10 MB limit', () => {
    // 3.6 M three-byte characters: 10.8 MB in UTF-8, though only 3.6 M UTF-16 units.
    const big = `{"format":"vae-lab/graph","version":1,"ui":{"pad":"${'€'.repeat(3_600_000)}"}}`;
    expect(first(big).code).toBe('TOO_LARGE');
  });

  it('deeply nested arrays give a coded error, not a crash', () => {
    const depth = 100_000;
    const src = `{"format":"vae-lab/graph","version":1,"ui":{"deep":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
    const d = first(src);
    expect(['TOO_LARGE', 'INVALID_JSON', 'SCHEMA']).toContain(d.code);
  });

  it('moderately nested ui (depth 60) is fine', () => {
    const deep = JSON.parse(`${'['.repeat(60)}1${']'.repeat(60)}`) as unknown;
    expect(parseGraph(standardDoc((g) => (g.ui = { deep })), registry).ok).toBe(true);
  });
});

describe('parseGraph: nodes and edges', () => {
  it('a bad node id is BAD_NODE_ID at its path', () => {
    for (const id of ['1abc', 'a.b', '', 'a b', '_x']) {
      const d = first(standardDoc((g) => g.nodes.push({ id, type: 'op.exp', params: {} })));
      expect(d).toMatchObject({ code: 'BAD_NODE_ID', path: 'nodes[8].id' });
    }
  });
  it('a duplicate id is DUPLICATE_NODE_ID naming it', () => {
    const d = first(standardDoc((g) => g.nodes.push({ id: 'enc', type: 'op.exp', params: {} })));
    expect(d).toMatchObject({ code: 'DUPLICATE_NODE_ID', node: 'enc', path: 'nodes[8].id' });
  });
  it('an unknown type is UNKNOWN_NODE_TYPE with the known types in the fix', () => {
    const d = first(standardDoc((g) => (g.nodes[1]!.type = 'vae.encoderr')));
    expect(d).toMatchObject({ code: 'UNKNOWN_NODE_TYPE', node: 'enc', path: 'nodes[1].type' });
    expect(d.fix).toMatch(/vae\.encoder/);
  });
  it('an edge to a missing node is NODE_NOT_FOUND naming the node, port and edge', () => {
    const d = first(standardDoc((g) => g.edges.push({ from: 'enc.mu', to: 'ghost.x' })));
    expect(d).toMatchObject({ code: 'NODE_NOT_FOUND', node: 'ghost', port: 'x', path: 'edges[11].to' });
  });
  it('an edge from a missing node is NODE_NOT_FOUND', () => {
    expect(first(standardDoc((g) => (g.edges[0]!.from = 'nope.x')))).toMatchObject({ code: 'NODE_NOT_FOUND', node: 'nope', path: 'edges[0].from' });
  });
  it('a missing port is PORT_NOT_FOUND naming the node and port, with the real ports in the fix', () => {
    const d = first(standardDoc((g) => (g.edges[1]!.from = 'enc.mean')));
    expect(d).toMatchObject({ code: 'PORT_NOT_FOUND', node: 'enc', port: 'mean', path: 'edges[1].from' });
    expect(d.fix).toMatch(/mu, logvar/);
  });
  it('an output used as an input is PORT_NOT_FOUND', () => {
    expect(first(standardDoc((g) => (g.edges[0]!.to = 'enc.mu')))).toMatchObject({ code: 'PORT_NOT_FOUND', node: 'enc', port: 'mu' });
  });
  it('an endpoint without a port is SCHEMA', () => {
    expect(first(standardDoc((g) => (g.edges[0]!.to = 'enc'))).code).toBe('SCHEMA');
  });
  it('two edges into a single input is TOO_MANY_EDGES on that input', () => {
    const d = first(standardDoc((g) => g.edges.push({ from: 'enc.logvar', to: 'rep.mu' })));
    expect(d).toMatchObject({ code: 'TOO_MANY_EDGES', node: 'rep', port: 'mu' });
  });
  it('several wires into the multi optimizer loss are fine', () => {
    const doc = standardDoc((g) => g.edges.push({ from: 'kl.kl', to: 'opt.loss' }));
    expect(parseGraph(doc, registry).ok).toBe(true);
  });
  it('the same wire twice into a multi input is DUPLICATE_EDGE', () => {
    expect(first(standardDoc((g) => g.edges.push({ from: 'recon.nll', to: 'opt.loss' }))).code).toBe('DUPLICATE_EDGE');
  });
  it('several problems are reported together', () => {
    const ds = refuse(
      standardDoc((g) => {
        g.nodes.push({ id: 'enc', type: 'op.exp' });
        g.edges.push({ from: 'enc.mu', to: 'ghost.x' });
      }),
    );
    expect(ds.map((d) => d.code).sort()).toEqual(['DUPLICATE_NODE_ID', 'NODE_NOT_FOUND']);
  });
});

describe('serializeGraph round trip', () => {
  for (const path of [STANDARD_PATH, PRIMITIVES_PATH]) {
    it(`parse → serialize → parse → serialize gives identical bytes (${path})`, () => {
      const a = parseGraph(readText(path), registry);
      expect(a.ok).toBe(true);
      const s1 = serializeGraph(a.ok ? a.graph : (null as never), registry);
      const b = parseGraph(s1, registry);
      expect(b.ok).toBe(true);
      const s2 = serializeGraph(b.ok ? b.graph : (null as never), registry);
      expect(s2).toBe(s1);
      expect(b.ok && a.ok && b.graph).toEqual(a.ok && a.graph);
    });
  }

  it('the standard preset is already in saved form', () => {
    const r = parseGraph(readText(STANDARD_PATH), registry);
    const s = serializeGraph(r.ok ? r.graph : (null as never), registry);
    // same content as the preset file (the preset is hand-formatted; compare as values)
    expect(JSON.parse(s)).toEqual(JSON.parse(readText(STANDARD_PATH)));
  });

  it('saves every param explicitly, in the catalogue order, 2-space indent, trailing newline', () => {
    const doc = standardDoc((g) => {
      for (const n of g.nodes) delete n.params;
      // keys out of order in the file
      g.nodes[0]!.params = { heldOut: 1000, scale: 1, batchSize: 64 };
    });
    const r = parseGraph(doc, registry);
    const s = serializeGraph(r.ok ? r.graph : (null as never), registry);
    const saved = JSON.parse(s) as RawGraph;
    expect(Object.keys(saved.nodes[0]!.params!)).toEqual(['batchSize', 'binarize', 'scale', 'heldOut']);
    expect(saved.nodes[0]!.params!.batchSize).toBe(64);
    // every param of the node's defaults (an arch-variant node: its arch's params, DESIGN §8)
    expect(saved.nodes.every((n) => n.params && Object.keys(n.params).length === Object.keys(registry.get(n.type)!.params.parse({})).length)).toBe(true);
    expect(s.endsWith('}\n')).toBe(true);
    expect(s.split('\n')[1]).toBe('  "format": "vae-lab/graph",');
  });

  it('ui keys are saved sorted, so equal editor states save equal bytes', () => {
    const a = parseGraph(standardDoc((g) => (g.ui = { b: 1, a: { z: 1, y: 2 } })), registry);
    const b = parseGraph(standardDoc((g) => (g.ui = { a: { y: 2, z: 1 }, b: 1 })), registry);
    expect(serializeGraph(a.ok ? a.graph : (null as never), registry)).toBe(serializeGraph(b.ok ? b.graph : (null as never), registry));
  });

  it('a missing seed is saved as seed 1', () => {
    const doc = standardDoc((g) => delete g.training);
    const r = parseGraph(doc, registry);
    expect(JSON.parse(serializeGraph(r.ok ? r.graph : (null as never), registry)).training).toEqual({ seed: 1 });
  });
});
