"""Fit-time benchmark of FareTree on Adult-sized data (run by hand: python benchmarks/bench_fare.py).

Uses the real Adult table when ``fairbench.datasets.uci.load_adult`` works, else a synthetic
25k × 13 table (6 continuous + 7 categorical) with ties and rare codes like Adult's.
Options: --synthetic forces the synthetic table; --rows N sets its size.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fairbench.fare import FareTree, fare_certificate, plugin_tv  # noqa: E402

GAMMAS = (0.1, 0.3, 0.5, 0.7, 0.85, 0.9, 0.95, 0.99)


def make_adult_like(n=25000, seed=0):
    """Synthetic stand-in for Adult: integer-valued continuous columns and skewed category codes."""
    rng = np.random.default_rng(seed)
    s = (rng.random(n) < 0.67).astype(int)  # "male" majority
    age = np.clip(rng.normal(38, 13, n), 17, 90).round()
    fnlwgt = np.exp(rng.normal(12, 0.5, n)).round()
    edu_num = np.clip(rng.normal(10, 2.5, n), 1, 16).round()
    gain = np.where(rng.random(n) < 0.08, np.exp(rng.normal(8, 1.2, n)), 0).round()
    loss = np.where(rng.random(n) < 0.05, np.exp(rng.normal(7.4, 0.3, n)), 0).round()
    hours = np.clip(rng.normal(40 + 4 * s, 12, n), 1, 99).round()

    def cat(c, bias):
        p = rng.dirichlet(np.full(c, 0.6), size=2)
        out = np.empty(n, dtype=int)
        for g in (0, 1):
            m = s == g
            q = (1 - bias) * p[0] + bias * p[g]
            out[m] = rng.choice(c, size=m.sum(), p=q / q.sum()) + 1
        return out

    cats = [cat(9, 0.2), cat(16, 0.1), cat(7, 0.6), cat(15, 0.4), cat(6, 0.9), cat(5, 0.1), cat(42, 0.05)]
    X = np.column_stack([age, fnlwgt, edu_num, gain, loss, hours] + cats).astype(float)
    logit = -6 + 0.04 * age + 0.35 * edu_num + 0.0002 * gain + 0.03 * hours + 0.6 * s
    logit += 0.25 * (cats[2] % 3) - 0.2 * (cats[3] % 4) + 0.3 * (cats[4] == 1)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y, s, tuple(range(6, 13)), "synthetic Adult-like"


def load_data(synthetic, rows):
    if not synthetic:
        try:
            from fairbench.datasets.uci import load_adult

            ds = load_adult(drop_sensitive=True)
            cats = tuple(ds.categorical)
            return ds.X, np.asarray(ds.y), np.asarray(ds.a), cats, f"Adult via fairbench.datasets ({len(ds.X)} rows)"
        except Exception as exc:  # another engineer's loader may not be ready; fall back
            print(f"(Adult loader unavailable: {type(exc).__name__}: {exc}; using synthetic data)")
    return make_adult_like(rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--synthetic", action="store_true")
    ap.add_argument("--rows", type=int, default=42000)  # D1 (60%) ≈ 25k rows
    args = ap.parse_args(argv)
    X, y, s, cats, label = load_data(args.synthetic, args.rows)
    n = len(y)
    rng = np.random.default_rng(42)
    perm = rng.permutation(n)
    n1, n2 = int(0.6 * n), int(0.8 * n)
    Xa = X.to_numpy() if hasattr(X, "to_numpy") else X
    if hasattr(X, "columns"):
        cats = tuple(list(map(str, X.columns)).index(str(c)) for c in cats)
    d1, d2, d3 = perm[:n1], perm[n1:n2], perm[n2:]
    print(f"data: {label}; D1={len(d1)} rows × {Xa.shape[1]} columns ({len(cats)} categorical)")

    t0 = time.perf_counter()
    tree = FareTree(gamma=0.85, max_leaves=200, min_leaf=100, categorical=cats).fit(Xa[d1], y[d1], s[d1])
    dt = time.perf_counter() - t0
    K = tree.n_cells_
    ub = fare_certificate(tree.apply(Xa[d1]), s[d1], tree.apply(Xa[d2]), s[d2], tree.apply(Xa[d3]), s[d3], K)
    print(f"single fit gamma=0.85 k=200 n=100: {dt:.2f} s, K={K}, train TV={plugin_tv(tree.apply(Xa[d1]), s[d1], K):.4f}, DP_UB={ub:.4f}")

    total = 0.0
    for g in GAMMAS:
        t0 = time.perf_counter()
        tr = FareTree(gamma=g, max_leaves=200, min_leaf=100, categorical=cats).fit(Xa[d1], y[d1], s[d1])
        dt = time.perf_counter() - t0
        total += dt
        K = tr.n_cells_
        ub = fare_certificate(tr.apply(Xa[d1]), s[d1], tr.apply(Xa[d2]), s[d2], tr.apply(Xa[d3]), s[d3], K)
        print(f"  gamma={g:<5} fit {dt:6.2f} s  K={K:3d}  DP_UB={ub:.4f}")
    print(f"sweep over {len(GAMMAS)} gammas at k=200: {total:.2f} s total")


if __name__ == "__main__":
    main()
