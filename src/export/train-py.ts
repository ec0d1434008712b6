/**
 * train.py of the PyTorch export (DESIGN.md §9), the same for every graph: it reads
 * model.py's CONFIG and GraphModel. Kept as text here so that the app and the CLI ship the
 * same file (src/export is pure: no Node APIs).
 */
export const TRAIN_PY = String.raw`#!/usr/bin/env python3
"""
Train the exported VAE Lab graph (model.py) with PyTorch, as VAE Lab trains it.

    python3 train.py [--steps N | --epochs N] [--seed S] [--json] [--log-every N]
                     [--replay REC] [--save W] [--weights W] [--device cpu|cuda]
    torchrun --nproc_per_node P train.py ...      (DistributedDataParallel)

What "as VAE Lab trains it" means here:
- the data: the MNIST split of VAE Lab (mulberry32(20240601) + Fisher-Yates over the
  package's 10,000 digits, the last heldOut held out), or a data file's examples as the
  model sees them with VAE Lab's split (data/x.npy, data/train.npy, data/held-out.npy);
  each epoch in the order VAE Lab draws from the graph's seed, batches of batchSize, the
  last one smaller;
- the objective: model.py's per-example total, averaged over the batch;
- the optimizers of TensorFlow.js 4.22: Adam with eps 1e-7, SGD, and tfjs's RMSProp
  (decay 0.9, v <- 0.9 v + 0.1 g^2, theta <- theta - lr g / sqrt(v + 1e-7)), written below;
- the held-out -ELBO after every epoch and after the last step: per held-out example,
  summed over features and latent dims, beta = 1, no free bits, one z sample.
Initial weights are PyTorch's initialisation of each layer (the same distribution as VAE Lab's,
not the same numbers); --weights W starts from a VAE Lab weights file, and --replay REC
(a directory from "vae-lab train --record REC") replays VAE Lab's initial weights, batches,
noise and binarization draws, printing each step's loss to compare with the record.

Under torchrun each of the P processes takes its contiguous share of every batch (the first
B mod P one example more) and its rows of each per-example noise tensor; its loss is
(P/B) x (the sum over its examples), so DDP's averaged gradient is the one-process gradient.
Rank 0 prints the all-reduced batch loss.

The weights file is safetensors (float32), tensors named "<node id>/<variable>" in VAE Lab's
layout: a dense kernel is [in, out] (nn.Linear's weight transposed), a conv kernel
[kh, kw, in, out] and a transposed conv kernel [kh, kw, out, in] (nn.Conv2d's [out, in, kh, kw]
and nn.ConvTranspose2d's [in, out, kh, kw], permuted), a GRU's or LSTM's kernel and
recurrentKernel weight_ih_l0 and weight_hh_l0 transposed. Reading it parses a
JSON header and raw floats: nothing in it is run.
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.distributed as dist

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import CONFIG, GraphModel  # noqa: E402

M32 = 0xFFFFFFFF
SPLIT_SEED = 20240601


# ---------------------------------------------------------------------------------------
# VAE Lab's keyed randomness (src/runtime/random.ts), for the split and the epoch order.

def imul(a, b):
    return (a * b) & M32


def mulberry32(seed):
    state = [seed & M32]

    def rand():
        a = (state[0] + 0x6D2B79F5) & M32
        state[0] = a
        t = imul(a ^ (a >> 15), 1 | a)
        t = (t ^ ((t + imul(t ^ (t >> 7), 61 | t)) & M32)) & M32
        return ((t ^ (t >> 14)) & M32) / 4294967296.0

    return rand


def hash_key(*parts):
    h = 0x811C9DC5
    for part in parts:
        s = ("#%d" % part) if isinstance(part, int) else ("$" + part)
        for ch in s:
            h = imul(h ^ ord(ch), 0x01000193)
        h = imul(h ^ 0x1F, 0x01000193)
    h ^= h >> 16
    h = imul(h, 0x85EBCA6B)
    h ^= h >> 13
    h = imul(h, 0xC2B2AE35)
    h ^= h >> 16
    return h & M32


def fisher_yates(n, rand):
    a = list(range(n))
    for i in range(n - 1, 0, -1):
        j = int(rand() * (i + 1))
        a[i], a[j] = a[j], a[i]
    return np.array(a, dtype=np.int64)


# ---------------------------------------------------------------------------------------
# The data: MNIST, or a data file's examples, as VAE Lab splits and batches them.

class Examples:
    """A split set of examples: self.train and self.held_out index the rows of the data."""

    def steps_per_epoch(self, batch_size):
        return math.ceil(len(self.train) / batch_size)

    def batch_indices(self, seed, step, batch_size):
        """The examples (row indices) of step (from 1), as VAE Lab draws them."""
        spe = self.steps_per_epoch(batch_size)
        epoch, index = divmod(step - 1, spe)
        if self._epoch[0] != (seed, epoch):
            self._epoch = ((seed, epoch), fisher_yates(len(self.train), mulberry32(hash_key(seed, "epoch", epoch))))
        order = self._epoch[1]
        start = index * batch_size
        return self.train[order[start: min(start + batch_size, len(self.train))]]


class Mnist(Examples):
    """The package's 10,000 digits, split by mulberry32(20240601) + Fisher-Yates."""

    def __init__(self, held_out):
        self.images = np.load(os.path.join(HERE, "data", "mnist-images.npy"), allow_pickle=False)
        self.labels_all = np.load(os.path.join(HERE, "data", "mnist-labels.npy"), allow_pickle=False)
        n = self.images.shape[0]
        perm = fisher_yates(n, mulberry32(SPLIT_SEED))
        self.train = perm[: n - held_out]
        self.held_out = perm[n - held_out:]
        self._epoch = (None, None)

    def values(self, indices):
        """pixel / 255 in double precision, as VAE Lab computes it before rounding to float32."""
        return self.images[indices].astype(np.float64) * (1.0 / 255.0)


class Arrays(Examples):
    """A data file's examples as VAE Lab holds them after loading (decoded, standardised with
    the training rows; images as pixel / 255), and VAE Lab's split of them: data/x.npy [N, D],
    data/labels.npy [N], data/train.npy and data/held-out.npy (row indices)."""

    def __init__(self, files):
        load = lambda key: np.load(os.path.join(HERE, files[key]), allow_pickle=False)
        self.x = load("x")
        self.labels_all = load("labels")
        self.train = load("train").astype(np.int64)
        self.held_out = load("heldOut").astype(np.int64)
        self._epoch = (None, None)

    def values(self, indices):
        return self.x[indices].astype(np.float64)


def load_examples():
    spec = CONFIG["dataset"]
    return Arrays(spec) if spec["kind"] == "arrays" else Mnist(CONFIG["heldOut"])


class Feed:
    """What the data nodes see for one batch: this process's rows of it."""

    def __init__(self, ds, indices, device, rng, binarized=None):
        self.ds, self.indices, self.device, self.rng = ds, indices, device, rng
        self.binarized = binarized or {}
        self.cache = {}

    def x(self, node, binarize="none", scale=1):
        """The batch's examples [n, D] as float32, binarized and scaled as the data node says."""
        key = (node, binarize, scale)
        if key not in self.cache:
            pix = self.ds.values(self.indices)
            if binarize == "threshold":
                x = np.where(pix > 0.5, float(scale), 0.0)
            elif binarize == "sample":
                mask = self.binarized[node] if node in self.binarized else self.rng.random(pix.shape) < pix
                x = np.where(mask, float(scale), 0.0)
            else:
                x = pix * scale
            self.cache[key] = torch.from_numpy(x.astype(np.float32)).to(self.device)
        return self.cache[key]

    def labels(self):
        return torch.from_numpy(self.ds.labels_all[self.indices].astype(np.int64)).to(self.device)


class Noise:
    """Every random draw of a forward pass: fresh from a generator, or replayed from a record
    (this process's rows of each per-example tensor; all of a tensor shared by the batch)."""

    def __init__(self, generator, device, recorded=None, rows=None):
        self.generator, self.device = generator, device
        self.recorded = recorded
        self.rows = rows

    def normal(self, node, shape, batch_axis=None):
        shape = tuple(int(d) for d in shape)
        if self.recorded is None:
            return torch.randn(shape, generator=self.generator).to(self.device)
        if node not in self.recorded or not self.recorded[node]:
            raise SystemExit("replay: the record holds no noise for node %r at this step" % node)
        t = self.recorded[node].pop(0)
        if batch_axis is not None and self.rows is not None:
            t = t.narrow(batch_axis, self.rows[0], self.rows[1] - self.rows[0])
        if tuple(t.shape) != shape:
            raise SystemExit("replay: node %r asks for noise %s, the record holds %s" % (node, list(shape), list(t.shape)))
        return t.to(self.device)


# ---------------------------------------------------------------------------------------
# Optimizers as TensorFlow.js 4.22 runs them.

class TfjsRMSprop(torch.optim.Optimizer):
    """tf.train.rmsprop(lr): decay 0.9, no momentum, not centered, epsilon 1e-7 inside the root:
    v <- 0.9 v + 0.1 g^2;  theta <- theta - (lr g) / sqrt(v + 1e-7).
    (torch.optim.RMSprop differs: alpha 0.99 and eps outside the root.)"""

    def __init__(self, params, lr, decay=0.9, eps=1e-7):
        super().__init__(params, dict(lr=lr, decay=decay, eps=eps))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                v = self.state[p].setdefault("mean_square", torch.zeros_like(p))
                v.mul_(group["decay"]).add_(g * g * (1 - group["decay"]))
                p.sub_((g * group["lr"]) / torch.sqrt(v + group["eps"]))


def make_optimizer(params, algorithm, lr):
    if algorithm == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-7)
    if algorithm == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if algorithm == "rmsprop":
        return TfjsRMSprop(params, lr)
    raise SystemExit("unknown optimizer %r" % algorithm)


# ---------------------------------------------------------------------------------------
# The weights file (safetensors, float32, VAE Lab's names and layouts).

class WeightsError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def read_safetensors(path):
    """{name: float32 array} and the metadata. Parses only: nothing in the file is run."""
    with open(path, "rb") as f:
        data = f.read()
    bad = lambda why: WeightsError("WEIGHTS_FORMAT", "%s is not a VAE Lab weights file: %s" % (path, why))
    if len(data) < 8:
        raise bad("shorter than a safetensors header")
    (n,) = struct.unpack("<Q", data[:8])
    if n > min(len(data) - 8, 100 * 1024 * 1024):
        raise bad("its header length is implausible")
    try:
        header = json.loads(data[8: 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise bad("its header is not JSON (%s)" % e)
    if not isinstance(header, dict):
        raise bad("its header is not a JSON object")
    base, size = 8 + n, len(data) - 8 - n
    meta = header.pop("__metadata__", {}) or {}
    arrays, spans = {}, []
    for name, spec in header.items():
        if not isinstance(spec, dict) or spec.get("dtype") != "F32":
            raise bad("tensor %r is not float32 (F32)" % name)
        shape, (b, e) = spec.get("shape"), spec.get("data_offsets", (0, -1))
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise bad("tensor %r has a bad shape" % name)
        if not (0 <= b <= e <= size) or e - b != 4 * int(np.prod(shape, dtype=np.int64)):
            raise bad("tensor %r has data offsets that do not fit its shape or the file" % name)
        spans.append((b, e))
        arrays[name] = np.frombuffer(data, dtype="<f4", count=(e - b) // 4, offset=base + b).reshape(shape).astype(np.float32)
    at = 0
    for b, e in sorted(spans):
        if b != at:
            raise bad("its tensors overlap or leave holes")
        at = e
    if at != size:
        raise bad("its tensors do not cover its data")
    return arrays, meta


def write_safetensors(path, arrays, meta):
    header, offset, blobs = {"__metadata__": {k: str(v) for k, v in meta.items()}}, 0, []
    for name, a in arrays.items():
        blob = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    h = json.dumps(header).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


# nn.GRU / nn.LSTM parameters by VAE Lab's names; True: stored transposed.
RNN_NAMES = {"weight_ih_l0": ("kernel", True), "weight_hh_l0": ("recurrentKernel", True), "bias_ih_l0": ("biasIh", False), "bias_hh_l0": ("biasHh", False)}


def vaelab_name(torch_name, ndim):
    """'enc.hidden0.weight' -> ('enc/hidden0/kernel', perm): VAE Lab's layout is the torch tensor
    transposed by perm (None: the same). A dense weight [out, in] is transposed; a conv weight
    [out, in, kh, kw] (or a transposed conv's [in, out, kh, kw]) becomes [kh, kw, in, out]
    ([kh, kw, out, in]), the permutation (2, 3, 1, 0) for both."""
    path, _, leaf = torch_name.rpartition(".")
    prefix = path.replace(".", "/") + "/"
    if leaf in RNN_NAMES:
        name, transposed = RNN_NAMES[leaf]
        return prefix + name, (1, 0) if transposed else None
    if leaf == "weight":
        return prefix + "kernel", (1, 0) if ndim == 2 else (2, 3, 1, 0)
    return prefix + leaf, None


def to_vaelab(a, perm):
    return np.ascontiguousarray(a if perm is None else a.transpose(perm))


def to_torch(a, perm):
    return np.ascontiguousarray(a if perm is None else a.transpose(np.argsort(perm)))


def model_weights(model):
    """The model's weights as VAE Lab names them: {name: float32 array in VAE Lab's layout}."""
    out = {}
    for name, p in model.state_dict().items():
        vname, perm = vaelab_name(name, p.dim())
        out[vname] = to_vaelab(p.detach().cpu().numpy().astype(np.float32), perm)
    return out


def load_weights(model, path):
    arrays, meta = read_safetensors(path)
    want = {}
    for name, p in model.state_dict().items():
        vname, perm = vaelab_name(name, p.dim())
        want[vname] = (name, tuple(p.shape) if perm is None else tuple(p.shape[i] for i in perm), perm)
    problems = []
    for vname, (_, shape, _) in want.items():
        if vname not in arrays:
            problems.append("%s %s is missing" % (vname, list(shape)))
        elif tuple(arrays[vname].shape) != shape:
            problems.append("%s is %s, the graph needs %s" % (vname, list(arrays[vname].shape), list(shape)))
    problems += ["%s %s is not a variable of this graph" % (k, list(a.shape)) for k, a in arrays.items() if k not in want]
    if problems:
        raise WeightsError("WEIGHTS_MISMATCH", "%s does not fit this graph (%d differences): %s. Nothing was loaded." % (path, len(problems), "; ".join(problems[:20])))
    state = {}
    for vname, (name, _, perm) in want.items():
        state[name] = torch.from_numpy(to_torch(arrays[vname], perm))
    model.load_state_dict(state)
    return meta


# ---------------------------------------------------------------------------------------
# A record of a VAE Lab run ("vae-lab train --record REC").

class Record:
    def __init__(self, folder):
        self.folder = folder
        with open(os.path.join(folder, "record.json"), encoding="utf-8") as f:
            self.meta = json.load(f)
        if self.meta.get("format") != "vae-lab/record":
            raise SystemExit("%s is not a VAE Lab record" % folder)
        load = lambda name: np.load(os.path.join(folder, name), allow_pickle=False)
        self.indices = load("indices.npy")
        self.noise = load("noise.npy")
        self.binarized = load("binarized.npy")
        self.steps = self.meta["steps"]

    def step(self, t):
        s = self.steps[t - 1]
        assert s["step"] == t
        b, n = s["batch"]
        indices = self.indices[b: b + n].astype(np.int64)
        noise = {}
        for d in s["noise"]:
            count = int(np.prod(d["shape"], dtype=np.int64))
            a = self.noise[d["offset"]: d["offset"] + count].reshape(d["shape"])
            noise.setdefault(d["node"], []).append(torch.from_numpy(a.copy()))
        binarized = {}
        for d in s["binarized"]:
            count = int(np.prod(d["shape"], dtype=np.int64))
            binarized[d["node"]] = self.binarized[d["offset"]: d["offset"] + count].reshape(d["shape"]) != 0
        return indices, noise, binarized, s


# ---------------------------------------------------------------------------------------
# Training.

def rank_rows(n, world, rank):
    """This rank's contiguous share [lo, hi) of n examples; the first n mod world get one more."""
    base, extra = divmod(n, world)
    lo = rank * base + min(rank, extra)
    return lo, lo + base + (1 if rank < extra else 0)


def evaluate(model, ds, device, generator, seed, step, chunk=500):
    """The held-out -ELBO per example (sums over features and dims, beta = 1, one z sample)."""
    rng = np.random.default_rng([seed, 0xE7A1])  # "sample" binarization: drawn once per evaluation's data
    recon = kl = 0.0
    with torch.no_grad():
        for a in range(0, len(ds.held_out), chunk):
            idx = ds.held_out[a: a + chunk]
            out = model(Feed(ds, idx, device, rng), Noise(generator, device), step=step, mode="eval")
            recon += float(out["recon"].double().sum())
            kl += float(out["kl"].double().sum())
    n = len(ds.held_out)
    return {"heldOutLoss": (recon + kl) / n, "recon": recon / n, "kl": kl / n}


def main(argv=None):
    ap = argparse.ArgumentParser(description="Train the exported VAE Lab graph: " + CONFIG["name"])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--steps", type=int, help="train N steps (batches)")
    g.add_argument("--epochs", type=int, help="train N epochs (neither: one epoch)")
    ap.add_argument("--seed", type=int, default=None, help="override the graph's training seed")
    ap.add_argument("--json", action="store_true", help="print only JSON events on stdout")
    ap.add_argument("--log-every", type=int, default=10, help="print every N steps (the last always)")
    ap.add_argument("--replay", metavar="REC", help="replay a VAE Lab record: its initial weights, batches and noise")
    ap.add_argument("--save", metavar="W", help="write the trained weights (safetensors) to W")
    ap.add_argument("--weights", metavar="W", help="start from a VAE Lab weights file")
    ap.add_argument("--device", choices=["cpu", "cuda"], default=None, help="default: cuda when available")
    args = ap.parse_args(argv)

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device_kind = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device("cuda", local_rank) if device_kind == "cuda" else torch.device("cpu")
    if device_kind == "cuda":
        torch.cuda.set_device(device)
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    if world > 1:
        dist.init_process_group("nccl" if device_kind == "cuda" else "gloo")
    keep = []  # every tensor handed to a collective, kept until after destroy_process_group()

    def say(event, text):
        if rank != 0:
            return
        if args.json:
            print(json.dumps(event), flush=True)
        else:
            print(text, flush=True)

    def fail(code, message, step=None):
        say({"event": "error", "code": code, "node": None, "port": None, "message": message, **({"step": step} if step else {})}, "error %s: %s" % (code, message))
        return 1

    seed = CONFIG["seed"] if args.seed is None else args.seed
    batch = CONFIG["batchSize"]
    ds = load_examples()
    torch.manual_seed(seed)
    model = GraphModel().to(device)
    record = Record(args.replay) if args.replay else None
    try:
        if record is not None:
            load_weights(model, os.path.join(args.replay, "initial.safetensors"))
            if record.meta["batchSize"] != batch:
                return fail("USAGE", "the record was made with batch size %d, this graph has %d" % (record.meta["batchSize"], batch))
            seed = record.meta["seed"]
        elif args.weights:
            load_weights(model, args.weights)
    except WeightsError as e:
        return fail(e.code, str(e))
    generator = torch.Generator().manual_seed(seed * 1000 + rank)
    rng = np.random.default_rng([seed, rank])

    net = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel
        net = DistributedDataParallel(model, device_ids=[local_rank] if device_kind == "cuda" else None, find_unused_parameters=CONFIG["unusedParameters"])
    opt = make_optimizer(model.parameters(), CONFIG["optimizer"]["algorithm"], CONFIG["optimizer"]["learningRate"])

    per_epoch = ds.steps_per_epoch(batch)
    if record is not None:
        total = args.steps or len(record.steps)
        if total > len(record.steps):
            return fail("USAGE", "the record holds %d steps; --steps %d asks for more" % (len(record.steps), total))
    else:
        total = args.steps or (args.epochs or 1) * per_epoch
    if rank == 0 and not args.json:
        print("Training %r: %d steps, batch %d, seed %d, %d process%s on %s%s." % (
            CONFIG["name"], total, batch, seed, world, "" if world == 1 else "es", device_kind, ", replaying " + args.replay if record else ""), flush=True)

    times, last, last_eval = [], None, None
    log_every = 1 if record is not None else args.log_every
    t_start = time.perf_counter()
    for step in range(1, total + 1):
        t0 = time.perf_counter()
        if record is not None:
            indices, recorded_noise, binarized, _ = record.step(step)
        else:
            indices, recorded_noise, binarized = ds.batch_indices(seed, step, batch), None, None
        n = len(indices)
        lo, hi = rank_rows(n, world, rank)
        feed = Feed(ds, indices[lo:hi], device, rng, {k: v[lo:hi] for k, v in (binarized or {}).items()})
        noise = Noise(generator, device, recorded_noise, (lo, hi) if world > 1 else None)
        net.train()
        out = net(feed, noise, step=step, mode="train")
        loss = out["total"].sum() * (world / n)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        sums = torch.stack([out["total"].sum(), out["recon"].sum(), out["kl"].sum()]).detach().double()
        if world > 1:
            dist.all_reduce(sums)
            keep.append(sums)
        batch_loss, recon, kl = (float(v) / n for v in sums.cpu())
        if not all(math.isfinite(v) for v in (batch_loss, recon, kl)):
            code = fail("NON_FINITE", "Training stopped at step %d: the loss is not finite. The update was not applied." % step, step)
            break
        opt.step()
        if device_kind == "cuda":
            torch.cuda.synchronize()
        ms = (time.perf_counter() - t0) * 1000
        if step > 1:
            times.append(ms)
        last = batch_loss
        if step % log_every == 0 or step == total:
            say({"event": "step", "step": step, "loss": batch_loss, "recon": recon, "kl": kl, "msPerStep": round(ms, 3)},
                "step %d/%d  epoch %d  loss %.4f  recon %.4f  KL %.4f  %.1f ms/step" % (step, total, (step - 1) // per_epoch + 1, batch_loss, recon, kl, ms))
        if record is None and (step % per_epoch == 0 or step == total):
            e = evaluate(model, ds, device, generator, seed, step)
            last_eval = e
            say({"event": "eval", "step": step, **e}, "eval  step %d  held-out -ELBO %.2f  (recon %.2f, KL %.2f) over %d digits" % (step, e["heldOutLoss"], e["recon"], e["kl"], len(ds.held_out)))
    else:
        code = 0
    if code == 0:
        ms_per_step = float(np.median(times)) if times else ms
        if args.save and rank == 0:
            write_safetensors(args.save, model_weights(model), {"format": "vae-lab/weights", "steps": total, "seed": seed, "generatedBy": "train.py (PyTorch %s)" % torch.__version__})
        say({"event": "done", "steps": total, "loss": last, "heldOutLoss": last_eval["heldOutLoss"] if last_eval else None, "msPerStep": round(ms_per_step, 3), "numTensors": None},
            "done  %d steps in %.1f s  loss %.4f%s  %.2f ms/step (median of steps 2..%d)" % (total, time.perf_counter() - t_start, last,
            "  held-out -ELBO %.2f" % last_eval["heldOutLoss"] if last_eval else "", ms_per_step, total))
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    del keep, net
    return code


if __name__ == "__main__":
    sys.exit(main())
`;
