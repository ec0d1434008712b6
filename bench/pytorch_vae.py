#!/usr/bin/python3
"""The PyTorch CPU anchor of `npm run bench:browser` (issue 16): the standard VAE of
presets/standard-vae.json trained the same way as VAE Lab trains it (784-400-20-400-784,
ReLU, sigmoid output, batch 128, Bernoulli sum + KL sum averaged over the batch, Adam 1e-3,
nn.Linear initialisation) on the same MNIST asset (public/data/mnist.bin), on the CPU.

Run by bench/browser.mjs with Debian's python3-torch (/usr/bin/python3). Prints one JSON line:
{"torch": version, "threads": n, "blas": the BLAS library it loaded, "msPerStepMedian": ..., "steps": ..., "loss": ...}.
Debian's reference BLAS (libblas3) is ~15x slower than OpenBLAS: bench/browser.mjs --torch-blas DIR
points LD_LIBRARY_PATH at an OpenBLAS (e.g. the files of libopenblas0-pthread) for this script only.
Usage: /usr/bin/python3 bench/pytorch_vae.py [--steps 300] [--threads N]
"""
import argparse
import json
import os
import struct
import time

import torch
import torch.nn.functional as F
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_mnist(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic, _version, count, pixels = data[:4], *struct.unpack('<III', data[4:16])
    if magic != b'MNST' or pixels != 784:
        raise SystemExit(f'bad MNIST asset {path}')
    images = torch.frombuffer(bytearray(data[16:16 + count * pixels]), dtype=torch.uint8)
    return images.view(count, pixels).float().div_(255.0)


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc0 = nn.Linear(784, 400)
        self.mu = nn.Linear(400, 20)
        self.logvar = nn.Linear(400, 20)
        self.dec0 = nn.Linear(20, 400)
        self.out = nn.Linear(400, 784)

    def forward(self, x):
        h = F.relu(self.enc0(x))
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        logits = self.out(F.relu(self.dec0(z)))
        return logits, mu, logvar


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--steps', type=int, default=300)
    ap.add_argument('--threads', type=int, default=0, help='0: torch default')
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    x_all = load_mnist(os.path.join(ROOT, 'public', 'data', 'mnist.bin'))
    train = x_all[:-1000]
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    perm = torch.randperm(train.shape[0])
    times = []
    loss_value = float('nan')
    for step in range(args.steps):
        t0 = time.perf_counter()
        i = (step * 128) % (train.shape[0] - 128)
        x = train[perm[i:i + 128]]
        logits, mu, logvar = model(x)
        # Bernoulli: −Σ[x log p + (1−x) log(1−p)] with p = sigmoid(logits), summed per example.
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction='sum') / x.shape[0]
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / x.shape[0]
        loss = recon + kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss_value = loss.item()  # one read per step, as the app does
        times.append((time.perf_counter() - t0) * 1000)
    warm = sorted(times[10:] or times)
    blas = None
    try:
        with open('/proc/self/maps') as maps:
            libs = {line.split()[-1] for line in maps if 'blas' in line.lower() and '.so' in line}
        blas = sorted(libs)[0] if libs else None
    except OSError:
        pass
    print(json.dumps({
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'blas': blas,
        'steps': args.steps,
        'msPerStepMedian': round(warm[len(warm) // 2], 2),
        'loss': round(loss_value, 2),
    }))


if __name__ == '__main__':
    main()
