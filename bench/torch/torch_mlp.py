"""Reference: the same MLP trained with PyTorch on the CPU, data preloaded as tensors.

sparkmlp's copy of ../shared/baselines/torch_mlp.py, extended so that sparkmlp's presets can be run
like for like: --optimizer (sgd with --nesterov, adam, adamw, rmsprop), --weight-decay, --dropout on
hidden layers, --schedule cosine with --warmup-epochs (per step, as sparkmlp's LearningRateSchedule)
and the linear scaling rule (--reference-batch), and --init he. With none of these given it is the
shared script: same defaults, same draws, same figures.

Used as the outside baseline in performance comparisons. Needs Debian's python3-torch and,
for a fair figure, OpenBLAS (libopenblas0) as the system BLAS. Measured here on 2 cores with
--arch 784-256-128-10 --act relu --momentum 0.9 --lr 0.05 --batch 128 --epochs 10 --input std:
about 0.66 s per epoch, 0.85 test accuracy after 1.4 s, 0.88 after 4.9 s, 0.888 final.
The defaults reproduce the seed notebook setting (784-64-10 leaky ReLU, SGD lr 0.001, batch 125).
"""
import argparse, json, os, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import gzip, struct


def read_idx(path):
    """Reads one gzipped IDX file of unsigned bytes into a numpy array."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    assert zero == 0 and dtype == 0x08, (zero, dtype)
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(folder):
    """Train and test images (n, 784) and labels as uint8 arrays."""
    get = lambda name: read_idx(f"{folder}/{name}-ubyte.gz")
    return (get("train-images-idx3").reshape(-1, 784), get("train-labels-idx1"),
            get("t10k-images-idx3").reshape(-1, 784), get("t10k-labels-idx1"))


ap = argparse.ArgumentParser()
ap.add_argument("--arch", default="784-64-10")
ap.add_argument("--act", default="leaky", choices=["leaky", "relu", "sigmoid"])
ap.add_argument("--lr", type=float, default=0.001)
ap.add_argument("--momentum", type=float, default=0.0)
ap.add_argument("--batch", type=int, default=125)
ap.add_argument("--epochs", type=int, default=20)
ap.add_argument("--input", default="std", choices=["std", "unit"], help="std: (x-mean)/std global train scalars; unit: x/255")
ap.add_argument("--init", default="seed", choices=["seed", "torch", "he"], help="seed: W~N(0,1/sqrt(fan_in)) from np.random.seed, b=0; torch: nn.Linear default; he: W~N(0,2/fan_in), b=0")
ap.add_argument("--optimizer", default="sgd", choices=["sgd", "adam", "adamw", "rmsprop"])
ap.add_argument("--nesterov", action="store_true")
ap.add_argument("--weight-decay", type=float, default=0.0, help="torch's weight_decay (coupled L2; decoupled for adamw)")
ap.add_argument("--beta1", type=float, default=0.9)
ap.add_argument("--beta2", type=float, default=0.999)
ap.add_argument("--eps", type=float, default=1e-8)
ap.add_argument("--rmsprop-alpha", type=float, default=0.99, help="RMSprop's smoothing constant (torch's alpha)")
ap.add_argument("--dropout", type=float, default=0.0, help="inverted dropout after every hidden activation")
ap.add_argument("--schedule", default="constant", choices=["constant", "cosine"], help="cosine: per step from lr to lr*min_fraction over the run")
ap.add_argument("--min-fraction", type=float, default=0.0)
ap.add_argument("--warmup-epochs", type=float, default=0.0, help="linear warm-up per step: rate x min(1, (step+1)/warmup_steps)")
ap.add_argument("--reference-batch", type=int, default=0, help="linear scaling rule: lr x batch / this; 0: none")
ap.add_argument("--shuffle", default="numpy", choices=["numpy", "torch"], help="numpy: np.random.permutation (same stream as seed_numpy.py)")
ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--evals_per_epoch", type=int, default=1)
ap.add_argument("--targets", default="0.85,0.88,0.89")
ap.add_argument("--json", default=None)
ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist", help="folder with the four MNIST-format .gz files")
a = ap.parse_args()

torch.set_num_threads(a.threads)
tdt = getattr(torch, a.dtype)
np.random.seed(a.seed); torch.manual_seed(a.seed)
Xtr8, ytr8, Xte8, yte8 = load(a.data)
print(f"# torch {torch.__version__} threads {torch.get_num_threads()} args {vars(a)}", flush=True)
if a.input == "std":
    mu, sd = Xtr8.mean(), Xtr8.std()
    Xtr_np, Xte_np = (Xtr8 - mu) / sd, (Xte8 - mu) / sd
else:
    Xtr_np, Xte_np = Xtr8 / 255.0, Xte8 / 255.0
Xtr = torch.from_numpy(np.ascontiguousarray(Xtr_np)).to(tdt)
Xte = torch.from_numpy(np.ascontiguousarray(Xte_np)).to(tdt)
ytr = torch.from_numpy(ytr8.astype(np.int64)); yte = torch.from_numpy(yte8.astype(np.int64))
N = Xtr.shape[0]

sizes = [int(s) for s in a.arch.split("-")]
layers = []
for i, (fi, fo) in enumerate(zip(sizes[:-1], sizes[1:])):
    lin = nn.Linear(fi, fo)
    if a.init == "seed":
        W = np.random.normal(0.0, 1.0 / np.sqrt(fi), (fi, fo))   # same draw order/shape as seed_numpy.py
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy())); lin.bias.zero_()
    elif a.init == "he":
        W = np.random.normal(0.0, np.sqrt(2.0 / fi), (fi, fo))
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy())); lin.bias.zero_()
    layers.append(lin)
    if i < len(sizes) - 2:
        layers.append({"leaky": nn.LeakyReLU(0.01), "relu": nn.ReLU(), "sigmoid": nn.Sigmoid()}[a.act])
        if a.dropout > 0:
            layers.append(nn.Dropout(a.dropout))
model = nn.Sequential(*layers).to(tdt)
lr0 = a.lr * a.batch / a.reference_batch if a.reference_batch > 0 else a.lr
# sparkmlp decays the weights, not the biases
groups = [dict(params=[p for n, p in model.named_parameters() if n.endswith("weight")]),
          dict(params=[p for n, p in model.named_parameters() if n.endswith("bias")], weight_decay=0.0)]
if a.optimizer == "sgd":
    opt = torch.optim.SGD(groups, lr=lr0, momentum=a.momentum, nesterov=a.nesterov, weight_decay=a.weight_decay)
elif a.optimizer == "adam":
    opt = torch.optim.Adam(groups, lr=lr0, betas=(a.beta1, a.beta2), eps=a.eps, weight_decay=a.weight_decay)
elif a.optimizer == "adamw":
    opt = torch.optim.AdamW(groups, lr=lr0, betas=(a.beta1, a.beta2), eps=a.eps, weight_decay=a.weight_decay)
else:
    opt = torch.optim.RMSprop(groups, lr=lr0, alpha=a.rmsprop_alpha, eps=a.eps, momentum=a.momentum, weight_decay=a.weight_decay)
g = torch.Generator().manual_seed(a.seed)
targets = [float(t) for t in a.targets.split(",")]
reached = {}

@torch.no_grad()
def evaluate(X, y):
    model.eval()
    out = model(X)
    acc = (out.argmax(1) == y).double().mean().item(); loss = F.cross_entropy(out, y).item()
    model.train()
    return acc, loss

steps = (N + a.batch - 1) // a.batch
total_steps = steps * a.epochs
warmup_steps = round(a.warmup_epochs * steps)


def rate_at(step):
    """sparkmlp's LearningRateSchedule: cosine over the run's steps, times the linear warm-up."""
    rate = lr0
    if a.schedule == "cosine":
        progress = 0.0 if total_steps <= 1 else min(1.0, step / total_steps)
        low = lr0 * a.min_fraction
        rate = low + (lr0 - low) * 0.5 * (1 + np.cos(np.pi * progress))
    if warmup_steps > 0:
        rate *= min(1.0, (step + 1) / warmup_steps)
    return rate

eval_at = set(int(round(steps * k / a.evals_per_epoch)) for k in range(1, a.evals_per_epoch + 1))
hist = []; cum_train = 0.0; t_start = time.perf_counter()
for ep in range(1, a.epochs + 1):
    perm = torch.from_numpy(np.random.permutation(N)) if a.shuffle == "numpy" else torch.randperm(N, generator=g)
    ep_train = 0.0; t0 = time.perf_counter()
    for s in range(steps):
        idx = perm[s * a.batch:(s + 1) * a.batch]
        x = Xtr.index_select(0, idx); y = ytr.index_select(0, idx)
        loss = F.cross_entropy(model(x), y)      # mean over batch
        for group in opt.param_groups:
            group["lr"] = rate_at((ep - 1) * steps + s)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if (s + 1) in eval_at:
            dt_ = time.perf_counter() - t0; ep_train += dt_; cum_train += dt_
            te = time.perf_counter()
            acc, tl = evaluate(Xte, yte)
            ev = time.perf_counter() - te
            wall = time.perf_counter() - t_start
            frac = ep - 1 + (s + 1) / steps
            for tg in targets:
                if acc >= tg and tg not in reached:
                    reached[tg] = dict(epoch=round(frac, 3), train_s=cum_train, wall_s=wall)
            rec = dict(epoch=round(frac, 3), cum_train_s=cum_train, wall_s=wall, eval_s=ev, test_acc=acc, test_loss=tl)
            if (s + 1) == steps:
                rec["epoch_train_s"] = ep_train; rec["samples_per_s"] = N / ep_train
            hist.append(rec)
            print(f"ep {frac:6.2f} " + (f"epoch_train {ep_train:7.3f}s ({N/ep_train:8.0f} samp/s) " if (s + 1) == steps else " " * 38)
                  + f"cum_train {cum_train:7.2f}s wall {wall:7.2f}s test_acc {acc:.4f} test_loss {tl:.4f}", flush=True)
            t0 = time.perf_counter()
ep_ts = [h["epoch_train_s"] for h in hist if "epoch_train_s" in h]
def loaded_blas():
    """The BLAS libraries this process has mapped (Linux): torch's, and numpy's if it has its own."""
    try:
        with open("/proc/self/maps") as maps:
            fields = (line.split() for line in maps)
            paths = {f[5] for f in fields if len(f) >= 6 and "blas" in os.path.basename(f[5]).lower()}
        return sorted(os.path.realpath(p) for p in paths)
    except OSError:
        return []


summ = dict(args=vars(a), final_test_acc=hist[-1]["test_acc"], best_test_acc=max(h["test_acc"] for h in hist),
            median_s_per_epoch=float(np.median(ep_ts)), mean_s_per_epoch=float(np.mean(ep_ts)),
            samples_per_s=N / float(np.median(ep_ts)), time_to=reached, blas=loaded_blas())
print("SUMMARY", json.dumps(summ))
if a.json:
    json.dump(dict(summary=summ, hist=hist), open(a.json, "w"), indent=1)
