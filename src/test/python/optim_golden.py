#!/usr/bin/env python3
"""Golden values for sparkmlp's optimizers (SGD with momentum, Adam, AdamW, RmsProp), from PyTorch's
torch.optim, and for its gradient clipping, from torch.nn.utils.clip_grad_value_ and clip_grad_norm_.

The problem: a 3-2-2 network's parameters (two nn.Linear layers, seeded init), five steps with fixed
seeded gradients, each optimizer in a few settings (with and without weight decay; cases with a
learning rate that changes every step; SGD classical and Nesterov). After every step the script
records the parameters and the optimizer's state, flattened onto sparkmlp's Layout (io/sparkmlp/nn/Layout.java): per layer, the
weights as a column-major out x in matrix (torch's row-major (out, in) weight, transposed, then
flattened), then the bias. OptimizerGoldenTest replays the same gradients through the Java
optimizers and compares.

The clipping cases take the same five gradients through clip_grad_value_ (if its limit is > 0) and
then clip_grad_norm_ (if its limit is > 0), over all four tensors together, as sparkmlp's driver
clips its averaged gradient (io/sparkmlp/optim/GradientClipping.java); GradientClippingTest compares.

sparkmlp decays only the weights, never the biases, while torch decays every parameter in a group;
so each torch optimizer here has two parameter groups: the weight tensors with the case's
weight_decay, the bias tensors with 0.

Run (from the repository root), with Debian's torch 1.13 (`apt-get install -y python3-torch`, which
installs into the system Python, /usr/bin/python3) or any torch >= 1.13 from pip:

    /usr/bin/python3 src/test/python/optim_golden.py

It writes src/test/resources/io/sparkmlp/optim/golden.json (or the path given as the first
argument). The output is deterministic for a given torch version; commit it with the script.
"""

import json
import os
import re
import sys

import torch

SIZES = [3, 2, 2]
STEPS = 5

# name, torch class, keyword arguments except lr and weight_decay, learning rate per step, weight decay
CASES = [
    ("sgd-momentum", "sgd", dict(momentum=0.9, nesterov=False), [0.01] * STEPS, 0.0),
    ("sgd-momentum-l2-scheduled-rate", "sgd", dict(momentum=0.9, nesterov=False), [0.01, 0.02, 0.005, 0.03, 0.01],
     0.1),
    ("sgd-nesterov-l2-scheduled-rate", "sgd", dict(momentum=0.5, nesterov=True), [0.01, 0.02, 0.005, 0.03, 0.01],
     0.05),
    ("adam-defaults", "adam", dict(betas=(0.9, 0.999), eps=1e-8), [0.01] * STEPS, 0.0),
    ("adam-l2-large-eps", "adam", dict(betas=(0.8, 0.99), eps=1e-3), [0.01] * STEPS, 0.1),
    ("adam-l2-scheduled-rate", "adam", dict(betas=(0.9, 0.999), eps=1e-8), [0.01, 0.02, 0.005, 0.03, 0.01], 0.05),
    ("adamw-no-decay", "adamw", dict(betas=(0.9, 0.999), eps=1e-8), [0.01] * STEPS, 0.0),
    ("adamw-decay-large-eps", "adamw", dict(betas=(0.8, 0.99), eps=1e-3), [0.01] * STEPS, 0.5),
    ("adamw-decay-scheduled-rate", "adamw", dict(betas=(0.9, 0.999), eps=1e-8), [0.01, 0.02, 0.005, 0.03, 0.01], 0.2),
    ("rmsprop-defaults", "rmsprop", dict(alpha=0.99, eps=1e-8, momentum=0.0), [0.01] * STEPS, 0.0),
    ("rmsprop-l2-large-eps", "rmsprop", dict(alpha=0.9, eps=1e-3, momentum=0.0), [0.01] * STEPS, 0.1),
    ("rmsprop-momentum", "rmsprop", dict(alpha=0.99, eps=1e-8, momentum=0.9), [0.01] * STEPS, 0.0),
    ("rmsprop-momentum-l2-scheduled-rate", "rmsprop", dict(alpha=0.9, eps=1e-3, momentum=0.5),
     [0.01, 0.02, 0.005, 0.03, 0.01], 0.1),
]

# name, clip value (0: off), clip norm (0: off); the five gradients' norms are about 4.7, 0.89, 7.0, 0.25, 5.5
CLIPPING = [
    ("value", 0.5, 0.0),
    ("norm", 0.0, 1.0),
    ("norm-above-most", 0.0, 4.0),
    ("value-then-norm", 0.8, 1.5),
]

# torch's state names -> sparkmlp's (OptimizerState vectors; Adam's "step" is a scalar)
STATE_NAMES = {
    "sgd": {"momentum_buffer": "momentumBuffer"},
    "adam": {"exp_avg": "firstMoment", "exp_avg_sq": "secondMoment"},
    "adamw": {"exp_avg": "firstMoment", "exp_avg_sq": "secondMoment"},
    "rmsprop": {"square_avg": "squareAverage", "momentum_buffer": "momentumBuffer"},
}


def flatten(tensors):
    """[W0, b0, W1, b1, ...] in torch shapes -> one list in sparkmlp's Layout order."""
    flat = []
    for layer in range(len(tensors) // 2):
        weight, bias = tensors[2 * layer], tensors[2 * layer + 1]
        # Layout: weights column-major out x in, i.e. entry (o, i) at i * out + o: torch's W.t() row-major
        flat.extend(weight.detach().t().reshape(-1).tolist())
        flat.extend(bias.detach().reshape(-1).tolist())
    return flat


def initial_parameters():
    torch.manual_seed(20190101)
    layers = [torch.nn.Linear(SIZES[l], SIZES[l + 1]) for l in range(len(SIZES) - 1)]
    params = []
    for layer in layers:
        params.extend([layer.weight.detach().clone(), layer.bias.detach().clone()])
    return params


def fixed_gradients(params):
    generator = torch.Generator().manual_seed(15)
    gradients = []
    for step in range(STEPS):
        # a different scale each step so that the moments' averaging shows
        scale = [1.0, 0.3, 2.0, 0.05, 1.0][step]
        grads = [scale * torch.randn(p.shape, generator=generator) for p in params]
        if step == 0:
            # one exact zero: v = 0 there, so the denominator is eps alone
            grads[1][0] = 0.0
        gradients.append(grads)
    return gradients


def make_optimizer(kind, weights, biases, kwargs, lr, weight_decay):
    groups = [dict(params=weights, weight_decay=weight_decay), dict(params=biases, weight_decay=0.0)]
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=lr, dampening=0.0, foreach=False, **kwargs)
    if kind == "adam":
        return torch.optim.Adam(groups, lr=lr, foreach=False, **kwargs)
    if kind == "adamw":
        return torch.optim.AdamW(groups, lr=lr, foreach=False, **kwargs)
    if kind == "rmsprop":
        return torch.optim.RMSprop(groups, lr=lr, centered=False, foreach=False, **kwargs)
    raise ValueError(kind)


def run_case(name, kind, kwargs, rates, weight_decay, start, gradients):
    params = [p.clone().requires_grad_(True) for p in start]
    weights, biases = params[0::2], params[1::2]
    optimizer = make_optimizer(kind, weights, biases, kwargs, rates[0], weight_decay)
    steps = []
    for step, grads in enumerate(gradients):
        for group in optimizer.param_groups:
            group["lr"] = rates[step]
        for p, g in zip(params, grads):
            p.grad = g.clone()
        optimizer.step()
        states = [optimizer.state[p] for p in params]
        vectors = {}
        for torch_name, our_name in STATE_NAMES[kind].items():
            if torch_name in states[0] and states[0][torch_name] is not None:
                vectors[our_name] = flatten([s[torch_name] for s in states])
        scalars = {}
        if kind in ("adam", "adamw"):
            scalars["step"] = float(states[0]["step"])
        steps.append(dict(weights=flatten(params), scalars=scalars, vectors=vectors))
    settings = dict(kwargs)
    if "betas" in settings:
        settings["beta1"], settings["beta2"] = settings.pop("betas")
    if "eps" in settings:
        settings["epsilon"] = settings.pop("eps")
    settings["weightDecay"] = weight_decay
    return dict(name=name, optimizer=kind, settings=settings, learningRates=rates, steps=steps)


def clip_case(name, clip_value, clip_norm, gradients):
    results = []
    for grads in gradients:
        tensors = [torch.nn.Parameter(torch.zeros(g.shape)) for g in grads]
        for t, g in zip(tensors, grads):
            t.grad = g.clone()
        if clip_value > 0:
            torch.nn.utils.clip_grad_value_(tensors, clip_value)
        if clip_norm > 0:
            torch.nn.utils.clip_grad_norm_(tensors, clip_norm)
        results.append(flatten([t.grad for t in tensors]))
    return dict(name=name, clipValue=clip_value, clipNorm=clip_norm, gradients=results)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        "src", "test", "resources", "io", "sparkmlp", "optim", "golden.json")
    torch.set_default_dtype(torch.float32)
    start = initial_parameters()
    gradients = fixed_gradients(start)
    document = dict(
        generator="src/test/python/optim_golden.py",
        torch=torch.__version__,
        layout=SIZES,
        initialWeights=flatten(start),
        gradients=[flatten(g) for g in gradients],
        cases=[run_case(*case, start, gradients) for case in CASES],
        clipping=[clip_case(*case, gradients) for case in CLIPPING],
    )
    text = json.dumps(document, indent=1)
    # one line per list of numbers, so that a diff shows which step or vector changed
    text = re.sub(r"\[\s*([-+0-9.eE,\s]+?)\s*\]", lambda m: "[" + ", ".join(n.strip() for n in m.group(1).split(",")) + "]",
                  text)
    with open(out, "w") as f:
        f.write(text + "\n")
    print("wrote", out, "with", len(CASES), "cases of", STEPS, "steps, torch", torch.__version__)


if __name__ == "__main__":
    main()
