"""Times POT's ot.unbalanced.mm_unbalanced (reg_m=1, div='kl') on the multiscale benchmark.

Run with Debian's interpreter (python3-pot 0.8.2): /usr/bin/python3 bench/pot_mm_reference.py
Prints one JSON object. The problem is dense, so it uses a random subsample of n source cells and
their images (default 2000 per side: the n x n float64 cost and plan take 32 MB each); the data
follow the layout of engine/synthetic.h (3 coarse x 9 fine Gaussian clusters, translated along x)
but are drawn with numpy, so cells differ from the C++ generator's while the problem is the same.
Costs are the WFR cost of DESIGN.md section 4; pairs beyond pi * delta get a large finite cost
because the MM update needs finite entries.
"""
import argparse
import json
import platform
import time

import numpy as np
import ot


def multiscale(cells_per_cluster, fine=1.5, coarse=6.0, noise=0.2, seed=7):
    rng = np.random.default_rng(seed)
    centres = [(a * fine, c + b * fine) for c in (coarse, 0.0, -coarse)
               for a in (-1, 0, 1) for b in (-1, 0, 1)]
    return np.concatenate([rng.normal(ctr, noise, (cells_per_cluster, 2)) for ctr in centres])


def wfr_cost(x, y, delta):
    d = np.sqrt(((x[:, None, :] - y[None, :, :]) ** 2).sum(-1))
    with np.errstate(divide="ignore"):
        c = -np.log(np.cos(d / (2 * delta)) ** 2)
    c[d >= np.pi * delta] = 1e6
    return c


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--delta", type=float, default=5.0)
    p.add_argument("--translation", type=float, default=4.0)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()

    x_all = multiscale(1000)
    pick = np.random.default_rng(11).choice(len(x_all), args.n, replace=False)
    x = x_all[pick]
    y = x + np.array([args.translation, 0.0])
    cost = wfr_cost(x, y, args.delta)
    a = np.ones(args.n)
    b = np.ones(args.n)

    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        plan = ot.unbalanced.mm_unbalanced(a, b, cost, reg_m=1.0, div="kl")
        times.append(time.perf_counter() - start)
    print(json.dumps({
        "pot_version": ot.__version__, "python": platform.python_version(),
        "n": args.n, "entries": args.n * args.n, "delta": args.delta,
        "translation": args.translation, "reg_m": 1.0, "div": "kl",
        "median_seconds": float(np.median(times)), "seconds": times,
        "transported_mass": float(plan.sum()),
        "true_pair_fraction": float(np.trace(plan) / plan.sum()),
    }))


if __name__ == "__main__":
    main()
