"""FARE (Jovanović et al. 2023): fair tree cells with a provable bound; glue for ``fairbench.fare``.

Stage ``pre``.  Following docs/FARE.md §1: the sensitive column is removed from X (``sensitive``),
the training rows are split by a seeded permutation into D1 (fraction 1 - ``val_split``, fits
the tree) and D2 (``val_split``, the per-cell Clopper–Pearson bounds), and every row - train and
test - is represented by its cell's representative point (coordinate-wise median of D1 rows for
continuous columns, mode for categorical ones).  The learner trains on the representation of all
training rows (D1 ∪ D2), as the official code does.

Knob ``gamma`` (the tree criterion's fairness weight); ``max_leaves`` = k = 200 and
``min_leaf`` = n = 100 as in the paper (with n = 100 the tree has at most |D1|/100 cells: at most
5 on German).  ``fare-k`` sweeps k itself (2, 5, 20, 50) at the paper's gamma = 0.85; ``metric`` = "dp" | "eo" (| "eopp") picks the criterion.
Categorical columns (``categorical``, integer codes) are split as code sets.  The tree takes no
missing values: a missing continuous value becomes the D1 median, a missing code its own code.

Certificate.  After ``fit``, ``extra_metrics`` holds ``n_cells`` (K, the actual number of cells)
and ``tv_d2`` (the plug-in total variation of the cells between groups on D2, §3.4: the DP every
classifier of the cells has on D2).  ``certify(X_test, a_test)`` computes the DP upper bound with
the test rows as D3 (Hoeffding aggregate, §3.2: cells and groups only, no labels), returns
``{"dp_ub": ..., "n_cells": K}`` and merges it into ``extra_metrics``.  ``dp_ub`` bounds, with
probability >= 95%, the DP of ANY classifier trained on the representation; it is the DP bound
even for a tree grown with ``metric="eo"`` (an EO bound needs test labels, which plugins never
see; ``certify(..., y=...)`` adds ``eo_ub``/``eopp_ub`` for callers that have them).  A bound that
cannot be computed (e.g. a group missing from D1) gives ``dp_ub = NaN`` and ``dp_ub_note``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from fairbench.contract import Intervention
from fairbench.errors import UserInputError
from fairbench.hookspecs import hookimpl
from fairbench.interventions.firm._common import (
    binary,
    check_choice,
    check_knob,
    check_seed,
    check_sensitive,
    drop_column,
    features,
    fit_inputs,
    kept_categorical,
)

NAME = "fare"
SMALL_K_NAME = "fare-k"
# The paper's gamma = 0.85 with k = 200, n = 100, and the official sweep's far end (gamma up to
# 0.999): there the tree keeps a handful of cells (Adult, seed 0: 11 cells at 0.999, EqOd 0.003,
# error 0.240), so the front reaches about 0 EqOd at large error on every dataset.
GRID = (0.1, 0.3, 0.5, 0.7, 0.85, 0.9, 0.95, 0.99, 0.995, 0.999)
# fare-k: the paper's gamma with the official sweep's small k (max_leaves) values
SMALL_K_GRID = (2.0, 5.0, 20.0, 50.0)
SMALL_K_GAMMA = 0.85
METRICS = ("dp", "eo", "eopp")
MAX_LEAVES = 200
MIN_LEAF = 100
VAL_SPLIT = 0.3  # ρ of the official k=200, n=100 sweep on ACSIncome-CA-2014 (FARE.md §5)


class Fare:
    """``fit(X, y, a)`` grows the tree on D1; ``transform(X, a)`` gives each row's cell representative."""

    def __init__(self, gamma: float = 0.85, random_state: int = 0, categorical: Sequence[int] = (),
                 sensitive: int | None = None, max_leaves: int = MAX_LEAVES, min_leaf: int = MIN_LEAF,
                 metric: str = "dp", val_split: float = VAL_SPLIT):
        self.gamma = check_knob("gamma", gamma, 0.0, 1.0)
        self.random_state = check_seed(random_state)
        self.categorical = tuple(categorical or ())
        self.sensitive = sensitive
        self.max_leaves = check_knob("max_leaves", max_leaves, 1, integer=True)
        self.min_leaf = check_knob("min_leaf", min_leaf, 1, integer=True)
        self.metric = check_choice("metric", metric, METRICS)
        self.val_split = check_knob("val_split", val_split, 0.0, 1.0, low_open=True)
        if self.val_split >= 1.0:
            raise UserInputError(f"val_split={val_split!r} is not accepted; use a fraction in (0, 1)")

    # -- encoding ------------------------------------------------------------------------------
    def _fit_encoding(self, X: np.ndarray) -> None:
        d = X.shape[1]
        self.sensitive_ = check_sensitive(self.sensitive, d)
        self.categorical_ = kept_categorical(self.categorical, d, self.sensitive_)
        Xk = drop_column(X, self.sensitive_)
        fill = np.zeros(Xk.shape[1])
        for j in range(Xk.shape[1]):
            observed = Xk[:, j][~np.isnan(Xk[:, j])]
            if j in self.categorical_:
                fill[j] = (observed.min() - 1.0) if observed.size else -1.0  # missing = its own code
            else:
                fill[j] = np.median(observed) if observed.size else 0.0
        self.fill_ = fill
        self.n_features_in_ = d

    def _encode(self, X) -> np.ndarray:
        X = features(X)
        if X.shape[1] != self.n_features_in_:
            raise UserInputError(f"X has {X.shape[1]} features, FARE was fitted on {self.n_features_in_}")
        Xk = drop_column(X, self.sensitive_)
        return np.where(np.isnan(Xk), self.fill_[None, :], Xk)

    # -- fitting -------------------------------------------------------------------------------
    def fit(self, X, y, a) -> "Fare":
        from fairbench.fare import FareTree, plugin_tv

        X, y, a = fit_inputs(X, y, a)
        n = len(y)
        n_d2 = int(round(self.val_split * n))
        if n_d2 < 1 or n - n_d2 < 1:
            raise UserInputError(f"fare needs rows in both D1 and D2; {n} training rows with val_split={self.val_split}")
        perm = np.random.default_rng(self.random_state).permutation(n)
        d1, d2 = np.sort(perm[n_d2:]), np.sort(perm[:n_d2])
        self._fit_encoding(X[d1])  # the cell map may depend on D1 only, or the bound is void
        Z = self._encode(X)
        self.tree_ = FareTree(gamma=self.gamma, max_leaves=self.max_leaves, min_leaf=self.min_leaf,
                              metric=self.metric, categorical=self.categorical_)
        self.tree_.fit(Z[d1], y[d1], a[d1])
        self.n_cells_ = int(self.tree_.n_cells_)
        cells = self.tree_.apply(Z)
        self._d1 = (cells[d1], a[d1], y[d1])
        self._d2 = (cells[d2], a[d2], y[d2])
        self.extra_metrics = {"n_cells": self.n_cells_, "tv_d2": float(plugin_tv(cells[d2], a[d2], self.n_cells_))}
        return self

    def transform(self, X, a) -> np.ndarray:
        self._check_fitted()
        Z = self._encode(X)
        binary(a, "a", Z.shape[0])
        return np.asarray(self.tree_.transform(Z), dtype=np.float64)

    def apply(self, X) -> np.ndarray:
        """Cell id (0..n_cells_-1) of every row."""
        self._check_fitted()
        return self.tree_.apply(self._encode(X))

    def _check_fitted(self) -> None:
        if not hasattr(self, "tree_"):
            raise UserInputError("this FARE object is not fitted yet; call fit(X, y, a) first")

    # -- certificate ---------------------------------------------------------------------------
    def certify(self, X_test, a_test, y=None) -> dict:
        """DP upper bound with the given rows as D3 (no labels needed); merged into extra_metrics."""
        from fairbench.fare import fare_certificate, fare_certificate_eo, fare_certificate_eopp

        cells3 = self.apply(X_test)
        a3 = binary(a_test, "a_test", len(cells3))
        (c1, s1, y1), (c2, s2, y2) = self._d1, self._d2
        out: dict = {"n_cells": self.n_cells_}
        try:
            out["dp_ub"] = float(fare_certificate(c1, s1, c2, s2, cells3, a3, self.n_cells_))
        except ValueError as exc:
            out["dp_ub"] = float("nan")
            out["dp_ub_note"] = str(exc).splitlines()[0][:200]
        if y is not None:
            y3 = binary(y, "y", len(cells3))
            args = (c1, s1, y1, c2, s2, y2, cells3, a3, y3, self.n_cells_)
            for key, bound in (("eo_ub", fare_certificate_eo), ("eopp_ub", fare_certificate_eopp)):
                try:
                    out[key] = float(bound(*args))
                except ValueError:
                    out[key] = float("nan")
        self.extra_metrics = {**getattr(self, "extra_metrics", {}), **out}
        return out


def make(knob=0.85, random_state=0, categorical=(), sensitive=None, **params) -> Fare:
    return Fare(gamma=0.85 if knob is None else knob, random_state=random_state,
                categorical=categorical, sensitive=sensitive, **params)


def make_small_k(knob=SMALL_K_GRID[0], random_state=0, categorical=(), sensitive=None, **params) -> Fare:
    params.setdefault("gamma", SMALL_K_GAMMA)
    return Fare(max_leaves=SMALL_K_GRID[0] if knob is None else knob, random_state=random_state,
                categorical=categorical, sensitive=sensitive, **params)


@hookimpl
def fairbench_register_interventions(register):
    register(Intervention(
        name=NAME, stage="pre", knob="gamma", grid=GRID, make=make,
        description="FARE fair tree (k=200 cells, n=100 per cell; representation = cell median/mode); "
                    "knob gamma = fairness weight of the split criterion; reports the DP certificate dp_ub",
        requires=("fairbench.fare",), install_hint="fairbench.fare ships with fairbench: reinstall it (pip install -e .)",
    ))
    register(Intervention(
        name=SMALL_K_NAME, stage="pre", knob="max_leaves", grid=SMALL_K_GRID, make=make_small_k,
        description="FARE fair tree at gamma=0.85 with few cells; knob max_leaves = k, the most cells "
                    "the tree may have (the official sweep's small-k end)",
        requires=("fairbench.fare",), install_hint="fairbench.fare ships with fairbench: reinstall it (pip install -e .)",
    ))
