/**
 * src/export without Python: the weights file (safetensors) both ways and its refusals, the
 * npy writer, and the PyTorch program's shape: one template per catalogue type, submodules
 * named by node id, one commented block per node, EXPORT_UNSUPPORTED for a type it does not
 * know. (That the program trains as VAE Lab does: tests/integration/pytorch-export.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registry } from '../../nodes';
import { compile, type Plan } from '../../src/compiler/compile';
import { parseGraph } from '../../src/graph/schema';
import { encodeNpy } from '../../src/export/npy';
import { exportPytorch } from '../../src/export/pytorch';
import { decodeSafetensors, encodeSafetensors } from '../../src/export/safetensors';
import { TEMPLATES } from '../../src/export/templates';
import { loadGraph } from '../../src/cli/load';
import { exportDataOf } from '../../src/runtime/data/examples';
import { loadMnistNode } from '../../src/runtime/data/mnist-node';
import { readdirSync } from 'node:fs';
import { checkWeights, planVariables, readWeightsFor } from '../../src/export/weights';

const root = new URL('../../', import.meta.url);
function plan(path: string, edit?: (g: Record<string, unknown>) => void): Plan {
  const json = JSON.parse(readFileSync(new URL(path, root), 'utf8')) as Record<string, unknown>;
  edit?.(json);
  const parsed = parseGraph(json, registry);
  if (!parsed.ok) throw new Error(parsed.diagnostics[0]!.message);
  const c = compile(parsed.graph, registry);
  if (!c.ok) throw new Error(c.diagnostics[0]!.message);
  return c.plan;
}
const text = (files: Array<{ path: string; content: string | Uint8Array }>, path: string) => files.find((f) => f.path === path)!.content as string;

describe('the weights file (safetensors, float32)', () => {
  const tensors = [
    { name: 'enc/mu/kernel', shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) },
    { name: 'enc/mu/bias', shape: [2], data: Float32Array.from([-1, 0.25]) },
  ];

  it('round-trips names, shapes, values and metadata; the header is 8-byte aligned JSON', () => {
    const bytes = encodeSafetensors(tensors, { steps: '12' });
    const n = new DataView(bytes.buffer).getUint32(0, true);
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; data_offsets: number[] }>;
    expect(header['enc/mu/kernel']).toMatchObject({ dtype: 'F32', shape: [3, 2], data_offsets: [0, 24] });
    const back = decodeSafetensors(bytes);
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect(back.file.metadata).toEqual({ steps: '12' });
    expect(back.file.tensors.map((t) => [t.name, t.shape, [...t.data]])).toEqual(tensors.map((t) => [t.name, t.shape, [...t.data]]));
  });

  it('refuses a truncated file, a non-F32 tensor, offsets outside the data and holes, saying why', () => {
    const good = encodeSafetensors(tensors);
    expect(decodeSafetensors(good.subarray(0, good.length - 4))).toMatchObject({ ok: false, message: expect.stringMatching(/data offsets outside|cover/) });
    expect(decodeSafetensors(new Uint8Array([1, 2, 3]))).toMatchObject({ ok: false });
    const withHeader = (h: unknown, data = 0) => {
      const j = new TextEncoder().encode(JSON.stringify(h));
      const b = new Uint8Array(8 + j.length + data);
      new DataView(b.buffer).setUint32(0, j.length, true);
      b.set(j, 8);
      return b;
    };
    expect(decodeSafetensors(withHeader({ a: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, 8))).toMatchObject({ ok: false, message: expect.stringMatching(/float32/) });
    expect(decodeSafetensors(withHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8))).toMatchObject({ ok: false, message: expect.stringMatching(/hole/) });
    expect(decodeSafetensors(withHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4))).toMatchObject({ ok: false, message: expect.stringMatching(/needs 8 bytes/) });
    const p = plan('presets/standard-vae.json');
    expect(readWeightsFor(p, new TextEncoder().encode('{"not":"safetensors"}'))).toMatchObject({ ok: false, diagnostic: { code: 'WEIGHTS_FORMAT' } });
  });

  it('WEIGHTS_MISMATCH lists each missing, extra and mis-shaped name', () => {
    const d = checkWeights(
      [
        { name: 'enc/mu/kernel', shape: [3, 2] },
        { name: 'enc/mu/bias', shape: [3] },
        { name: 'dec/out/bias', shape: [4] },
      ],
      [...tensors, { name: 'extra/x', shape: [1], data: new Float32Array(1) }],
    );
    expect(d).toMatchObject({ code: 'WEIGHTS_MISMATCH', node: 'enc' });
    expect(d!.message).toContain('enc/mu/bias is [2], the graph needs [3]');
    expect(d!.message).toContain('dec/out/bias [4] is missing');
    expect(d!.message).toContain('extra/x [1] is not a variable of this graph');
    expect(d!.message).not.toContain('enc/mu/kernel');
    expect(checkWeights([{ name: 'enc/mu/kernel', shape: [3, 2] }, { name: 'enc/mu/bias', shape: [2] }], tensors)).toBeNull();
  });

  it('the plan\'s variables are the model\'s: "<node id>/<variable>" in VAE Lab layouts (a dense kernel [in, out])', () => {
    const vars = planVariables(plan('presets/standard-vae.json'));
    expect(vars).toContainEqual({ name: 'enc/hidden0/kernel', shape: [784, 400] });
    expect(vars).toContainEqual({ name: 'dec/out/bias', shape: [784] });
  });
});

describe('npy (numpy reads it with allow_pickle=False)', () => {
  it('writes the magic, a 64-byte aligned header with dtype and shape, then the little-endian values', () => {
    const b = encodeNpy(Int32Array.from([1, -2, 3]), [3]);
    expect([...b.subarray(0, 6)]).toEqual([0x93, ...new TextEncoder().encode('NUMPY')]);
    const len = new DataView(b.buffer).getUint16(8, true);
    expect((10 + len) % 64).toBe(0);
    const header = new TextDecoder().decode(b.subarray(10, 10 + len));
    expect(header).toMatch(/^\{'descr': '<i4', 'fortran_order': False, 'shape': \(3,\), \} *\n$/);
    expect([...new Int32Array(b.slice(10 + len).buffer)]).toEqual([1, -2, 3]);
    expect(new TextDecoder().decode(encodeNpy(new Uint8Array(6), [2, 3]).subarray(10, 80))).toContain("'descr': '|u1', 'fortran_order': False, 'shape': (2, 3)");
  });
});

describe('the PyTorch program', () => {
  it('has a template for every node type of the catalogue (DESIGN.md §3, §7, §8), primitives and data nodes included; notes are skipped', () => {
    const catalogue = registry.all().map((d) => d.type).filter((t) => t !== 'note.text');
    expect(catalogue).toEqual(expect.arrayContaining(['layer.conv2d', 'layer.conv2dTranspose', 'layer.gru', 'layer.lstm', 'op.reshape', 'op.repeat', 'data.table', 'data.images', 'data.sequence']));
    for (const type of catalogue) expect(TEMPLATES[type], type).toBeDefined();
  });

  it('exports every preset, its data loaded as the CLI loads it (no EXPORT_UNSUPPORTED)', async () => {
    const dir = new URL('presets/', root);
    const presets = readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.answers.json'));
    expect(presets).toEqual(expect.arrayContaining(['standard-vae.json', 'tabular-vae.json']));
    const mnist = await loadMnistNode();
    for (const f of presets) {
      const loaded = await loadGraph(new URL(f, dir).pathname);
      if (!loaded.ok) throw new Error(`${f}: ${loaded.diagnostics[0]!.message}`);
      const examples = loaded.data ? { data: exportDataOf(loaded.data, loaded.plan.heldOut) } : { mnist };
      const r = exportPytorch(loaded.plan, { graphJson: '{}', ...examples });
      expect(r.ok ? [] : r.diagnostics.map((d) => d.message), f).toEqual([]);
    }
  });

  it('writes conv and recurrent layers as nn.Conv2d, nn.ConvTranspose2d and nn.GRU submodules named by node id, with their shapes in the comment', () => {
    const conv = exportPytorch(plan('tests/fixtures/graphs/conv-primitives-vae.json'), { graphJson: '{}' });
    if (!conv.ok) throw new Error('export');
    const model = text(conv.files, 'model.py');
    expect(model).toContain('# c1 (layer.conv2d): y = relu(conv(x, W) + b), 4×4 kernels, stride 2, padding 1: [B,28,28,1] → [B,14,14,32] (NHWC)');
    expect(model).toContain('self.c1 = Conv2d(1, 32, kernel=4, stride=2, padding=1, activation="relu")');
    expect(model).toContain('self.d1 = ConvTranspose2d(64, 32, kernel=4, stride=2, padding=1, activation="relu")');
    expect(model).toContain('nn.ConvTranspose2d(in_channels, filters, kernel, stride=stride, padding=padding)');
    expect(model).toContain('img_y = data_x.reshape(tuple(data_x.shape[:data_x.dim() - 1]) + (28, 28, 1))');
    expect(model).toContain('flat_y = c2_y.reshape(tuple(c2_y.shape[:c2_y.dim() - 3]) + (-1,))');
    const gru = exportPytorch(plan('tests/fixtures/graphs/gru-primitives-vae.json'), { graphJson: '{}' });
    if (!gru.ok) throw new Error('export');
    const g = text(gru.files, 'model.py');
    expect(g).toContain('self.enc = Recurrent("gru", 28, 32)');
    expect(g).toContain('enc_y, enc_h = self.enc(rows_y)');
    expect(g).toContain('dec_y, dec_h = self.dec(steps_y, h0_y)');
    expect(g).toContain('steps_y = z_z.unsqueeze(-2).expand(tuple(z_z.shape[:-1]) + (28, z_z.shape[-1]))');
    expect(g).not.toContain('class Conv2d');
  });

  it('a graph reading a data file: its examples and split as data/*.npy; without them, EXPORT_UNSUPPORTED naming the data node', () => {
    const p = plan('presets/standard-vae.json');
    const data = p.nodes.get('data')!;
    const table: Plan = { ...p, nodes: new Map(p.nodes).set('data', { ...data, type: 'data.table', params: { file: 'rows.csv', columns: [], standardize: true, batchSize: 128 } }) };
    const refused = exportPytorch(table, { graphJson: '{}' });
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.diagnostics).toEqual([expect.objectContaining({ code: 'EXPORT_UNSUPPORTED', node: 'data' })]);
    const n = 5;
    const r = exportPytorch(table, {
      graphJson: '{}',
      data: { values: new Float32Array(n * 784), dim: 784, labels: new Int32Array(n), train: Uint32Array.from([4, 0, 2]), heldOut: Uint32Array.from([1, 3]) },
    });
    if (!r.ok) throw new Error('export');
    expect(r.files.map((f) => f.path)).toEqual(['model.py', 'train.py', 'graph.json', 'README.md', 'data/x.npy', 'data/labels.npy', 'data/train.npy', 'data/held-out.npy']);
    expect(text(r.files, 'model.py')).toContain('data_x = feed.x("data", binarize="none", scale=1)');
    expect(text(r.files, 'model.py')).toContain('"dataset": {"kind": "arrays", "x": "data/x.npy"');
    const train = r.files.find((f) => f.path === 'data/train.npy')!.content as Uint8Array;
    expect(Array.from(new Int32Array(train.slice(-12).buffer))).toEqual([4, 0, 2]);
  });

  it('names submodules by node id and heads each node\'s code with its id and type', () => {
    const r = exportPytorch(plan('tests/fixtures/graphs/primitives-vae.json'), { graphJson: '{}' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.files.map((f) => f.path)).toEqual(['model.py', 'train.py', 'graph.json', 'README.md']);
    const model = text(r.files, 'model.py');
    for (const [id, type] of [['h', 'layer.dense'], ['split', 'op.split'], ['eps', 'op.noise'], ['half', 'op.scale'], ['std', 'op.exp'], ['epsStd', 'op.mul'], ['z', 'op.add'], ['recon', 'loss.reconstruction'], ['kl', 'loss.kl'], ['opt', 'train.optimizer']]) {
      expect(model).toContain(`# ${id} (${type}):`);
    }
    expect(model).toContain('self.h = Dense(784, 400, activation="relu")');
    expect(model).toContain('self.dout = Dense(400, 784, activation="sigmoid")');
    expect(model).toContain('eps_eps = noise.normal("eps", tuple(split_a.shape), batch_axis=-2)');
    expect(model).toContain('half_y = split_b * 0.5');
    expect(model).toContain('z_y = split_a + epsStd_y');
    expect(model).not.toMatch(/tfjs|tensorflow/i);
  });

  it('a node id that is not a Python name, or is one of nn.Module\'s, is registered with add_module', () => {
    const p = plan('presets/standard-vae.json', (g) => {
      const s = JSON.stringify(g).replaceAll('"enc', '"my-enc').replaceAll('"dec', '"train');
      Object.assign(g, JSON.parse(s));
    });
    const r = exportPytorch(p, { graphJson: '{}' });
    if (!r.ok) throw new Error('export');
    const model = text(r.files, 'model.py');
    expect(model).toContain('self.add_module("my-enc", MLPEncoder(');
    expect(model).toContain('my_enc_mu, my_enc_logvar = self._modules["my-enc"](data_x)');
    expect(model).toContain('self.add_module("train", MLPDecoder(');
  });

  it('K samples, warm-up and free bits, and a shared noise come out as VAE Lab computes them', () => {
    const k = exportPytorch(plan('presets/k-samples.json'), { graphJson: '{}' });
    if (!k.ok) throw new Error('export');
    expect(text(k.files, 'model.py')).toMatch(/if mode == "train":\n\s+rep_eps_shape = \(5,\) \+ rep_eps_shape/);
    const w = exportPytorch(plan('presets/kl-warmup.json'), { graphJson: '{}' });
    if (!w.ok) throw new Error('export');
    expect(text(w.files, 'model.py')).toContain('beta_kl = kl_kl if mode == "eval" else torch.clamp(kl_kl, min=8) * (50 * min(1, step / 1000))');
  });

  it('refuses a node type it has no template for with EXPORT_UNSUPPORTED naming the node, and writes nothing', () => {
    const p = plan('presets/standard-vae.json');
    const enc = p.nodes.get('enc')!;
    const fake: Plan = { ...p, nodes: new Map(p.nodes).set('enc', { ...enc, type: 'vae.encoder-from-the-future' }) };
    const r = exportPytorch(fake, { graphJson: '{}' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics).toEqual([expect.objectContaining({ code: 'EXPORT_UNSUPPORTED', node: 'enc' })]);
    expect(r.diagnostics[0]!.message).toContain('vae.encoder-from-the-future');
  });

  it('writes an encoder and decoder of arch "conv" or "rnn" (DESIGN §8) as ConvEncoder / ConvDecoder / RnnEncoder / RnnDecoder, only the classes used', () => {
    const conv = exportPytorch(
      plan('presets/standard-vae.json', (g) => {
        const nodes = g.nodes as Array<{ id: string; params: Record<string, unknown> }>;
        nodes.find((n) => n.id === 'enc')!.params = { arch: 'conv' };
        nodes.find((n) => n.id === 'dec')!.params = { arch: 'conv' };
      }),
      { graphJson: '{}' },
    );
    if (!conv.ok) throw new Error(JSON.stringify(conv.diagnostics));
    const model = text(conv.files, 'model.py');
    expect(model).toContain('self.enc = ConvEncoder([28, 28, 1], [32, 64], [256], latent_dim=20, activation="relu")');
    expect(model).toContain('self.dec = ConvDecoder(20, [28, 28, 1], [32, 64], [256], activation="relu", output_activation="sigmoid")');
    expect(model).toContain('# dec (vae.decoder): p(x|z): dense 256 (relu), dense to a 7×7×64 grid (relu), transposed convs to 32, 1 channels');
    expect(model).toContain('class ConvEncoder(nn.Module):');
    expect(model).not.toContain('class MLPEncoder');
    expect(model).not.toContain('class RnnEncoder');
  });
});
