"""The 2-D four-Gaussian mixture P_4GMM of Proposition 2 / Figure 6 / appendix B.1 of the paper."""
from __future__ import annotations

import numpy as np
import pandas as pd

from fairbench.contract import Dataset

from ._common import finish, flag, integer, real

DEFAULTS = {"n": 4000, "minority_fraction": 0.1, "mu": 2.0, "psi": 1.0, "sigma": 1.0, "seed": 0}


def centres(mu: float, psi: float) -> dict[tuple[int, int], np.ndarray]:
    """Mean of the Gaussian of each (y, a) cell.

    Appendix B.1 (after Chaudhuri et al.): the positive class A sits at +mu*e1 and the negative
    class B at -mu*e1; the groups are then shifted along e2 by +-psi: A^M = -psi + A,
    A^m = psi + A, B^M = psi + B, B^m = -psi + B.  So the centre of cell (y, a) is
    ((2y-1)*mu, s*psi) with s = +1 when y == a and s = -1 when y != a (y XOR a).
    """
    out = {}
    for y in (0, 1):
        for a in (0, 1):
            sign = 1.0 if y == a else -1.0
            out[(y, a)] = np.array([(2 * y - 1) * mu, sign * psi])
    return out


class LinearRule:
    """A picklable linear classifier x -> 1[x . weight + bias > 0] on the columns x1, x2."""

    def __init__(self, weight: np.ndarray, bias: float):
        self.weight = np.asarray(weight, dtype=float)
        self.bias = float(bias)

    def __call__(self, x) -> np.ndarray:
        return (np.asarray(x, dtype=float)[:, :2] @ self.weight + self.bias > 0).astype(np.int64)

    def __repr__(self) -> str:
        return f"LinearRule(weight={self.weight.tolist()}, bias={self.bias:.4g})"


def majority_bayes_rule(mu: float, psi: float, sigma: float, prior_y1: float = 0.5) -> LinearRule:
    """The Bayes classifier of the majority distribution P(y | x, a=0) as a function of x (n x 2).

    Both majority Gaussians share the covariance sigma^2 I, so the rule is linear:
    y = 1 iff (m1 - m0).x / sigma^2 - (|m1|^2 - |m0|^2) / (2 sigma^2) + log(p1/p0) > 0,
    which for equal priors is mu*x1 - psi*x2 > 0.
    """
    c = centres(mu, psi)
    m1, m0 = c[(1, 0)], c[(0, 0)]
    weight = (m1 - m0) / sigma**2
    bias = -(m1 @ m1 - m0 @ m0) / (2 * sigma**2) + np.log(prior_y1 / (1 - prior_y1))
    return LinearRule(weight, bias)


def _cell_sizes(n: int, minority_fraction: float) -> dict[tuple[int, int], int]:
    n_minority = int(round(n * minority_fraction))
    sizes = {}
    for a, total in ((0, n - n_minority), (1, n_minority)):
        sizes[(1, a)] = total // 2
        sizes[(0, a)] = total - total // 2
    return sizes


def load_synthetic_4gmm(drop_sensitive: bool = False, n: int = 4000, minority_fraction: float = 0.1,
                        mu: float = 2.0, psi: float = 1.0, sigma: float = 1.0, seed: int = 0,
                        **options) -> Dataset:
    """Two-dimensional 4-Gaussian mixture, one isotropic Gaussian per (y, a) cell.

    Parameters (all options, accepted as strings too):

    * ``n`` (4000): number of rows;
    * ``minority_fraction`` (0.1): share of rows with a=1 (rounded to a whole count);
    * ``mu`` (2.0): half the distance between the classes along e1 (the core feature x1);
    * ``psi`` (1.0): the group offset along e2 (the spurious feature x2): the majority's positives sit
      at (mu, -psi) and negatives at (-mu, psi); the minority's at (mu, psi) and (-mu, -psi), so the
      majority's separating direction (mu, -psi) is spurious for the minority;
    * ``sigma`` (1.0): standard deviation of every Gaussian (covariance sigma^2 I);
    * ``seed`` (0): the generator seed; the same options give the same rows.

    Within each group half the rows (rounded down) have y=1, so P(y=1|a) ~ 1/2 as in appendix B.
    Columns: ``x1``, ``x2`` and the sensitive column ``a`` (dropped with ``drop_sensitive=True``,
    which gives the purely 2-D setting of Proposition 2).  ``is_test`` is None.

    ``info`` holds ``centres``, ``majority_bayes_rule`` (a function x -> label, the Bayes rule of
    the majority distribution), ``counterfactual_y`` (that rule applied to every row: for a
    minority row, its label under a <- 0) and ``minority_noise_rate`` (share of minority rows whose
    counterfactual label differs from y; psi < mu keeps it below 1/2).
    """
    n = integer(n, "n", low=4)
    minority_fraction = real(minority_fraction, "minority_fraction", low=0.0, high=0.5, low_open=True)
    mu = real(mu, "mu", low=0.0, low_open=True)
    psi = real(psi, "psi", low=0.0)
    sigma = real(sigma, "sigma", low=0.0, low_open=True)
    seed = integer(seed, "seed", low=0)
    rng = np.random.default_rng(seed)
    cells = centres(mu, psi)
    xs, ys, as_ = [], [], []
    for (y, a), size in sorted(_cell_sizes(n, minority_fraction).items()):
        xs.append(cells[(y, a)] + sigma * rng.standard_normal((size, 2)))
        ys.append(np.full(size, y))
        as_.append(np.full(size, a))
    order = rng.permutation(n)
    x = np.vstack(xs)[order]
    y = np.concatenate(ys)[order].astype(np.int64)
    a = np.concatenate(as_)[order].astype(np.int64)
    majority = a == 0
    rule = majority_bayes_rule(mu, psi, sigma, prior_y1=float(y[majority].mean()))
    counterfactual = rule(x)
    frame = pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "a": a})
    info = {
        "source": "generated: Ben-Dov et al. 2025, Proposition 2 / Figure 6 / appendix B.1",
        "licence": "generated data (no licence needed)",
        "preparation": "none (generated)",
        "protected": "a=1, the minority component (minority_fraction of rows)",
        "favourable": "y=1, the positive class at +mu along x1",
        "sensitive": "a",
        "parameters": {"n": n, "minority_fraction": minority_fraction, "mu": mu, "psi": psi, "sigma": sigma,
                       "seed": seed},
        "centres": {f"y={y_},a={a_}": c.tolist() for (y_, a_), c in cells.items()},
        "majority_bayes_rule": rule,
        "counterfactual_y": counterfactual,
        "minority_noise_rate": float((counterfactual[~majority] != y[~majority]).mean()) if (~majority).any() else 0.0,
    }
    return finish("synthetic-4gmm", frame, a, y, sensitive_column="a",
                  drop_sensitive=flag(drop_sensitive, "drop_sensitive"), info=info)
