"""Learning Fair Representations (Zemel et al. 2013) through holisticai, as the paper used it.

Stage ``pre``.  The features are encoded on the training rows (sensitive column dropped, missing
values imputed, categorical codes one-hot, every column standardised), then holisticai's
``LearningFairRepresentation`` is fitted with its default parameters except the knob ``Az``, the
weight of the statistical-parity term.  The learner trains on the reconstruction x̂ = M·V
(each row's softmax prototype memberships times the k prototypes).  The paper's front uses the
default Az = 50; the grid spans it by 0.1x and 10x.  Three points, not five: one fit costs 2-40 s
on Adult (the optimiser's iteration count varies with Az), so LFR alone was 40% of the default
`fairbench compare --dataset adult`.  With the float32 default (below) the knob barely moves
the result: over the former five points (5, 15, 50, 150, 500) the seed-mean test EqOd spanned
0.004 on Adult (5 seeds) and on COMPAS (10 seeds) in results/*/firm before this change.

holisticai's ``transform`` needs the group masks (``group_a`` = rows with a = 1, ``group_b`` =
rows with a = 0): it reconstructs each group's rows separately, with the same prototypes, so
the representation of a row does not depend on its group.  holisticai seeds NumPy's global RNG
in ``fit``; the global state is saved and restored around the call.

Precision (``x64``).  holisticai minimises a float32 JAX objective with scipy's L-BFGS-B on
float64 finite-difference gradients: the finite-difference steps fall below float32 resolution,
so the gradient is mostly exactly zero and the optimiser stops after 1-3 iterations near its
random start (Adult: 1 iteration, 202 evaluations, 3.7 s; the test metrics for Az = 5 and 500
came out identical).  That is what the library does with its defaults, hence the default here.
``x64=True`` evaluates the same objective in float64 inside ``jax.enable_x64`` (scoped; JAX's
global default is untouched), and the optimiser then really runs (Adult, 37k x 19 encoded:
41-84 iterations, 9-15k evaluations, 90-140 s CPU per fit; test EqOd 0.055 / 0.034 / 0.033
at Az = 5 / 50 / 500 against 0.078 for the plain learner, error 0.17 against 0.136).

Cost.  One fit costs up to scipy's default limit of 15,000 objective evaluations, each linear in
rows x features: ~4 min CPU on 25k x 100 (float32, the limit was hit).  ``max_fit_rows``
(default None = all rows) fits on a seeded, group-and-label-stratified subsample to bound that;
the representation is still computed for every row.
"""
from __future__ import annotations

import contextlib
from typing import Sequence

import numpy as np

from fairbench.contract import Intervention
from fairbench.hookspecs import hookimpl
from fairbench.interventions.firm._common import (
    HOLISTICAI_HINT,
    HOLISTICAI_MODULES,
    TabularEncoder,
    check_knob,
    check_seed,
    features,
    fit_inputs,
    groups,
    binary,
)

NAME = "lfr"
DEFAULT_AZ = 50.0  # holisticai.bias.mitigation.LearningFairRepresentation(Az=50.0); a test pins it
GRID = tuple(DEFAULT_AZ * f for f in (0.1, 1.0, 10.0))


class LFR:
    """``fit(X, y, a)`` learns the prototypes; ``transform(X, a)`` returns x̂ (float64)."""

    def __init__(self, Az: float = DEFAULT_AZ, random_state: int = 0, categorical: Sequence[int] = (),
                 sensitive: int | None = None, max_fit_rows: int | None = None, x64: bool = False):
        self.Az = check_knob("Az", Az, 0.0)
        self.random_state = check_seed(random_state)
        self.categorical = tuple(categorical or ())
        self.sensitive = sensitive
        if max_fit_rows is not None:
            max_fit_rows = check_knob("max_fit_rows", max_fit_rows, 2, integer=True)
        self.max_fit_rows = max_fit_rows
        self.x64 = bool(x64)

    def fit(self, X, y, a) -> "LFR":
        from holisticai.bias.mitigation import LearningFairRepresentation

        X, y, a = fit_inputs(X, y, a)
        if len(np.unique(a)) < 2:
            raise ValueError("lfr needs training rows from both groups (a=0 and a=1)")
        self.encoder_ = TabularEncoder(self.categorical, self.sensitive).fit(X)
        Z = self.encoder_.transform(X)
        rows = self._fit_rows(y, a)
        group_a, group_b = groups(a[rows])
        self.model_ = LearningFairRepresentation(Az=self.Az, seed=self.random_state)
        state = np.random.get_state()
        try:
            with _precision(self.x64):
                self.model_.fit(Z[rows], y[rows], group_a, group_b)
        finally:
            np.random.set_state(state)
        self.n_features_in_ = X.shape[1]
        return self

    def _fit_rows(self, y: np.ndarray, a: np.ndarray) -> np.ndarray:
        n = len(y)
        if self.max_fit_rows is None or n <= self.max_fit_rows:
            return np.arange(n)
        from sklearn.model_selection import train_test_split

        strata = 2 * a + y
        stratify = strata if np.bincount(strata).min(initial=n) >= 2 else None
        rows, _ = train_test_split(np.arange(n), train_size=self.max_fit_rows,
                                   random_state=self.random_state, stratify=stratify)
        return np.sort(rows)

    def transform(self, X, a) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise ValueError("this LFR is not fitted yet; call fit(X, y, a) first")
        X = features(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, the representation was fitted on {self.n_features_in_}")
        a = binary(a, "a", X.shape[0])
        group_a, group_b = groups(a)
        Z = self.encoder_.transform(X)
        with _precision(self.x64):
            return np.asarray(self.model_.transform(Z, group_a, group_b), dtype=np.float64)


def _precision(x64: bool):
    """``jax.enable_x64(True)`` for the block when asked (scoped; JAX's global default is kept)."""
    if not x64:
        return contextlib.nullcontext()
    import jax

    return jax.enable_x64(True)


def make(knob=DEFAULT_AZ, random_state=0, categorical=(), sensitive=None, **params) -> LFR:
    return LFR(Az=DEFAULT_AZ if knob is None else knob, random_state=random_state,
               categorical=categorical, sensitive=sensitive, **params)


@hookimpl
def fairbench_register_interventions(register):
    register(Intervention(
        name=NAME, stage="pre", knob="Az", grid=GRID, make=make,
        description="Learning Fair Representations (holisticai, default parameters); knob Az = "
                    "weight of the statistical-parity term; the learner trains on the reconstruction",
        requires=HOLISTICAI_MODULES, install_hint=HOLISTICAI_HINT,
        cost=20.0,  # Adult, default compare: 2-38 s per cell (mean 15 s) against ~0.7 s per learner fit
    ))
