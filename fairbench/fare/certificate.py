"""FARE's high-probability upper bounds on the unfairness of ANY classifier of the cells (FARE.md §3–4).

The DP bound is 2T - 1 where T upper-bounds the best balanced accuracy of predicting s from the
cell: a Clopper–Pearson prior on D1, per-cell Clopper–Pearson bounds on D2 (union bound over K
cells), and a Hoeffding aggregate on D3.  Cells missing from D2 or D3 are handled conservatively
instead of asserting, as the official code does (§3.3).
"""
from __future__ import annotations

import math
import numbers

import numpy as np
from scipy.stats import beta as _beta

__all__ = [
    "clopper_pearson",
    "plugin_tv",
    "fare_certificate",
    "fare_certificate_eopp",
    "fare_certificate_eo",
    "certificate_details",
]


def clopper_pearson(x, n, e):
    """Two-sided Clopper–Pearson interval at level 1-e (statsmodels ``method='beta'``).

    Vectorised over ``x`` and ``n``; n == 0 gives the vacuous [0, 1].
    """
    x = np.asarray(x, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if not (0.0 < float(e) < 1.0):
        raise ValueError(f"e={e!r} is not accepted; the error level must lie in (0, 1)")
    if np.any(x < 0) or np.any(x > n) or np.any(x != np.round(x)) or np.any(n != np.round(n)):
        raise ValueError("clopper_pearson needs integer counts with 0 <= x <= n")
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = _beta.ppf(e / 2.0, x, n - x + 1.0)
        hi = _beta.ppf(1.0 - e / 2.0, x + 1.0, n - x)
    lo = np.where(x == 0, 0.0, lo)
    hi = np.where(x == n, 1.0, hi)
    if lo.ndim == 0:
        return float(lo), float(hi)
    return lo, hi


def _cells(c, what, n_cells):
    c = np.asarray(c).ravel()
    if c.size and (np.any(c != np.round(c)) or c.min() < 0 or c.max() >= n_cells):
        raise ValueError(f"{what} must hold integer cell ids in 0..{n_cells - 1}")
    return c.astype(np.int64)


def _binary(v, what, n):
    v = np.asarray(v).ravel()
    if len(v) != n:
        raise ValueError(f"{what} has {len(v)} entries but its cell array has {n}")
    bad = ~np.isin(v, (0, 1))
    if np.any(bad):
        raise ValueError(f"{what} must be binary 0/1; found value {v[bad][0]!r}")
    return v.astype(np.int64)


def _check_k(n_cells):
    if isinstance(n_cells, bool) or not isinstance(n_cells, (numbers.Integral, np.integer)) or n_cells < 1:
        raise ValueError(f"n_cells={n_cells!r} is not accepted; use an integer >= 1")
    return int(n_cells)


def plugin_tv(cells, s, n_cells=None):
    """Empirical TV ½Σ|N_i^{s=0}/N^{s=0} - N_i^{s=1}/N^{s=1}| (§3.4); 0 if a group is absent."""
    cells = np.asarray(cells).ravel()
    if n_cells is None:
        n_cells = int(cells.max()) + 1 if cells.size else 1
    n_cells = _check_k(n_cells)
    cells = _cells(cells, "cells", n_cells)
    s = _binary(s, "s", len(cells))
    c0 = np.bincount(cells[s == 0], minlength=n_cells).astype(np.float64)
    c1 = np.bincount(cells[s == 1], minlength=n_cells).astype(np.float64)
    if c0.sum() == 0 or c1.sum() == 0:
        return 0.0
    return 0.5 * float(np.abs(c0 / c0.sum() - c1 / c1.sum()).sum())


def certificate_details(cells_d1, s_d1, cells_d2, s_d2, cells_d3, s_d3, n_cells,
                        eps=0.05, eps_prior=0.005, eps_hoeff=0.005):
    """All intermediate quantities of the DP bound (§3.2) as a dict; see ``fare_certificate``."""
    K = _check_k(n_cells)
    for name, v in (("eps", eps), ("eps_prior", eps_prior), ("eps_hoeff", eps_hoeff)):
        if not (0.0 < float(v) < 1.0):
            raise ValueError(f"{name}={v!r} is not accepted; use a value in (0, 1)")
    e_cells = float(eps) - float(eps_prior) - float(eps_hoeff)
    if e_cells <= 0:
        raise ValueError(
            f"eps={eps!r} must exceed eps_prior + eps_hoeff = {float(eps_prior) + float(eps_hoeff)!r}"
        )
    c1 = _cells(cells_d1, "cells_d1", K)
    c2 = _cells(cells_d2, "cells_d2", K)
    c3 = _cells(cells_d3, "cells_d3", K)
    s1 = _binary(s_d1, "s_d1", len(c1))
    s2 = _binary(s_d2, "s_d2", len(c2))
    _binary(s_d3, "s_d3", len(c3))
    if len(c3) == 0:
        raise ValueError("D3 is empty; the Hoeffding step needs at least one D3 point")

    # 1. prior P(s=0) on D1 (independent of the tree, so D1 may be reused)
    pi_lb, pi_ub = clopper_pearson(int((s1 == 0).sum()), len(s1), float(eps_prior))
    if pi_lb <= 0.0 or pi_ub >= 1.0:
        raise ValueError(
            "D1 must contain both s=0 and s=1 points (and enough of them) to bound P(s=0) away "
            f"from 0 and 1; got the interval [{pi_lb:.4g}, {pi_ub:.4g}] from {len(s1)} points"
        )
    a_ub, b_ub = 1.0 / (2.0 * pi_lb), 1.0 / (2.0 * (1.0 - pi_ub))

    # 2. per-cell CP bounds on D2, union bound over the K cells (empty cells -> [0, 1])
    n2 = np.bincount(c2, minlength=K)
    x2 = np.bincount(c2[s2 == 0], minlength=K)
    lo, hi = clopper_pearson(x2, n2, e_cells / K)
    lo, hi = np.atleast_1d(lo), np.atleast_1d(hi)
    t = np.maximum(a_ub * hi, b_ub * (1.0 - lo))
    t = np.minimum(t, max(a_ub, b_ub))

    # 3. Hoeffding on the D3 mean of t_{f(x)}; cells absent from D3 simply get weight 0
    n3 = np.bincount(c3, minlength=K)
    w = n3 / float(len(c3))
    slack = (float(t.max()) - float(t.min())) * math.sqrt(math.log(1.0 / float(eps_hoeff)) / (2.0 * len(c3)))
    T = float(np.dot(w, t)) + slack
    return dict(pi_lb=pi_lb, pi_ub=pi_ub, alpha_ub=a_ub, beta_ub=b_ub, cp_lower=lo, cp_upper=hi,
                t=t, weights=w, hoeffding=slack, T=T, ub=2.0 * T - 1.0)


def fare_certificate(cells_d1, s_d1, cells_d2, s_d2, cells_d3, s_d3, n_cells,
                     eps=0.05, eps_prior=0.005, eps_hoeff=0.005):
    """Upper bound, holding with probability ≥ 1-eps, on the DP of any classifier of the cell.

    ``cells_*`` are cell ids in 0..n_cells-1 of D1 (tree-fit), D2 (held-out) and D3 (test);
    ``n_cells`` is the actual K, which sets the per-cell budget (eps-eps_prior-eps_hoeff)/K.
    ``s_d3`` is only validated: the D3 step averages over all test points.  Not clipped to [0, 1].
    """
    return certificate_details(cells_d1, s_d1, cells_d2, s_d2, cells_d3, s_d3, n_cells,
                               eps, eps_prior, eps_hoeff)["ub"]


def _label_subset(cells, s, y, label, what):
    cells = np.asarray(cells).ravel()
    s = np.asarray(s).ravel()
    y = _binary(y, f"y_{what}", len(cells))
    if len(s) != len(cells):
        raise ValueError(f"s_{what} has {len(s)} entries but cells_{what} has {len(cells)}")
    m = y == label
    return cells[m], s[m]


def fare_certificate_eopp(cells_d1, s_d1, y_d1, cells_d2, s_d2, y_d2, cells_d3, s_d3, y_d3,
                          n_cells, eps=0.05, eps_prior=0.005, eps_hoeff=0.005, label=1):
    """Equal-opportunity bound: the DP bound computed on the y=``label`` rows of D1, D2, D3 (§4)."""
    args = []
    for c, s, y, w in ((cells_d1, s_d1, y_d1, "d1"), (cells_d2, s_d2, y_d2, "d2"),
                       (cells_d3, s_d3, y_d3, "d3")):
        args.extend(_label_subset(c, s, y, label, w))
    return fare_certificate(*args, n_cells, eps=eps, eps_prior=eps_prior, eps_hoeff=eps_hoeff)


def fare_certificate_eo(cells_d1, s_d1, y_d1, cells_d2, s_d2, y_d2, cells_d3, s_d3, y_d3,
                        n_cells, eps=0.05, eps_prior=0.005, eps_hoeff=0.005):
    """Equalized-odds bound: mean of the y=1 and y=0 bounds, each at eps/2 (§4).

    The mean matches the EO metric (|ΔTPR| + |ΔFPR|)/2; eps_prior and eps_hoeff are not halved.
    """
    kw = dict(eps=float(eps) / 2.0, eps_prior=eps_prior, eps_hoeff=eps_hoeff)
    a = (cells_d1, s_d1, y_d1, cells_d2, s_d2, y_d2, cells_d3, s_d3, y_d3, n_cells)
    return 0.5 * (fare_certificate_eopp(*a, label=1, **kw) + fare_certificate_eopp(*a, label=0, **kw))
