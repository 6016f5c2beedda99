#!/usr/bin/python3
"""The training step of bench/train_step_bench.cpp in PyTorch, for a speed reference.

Same networks (velocity [t, x] -> d with 5 hidden layers of 256, growth [t, x] -> 1 with 3,
LeakyReLU 0.01, float32), same loss (weighted MSE of both outputs), one Adam per network at the
cosine-scheduled rate, parameter EMA with decay 0.995. The fused sampler is replaced by tensor
operations doing the same work: random pairs from a table of 20,000 entries over 2,000 x 2,000
cells, the traveling Dirac (DESIGN.md section 7) at a uniform s, the input [t, x(s)], targets
u, q and weights m(s).

Run with Debian's interpreter (python3-torch):
    /usr/bin/python3 bench/torch_train_step.py --threads 2 --batch 256 4096 --dim 2 50
Prints one JSON object with a row per (batch, dim): the median seconds per step over
--repeats timed runs of --steps steps each (after --warmup steps), steps/s and samples/s.
"""

import argparse
import json
import math
import statistics
import time

import torch

CELLS = 2000
ENTRIES = 20000
DELTA = 10.0
EMA_DECAY = 0.995
LR0, LR_FINAL, TOTAL_STEPS = 5e-3, 1e-5, 3000


def mlp(inputs, hidden, outputs):
    layers = []
    for width in hidden:
        layers += [torch.nn.Linear(inputs, width), torch.nn.LeakyReLU(0.01)]
        inputs = width
    layers.append(torch.nn.Linear(inputs, outputs))
    return torch.nn.Sequential(*layers)


class Problem:
    """One interval [0, 1]: cell coordinates and a table of pairs with mass ratios."""

    def __init__(self, dim, generator):
        self.x0 = torch.rand(CELLS, dim, generator=generator) * 2 - 1
        self.x1 = torch.rand(CELLS, dim, generator=generator) * 2 - 1
        self.source = torch.randint(CELLS, (ENTRIES,), generator=generator)
        self.target = torch.randint(CELLS, (ENTRIES,), generator=generator)
        self.ratio = 0.5 + torch.rand(ENTRIES, generator=generator)

    def sample(self, batch, generator):
        """Input [t, x(s)], targets u and q, weights m(s) / m0 for `batch` random pairs."""
        entry = torch.randint(ENTRIES, (batch,), generator=generator)
        s = torch.rand(batch, 1, generator=generator)
        x0 = self.x0[self.source[entry]]
        x1 = self.x1[self.target[entry]]
        m1 = self.ratio[entry].unsqueeze(1)
        diff = x1 - x0
        phi = diff.norm(dim=1, keepdim=True) / (2 * DELTA)
        root1 = m1.sqrt()
        y = s * root1 * phi.sin()
        c = (1 - s) + s * root1 * phi.cos()
        mass = c * c + y * y
        x = x0 + (torch.atan2(y, c) / phi) * diff
        u = root1 * (phi.sin() / phi) / mass * diff
        big_s = root1 * phi.cos()
        q = 2 * ((1 + m1 - 2 * big_s) * s - (1 - big_s)) / mass
        return torch.cat([s, x], dim=1), u, q, mass.squeeze(1)


def weighted_mse(y, target, weight):
    return (weight.unsqueeze(1) * (y - target) ** 2).mean()


def time_steps(batch, dim, args):
    generator = torch.Generator().manual_seed(11)
    torch.manual_seed(7)
    problem = Problem(dim, generator)
    velocity = mlp(1 + dim, [256] * 5, dim)
    growth = mlp(1 + dim, [256] * 3, 1)
    nets = [velocity, growth]
    adams = [torch.optim.Adam(net.parameters(), lr=LR0) for net in nets]
    averages = [[p.detach().clone() for p in net.parameters()] for net in nets]
    step_count = 0

    def step():
        nonlocal step_count
        lr = LR_FINAL + 0.5 * (LR0 - LR_FINAL) * (1 + math.cos(math.pi * step_count / TOTAL_STEPS))
        inputs, u, q, w = problem.sample(batch, generator)
        loss = weighted_mse(velocity(inputs), u, w) + weighted_mse(growth(inputs), q, w)
        for adam in adams:
            adam.zero_grad(set_to_none=True)
        loss.backward()
        for adam, net, average in zip(adams, nets, averages):
            for group in adam.param_groups:
                group["lr"] = lr
            adam.step()
            with torch.no_grad():
                params = list(net.parameters())
                torch._foreach_mul_(average, EMA_DECAY)
                torch._foreach_add_(average, params, alpha=1 - EMA_DECAY)
        step_count += 1
        return loss.item()

    for _ in range(args.warmup):
        step()
    seconds = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for _ in range(args.steps):
            step()
        seconds.append((time.perf_counter() - start) / args.steps)
    median = statistics.median(seconds)
    return {
        "batch": batch,
        "d": dim,
        "seconds_per_step": median,
        "steps_per_second": 1 / median,
        "samples_per_second": batch / median,
        "repeats": args.repeats,
        "steps_per_repeat": args.steps,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, nargs="+", default=[256, 1024, 4096])
    parser.add_argument("--dim", type=int, nargs="+", default=[2, 50])
    parser.add_argument("--steps", type=int, default=5, help="steps per timed run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = [time_steps(b, d, args) for b in args.batch for d in args.dim]
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
