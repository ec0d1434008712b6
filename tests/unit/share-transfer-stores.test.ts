/**
 * The app's side of issue 15 in its stores: opening a share link (validated as a file,
 * unsaved, asks before replacing unsaved changes, refuses what does not decode), and the
 * transfer store against a fake worker (weights saved / loaded / refused, the export's
 * EXPORT_UNSUPPORTED shown in the error naming its node).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { useGraphStore } from '../../src/stores/graph';
import { useShareStore } from '../../src/stores/share';
import { useConfirmStore } from '../../src/stores/confirm';
import { useTrainingStore } from '../../src/stores/training';
import { useTransferStore, weightsFileName } from '../../src/stores/transfer';
import { encodeShareFragment, MAX_SHARE_FRAGMENT } from '../../src/graph/share';
import { error } from '../../src/graph/diagnostics';
import { FakeWorker } from '../fixtures/fake-worker';
import type { WorkerEvent } from '../../src/worker/protocol';

function stores() {
  setActivePinia(createPinia());
  const graph = useGraphStore();
  graph.useStorage(null);
  return { graph, share: useShareStore(), confirm: useConfirmStore() };
}

/** The text of the latent-2d preset, as Save writes it. */
function latent2dText(): string {
  const { graph } = stores();
  expect(graph.loadPreset('latent-2d').ok).toBe(true);
  return graph.serialize();
}

describe('opening a share link', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('opens the graph it carries, exactly as saved, marked unsaved, without asking when nothing is unsaved', async () => {
    const text = latent2dText();
    const { graph, share, confirm } = stores();
    graph.loadPreset('standard-vae');
    expect(graph.dirty).toBe(false);
    const opened = share.openFragment(`#${encodeShareFragment(text)}`);
    expect(confirm.question).toBeNull();
    expect(await opened).toBe(true);
    expect(graph.serialize()).toBe(text);
    expect(graph.dirty).toBe(true);
    expect(graph.lastError).toBeNull();
  });

  it('asks (confirm-dialog) before replacing a graph with unsaved changes; "keep" changes nothing', async () => {
    const text = latent2dText();
    const { graph, share, confirm } = stores();
    graph.loadPreset('standard-vae');
    graph.setName('My edited VAE');
    const mine = graph.serialize();
    const kept = share.openFragment(encodeShareFragment(text));
    expect(confirm.question?.message).toContain('My edited VAE');
    confirm.answer(false);
    expect(await kept).toBe(false);
    expect(graph.serialize()).toBe(mine);
    const replaced = share.openFragment(encodeShareFragment(text));
    confirm.answer(true);
    expect(await replaced).toBe(true);
    expect(graph.serialize()).toBe(text);
  });

  it('refuses a link that does not decode, one too long, and a graph that breaks a file rule, in the error; the graph stays', async () => {
    const { graph, share, confirm } = stores();
    graph.loadPreset('standard-vae');
    const before = graph.serialize();
    expect(await share.openFragment('#g=%%%not-base64')).toBe(false);
    expect(graph.lastError?.code).toBe('SHARE_LINK');
    expect(graph.lastError?.message).toMatch(/^The shared link could not be opened/);
    expect(await share.openFragment(`#g=${'A'.repeat(MAX_SHARE_FRAGMENT)}`)).toBe(false);
    expect(graph.lastError?.code).toBe('TOO_LARGE');
    const evil = before.replace('"meta": {', '"meta": {\n    "constructor": 1,');
    expect(await share.openFragment(encodeShareFragment(evil))).toBe(false);
    expect(graph.lastError?.code).toBe('FORBIDDEN_KEY');
    const badParam = before.replace('"latentDim": 20', '"latentDim": 0');
    expect(badParam).not.toBe(before);
    expect(await share.openFragment(encodeShareFragment(badParam))).toBe(false);
    expect(graph.lastError?.code).toBe('BAD_PARAM');
    expect(confirm.question).toBeNull();
    expect(graph.serialize()).toBe(before);
  });

  it('builds the link from the app URL and the open graph; none when the graph is too large for one', () => {
    const { graph, share } = stores();
    graph.loadPreset('standard-vae');
    const link = share.linkFor('http://localhost:4173/app/#old')!;
    expect(link).toBe(`http://localhost:4173/app/#${encodeShareFragment(graph.serialize())}`);
    // Text that does not compress (a description and a note, each at its 20,000-character limit): past 65,536 characters of fragment.
    let x = 12345;
    const noise = () => {
      let t = '';
      for (let i = 0; i < 20_000; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        t += String.fromCharCode(0x4e00 + ((x >>> 12) % 20_000));
      }
      return t;
    };
    expect(graph.apply({ op: 'setMeta', description: noise() }).ok).toBe(true);
    expect(share.tooLong).toBe(false);
    expect(graph.addNode('note.text', { x: 0, y: 0 }, { text: noise() })).not.toBeNull();
    expect(graph.addNode('note.text', { x: 0, y: 300 }, { text: noise() })).not.toBeNull();
    expect(share.fragment.length).toBeGreaterThan(MAX_SHARE_FRAGMENT);
    expect(share.tooLong).toBe(true);
    expect(share.linkFor('http://localhost:4173/')).toBeNull();
  });
});

function ready(): WorkerEvent {
  return { type: 'ready', backend: 'wasm', renderer: null, seed: 1, step: 0, stepsPerEpoch: 71, parameters: 652824, nodes: [], decoder: 'dec', latentDim: 20, numTensors: 30 };
}

function transferSetup() {
  setActivePinia(createPinia());
  const graph = useGraphStore();
  graph.useStorage(null);
  expect(graph.loadPreset('standard-vae').ok).toBe(true);
  const training = useTrainingStore();
  const workers: FakeWorker[] = [];
  training.useWorkerFactory(() => {
    const w = new FakeWorker();
    workers.push(w);
    return w;
  });
  const transfer = useTransferStore();
  training.start();
  const w = workers[0]!;
  w.emit(ready());
  return { graph, training, transfer, w };
}

describe('transfer store', () => {
  it('saves the weights: sends saveWeights with the last evaluation at this step, resolves the file to download', async () => {
    const { transfer, w, training } = transferSetup();
    w.emit({ type: 'evaluated', metrics: { step: 0, heldOutLoss: 543.2, recon: 540, kl: 3.2, count: 10000 }, epochEnd: false });
    expect(training.lastEval?.heldOutLoss).toBe(543.2);
    const p = transfer.saveWeights();
    expect(w.sent.at(-1)).toEqual({ type: 'saveWeights', heldOutLoss: 543.2 });
    w.emit({ type: 'weightsSaved', bytes: new Uint8Array([1, 2, 3]), step: 0, tensors: 10 });
    expect(await p).toEqual({ bytes: new Uint8Array([1, 2, 3]), name: 'Standard VAE (MNIST)-step0.safetensors' });
    expect(weightsFileName('a/b', 12)).toBe('a-b-step12.safetensors');
  });

  it('loads weights: a refusal goes to the error (WEIGHTS_MISMATCH with its list); success starts a fresh run and names the file', async () => {
    const { transfer, w, graph, training } = transferSetup();
    const bad = transfer.loadWeights(new Uint8Array([1]), 'other.safetensors');
    expect(w.sent.at(-1)).toMatchObject({ type: 'loadWeights', name: 'other.safetensors' });
    const d = error('WEIGHTS_MISMATCH', '"other.safetensors" does not fit this graph (1 difference): enc/mu/kernel is [400, 2], the graph needs [400, 20]. Nothing was loaded.', { node: 'enc' });
    w.emit({ type: 'weightsLoaded', ok: false, name: 'other.safetensors', diagnostic: d });
    expect(await bad).toBe(false);
    expect(graph.lastError?.code).toBe('WEIGHTS_MISMATCH');
    expect(graph.lastError?.message).toContain('enc/mu/kernel is [400, 2]');
    expect(transfer.loaded).toBeNull();

    w.emit({ type: 'stepped', metrics: { step: 1, epoch: 0, loss: 500, recon: 490, kl: 10, klWeighted: 10, ms: 5 }, numTensors: 40 });
    expect(training.step).toBe(1);
    const good = transfer.loadWeights(new Uint8Array([2]), 'trained.safetensors');
    w.emit(ready());
    w.emit({ type: 'weightsLoaded', ok: true, name: 'trained.safetensors', metadata: { steps: '400', generatedBy: 'train.py' }, tensors: 10 });
    expect(await good).toBe(true);
    expect(graph.lastError).toBeNull();
    expect(transfer.loaded).toEqual({ name: 'trained.safetensors', metadata: { steps: '400', generatedBy: 'train.py' }, tensors: 10 });
    expect(training.step).toBe(0);
    expect(training.series.step).toEqual([]);
    // A later rebuild (Reset) forgets where the weights came from.
    w.emit(ready());
    expect(transfer.loaded).toBeNull();
  });

  it('does not ask the worker while it cannot answer (not started, needs a reset)', async () => {
    setActivePinia(createPinia());
    const graph = useGraphStore();
    graph.useStorage(null);
    graph.loadPreset('standard-vae');
    const transfer = useTransferStore();
    expect(await transfer.saveWeights()).toBeNull();
    expect(graph.lastError?.code).toBe('USAGE');
    expect(await transfer.loadWeights(new Uint8Array(1), 'w.safetensors')).toBe(false);
  });

  it('exports: resolves the zip; EXPORT_UNSUPPORTED is shown in the error naming the node', async () => {
    const { transfer, w, graph } = transferSetup();
    const p = transfer.exportPytorch();
    const sent = w.sent.at(-1)!;
    expect(sent.type).toBe('exportPytorch');
    expect(JSON.stringify(sent.graph, null, 2) + '\n').toBe(graph.serialize());
    w.emit({ type: 'exported', ok: true, zip: new Uint8Array([80, 75]), files: ['model.py'], withWeights: false, folder: 'Standard-VAE-(MNIST)-pytorch' });
    expect(await p).toEqual({ bytes: new Uint8Array([80, 75]), name: 'Standard-VAE-(MNIST)-pytorch.zip' });

    const q = transfer.exportPytorch();
    const d = error('EXPORT_UNSUPPORTED', 'Node "enc" (vae.encoder) cannot be exported to PyTorch: its arch "conv" has no template yet. Nothing was written.', { node: 'enc' });
    w.emit({ type: 'exported', ok: false, diagnostics: [d] });
    expect(await q).toBeNull();
    expect(graph.lastError?.code).toBe('EXPORT_UNSUPPORTED');
    expect(graph.lastError?.message).toContain('Node "enc"');
    expect(graph.lastError?.details[0]?.node).toBe('enc');
  });
});
