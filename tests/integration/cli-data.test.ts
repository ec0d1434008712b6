/**
 * `vae-lab check` and `train` on a graph whose data node reads a table file (DESIGN.md
 * sections 5 and 7), spawned as a person runs them: the file beside the graph or bound with
 * --data, loaded by the data library, compiled with what loading learned, trained with
 * falling loss; data problems as coded `error` events (exit 1), dropped rows as `warning`s.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { weatherWindowsGraph } from '../fixtures/small-graphs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vae-lab.mjs');

type Event = Record<string, unknown>;

/** Runs the CLI with --json; resolves with its exit code and its stdout's events. */
function cli(args: string[]): Promise<{ code: number; events: Event[]; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args, '--json'], { cwd: ROOT, timeout: 120_000, env: { ...process.env, FORCE_COLOR: '0' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      const events = stdout
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Event);
      resolve({ code, events, stderr });
    });
  });
}

/** 300 rows of four smooth functions of a hidden t, and a class; row 7 lacks a value. */
function tableCsv(): string {
  const lines = ['a,b,c,d,kind'];
  for (let r = 0; r < 300; r++) {
    const t = (r * 37) % 300 / 50;
    const cells = [Math.sin(t), Math.cos(t), t * 2 + 1, Math.sin(2 * t) * 3].map((v) => v.toFixed(4));
    if (r === 7) cells[2] = 'NA';
    lines.push([...cells, r % 3 === 0 ? 'x' : 'y'].join(','));
  }
  return `${lines.join('\n')}\n`;
}

function graphJson(file: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    format: 'vae-lab/graph',
    version: 1,
    meta: { name: 'table VAE' },
    training: { seed: 3 },
    nodes: [
      { id: 'table', type: 'data.table', params: { file, labelColumn: 'kind', batchSize: 32, ...extra } },
      { id: 'enc', type: 'vae.encoder', params: { hidden: [16], latentDim: 2 } },
      { id: 'rep', type: 'vae.reparameterize' },
      { id: 'dec', type: 'vae.decoder', params: { hidden: [16], outputActivation: 'none' } },
      { id: 'rec', type: 'loss.reconstruction', params: { likelihood: 'gaussian' } },
      { id: 'kl', type: 'loss.kl' },
      { id: 'opt', type: 'train.optimizer', params: { learningRate: 0.01 } },
    ],
    edges: [
      { from: 'table.x', to: 'enc.x' },
      { from: 'enc.mu', to: 'rep.mu' },
      { from: 'enc.logvar', to: 'rep.logvar' },
      { from: 'enc.mu', to: 'kl.mu' },
      { from: 'enc.logvar', to: 'kl.logvar' },
      { from: 'rep.z', to: 'dec.z' },
      { from: 'dec.xHat', to: 'rec.xHat' },
      { from: 'table.x', to: 'rec.x' },
      { from: 'rec.nll', to: 'opt.loss' },
      { from: 'kl.kl', to: 'opt.loss' },
    ],
  });
}

let dir: string;
const at = (name: string) => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vae-lab-cli-data-'));
  writeFileSync(at('rows.csv'), tableCsv());
  writeFileSync(at('table.json'), graphJson('rows.csv'));
  writeFileSync(at('unbound.json'), graphJson(''));
  writeFileSync(at('broken.csv'), 'a,b,c,d,kind\n1,2,3,4,x\n5,"6,7,8,y\n');
  writeFileSync(at('broken.json'), graphJson('broken.csv'));
  writeFileSync(at('pathlike.json'), graphJson('../rows.csv'));
  writeFileSync(at('strict.json'), graphJson('rows.csv', { missing: 'error' }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the CLI with a data.table node', () => {
  it('check loads the file beside the graph: ok, with the dropped row as a warning event', async () => {
    const r = await cli(['check', at('table.json')]);
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.events.filter((e) => e.event === 'warning');
    expect(warnings.map((w) => [w.code, w.node])).toEqual([['DATA_ROWS_DROPPED', 'table']]);
    expect(String(warnings[0]!.message)).toContain('1 of 300 rows');
    expect(r.events.at(-1)).toMatchObject({ event: 'ok', nodes: 7 });
  });

  it('train: 150 steps on the 299 rows (270 train, 30 held out), the loss and the held-out −ELBO fall', async () => {
    const r = await cli(['train', at('table.json'), '--steps', '150', '--log-every', '1']);
    expect(r.code, r.stderr).toBe(0);
    const steps = r.events.filter((e) => e.event === 'step').map((e) => e.loss as number);
    expect(steps).toHaveLength(150);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(steps.slice(-20))).toBeLessThan(0.9 * mean(steps.slice(0, 10))); // measured: 2.16 → 1.78
    const evals = r.events.filter((e) => e.event === 'eval').map((e) => e.heldOutLoss as number);
    expect(evals).toHaveLength(Math.ceil(150 / 9)); // ceil(270 / 32) = 9 steps per epoch
    expect(evals.at(-1)!).toBeLessThan(evals[0]!); // measured: 2.18 → 1.84
    expect(r.events.at(-1)).toMatchObject({ event: 'done', steps: 150 });
  });

  it('--data binds the file of a graph that names none; without it the node is DATA_MISSING', async () => {
    const bound = await cli(['check', at('unbound.json'), '--data', `table=${at('rows.csv')}`]);
    expect(bound.code, bound.stderr).toBe(0);
    expect(bound.events.at(-1)!.event).toBe('ok');
    const missing = await cli(['check', at('unbound.json')]);
    expect(missing.code).toBe(1);
    expect(missing.events.filter((e) => e.event === 'error').map((e) => [e.code, e.node])).toEqual([['DATA_MISSING', 'table']]);
  });

  it('a broken CSV is DATA_PARSE with its line and column, for check and train alike', async () => {
    for (const cmd of ['check', 'train']) {
      const r = await cli([cmd, at('broken.json')]);
      expect(r.code).toBe(1);
      const errors = r.events.filter((e) => e.event === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'DATA_PARSE', node: 'table', line: 3, column: 3 });
      expect(r.events.some((e) => e.event === 'step' || e.event === 'ok')).toBe(false);
    }
  });

  it('missing "error": the missing cell is DATA_NOT_NUMERIC naming its line and column', async () => {
    const r = await cli(['check', at('strict.json')]);
    expect(r.code).toBe(1);
    expect(r.events.filter((e) => e.event === 'error')).toEqual([expect.objectContaining({ code: 'DATA_NOT_NUMERIC', node: 'table', line: 9, field: 'c' })]);
  });

  it('a file param that is a path is DATA_PATH: the graph never makes the CLI read elsewhere', async () => {
    const r = await cli(['check', at('pathlike.json')]);
    expect(r.code).toBe(1);
    expect(r.events.filter((e) => e.event === 'error').map((e) => [e.code, e.node])).toEqual([['DATA_PATH', 'table']]);
  });
});

describe('the CLI with a data.sequence node on sample:seattle-weather', () => {
  beforeAll(() => {
    writeFileSync(at('weather.json'), JSON.stringify(weatherWindowsGraph()));
    writeFileSync(at('weather-overlap.json'), JSON.stringify(weatherWindowsGraph({ stride: 4 })));
  });

  it('windows of 16 days without overlap (81 train, the last 10 held out): 100 steps, the loss and the held-out −ELBO fall', async () => {
    const r = await cli(['train', at('weather.json'), '--steps', '100', '--log-every', '1']);
    expect(r.code, r.stderr).toBe(0);
    const steps = r.events.filter((e) => e.event === 'step').map((e) => e.loss as number);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(steps.slice(-20))).toBeLessThan(0.85 * mean(steps.slice(0, 10))); // measured: 34.2 → 23.3
    const evals = r.events.filter((e) => e.event === 'eval').map((e) => e.heldOutLoss as number);
    expect(evals).toHaveLength(Math.ceil(100 / Math.ceil(81 / 8)));
    expect(evals.at(-1)!).toBeLessThan(evals[0]!); // measured: 44.6 → 33.5
  });

  it('overlapping windows (stride 4): split in time, the training windows that overlap the held-out ones dropped; it trains', async () => {
    // 362 windows, the last ceil(36.2) = 37 held out, the 3 before them overlap: 322 train, ceil(322 / 8) = 41 steps an epoch.
    const r = await cli(['train', at('weather-overlap.json'), '--steps', '83', '--log-every', '83']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.events.filter((e) => e.event === 'eval').map((e) => e.step)).toEqual([41, 82, 83]);
  });
});

/** A float32 or int .npy file's values and shape (format 1.0, little-endian, C order). */
function readNpy(path: string): { shape: number[]; values: Float32Array | Int32Array | BigInt64Array | Uint32Array } {
  const b = readFileSync(path);
  const len = b.readUInt16LE(8);
  const header = b.subarray(10, 10 + len).toString('latin1');
  const shape = /'shape': \(([^)]*)\)/.exec(header)![1]!.split(',').filter((x) => x.trim() !== '').map(Number);
  const descr = /'descr': '([^']+)'/.exec(header)![1]!;
  const body = b.buffer.slice(b.byteOffset + 10 + len, b.byteOffset + b.byteLength);
  const values = descr === '<f4' ? new Float32Array(body) : descr === '<i4' ? new Int32Array(body) : descr === '<u4' ? new Uint32Array(body) : new BigInt64Array(body);
  return { shape, values };
}

describe('compare and export with --data (DESIGN §5, §9)', () => {
  beforeAll(() => {
    // the same table graph without a file, and its twin with another learning rate
    writeFileSync(at('unbound-lr.json'), graphJson('').replace('"learningRate":0.01', '"learningRate":0.02'));
    writeFileSync(at('other-id.json'), graphJson('').replace(/"table/g, '"rows'));
  });

  it('compare --data binds the node in both graphs: a graph against itself is the same, a learning rate diverges at the optimizer’s update', async () => {
    const same = await cli(['compare', at('unbound.json'), at('unbound.json'), '--steps', '3', '--data', `table=${at('rows.csv')}`]);
    expect(same.code, same.stderr).toBe(0);
    expect(same.events).toEqual([expect.objectContaining({ event: 'same', steps: 3 })]);
    const lr = await cli(['compare', at('unbound.json'), at('unbound-lr.json'), '--steps', '3', '--data', `table=${at('rows.csv')}`]);
    expect(lr.code, lr.stderr).toBe(0);
    // step 1's outputs agree (same batch, same ε, same initial weights); the update differs
    expect(lr.events).toEqual([expect.objectContaining({ event: 'diverged', node: 'opt', port: null })]);
  }, 120_000);

  it('compare without the data is DATA_MISSING for each graph; a --data node that a graph lacks is USAGE', async () => {
    const missing = await cli(['compare', at('unbound.json'), at('unbound-lr.json')]);
    expect(missing.code).toBe(1);
    expect(missing.events.map((e) => [e.code, e.node, e.file])).toEqual([
      ['DATA_MISSING', 'table', at('unbound.json')],
      ['DATA_MISSING', 'table', at('unbound-lr.json')],
    ]);
    const other = await cli(['compare', at('unbound.json'), at('other-id.json'), '--data', `table=${at('rows.csv')}`]);
    expect(other.code).toBe(1);
    expect(other.events).toEqual([expect.objectContaining({ event: 'error', code: 'USAGE', file: at('other-id.json') })]);
  }, 120_000);

  it('export --data writes the bound file’s rows as the model sees them (standardised from the training rows) with the split', async () => {
    const out = join(dir, 'exported');
    const r = await cli(['export', at('unbound.json'), '--to', 'pytorch', '--out', out, '--data', `table=${at('rows.csv')}`]);
    expect(r.code, r.stderr).toBe(0);
    const x = readNpy(join(out, 'data', 'x.npy'));
    const train = readNpy(join(out, 'data', 'train.npy'));
    const held = readNpy(join(out, 'data', 'held-out.npy'));
    expect(x.shape).toEqual([299, 4]); // 300 rows, one with NA dropped
    expect(train.shape[0]! + held.shape[0]!).toBe(299);
    expect(held.shape[0]).toBe(30); // ceil(299 · 0.1)
    // standardised from the training rows: mean 0 and std 1 (ddof 0) over them, column by column
    const rows = Array.from(train.values as ArrayLike<number | bigint>, Number);
    for (let j = 0; j < 4; j++) {
      const col = rows.map((i) => x.values[i * 4 + j] as number);
      const mean = col.reduce((s, v) => s + v, 0) / col.length;
      const sd = Math.sqrt(col.reduce((s, v) => s + (v - mean) ** 2, 0) / col.length);
      expect(Math.abs(mean)).toBeLessThan(1e-5);
      expect(sd).toBeCloseTo(1, 4);
    }
    // without the data nothing is written
    const none = join(dir, 'not-exported');
    const missing = await cli(['export', at('unbound.json'), '--to', 'pytorch', '--out', none]);
    expect(missing.code).toBe(1);
    expect(missing.events.filter((e) => e.event === 'error').map((e) => e.code)).toEqual(['DATA_MISSING']);
    expect(existsSync(none)).toBe(false);
  }, 120_000);
});
