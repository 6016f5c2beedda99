#!/usr/bin/python3
"""Golden values for the masked unbalanced transport solvers (kernels/uot_solver.h), from POT.

Run with Debian's interpreter, which has python3-pot:

    /usr/bin/python3 tools/golden/make_uot_golden.py [output.json]

It writes tests/golden/uot_golden.json by default. Names: a, b (row and column masses), C (costs),
S (admissible pairs: mask = 1 and C finite), gamma (plan), rho (marginal penalty), eps (entropic
regularization), delta (WFR length scale).

How each engine convention is given to POT, exactly:

* Normalization. The engine solves on a / Z, b / Z with Z = (sum a + sum b) / 2 and scales the plan
  back by Z. POT is called on the same normalized masses and its plan is multiplied by Z here.
* Mask. An inadmissible pair gets cost +inf. POT computes K = exp(-M / (2 rho)) (MM) or
  exp(-M / eps) (Sinkhorn), and numpy's exp(-inf) is exactly 0, so those entries carry no mass.
  MM starts from G0 = a b^T, which would put mass on masked pairs during the first iteration and
  change every later one; it is given G0 = a b^T restricted to S, the engine's start.
* Entropy. POT 0.8's entropic UOT regularizes with sum gamma (log gamma - 1) (reference measure
  1), while the engine uses KL(gamma | a (x) b). Since
      eps KL(gamma | a b^T) = eps sum gamma (log gamma - 1) - eps sum gamma_ij (log a_i + log b_j)
                              + eps sum_ij a_i b_j,
  the engine's problem is POT's problem with cost M_ij - eps (log a_i + log b_j), plus a constant;
  that shifted cost is what POT receives (the masses are the normalized ones).
* Rows or columns without an admissible entry carry no mass in the exact solution and decouple
  from the rest; POT's Sinkhorn divides by their zero K v, so they are removed before the call and
  given zero plan values after it.
* Sinkhorn variant. method='sinkhorn' (the plain scaling, no additive guard; POT 0.8 has no
  'sinkhorn_log'). The stabilized variant adds 1e-16 to K v and K^T u, which moves the fixed point
  of columns with small K^T u: its KKT residual stalled near 3e-11 on problems like these, against
  1e-15 for the plain scaling. Every case keeps exp(-M / eps) well inside double range (checked),
  and the script checks the KKT conditions of POT's plan (recorded as kkt_residual).
* MM runs a fixed number of iterations (stopThr = 0, so POT never stops early) and the engine
  runs the same count, so the two follow one trajectory.

The objective recorded is sum gamma C + rho KL(gamma 1 | a) + rho KL(gamma^T 1 | b) with the
generalized KL(p | q) = sum p log(p / q) - p + q, computed here in the caller's units.
"""

import datetime
import json
import os
import sys
import warnings

import numpy as np
import ot

KKT_LIMIT = 1e-12


def wfr_cost(x, y, delta):
    """-log cos^2(|x - y| / (2 delta)) below pi delta, +inf at and beyond it."""
    distance = np.linalg.norm(x[:, None, :] - y[None, :, :], axis=2)
    cost = np.full(distance.shape, np.inf)
    inside = distance < np.pi * delta
    cost[inside] = -2.0 * np.log(np.abs(np.cos(distance[inside] / (2.0 * delta))))
    return cost


def generalized_kl(p, q):
    out = q.copy()
    positive = p > 0
    out[positive] = p[positive] * np.log(p[positive] / q[positive]) - p[positive] + q[positive]
    return out.sum()


def objective(plan, cost, a, b, rho):
    transport = np.sum(plan[plan > 0] * cost[plan > 0])
    return transport + rho * (generalized_kl(plan.sum(1), a) + generalized_kl(plan.sum(0), b))


def solve_mm(a, b, cost_masked, rho, iterations):
    z = 0.5 * (a.sum() + b.sum())
    an, bn = a / z, b / z
    g0 = np.where(np.isfinite(cost_masked), an[:, None] * bn[None, :], 0.0)
    plan = ot.unbalanced.mm_unbalanced(an, bn, cost_masked, rho, div='kl', G0=g0,
                                       numItermax=iterations, stopThr=0.0)
    return z * plan


def solve_sinkhorn(a, b, cost_masked, rho, eps):
    z = 0.5 * (a.sum() + b.sum())
    an, bn = a / z, b / z
    admissible = np.isfinite(cost_masked)
    rows = np.flatnonzero(admissible.any(1))
    cols = np.flatnonzero(admissible.any(0))
    sub = cost_masked[np.ix_(rows, cols)]
    ar, bc = an[rows], bn[cols]
    shifted = sub - eps * (np.log(ar)[:, None] + np.log(bc)[None, :])
    assert np.all(np.exp(-shifted[np.isfinite(shifted)] / eps) > 0), "K underflows"
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        sub_plan = ot.unbalanced.sinkhorn_unbalanced(ar, bc, shifted, eps, rho, method='sinkhorn',
                                                     numItermax=100000, stopThr=1e-15)

    # KKT of the entropic problem with reference a (x) b, on the normalized masses:
    # eps log(gamma / (a b)) + C + rho log(r / a) + rho log(c / b) = 0 on S.
    r, c = sub_plan.sum(1), sub_plan.sum(0)
    on = np.isfinite(sub)
    with np.errstate(divide='ignore', invalid='ignore'):  # off S: log 0 + inf, not used
        kkt = (eps * np.log(sub_plan / (ar[:, None] * bc[None, :])) + sub +
               rho * np.log(r / ar)[:, None] + rho * np.log(c / bc)[None, :])
    kkt_residual = float(np.max(np.abs(kkt[on])))
    assert kkt_residual < KKT_LIMIT, f"POT did not converge: KKT residual {kkt_residual}"

    plan = np.zeros(cost_masked.shape)
    plan[np.ix_(rows, cols)] = sub_plan
    return z * plan, kkt_residual


def make_case(name, kind, seed, n, m, delta, spread, mass_a, mass_b, density, rho,
              eps=None, iterations=None, masked_row=None, masked_col=None, extra_points=None):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)) * spread
    y = rng.normal(size=(m, 2)) * spread + 0.25
    if extra_points is not None:
        x, y = extra_points(x, y, delta)
    a = mass_a(rng, x.shape[0])
    b = mass_b(rng, y.shape[0])
    mask = rng.random((x.shape[0], y.shape[0])) < density
    if masked_row is not None:
        mask[masked_row, :] = False
    if masked_col is not None:
        mask[:, masked_col] = False

    cost = wfr_cost(x, y, delta)
    cost_masked = np.where(mask, cost, np.inf)
    case = {'name': name, 'kind': kind, 'seed': seed, 'rho': rho, 'delta': delta}
    if kind == 'mm':
        plan = solve_mm(a, b, cost_masked, rho, iterations)
        case['iterations'] = iterations
    else:
        plan, kkt = solve_sinkhorn(a, b, cost_masked, rho, eps)
        case['eps'] = eps
        case['kkt_residual'] = kkt
    assert np.all(plan[~np.isfinite(cost_masked)] == 0), "mass outside S"

    case.update({
        'rows': int(x.shape[0]), 'cols': int(y.shape[0]), 'dim': 2,
        'x': x.ravel().tolist(), 'y': y.ravel().tolist(),
        'a': a.tolist(), 'b': b.tolist(),
        'mask': mask.astype(int).ravel().tolist(),
        # null marks a pair at or beyond the cut-off pi delta.
        'cost': [None if not np.isfinite(v) else float(v) for v in cost.ravel()],
        'plan': plan.ravel().tolist(),
        'objective': float(objective(plan, cost_masked, a, b, rho)),
        'transported_mass': float(plan.sum()),
        # Mass of rows and columns without an admissible pair (all masses here are positive).
        'unmatched_mass': float(a[~np.isfinite(cost_masked).any(1)].sum() +
                                b[~np.isfinite(cost_masked).any(0)].sum()),
    })
    return case


def uniform_mass(total):
    def draw(rng, count):
        v = rng.uniform(0.5, 1.5, count)
        return v * (total / v.sum())
    return draw


def lognormal_mass(scale, sigma):
    return lambda rng, count: scale * np.exp(sigma * rng.normal(size=count))


def far_points(x, y, delta):
    """Adds a source and a target at exactly 2 pi delta (where cos^2 is 1 again) and a target beyond
    pi delta from everything, so the cut-off matters."""
    x = np.vstack([x, [[0.0, 0.0]]])
    y = np.vstack([y, [[2.0 * np.pi * delta, 0.0]], [[0.0, 12.0 * delta]]])
    return x, y


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), '..', '..', 'tests', 'golden', 'uot_golden.json')
    cases = [
        make_case('mm_unit_masses', 'mm', 11, 6, 7, 1.0, 0.8, uniform_mass(1.0),
                  uniform_mass(1.3), 0.75, 1.0, iterations=300),
        make_case('mm_large_masses_masked_row_col', 'mm', 12, 9, 8, 1.5, 1.0,
                  lognormal_mass(1e3, 1.0), lognormal_mass(2e3, 0.7), 0.7, 1.0,
                  iterations=1000, masked_row=2, masked_col=5),
        make_case('sinkhorn_unit_masses', 'sinkhorn', 21, 7, 6, 1.0, 0.8, uniform_mass(1.0),
                  uniform_mass(1.5), 0.75, 1.0, eps=0.1),
        make_case('sinkhorn_spread_masses_masked_row_col', 'sinkhorn', 22, 8, 9, 1.2, 0.9,
                  lognormal_mass(50.0, 1.5), lognormal_mass(20.0, 1.0), 0.8, 2.0, eps=0.05,
                  masked_row=0, masked_col=3),
        make_case('sinkhorn_cutoff', 'sinkhorn', 23, 6, 6, 0.7, 1.0, uniform_mass(3.0),
                  uniform_mass(2.0), 0.9, 1.0, eps=0.2, extra_points=far_points),
    ]
    golden = {
        'generator': 'tools/golden/make_uot_golden.py',
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
