#!/usr/bin/python3
"""Golden values for the exact 1-Wasserstein distance (engine/metrics.h), from POT.

Run with Debian's interpreter, which has python3-pot:

    /usr/bin/python3 tools/golden/make_metrics_golden.py [output.json]

It writes tests/golden/metrics_golden.json by default. Each case has points x (rows x dim) with
weights a and points y (cols x dim) with weights b, both row-major and flattened. The weights are
recorded unnormalized, as the engine accepts them; POT is given a / sum a and b / sum b, with
ground cost ot.dist(x, y, metric='euclidean'), and w1 = ot.emd2(a, b, M).

ot.emd2 runs a network simplex in doubles, so the script checks its answer through the dual
potentials POT returns: the duality gap |<a, u> + <b, v> - w1| and the dual infeasibility
max(u_i + v_j - M_ij) over pairs with positive a_i and b_j are recorded and must be below
CHECK_LIMIT (the engine's tests hold w1 to 1e-9 relative).
"""

import datetime
import json
import os
import sys

import numpy as np
import ot

SEED = 20240611
CHECK_LIMIT = 1e-12


def emd_w1(x, y, a, b):
    an, bn = a / a.sum(), b / b.sum()
    cost = ot.dist(x, y, metric='euclidean')
    w1, log = ot.emd2(an, bn, cost, log=True, numItermax=10_000_000)
    assert log['warning'] is None, log['warning']
    u, v = log['u'], log['v']
    gap = abs(float(an @ u + bn @ v) - float(w1))
    rows, cols = an > 0, bn > 0
    violation = float(np.max(u[rows][:, None] + v[cols][None, :] - cost[np.ix_(rows, cols)]))
    scale = max(float(w1), 1.0)
    assert gap < CHECK_LIMIT * scale, f"duality gap {gap}"
    assert violation < CHECK_LIMIT * scale, f"dual infeasibility {violation}"
    return float(w1), gap, max(violation, 0.0)


def make_case(name, rng, n, m, dim, x=None, y=None, a=None, b=None):
    if x is None:
        x = rng.normal(size=(n, dim))
    if y is None:
        y = rng.normal(size=(m, dim)) * 1.3 + 0.4
    if a is None:
        a = np.ones(x.shape[0])
    if b is None:
        b = np.ones(y.shape[0])
    w1, gap, violation = emd_w1(x, y, a, b)
    return {
        'name': name, 'rows': int(x.shape[0]), 'cols': int(y.shape[0]), 'dim': int(dim),
        'x': x.ravel().tolist(), 'y': y.ravel().tolist(), 'a': a.tolist(), 'b': b.tolist(),
        'w1': w1, 'duality_gap': gap, 'dual_infeasibility': violation,
    }


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), '..', '..', 'tests', 'golden', 'metrics_golden.json')
    rng = np.random.default_rng(SEED)
    cases = []
    cases.append(make_case('dim1_uniform', rng, 7, 11, 1))
    cases.append(make_case('dim2_uniform', rng, 12, 9, 2))
    cases.append(make_case('dim5_uniform', rng, 15, 20, 5))
    cases.append(make_case('dim2_weighted', rng, 10, 14, 2, a=rng.uniform(0.1, 3.0, 10),
                           b=rng.uniform(0.1, 3.0, 14) * 40.0))
    cases.append(make_case('dim5_weighted', rng, 18, 13, 5, a=np.exp(rng.normal(size=18)),
                           b=np.exp(1.5 * rng.normal(size=13)) * 1e-3))
    cases.append(make_case('dim1_weighted', rng, 25, 6, 1, a=rng.uniform(0.0, 1.0, 25) * 7.0,
                           b=rng.uniform(0.5, 1.5, 6)))
    # Duplicate points: rows 0, 3 and 5 of x coincide, and y[2] repeats x[1].
    x = rng.normal(size=(8, 2))
    x[3] = x[0]
    x[5] = x[0]
    y = rng.normal(size=(10, 2)) + 0.2
    y[2] = x[1]
    cases.append(make_case('dim2_duplicates', rng, 8, 10, 2, x=x, y=y,
                           a=rng.uniform(0.5, 2.0, 8), b=rng.uniform(0.5, 2.0, 10)))
    # A zero-weight point on each side, placed far away, where any mass on it would show.
    x = rng.normal(size=(9, 2))
    x[4] = [25.0, -30.0]
    y = rng.normal(size=(7, 2)) - 0.3
    y[6] = [-40.0, 10.0]
    a = rng.uniform(0.5, 2.0, 9)
    a[4] = 0.0
    b = rng.uniform(0.5, 2.0, 7)
    b[6] = 0.0
    cases.append(make_case('dim2_zero_weight', rng, 9, 7, 2, x=x, y=y, a=a, b=b))
    golden = {
        'generator': 'tools/golden/make_metrics_golden.py',
        'seed': SEED,
        'pot_version': ot.__version__,
        'numpy_version': np.__version__,
        'python_version': sys.version.split()[0],
        'date': datetime.date.today().isoformat(),
        'cases': cases,
    }
    with open(out_path, 'w') as stream:
        json.dump(golden, stream, indent=1)
        stream.write('\n')
    print(f'wrote {len(cases)} cases to {os.path.normpath(out_path)} (POT {ot.__version__})')


if __name__ == '__main__':
    main()
