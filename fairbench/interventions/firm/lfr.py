"""Learning Fair Representations (Zemel et al. 2013): an exact fit, and holisticai's own fit.

Stage ``pre``.  The features are encoded on the training rows (sensitive column dropped, missing
values imputed, categorical codes one-hot, every column standardised).  The objective is
holisticai 1.x's (:mod:`fairbench.interventions.firm.lfr_objective`): k = 5 prototypes,
Ax·Lx + Ay·Ly + Az·Lz with Ax = 0.01, Ay = 1, the knob ``Az`` (weight of the statistical-parity
term; holisticai's default 50, the grid spans it by 0.1x and 10x), the same uniform random start
and bounds.  The learner trains on the reconstruction x̂ = M·V (each row's softmax prototype
memberships times the prototypes); the representation of a row does not depend on its group.

Two intervention names, one objective:

``lfr`` (default, faithful to the paper's method)
    L-BFGS-B on the exact float64 gradient, ``maxiter`` 5000 and ``maxfun`` 5000 as holisticai
    declares them.  Adult (37k x 19 encoded): a few seconds per fit (``benchmarks/bench_lfr.py``);
    the objective really decreases, and test EqOd falls below the plain learner's as Az grows.
``lfr-holisticai`` (the library default, as the paper ran it)
    holisticai's ``LearningFairRepresentation.fit``: a float32 JAX objective handed to L-BFGS-B
    with no gradient.  scipy differences it with a 1e-8 step that float32 cannot resolve, so most
    finite differences are exactly 0 and the optimiser stops after 1-3 iterations near its random
    start (its ``maxfun`` is never passed through either).  Kept because the paper used it; its
    fronts sit at the baseline's EqOd while paying error.  ``x64=True`` runs the same library fit
    in float64 (scoped), which does optimise, at 90-140 s per Adult fit (finite differences).

What LFR cannot do (do not tune it away): its fairness term equalises only the groups' MEAN
prototype memberships.  A gradient-boosted learner trained on the continuous reconstruction can
still recover the group, so EqOd does not reach 0 (on COMPAS the term reaches about 0 while EqOd
stays near 0.2).

Cost of the fit grows with rows x features; ``max_fit_rows`` (default None = all rows) fits on a
seeded, group-and-label-stratified subsample, the representation is still computed for every row.
After ``fit``, ``extra_metrics`` records the final objective, iterations and whether L-BFGS-B
converged.
"""
from __future__ import annotations

import contextlib
from typing import Sequence

import numpy as np

from fairbench.contract import Intervention
from fairbench.errors import UserInputError
from fairbench.hookspecs import hookimpl
from fairbench.interventions.firm._common import (
    HOLISTICAI_HINT,
    HOLISTICAI_MODULES,
    TabularEncoder,
    binary,
    check_knob,
    check_seed,
    features,
    fit_inputs,
    groups,
)
from fairbench.interventions.firm.lfr_objective import memberships, objective, unpack

NAME = "lfr"
LIBRARY_NAME = "lfr-holisticai"
# holisticai.bias.mitigation.LearningFairRepresentation's defaults (a test pins them)
DEFAULT_AZ = 50.0
AX, AY, PROTOTYPES = 0.01, 1.0, 5
MAXITER, MAXFUN = 5000, 5000
GRID = tuple(DEFAULT_AZ * f for f in (0.1, 1.0, 10.0))


class LFR:
    """``fit(X, y, a)`` learns the prototypes with the exact gradient; ``transform(X, a)`` returns x̂."""

    _name = NAME  # in error messages; the library variant says its own

    def __init__(self, Az: float = DEFAULT_AZ, random_state: int = 0, categorical: Sequence[int] = (),
                 sensitive: int | None = None, max_fit_rows: int | None = None, k: int = PROTOTYPES,
                 Ax: float = AX, Ay: float = AY, maxiter: int = MAXITER, maxfun: int = MAXFUN):
        self.Az = check_knob("Az", Az, 0.0)
        self.Ax = check_knob("Ax", Ax, 0.0)
        self.Ay = check_knob("Ay", Ay, 0.0)
        self.k = check_knob("k", k, 1, integer=True)
        self.maxiter = check_knob("maxiter", maxiter, 1, integer=True)
        self.maxfun = check_knob("maxfun", maxfun, 1, integer=True)
        self.random_state = check_seed(random_state)
        self.categorical = tuple(categorical or ())
        self.sensitive = sensitive
        if max_fit_rows is not None:
            max_fit_rows = check_knob("max_fit_rows", max_fit_rows, 2, integer=True)
        self.max_fit_rows = max_fit_rows

    def fit(self, X, y, a) -> "LFR":
        X, y, a = fit_inputs(X, y, a)
        if len(np.unique(a)) < 2:
            raise UserInputError(f"{self._name} needs training rows from both groups (a=0 and a=1)")
        self.encoder_ = TabularEncoder(self.categorical, self.sensitive).fit(X)
        Z = self.encoder_.transform(X)
        rows = _stratified_rows(y, a, self.max_fit_rows, self.random_state)
        self._optimise(Z[rows], y[rows], a[rows])
        self.n_features_in_ = X.shape[1]
        return self

    def _optimise(self, Z: np.ndarray, y: np.ndarray, a: np.ndarray) -> None:
        from scipy.optimize import minimize

        d = Z.shape[1]
        start = initial_parameters(self.k, d, self.random_state)
        bounds = [(0.0, 1.0)] * self.k + [(None, None)] * (self.k * d)
        result = minimize(objective, start, args=(Z, y.astype(np.float64), a == 1, self.k, self.Ax, self.Ay, self.Az),
                          jac=True, method="L-BFGS-B", bounds=bounds,
                          options={"maxiter": self.maxiter, "maxfun": self.maxfun})
        self.w_, self.prototypes_ = unpack(np.asarray(result.x, dtype=np.float64), self.k, d)
        self.extra_metrics = {"lfr_objective": float(result.fun), "lfr_iterations": int(result.nit),
                              "lfr_converged": bool(result.success)}

    def transform(self, X, a) -> np.ndarray:
        Z = self._encoded(X, a)
        M, _ = memberships(Z, self.prototypes_)
        return M @ self.prototypes_

    def _encoded(self, X, a) -> np.ndarray:
        if not hasattr(self, "encoder_"):
            raise UserInputError(f"this {type(self).__name__} is not fitted yet; call fit(X, y, a) first")
        X = features(X)
        if X.shape[1] != self.n_features_in_:
            raise UserInputError(f"X has {X.shape[1]} features, the representation was fitted on {self.n_features_in_}")
        binary(a, "a", X.shape[0])
        return self.encoder_.transform(X)


class HolisticaiLFR(LFR):
    """holisticai's own ``LearningFairRepresentation.fit`` (float32, no gradient), as the paper ran it."""

    _name = LIBRARY_NAME

    def __init__(self, Az: float = DEFAULT_AZ, random_state: int = 0, categorical: Sequence[int] = (),
                 sensitive: int | None = None, max_fit_rows: int | None = None, x64: bool = False):
        super().__init__(Az, random_state, categorical, sensitive, max_fit_rows)
        self.x64 = bool(x64)

    def _optimise(self, Z: np.ndarray, y: np.ndarray, a: np.ndarray) -> None:
        from holisticai.bias.mitigation import LearningFairRepresentation

        group_a, group_b = groups(a)
        model = LearningFairRepresentation(Az=self.Az, seed=self.random_state)
        state = np.random.get_state()  # holisticai seeds NumPy's global RNG in fit
        try:
            with _precision(self.x64):
                model.fit(Z, y, group_a, group_b)
        finally:
            np.random.set_state(state)
        self.w_ = np.asarray(model.w, dtype=np.float64)
        self.prototypes_ = np.asarray(model.prototypes, dtype=np.float64)
        value, _ = objective(np.concatenate([self.w_, self.prototypes_.ravel()]), Z, y.astype(np.float64),
                             a == 1, model.k, model.Ax, model.Ay, model.Az)
        self.extra_metrics = {"lfr_objective": value}


def initial_parameters(k: int, d: int, seed: int) -> np.ndarray:
    """holisticai's start: ``np.random.seed(seed); np.random.uniform(size=k + d*k)``, without the global RNG."""
    return np.random.RandomState(seed).uniform(size=k + d * k)


def _stratified_rows(y: np.ndarray, a: np.ndarray, max_rows: int | None, seed: int) -> np.ndarray:
    n = len(y)
    if max_rows is None or n <= max_rows:
        return np.arange(n)
    from sklearn.model_selection import train_test_split

    strata = 2 * a + y
    stratify = strata if np.bincount(strata).min(initial=n) >= 2 else None
    rows, _ = train_test_split(np.arange(n), train_size=max_rows, random_state=seed, stratify=stratify)
    return np.sort(rows)


def _precision(x64: bool):
    """JAX's float64 mode for the block when asked (scoped; JAX's global default is kept)."""
    if not x64:
        return contextlib.nullcontext()
    import jax

    scoped = getattr(jax, "enable_x64", None)  # jax >= 0.8; earlier releases keep it in experimental
    if scoped is None:
        from jax.experimental import enable_x64 as scoped
    return scoped(True)


def make(knob=DEFAULT_AZ, random_state=0, categorical=(), sensitive=None, **params) -> LFR:
    return LFR(Az=DEFAULT_AZ if knob is None else knob, random_state=random_state,
               categorical=categorical, sensitive=sensitive, **params)


def make_library(knob=DEFAULT_AZ, random_state=0, categorical=(), sensitive=None, **params) -> HolisticaiLFR:
    return HolisticaiLFR(Az=DEFAULT_AZ if knob is None else knob, random_state=random_state,
                         categorical=categorical, sensitive=sensitive, **params)


@hookimpl
def fairbench_register_interventions(register):
    register(Intervention(
        name=NAME, stage="pre", knob="Az", grid=GRID, make=make, version="2",
        description="Learning Fair Representations, holisticai's objective fitted with its exact float64 "
                    "gradient; knob Az = weight of the statistical-parity term; the learner trains on "
                    "the reconstruction",
        requires=("scipy",), install_hint="pip install scipy",
        cost=8.0,  # Adult: 3-10 s per fit against ~0.7 s per learner fit (benchmarks/bench_lfr.py)
    ))
    register(Intervention(
        name=LIBRARY_NAME, stage="pre", knob="Az", grid=GRID, make=make_library, in_default_run=False,
        description="library default: holisticai's own LFR fit (float32, finite differences; it barely "
                    "moves from its random start); as the paper ran it",
        requires=HOLISTICAI_MODULES, install_hint=HOLISTICAI_HINT,
        cost=20.0,
    ))
