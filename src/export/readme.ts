/**
 * README.md of the PyTorch export: what the files are and how to run them. Pure.
 */
import type { Plan } from '../compiler/compile';
import { WEIGHTS_FILE_NAME } from './weights';

export function exportReadme(plan: Plan, has: { weights: boolean; data: 'mnist' | 'arrays' | null }): string {
  const g = plan.graph;
  const opt = plan.nodes.get(plan.optimizer)!.params;
  return `# ${g.meta.name} — PyTorch

Written by \`vae-lab export\` from the graph in \`graph.json\`: the same model, data split,
batches, losses, held-out evaluation and optimizer (${String(opt.algorithm)}, learning rate ${String(opt.learningRate)})
as VAE Lab trains it. Needs Python 3, NumPy and PyTorch (1.13 or later).

| file | what |
|---|---|
| \`model.py\` | \`GraphModel\`, an \`nn.Module\`: one commented block per node of the graph; nodes with weights are submodules named by node id |
| \`train.py\` | training, evaluation, the weights file, replaying a VAE Lab record, \`torchrun\` |
| \`graph.json\` | the VAE Lab graph |
| \`data/\` | ${
    has.data === 'arrays'
      ? 'the examples of the data file as the model sees them (`x.npy` float32 [N, D]: decoded, standardised; `labels.npy`), and VAE Lab\'s split (`train.npy`, `held-out.npy`: example indices)'
      : has.data === 'mnist'
        ? 'the MNIST digits as the model sees them (`mnist-images.npy` uint8 [10000, 784], `mnist-labels.npy`); train.py splits them as VAE Lab does'
        : '(not written: copy `data/` from another export)'
  } |${has.weights ? `\n| \`${WEIGHTS_FILE_NAME}\` | the weights given to the export; start from them with \`--weights ${WEIGHTS_FILE_NAME}\` |` : ''}

## Run

\`\`\`sh
python3 train.py --epochs 5                 # held-out −ELBO after each epoch
python3 train.py --steps 200 --json         # the CLI's step / eval / done events
python3 train.py --epochs 5 --save trained.${WEIGHTS_FILE_NAME.split('.').pop()}    # then: vae-lab eval graph.json --weights trained.${WEIGHTS_FILE_NAME.split('.').pop()}
python3 train.py --replay REC               # REC from: vae-lab train graph.json --steps 20 --record REC
\`\`\`

\`--replay\` uses the record's initial weights, batches, noise and binarization draws and prints
every step's loss: they match the record's to 1e-4 (relative).

## More than one process

\`\`\`sh
# two processes on this machine (gloo on CPU)
torchrun --nproc_per_node 2 --redirects 0:1 --tee 0:1 train.py --epochs 5
# one GPU node with 8 GPUs (nccl)
torchrun --nproc_per_node 8 train.py --epochs 5 --device cuda
# two nodes: run on each, with its --node_rank
torchrun --nnodes 2 --node_rank 0 --nproc_per_node 8 --master_addr HOST0 --master_port 29500 train.py --epochs 5
\`\`\`

Each process takes its contiguous share of every batch of ${plan.batchSize} (the first B mod P one more);
DDP averages the gradients, so the update is the one-process update. (With Debian's torch
1.13 on Python 3.11, give \`--redirects\`/\`--tee\` per rank as above, or torchrun stops before
starting a worker.)

## Weights

\`${WEIGHTS_FILE_NAME}\` files are safetensors, float32, named \`<node id>/<variable>\` in VAE Lab's
layout (a dense kernel is [in, out], \`nn.Linear.weight\` its transpose; a conv kernel is
[kh, kw, in, out], \`nn.Conv2d.weight\` [out, in, kh, kw]; a transposed conv kernel is [kh, kw, out, in],
\`nn.ConvTranspose2d.weight\` [in, out, kh, kw]; a GRU's or LSTM's kernel and recurrentKernel are
\`weight_ih_l0\` and \`weight_hh_l0\` transposed). \`train.py\` converts both ways; reading one parses a JSON header and raw floats, nothing is run.
`;
}
