#!/usr/bin/python3
"""Writes tests/golden/mlp_golden.json: PyTorch reference values for the MLP, the weighted
flow-matching loss, its parameter gradient, and ten Adam steps under the cosine schedule with a
parameter EMA. tests/cpu/mlp_golden_test.cpp compares the C++ engine with them.

Run with Debian's interpreter, which has python3-torch:
    /usr/bin/python3 tools/golden/make_mlp_golden.py

Everything is float64, so the file is the exact-arithmetic reference up to double rounding.
The network, batch and weights come from closed formulas (below) so the case is readable.
Parameters are flattened in the engine's layout: per layer W (out x in, row-major), then b.
"""

import datetime
import json
import math
import pathlib
import platform

import torch

INPUTS, HIDDEN, OUTPUTS, SLOPE = 3, [5, 4], 2, 0.01
BATCH = 6
LR0, LR_FINAL, STEPS = 1e-2, 1e-3, 10
BETAS, EPS = (0.9, 0.999), 1e-8
EMA_DECAY = 0.8


def build_network():
    widths = [INPUTS] + HIDDEN + [OUTPUTS]
    layers = []
    for l in range(len(widths) - 1):
        linear = torch.nn.Linear(widths[l], widths[l + 1], dtype=torch.float64)
        with torch.no_grad():
            for i in range(widths[l + 1]):
                for j in range(widths[l]):
                    linear.weight[i, j] = 0.6 * math.sin(1.3 * (i + 1) + 0.7 * (j + 1) + 2.1 * l)
                linear.bias[i] = 0.2 * math.cos(0.9 * (i + 1) + l)
        layers.append(linear)
        if l + 1 < len(widths) - 1:
            layers.append(torch.nn.LeakyReLU(SLOPE))
    return torch.nn.Sequential(*layers)


def batch():
    x = [[1.5 * math.sin(0.5 * r + 1.1 * k + 0.3) for k in range(INPUTS)] for r in range(BATCH)]
    target = [[math.cos(0.8 * r - 0.6 * j) for j in range(OUTPUTS)] for r in range(BATCH)]
    weight = [0.5 + 0.25 * r for r in range(BATCH)]
    return (torch.tensor(x, dtype=torch.float64), torch.tensor(target, dtype=torch.float64),
            torch.tensor(weight, dtype=torch.float64))


def loss_of(y, target, weight):
    # mean over batch and coordinates of w (y - target)^2
    return (weight[:, None] * (y - target) ** 2).mean()


def flat(tensors):
    return [v for t in tensors for v in t.detach().reshape(-1).tolist()]


def parameters_in_engine_layout(network):
    return flat(p for m in network if isinstance(m, torch.nn.Linear) for p in (m.weight, m.bias))


def gradients_in_engine_layout(network):
    return flat(p.grad for m in network if isinstance(m, torch.nn.Linear)
                for p in (m.weight, m.bias))


def smallest_hidden_preactivation(network, x):
    # A pre-activation near 0 would let float32 and float64 take different LeakyReLU branches;
    # the C++ float comparison relies on every one being well away from the kink.
    smallest = math.inf
    h = x
    for m in network:
        h = m(h)
        if isinstance(m, torch.nn.Linear) and m is not network[-1]:
            smallest = min(smallest, h.abs().min().item())
    return smallest


def main():
    network = build_network()
    x, target, weight = batch()
    initial = parameters_in_engine_layout(network)

    y = network(x)
    loss = loss_of(y, target, weight)
    loss.backward()
    case = {
        "parameters": initial,
        "input": flat([x]),
        "target": flat([target]),
        "weight": flat([weight]),
        "output": flat([y]),
        "loss": loss.item(),
        "gradient": gradients_in_engine_layout(network),
    }
    margins = [smallest_hidden_preactivation(network, x)]
    smallest_gradient = min(abs(g) for g in case["gradient"])

    optimizer = torch.optim.Adam(network.parameters(), lr=LR0, betas=BETAS, eps=EPS,
                                 weight_decay=0.0, amsgrad=False)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=STEPS, eta_min=LR_FINAL)
    ema = [p.detach().clone() for p in network.parameters()]
    learning_rates, losses = [], []
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss = loss_of(network(x), target, weight)
        loss.backward()
        learning_rates.append(optimizer.param_groups[0]["lr"])
        losses.append(loss.item())
        optimizer.step()
        schedule.step()
        with torch.no_grad():
            for average, p in zip(ema, network.parameters()):
                average.mul_(EMA_DECAY).add_(p, alpha=1.0 - EMA_DECAY)
        margins.append(smallest_hidden_preactivation(network, x))

    assert min(margins) > 1e-3, f"a pre-activation comes within {min(margins)} of the kink"
    assert smallest_gradient > 1e-6, f"gradient entry {smallest_gradient} is near Adam's eps"

    golden = {
        "generator": "tools/golden/make_mlp_golden.py",
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "date": datetime.date.today().isoformat(),
        "dtype": "float64",
        "network": {"inputs": INPUTS, "hidden": HIDDEN, "outputs": OUTPUTS, "slope": SLOPE},
        "batch": BATCH,
        "smallest_hidden_preactivation": min(margins),
        **case,
        "adam": {
            "lr0": LR0, "lr_final": LR_FINAL, "steps": STEPS, "beta1": BETAS[0],
            "beta2": BETAS[1], "eps": EPS, "ema_decay": EMA_DECAY,
            "learning_rates": learning_rates,
            "losses": losses,
            "parameters": flat(network.parameters()),
            "ema": flat(ema),
        },
    }
    path = pathlib.Path(__file__).resolve().parents[2] / "tests" / "golden" / "mlp_golden.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(golden, indent=1) + "\n")
    print(f"wrote {path} (torch {torch.__version__})")


if __name__ == "__main__":
    main()
