"""The learner checks: the firm's learner is a seeded scikit-learn classifier the harness can
clone, key and fit on 0/1 labels.  They run on the kit's task (its training and test rows)."""
from __future__ import annotations

import unittest

import numpy as np

from fairbench.contract import Learner
from fairbench.testing.checks import _first_problem, _raise_failures, _same, run_checks
from fairbench.testing.kit import KIT_SEED, CheckResult, _fail, _first_line, _is_fitted, _kit, _rule

NAN_SHARE = 0.1  # share of the continuous feature entries set to NaN by check_learner_missing_values


def _built(learner: Learner, rule: str, random_state: int = KIT_SEED):
    reason = learner.unavailable_reason()
    if reason:
        raise unittest.SkipTest(reason)
    try:
        return learner.make(random_state)
    except Exception as exc:
        raise _fail(learner, rule, f"make({random_state}) raised {_first_line(exc)}") from exc


def _key_params(learner: Learner, estimator, rule: str) -> dict[str, str]:
    """The parameters as the cell key holds them (``fairbench.learners.learner_params``)."""
    try:
        return {k: repr(v) for k, v in sorted(estimator.get_params(deep=True).items())}
    except Exception as exc:
        raise _fail(learner, rule, f"get_params(deep=True) raised {_first_line(exc)} (the harness keys cells by "
                                   "it; derive from sklearn.base.BaseEstimator)") from exc


def _fitted_outputs(learner: Learner, rule: str, X: np.ndarray, y: np.ndarray, X_test: np.ndarray):
    """(predict, predict_proba) of a fresh learner fitted on (X, y); any failure names the call."""
    model = _built(learner, rule)
    call = f"fit(float64[{X.shape[0]}x{X.shape[1]}], int64[{len(y)}])"
    try:
        returned = model.fit(X, y)
        call = "predict(test rows)"
        pred = np.asarray(model.predict(X_test))
        call = "predict_proba(test rows)"
        proba = np.asarray(model.predict_proba(X_test))
    except Exception as exc:
        raise _fail(learner, rule, f"{call} raised {_first_line(exc)}") from exc
    if returned is not model:
        raise _fail(learner, rule, f"fit returned {type(returned).__name__}, expected self")
    return pred, proba


@_rule
def check_learner_declaration(learner: Learner) -> None:
    _first_problem(learner, Learner.problems(learner), "check_learner_declaration")


@_rule
def check_learner_clone(learner: Learner) -> None:
    rule = "check_learner_clone"
    from sklearn.base import clone

    first, second = _built(learner, rule), _built(learner, rule)
    if first is second:
        raise _fail(learner, rule, "make returned the same object twice; every fit needs a fresh estimator")
    if _is_fitted(first):
        raise _fail(learner, rule, f"make returned a fitted {type(first).__name__}; return an unfitted one")
    params = _key_params(learner, first, rule)
    try:
        copy = clone(first)
    except Exception as exc:
        raise _fail(learner, rule, f"sklearn.base.clone raised {_first_line(exc)}") from exc
    for other, what in ((second, "a second make(0)"), (copy, "its clone")):
        differ = sorted(k for k, v in _key_params(learner, other, rule).items() if params.get(k) != v)
        if differ or set(params) != set(_key_params(learner, other, rule)):
            shown = ", ".join(differ[:3]) or "the parameter names"
            raise _fail(learner, rule, f"get_params reads differently for {what} ({shown}); the cell key would "
                                       "change between runs (an object whose repr holds its address does that)")


@_rule
def check_learner_fit(learner: Learner) -> None:
    rule = "check_learner_fit"
    kit = _kit()
    pred, proba = _fitted_outputs(learner, rule, kit.X_train, kit.y_train, kit.X_test)
    n = len(kit.y_test)
    if pred.shape != (n,) or not np.isin(pred, (0, 1)).all():
        raise _fail(learner, rule, f"predict returned shape {pred.shape} with values {np.unique(pred)[:5].tolist()}, "
                                   f"expected ({n},) labels in {{0, 1}}")
    if proba.shape != (n, 2):
        raise _fail(learner, rule, f"predict_proba returned shape {proba.shape}, expected ({n}, 2): columns for "
                                   "labels 0 and 1")
    if not np.all(np.isfinite(proba)) or proba.min() < 0 or proba.max() > 1 or not np.allclose(proba.sum(axis=1), 1):
        raise _fail(learner, rule, "predict_proba rows are not probabilities in [0, 1] summing to 1")


@_rule
def check_learner_seeded(learner: Learner) -> None:
    rule = "check_learner_seeded"
    kit = _kit()
    first = _fitted_outputs(learner, rule, kit.X_train, kit.y_train, kit.X_test)[1]
    second = _fitted_outputs(learner, rule, kit.X_train, kit.y_train, kit.X_test)[1]
    problem = _same(first, second)
    if problem:
        raise _fail(learner, rule, f"predict_proba differs between two learners built with random_state={KIT_SEED}: "
                                   f"{problem} (seed every random choice from random_state)")


@_rule
def check_learner_missing_values(learner: Learner) -> None:
    rule = "check_learner_missing_values"
    if not learner.nan_tolerant:
        raise unittest.SkipTest(f"{learner.name} does not declare nan_tolerant")
    kit = _kit()
    rng = np.random.default_rng(KIT_SEED)
    holes = []
    for X in (kit.X_train, kit.X_test):
        X = X.copy()
        X[:, :2][rng.random((len(X), 2)) < NAN_SHARE] = np.nan  # the two continuous columns
        holes.append(X)
    pred, proba = _fitted_outputs(learner, rule, holes[0], kit.y_train, holes[1])
    if proba.shape != (len(holes[1]), 2) or not np.all(np.isfinite(proba)):
        raise _fail(learner, rule, f"predict_proba on rows with NaN returned shape {proba.shape}, or non-finite values")


def learner_checks(learner: Learner) -> list:
    return [check_learner_declaration, check_learner_clone, check_learner_fit, check_learner_seeded,
            check_learner_missing_values]


def check_learner(learner: Learner, *, raise_on_failure: bool = True) -> list[CheckResult]:
    """Run every learner check on ``learner`` (one whose package is missing is skipped)."""
    if not isinstance(learner, Learner):
        raise TypeError(f"check_learner takes a fairbench.Learner, not {type(learner).__name__}")
    results = run_checks(learner, learner_checks(learner))
    return _raise_failures(learner, results) if raise_on_failure else results
