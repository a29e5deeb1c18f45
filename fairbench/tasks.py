"""One task = one (seed, intervention): the work that shares a split, a collective or a fit.

A task computes the cells it is given (one per knob value) and returns their rows.  An
exception inside plugin code fails only that cell (status ``error`` with the message's first
line); a cell that runs past the time limit is recorded as ``timeout``.
"""
from __future__ import annotations

import itertools
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fairbench.collective import flip, form_collective, rank_candidates
from fairbench.contract import CollectiveView, Intervention
from fairbench.errors import FairbenchError, PluginError
from fairbench.learners import make_learner
from fairbench.metrics import BUILTIN_METRICS, Metric, evaluate, metric_columns
from fairbench.prepared import Prepared, Split

TUNE_STREAM = 0x7E57
TUNE_FRACTION = 0.15
TUNE_BUDGET_FRACTIONS = (0.3, 0.6)
HOLDOUT_FOLDS = 3


#: After the limit, the alarm fires again every REFIRE_SECONDS until the cell gives up.
REFIRE_SECONDS = 1.0


class CellTimeout(BaseException):
    """A cell ran past ``--cell-timeout``.

    A BaseException, like KeyboardInterrupt, so that plugin code catching ``Exception`` cannot
    swallow it; the alarm also re-fires every second until the cell stops.
    """


@dataclass(frozen=True)
class Settings:
    """What every task of one run shares."""

    alpha: float = 0.3
    majority_knowledge: int | None = None
    learner: str = "hgb"
    tune: bool = True
    cell_timeout: float | None = None
    params: dict = field(default_factory=dict)  # per-intervention parameter overrides
    validation_fraction: float = 0.0  # share of train set aside for choosing operating points (docs/protocol.md)
    metrics: tuple[Metric, ...] = BUILTIN_METRICS  # what every cell's predictions are scored by


@dataclass(frozen=True)
class Task:
    intervention: Intervention
    seed: int
    cells: tuple[tuple[float, str], ...]  # (knob value, key)
    needs_probabilities: bool = False     # baseline only: also return scores for post methods


@dataclass
class TaskResult:
    rows: list[dict]
    probabilities: dict[str, np.ndarray] | None = None


@contextmanager
def time_limit(seconds: float | None):
    """Raise CellTimeout after ``seconds``, then every second until the block exits.

    Main thread only (elsewhere no limit applies).  Python code is interrupted at once; code
    inside a C extension is interrupted when it returns to Python.
    """
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _expire(signum, frame):
        raise CellTimeout(f"cell exceeded the {seconds:g} s time limit")

    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, REFIRE_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _row(task: Task, knob_value, key: str, settings: Settings) -> dict:
    iv = task.intervention
    user = iv.stage == "labels"
    return {
        "key": key, "intervention": iv.name, "side": iv.side, "stage": iv.stage, "knob": iv.knob,
        "knob_value": knob_value, "seed": task.seed,
        "alpha": settings.alpha if user else None,
        "majority_knowledge": settings.majority_knowledge if user else None,
        "learner": settings.learner, "plugin": iv.plugin, "status": "ok", "message": "",
        "n_flips": 0 if user else None,
        **({"validation_fraction": settings.validation_fraction} if settings.validation_fraction else {}),
    }


def _fail(row: dict, exc: BaseException) -> dict:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    row["status"] = "timeout" if isinstance(exc, CellTimeout) else "error"
    prefix = "" if isinstance(exc, (FairbenchError, CellTimeout)) else f"{type(exc).__name__}: "
    row["message"] = f"{prefix}{first}"[:500]
    return row


def _fit_predict(learner_name: str, seed: int, X_train, y_train, X_eval: tuple, proba: bool = False):
    """Fit once, predict every array of ``X_eval`` (test, then validation); returns (predictions, seconds)."""
    learner = make_learner(learner_name, seed)
    start = time.perf_counter()
    learner.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    if proba:
        return [learner.predict_proba(X)[:, 1] if len(X) else np.empty(0) for X in X_eval], seconds
    return [learner.predict(X) if len(X) else np.empty(0, dtype=int) for X in X_eval], seconds


def scored(data: Prepared, split: Split, pred_test, pred_val=None, metrics=BUILTIN_METRICS) -> dict:
    """Test metrics, plus the same on validation prefixed ``val_`` when the split has validation rows.

    Validation metrics are what operating points are chosen on (fairbench.selection); test
    metrics are only ever reported.
    """
    values = evaluate(data.y[split.test], pred_test, data.a[split.test], metrics)
    if len(split.validation) and pred_val is not None:
        val = evaluate(data.y[split.validation], pred_val, data.a[split.validation], metrics)
        values.update({f"val_{k}": v for k, v in val.items()})
    return values


def _learner_for_constant(y_train) -> bool:
    return len(np.unique(y_train)) < 2


def _train_and_score(data: Prepared, split: Split, y_train, settings: Settings, X_train=None, X_test=None,
                     X_val=None):
    """Fit the firm's learner and return (test and validation metrics, fit seconds); a one-class
    train set predicts its one class."""
    X_train = data.X[split.train] if X_train is None else X_train
    X_test = data.X[split.test] if X_test is None else X_test
    X_val = data.X[split.validation] if X_val is None else X_val
    if _learner_for_constant(y_train):
        (pred, pred_val), seconds = [np.full(len(X), int(y_train[0])) for X in (X_test, X_val)], 0.0
    else:
        (pred, pred_val), seconds = _fit_predict(settings.learner, split.seed, X_train, y_train, (X_test, X_val))
    return scored(data, split, pred, pred_val, settings.metrics), seconds


def run_task(data: Prepared, task: Task, settings: Settings, baseline: dict | None = None) -> TaskResult:
    """Compute every cell of ``task``; ``baseline`` carries the seed's baseline outputs."""
    split = data.split(task.seed, settings.validation_fraction)
    stage = task.intervention.stage
    if task.intervention.is_baseline:
        return _baseline(data, split, task, settings)
    if stage == "labels":
        return TaskResult(_labels(data, split, task, settings, baseline))
    return TaskResult(_firm(data, split, task, settings, baseline))


def _baseline(data: Prepared, split: Split, task: Task, settings: Settings) -> TaskResult:
    (knob, key), = task.cells
    row = _row(task, knob, key, settings)
    y_train = data.y[split.train]
    probabilities = None
    try:
        with time_limit(settings.cell_timeout):
            X_train, X_test, X_val = data.X[split.train], data.X[split.test], data.X[split.validation]
            if _learner_for_constant(y_train):
                (test_proba, val_proba), seconds = [np.full(len(X), float(y_train[0])) for X in (X_test, X_val)], 0.0
            else:
                (test_proba, val_proba), seconds = _fit_predict(settings.learner, split.seed, X_train, y_train,
                                                                (X_test, X_val), proba=True)
            row.update(scored(data, split, (test_proba >= 0.5).astype(int), (val_proba >= 0.5).astype(int),
                              settings.metrics))
            row["fit_seconds"] = seconds
            if task.needs_probabilities:
                probabilities = {"test": test_proba, "validation": val_proba,
                                 "holdout": holdout_probabilities(data, split, settings)}
    except (Exception, CellTimeout) as exc:
        _fail(row, exc)
    return TaskResult([row], probabilities)


def holdout_probabilities(data: Prepared, split: Split, settings: Settings) -> np.ndarray:
    """Out-of-fold P(y=1) for every training row: post-processors are fit on these, never on
    validation or test rows."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    y_train = data.y[split.train]
    if _learner_for_constant(y_train) or np.bincount(y_train).min() < HOLDOUT_FOLDS:
        return np.full(len(split.train), float(y_train.mean()))
    folds = StratifiedKFold(HOLDOUT_FOLDS, shuffle=True, random_state=split.seed)
    learner = make_learner(settings.learner, split.seed)
    return cross_val_predict(learner, data.X[split.train], y_train, cv=folds, method="predict_proba")[:, 1]


def _make(iv: Intervention, knob, seed: int, settings: Settings, extra: dict | None = None):
    params = {**iv.params, **settings.params.get(iv.name, {}), **(extra or {})}
    try:
        return iv.make(knob, seed, **params)
    except FairbenchError:
        raise
    except Exception as exc:
        raise PluginError(f"intervention {iv.name!r} (plugin {iv.plugin!r}) failed to build: {type(exc).__name__}: {exc}") from exc


def collective_view(Z: np.ndarray, y: np.ndarray, collective, seed: int) -> CollectiveView:
    return CollectiveView(
        candidates=Z[collective.candidates], collective=Z[collective.members], collective_y=y[collective.members],
        majority=Z[collective.known_majority], majority_y=y[collective.known_majority], random_state=seed,
    )


def _scores(iv: Intervention, Z, y, collective, seed: int, settings: Settings, params: dict) -> np.ndarray:
    if len(collective.candidates) == 0:  # nothing to rank: the plugin is not asked to score zero rows
        return np.empty(0, dtype=np.int64)
    scorer = _make(iv, None, seed, settings, params)
    scores = scorer.score(collective_view(Z, y, collective, seed))
    return rank_candidates(scores, len(collective.candidates), seed, iv.name)


def tuned_params(iv: Intervention, data: Prepared, split: Split, Z, settings: Settings) -> dict:
    """Pick the tuning parameters with the lowest EqOd on a 15% slice of the training rows
    (never the validation split, which only chooses operating points)."""
    if not settings.tune or not iv.tune:
        return {}
    rng = np.random.default_rng([split.seed, TUNE_STREAM])
    shuffled = rng.permutation(split.train)
    n_val = max(1, int(round(TUNE_FRACTION * len(shuffled))))
    inner = Split(split.seed, np.sort(shuffled[n_val:]), np.sort(shuffled[:n_val]))
    collective = form_collective(inner.train, data.a, data.y, settings.alpha, split.seed, settings.majority_knowledge)
    n_cand = len(collective.candidates)
    budgets = sorted({max(1, int(round(f * n_cand))) for f in TUNE_BUDGET_FRACTIONS}) if n_cand else [0]
    names = list(iv.tune)
    best, best_value = {}, np.inf
    for values in itertools.product(*(iv.tune[n] for n in names)):
        params = dict(zip(names, values))
        ranking = _scores(iv, Z, data.y, collective, split.seed, settings, params)
        results = []
        for budget in budgets:
            y_mod, _ = flip(data.y, collective.candidates, ranking, budget)
            metrics, _ = _train_and_score(data, inner, y_mod[inner.train], settings)
            results.append(metrics["eqod"])
        value = np.nanmin(results) if not np.all(np.isnan(results)) else np.inf
        if value < best_value:
            best, best_value = params, value
    return best or {n: iv.tune[n][0] for n in names}


def _labels(data: Prepared, split: Split, task: Task, settings: Settings, baseline: dict | None) -> list[dict]:
    iv = task.intervention
    rows = [_row(task, knob, key, settings) for knob, key in task.cells]
    try:
        with time_limit(settings.cell_timeout):
            start = time.perf_counter()
            Z = data.scoring_space(split.train)
            collective = form_collective(split.train, data.a, data.y, settings.alpha, task.seed, settings.majority_knowledge)
            params = tuned_params(iv, data, split, Z, settings)
            ranking = _scores(iv, Z, data.y, collective, task.seed, settings, params)
            method_seconds = time.perf_counter() - start
    except (Exception, CellTimeout) as exc:
        return [_fail(row, exc) for row in rows]
    n_candidates = len(collective.candidates)
    for row, (budget, _) in zip(rows, task.cells):
        row.update({"n_candidates": n_candidates, "n_collective": len(collective.members),
                    "n_majority_known": len(collective.known_majority), "method_seconds": method_seconds,
                    "params": params, "budget_capped": int(budget) > n_candidates})
        if n_candidates == 0:
            row["note"] = "no candidates: no collective member has y=0, so nothing can flip"
        try:
            with time_limit(settings.cell_timeout):
                y_mod, n_flips = flip(data.y, collective.candidates, ranking, int(budget))
                row["n_flips"] = n_flips
                if n_flips == 0 and baseline and baseline.get("row", {}).get("status") == "ok":
                    keys = {*metric_columns(settings.metrics, validation=True), "note", "val_note"}
                    _add_metrics(row, {k: v for k, v in baseline["row"].items() if k in keys})
                    row["fit_seconds"] = 0.0
                    continue
                metrics, seconds = _train_and_score(data, split, y_mod[split.train], settings)
                _add_metrics(row, metrics)
                row["fit_seconds"] = seconds
        except (Exception, CellTimeout) as exc:
            _fail(row, exc)
    return rows


def _add_metrics(row: dict, metrics: dict) -> None:
    """Metrics into a row, keeping a note the row already has."""
    note = "; ".join(n for n in (row.get("note"), metrics.get("note")) if n)
    row.update(metrics)
    if note:
        row["note"] = note


def _firm(data: Prepared, split: Split, task: Task, settings: Settings, baseline: dict | None) -> list[dict]:
    iv = task.intervention
    rows = []
    X_train, X_test, X_val = data.X[split.train], data.X[split.test], data.X[split.validation]
    y_train, a_train, a_test, a_val = data.y[split.train], data.a[split.train], data.a[split.test], data.a[split.validation]
    n_val = len(split.validation)
    context = {"categorical": data.categorical, "columns": data.columns, "sensitive": data.sensitive,
               "learner": make_learner(settings.learner, task.seed)}  # a make that names it (cloned, never fitted)
    for knob, key in task.cells:
        row = _row(task, knob, key, settings)
        try:
            with time_limit(settings.cell_timeout):
                method = _make(iv, knob, task.seed, settings, accepted_context(iv, context))
                start = time.perf_counter()
                if iv.stage == "pre":
                    method.fit(X_train, y_train, a_train)
                    y_fit = _relabeled(method, X_train, y_train, a_train, iv, row)
                    had_nan = bool(np.isnan(X_train).any() or np.isnan(X_test).any())  # passing NaN through is fine
                    Z_train = _checked(method.transform(X_train, a_train), len(split.train), iv, "transform(train)",
                                       allow_nan=had_nan)
                    Z_test = _checked(method.transform(X_test, a_test), len(split.test), iv, "transform(test)",
                                      allow_nan=had_nan)
                    if Z_train.ndim != 2 or Z_train.shape[1:] != Z_test.shape[1:]:
                        raise PluginError(f"intervention {iv.name!r} transform returned shapes {Z_train.shape} (train) and "
                                          f"{Z_test.shape} (test); expected 2-D arrays with the same number of columns")
                    Z_val = (_checked(method.transform(X_val, a_val), n_val, iv, "transform(validation)", allow_nan=True)
                             if n_val else np.empty((0, Z_train.shape[1])))
                    if Z_val.shape[1:] != Z_train.shape[1:]:
                        raise PluginError(f"intervention {iv.name!r} transform returned {Z_val.shape[1:]} columns on "
                                          f"validation but {Z_train.shape[1:]} on train")
                    row["method_seconds"] = time.perf_counter() - start
                    metrics, seconds = _train_and_score(data, split, y_fit, settings, Z_train, Z_test, Z_val)
                    row["fit_seconds"] = seconds
                    if hasattr(method, "certify"):
                        row.update(method.certify(X_test, a_test))
                elif iv.stage == "in":
                    method.fit(X_train, y_train, a_train, make_learner(settings.learner, task.seed))
                    row["method_seconds"] = row["fit_seconds"] = time.perf_counter() - start
                    pred = _checked(method.predict(X_test, a_test), len(split.test), iv, "predict", labels=True)
                    pred_val = (_checked(method.predict(X_val, a_val), n_val, iv, "predict(validation)", labels=True)
                                if n_val else None)
                    metrics = scored(data, split, pred, pred_val, settings.metrics)
                else:  # post
                    if not baseline or baseline.get("probabilities") is None:
                        raise PluginError(f"post-processing {iv.name!r} needs the baseline learner's scores, which failed")
                    probs = baseline["probabilities"]
                    method.fit(probs["holdout"], y_train, a_train)
                    pred = _checked(method.predict(probs["test"], a_test), len(split.test), iv, "predict", labels=True)
                    pred_val = (_checked(method.predict(probs["validation"], a_val), n_val, iv, "predict(validation)",
                                         labels=True) if n_val else None)
                    row["method_seconds"] = time.perf_counter() - start
                    row["fit_seconds"] = baseline["row"].get("fit_seconds", 0.0)
                    metrics = scored(data, split, pred, pred_val, settings.metrics)
                row.update(metrics)
                row.update(getattr(method, "extra_metrics", None) or {})
        except (Exception, CellTimeout) as exc:
            _fail(row, exc)
        rows.append(row)
    return rows


def _relabeled(method, X_train, y_train, a_train, iv: Intervention, row: dict) -> np.ndarray:
    """Training labels for the learner: ``method.relabel(X, y, a)`` when a pre-stage object has it.

    Label-changing pre-processing (e.g. Kamiran & Calders' massaging) returns new 0/1 training
    labels; the number of changed labels is recorded as the cell's ``n_flips``.
    """
    if not hasattr(method, "relabel"):
        return y_train
    y_new = _checked(method.relabel(X_train, y_train.copy(), a_train), len(y_train), iv, "relabel")
    if y_new.ndim != 1 or not np.isin(y_new, (0, 1)).all():
        raise PluginError(f"intervention {iv.name!r} relabel returned values other than one 0/1 label per training row")
    y_new = y_new.astype(y_train.dtype)
    row["n_flips"] = int(np.sum(y_new != y_train))
    return y_new


def accepted_context(iv: Intervention, context: dict) -> dict:
    """The harness context (column facts) a plugin's ``make`` declares it accepts."""
    import inspect

    try:
        sig = inspect.signature(iv.make)
    except (TypeError, ValueError):
        return {}
    return {k: v for k, v in context.items() if k in sig.parameters}


def _checked(values: Any, n_rows: int, iv: Intervention, what: str, labels: bool = False,
             allow_nan: bool = False) -> np.ndarray:
    """A plugin's output with one entry per row, finite (NaN passes with ``allow_nan``: the input had NaN);
    with ``labels``, one 0/1 label per row."""
    arr = np.asarray(values)
    if arr.shape[0:1] != (n_rows,):
        raise PluginError(f"intervention {iv.name!r} {what} returned {arr.shape[0] if arr.ndim else 'a scalar'} rows, expected {n_rows}")
    if np.issubdtype(arr.dtype, np.number) and arr.size:
        values = arr.astype(float)
        bad = np.isinf(values) if allow_nan else ~np.isfinite(values)
        if bad.any():
            raise PluginError(f"intervention {iv.name!r} {what} returned {'inf' if allow_nan else 'NaN or inf'} values")
    if labels and (arr.ndim != 1 or (arr.size and not np.isin(arr, (0, 1)).all())):
        raise PluginError(f"intervention {iv.name!r} {what} returned an array of shape {arr.shape} (values e.g. "
                          f"{arr.ravel()[:3].tolist()}); expected a 1-D array of one 0/1 label per row")
    return arr

