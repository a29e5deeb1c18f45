"""The checks: one function per rule, for interventions, datasets and metrics, and running them
(the learners' are in ``learner_checks``)."""
from __future__ import annotations

import itertools
import math
import numbers
import time
import unittest
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from fairbench.contract import Dataset, DatasetSpec, Intervention, Learner
from fairbench.metrics import GroupRates, Metric
from fairbench.stages import STAGE_OBJECTS, mask_problem
from fairbench.testing.kit import (
    _build, CheckResult, ConformanceError, _describe, _fail, _first_line, _kit, KIT_SEED, _need, _plugin_of, _rule,
    _Run, _run_once, _skip_unavailable, _standard_run,
)


# --- intervention checks ----------------------------------------------------------------------

def _first_problem(obj, problems: list[str], rule: str) -> None:
    """A declaration check: the shared rules' first complaint, if any, as the kit's failure."""
    if problems:
        raise _fail(obj, rule, problems[0])


@_rule
def check_declaration(iv: Intervention) -> None:
    """The fields the harness reads: stage, side, knob, grid, params, tune, requires."""
    _first_problem(iv, Intervention.problems(iv), "check_declaration")  # a non-Intervention too: the rules say what it is


def _tune_combinations(iv: Intervention, limit: int = 12) -> list[dict]:
    names = list(iv.tune)
    return [dict(zip(names, values)) for values in itertools.islice(itertools.product(*(iv.tune[n] for n in names)), limit)]


@_rule
def check_make(iv: Intervention) -> None:
    """A fresh object with the stage's methods for every grid value (firm) or tune value (labels)."""
    rule = "check_make"
    _skip_unavailable(iv)
    kit = _kit()
    settings = [(k, {}) for k in iv.grid] if iv.stage != "labels" else [(None, p) for p in _tune_combinations(iv) or [{}]]
    for knob, extra in settings:
        objs = []
        for _ in range(2):
            run = _Run()
            try:
                objs.append(_build(run, iv, float(knob) if knob is not None else None, kit, extra))
            except Exception as exc:
                raise _fail(iv, rule, f"{run.failed_call} raised {_first_line(exc)}") from exc
        stage = STAGE_OBJECTS[iv.stage]
        missing = stage.missing(objs[0])
        if missing:
            raise _fail(iv, rule, f"make(knob={knob!r}) returned {type(objs[0]).__name__} without {', '.join(missing)}() "
                                  f"(stage {iv.stage!r} needs {', '.join(stage.required)})")
        if objs[0] is objs[1]:
            raise _fail(iv, rule, "make returned the same object twice; each cell needs a fresh, unfitted object")


def _numeric(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "biuf"


def _zero_one(arr: np.ndarray) -> bool:
    return _numeric(arr) and bool(np.isin(arr.astype(float), (0.0, 1.0)).all())


@_rule
def check_output_shape(iv: Intervention) -> None:
    """Shapes and dtypes of score / fit+transform / fit+predict on the training task."""
    rule = "check_output_shape"
    _skip_unavailable(iv)
    run = _need(iv, rule)
    kit = _kit()
    if iv.stage == "labels":
        scores = np.asarray(run.outputs["score"])
        n = len(kit.view.candidates)
        if scores.shape != (n,):
            raise _fail(iv, rule, f"score returned shape {scores.shape}, expected ({n},): one score per candidate")
        if not _numeric(scores):
            raise _fail(iv, rule, f"score returned dtype {scores.dtype}, expected numbers")
        if not np.all(np.isfinite(scores.astype(float))):
            raise _fail(iv, rule, f"score returned {int(np.sum(~np.isfinite(scores.astype(float))))} non-finite scores")
        return
    if run.fit_returned is not run.obj:
        raise _fail(iv, rule, f"fit returned {_describe(run.fit_returned)}, expected self")
    if iv.stage == "pre":
        Z = np.asarray(run.outputs["transform(train)"])
        n = len(kit.y_train)
        if Z.ndim != 2 or Z.shape[0] != n or Z.shape[1] < 1:
            raise _fail(iv, rule, f"transform(X_train) returned shape {Z.shape}, expected ({n}, d) with d >= 1")
        if not _numeric(Z):
            raise _fail(iv, rule, f"transform returned dtype {Z.dtype}, expected numbers")
        if not np.all(np.isfinite(Z.astype(float))):
            raise _fail(iv, rule, "transform(X_train) returned NaN or inf values")
        return
    pred = np.asarray(run.outputs["predict(test)"])
    n = len(kit.y_test)
    if pred.shape != (n,):
        raise _fail(iv, rule, f"predict returned shape {pred.shape}, expected ({n},): one prediction per row")
    if not _zero_one(pred):
        raise _fail(iv, rule, f"predict returned dtype {pred.dtype} with values {np.unique(pred)[:5].tolist()}, expected 0/1")


@_rule
def check_scores_finite(iv: Intervention) -> None:
    """Finite scores for every candidate of the kit's view and of four awkward views."""
    rule = "check_scores_finite"
    _skip_unavailable(iv)
    kit = _kit()
    views = [("the kit's view", kit.view, _standard_run(iv))]
    views += [(label, view, None) for label, view in kit.edge_views()]
    for label, view, run in views:
        run = run or _run_once(iv, kit, view)
        if run.error is not None:
            raise _fail(iv, rule, f"on {label}: {run.failed_call or 'make'} raised {_first_line(run.error)}") from run.error
        scores = np.asarray(run.outputs["score"])
        if scores.shape != (len(view.candidates),):
            raise _fail(iv, rule, f"on {label}: score returned shape {scores.shape}, expected ({len(view.candidates)},)")
        if not _numeric(scores) or not np.all(np.isfinite(scores.astype(float))):
            bad = int(np.sum(~np.isfinite(scores.astype(float)))) if _numeric(scores) else len(scores)
            raise _fail(iv, rule, f"on {label}: {bad} of {len(scores)} candidates got a non-finite or non-numeric score")


@_rule
def check_unseen_rows(iv: Intervention) -> None:
    """transform / predict on test rows and on one row, after fitting on train."""
    rule = "check_unseen_rows"
    _skip_unavailable(iv)
    run = _need(iv, rule)
    kit = _kit()
    m = len(kit.y_test)
    if iv.stage == "pre":
        width = np.asarray(run.outputs["transform(train)"]).shape[1:]
        for what, rows in (("transform(test)", m), ("transform(one row)", 1)):
            Z = np.asarray(run.outputs[what])
            if Z.shape != (rows, *width):
                raise _fail(iv, rule, f"{what} returned shape {Z.shape}, expected {(rows, *width)} "
                                      "(same width as on the training rows)")
            if not _numeric(Z) or not np.all(np.isfinite(Z.astype(float))):
                raise _fail(iv, rule, f"{what} returned non-numeric, NaN or inf values")
        return
    for what, rows in (("predict(test)", m), ("predict(one row)", 1)):
        pred = np.asarray(run.outputs[what])
        if pred.shape != (rows,) or not _zero_one(pred):
            raise _fail(iv, rule, f"{what} returned {_describe(pred)}, expected {rows} 0/1 prediction(s)")


@_rule
def check_relabel(iv: Intervention) -> None:
    """relabel(X, y, a) -> one 0/1 label per training row (pre-processing that changes labels)."""
    rule = "check_relabel"
    _skip_unavailable(iv)
    run = _need(iv, rule)
    if "relabel" not in run.outputs:
        raise unittest.SkipTest(f"{iv.name} has no relabel method (it changes features only)")
    labels = np.asarray(run.outputs["relabel"])
    n = len(_kit().y_train)
    if labels.shape != (n,) or not _zero_one(labels):
        raise _fail(iv, rule, f"relabel returned {_describe(labels)}, expected {n} labels in {{0, 1}}")


def _same(a: Any, b: Any) -> str | None:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return f"shape {a.shape} then {b.shape}"
    if _numeric(a) and _numeric(b) and (a.dtype.kind == "f" or b.dtype.kind == "f"):
        if np.allclose(a.astype(float), b.astype(float), rtol=1e-7, atol=1e-10, equal_nan=True):
            return None
        diff = np.nanmax(np.abs(a.astype(float) - b.astype(float)))
        return f"values differ by up to {diff:.3g}"
    return None if np.array_equal(a, b) else f"{int(np.sum(a != b))} of {a.size} values differ"


@_rule
def check_same_seed_same_output(iv: Intervention) -> None:
    """Build and fit twice with random_state=0 on identical inputs: identical outputs."""
    rule = "check_same_seed_same_output"
    _skip_unavailable(iv)
    first = _need(iv, rule)
    second = _need(iv, rule, _run_once(iv, _kit()))
    for what, value in first.outputs.items():
        problem = _same(value, second.outputs.get(what))
        if problem:
            raise _fail(iv, rule, f"{what} gave different outputs for the same random_state: {problem} "
                                  "(seed every random choice from random_state, never from global state)")


@_rule
def check_inputs_not_mutated(iv: Intervention) -> None:
    """No array handed to make's object (view, X, y, a, scores) or the learner is modified."""
    rule = "check_inputs_not_mutated"
    _skip_unavailable(iv)
    run = _standard_run(iv)
    if run.mutated:
        raise _fail(iv, rule, "; ".join(run.mutated) + " (work on a copy)")
    _need(iv, rule, run)


@_rule
def check_optional_attributes(iv: Intervention) -> None:
    """extra_metrics / certify: a mapping of new column names to scalars; flagged_: one bool per training row."""
    rule = "check_optional_attributes"
    _skip_unavailable(iv)
    run = _need(iv, rule)
    if not run.extras and run.flagged is None:
        raise unittest.SkipTest(f"{iv.name} has none of extra_metrics, certify and flagged_")
    if run.flagged is not None:
        problem = mask_problem(run.flagged, len(_kit().y_train))
        if problem:
            raise _fail(iv, rule, f"flagged_ {problem}")
    from fairbench.runner import CELL_COLUMNS, PIPELINE_COLUMNS

    reserved = set(CELL_COLUMNS) | set(PIPELINE_COLUMNS) | {"key", "plugin", "params", "n_majority_known", "n_collective"}
    for what, value in run.extras.items():
        if not isinstance(value, Mapping):
            raise _fail(iv, rule, f"{what} is {type(value).__name__}, expected a mapping of column name -> value")
        for key, item in value.items():
            if not isinstance(key, str) or key in reserved:
                raise _fail(iv, rule, f"{what} key {key!r} is not a new column name (it would overwrite the harness's)")
            if not (item is None or isinstance(item, (str, bool, numbers.Real))):
                raise _fail(iv, rule, f"{what}[{key!r}] is {type(item).__name__}, expected a number, string or None")


def intervention_checks(iv: Intervention) -> list[Callable[[Intervention], None]]:
    """The checks that apply to ``iv``'s stage, cheapest first."""
    checks: list[Callable] = [check_declaration, check_make, check_output_shape]
    if iv.stage == "labels":
        checks.append(check_scores_finite)
    else:
        checks.append(check_unseen_rows)
    stage = STAGE_OBJECTS.get(iv.stage)
    if stage is not None and "relabel" in stage.optional:
        checks.append(check_relabel)
    checks += [check_same_seed_same_output, check_inputs_not_mutated]
    if stage is not None and stage.attributes:
        checks.append(check_optional_attributes)
    return checks


# --- dataset checks ---------------------------------------------------------------------------

_LOADS: dict[tuple[int, bool], tuple[DatasetSpec, Any]] = {}


def _load(spec: DatasetSpec, drop_sensitive: bool = False, fresh: bool = False):
    key = (id(spec), drop_sensitive)
    hit = _LOADS.get(key)
    if fresh or hit is None or hit[0] is not spec:
        try:
            value = spec.loader(drop_sensitive=drop_sensitive)
        except Exception as exc:
            value = exc
        if fresh:
            return value
        hit = _LOADS[key] = (spec, value)
    return hit[1]


def _loaded(spec: DatasetSpec, rule: str, drop_sensitive: bool = False, fresh: bool = False) -> Dataset:
    from fairbench.errors import UnavailableError

    reason = spec.availability()
    if reason:
        raise unittest.SkipTest(f"dataset {spec.name} is not available here: {reason}")
    data = _load(spec, drop_sensitive, fresh)
    if isinstance(data, UnavailableError):
        raise unittest.SkipTest(f"dataset {spec.name} is not available here: {data}")
    if isinstance(data, BaseException):
        raise _fail(spec, rule, f"loader(drop_sensitive={drop_sensitive}) raised {_first_line(data)}") from data
    if not isinstance(data, Dataset):
        raise _fail(spec, rule, f"loader returned {type(data).__name__}, expected fairbench.Dataset")
    return data


@_rule
def check_dataset_declaration(spec: DatasetSpec) -> None:
    _first_problem(spec, DatasetSpec.problems(spec), "check_dataset_declaration")


@_rule
def check_dataset_loads(spec: DatasetSpec) -> None:
    rule = "check_dataset_loads"
    from fairbench.prepared import prepare

    data = _loaded(spec, rule)
    if data.name != spec.name:
        raise _fail(spec, rule, f"loader returned a dataset named {data.name!r}, expected {spec.name!r}")
    try:
        prepared = prepare(data)
    except Exception as exc:
        raise _fail(spec, rule, f"the harness cannot prepare it: {_first_line(exc)}") from exc
    missing = [c for c in data.categorical if c not in data.X.columns]
    if missing:
        raise _fail(spec, rule, f"categorical columns {missing} are not in X")
    if data.sensitive_column is not None and data.sensitive_column not in data.X.columns:
        raise _fail(spec, rule, f"sensitive_column {data.sensitive_column!r} is not in X (set it to None when dropped)")
    if spec.rows is not None and data.n_rows != spec.rows:
        raise _fail(spec, rule, f"spec says rows={spec.rows} but the loader returned {data.n_rows} rows")
    train = prepared.split(0).train
    for g in (0, 1):
        for label in (0, 1):
            if not np.any((prepared.a[train] == g) & (prepared.y[train] == label)):
                raise _fail(spec, rule, f"no training rows with a={g} and y={label}; every group needs both labels")
    if prepared.is_test is not None and (prepared.is_test.all() or not prepared.is_test.any()):
        raise _fail(spec, rule, "is_test marks every row or none; leave it None to let the harness split 80/20")


@_rule
def check_dataset_drop_sensitive(spec: DatasetSpec) -> None:
    rule = "check_dataset_drop_sensitive"
    kept = _loaded(spec, rule)
    dropped = _loaded(spec, rule, drop_sensitive=True)
    column = kept.sensitive_column
    if column is not None and column in dropped.X.columns:
        raise _fail(spec, rule, f"loader(drop_sensitive=True) still has the sensitive column {column!r} in X")
    if dropped.sensitive_column is not None and dropped.sensitive_column in dropped.X.columns:
        raise _fail(spec, rule, f"loader(drop_sensitive=True) still names sensitive column {dropped.sensitive_column!r}")
    for what in ("a", "y"):
        if not np.array_equal(np.asarray(getattr(kept, what)), np.asarray(getattr(dropped, what))):
            raise _fail(spec, rule, f"loader(drop_sensitive=True) changed {what}")


@_rule
def check_dataset_same_load(spec: DatasetSpec) -> None:
    rule = "check_dataset_same_load"
    first = _loaded(spec, rule)
    second = _loaded(spec, rule, fresh=True)
    try:
        pd.testing.assert_frame_equal(first.X, second.X)
    except AssertionError as exc:
        raise _fail(spec, rule, f"X differs between two loads: {str(exc).strip().splitlines()[0]}") from None
    for what in ("a", "y", "is_test"):
        one, two = getattr(first, what), getattr(second, what)
        if (one is None) != (two is None) or (one is not None and not np.array_equal(one, two)):
            raise _fail(spec, rule, f"{what} differs between two loads (seed every random choice)")


def dataset_checks(spec: DatasetSpec) -> list[Callable[[DatasetSpec], None]]:
    return [check_dataset_declaration, check_dataset_loads, check_dataset_drop_sensitive, check_dataset_same_load]


# --- metric checks ----------------------------------------------------------------------------

def _metric_cases() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(what, y_true, y_pred, a): a mixed case, perfect predictions, and a group with no y=1 rows."""
    rng = np.random.default_rng(KIT_SEED)
    y, a = rng.integers(0, 2, 200), (rng.random(200) < 0.3).astype(int)
    flipped = np.where(rng.random(200) < 0.25, 1 - y, y)
    no_positive = np.where(a == 1, 0, y)
    return [("mixed predictions", y, flipped, a), ("perfect predictions", y, y.copy(), a),
            ("group a=1 without y=1 rows", no_positive, flipped, a)]


@_rule
def check_metric_declaration(metric: Metric) -> None:
    _first_problem(metric, Metric.problems(metric), "check_metric_declaration")


@_rule
def check_metric_values(metric: Metric) -> None:
    rule = "check_metric_values"
    if metric.compute is None:
        raise unittest.SkipTest(f"{metric.name} is reported by an intervention, not computed")
    for what, y_true, y_pred, a in _metric_cases():
        copies = [arr.copy() for arr in (y_true, y_pred, a)]
        try:
            value = metric.compute(GroupRates(y_true, y_pred, a))
            order = np.random.default_rng(1).permutation(len(y_true))
            shuffled = metric.compute(GroupRates(y_true[order], y_pred[order], a[order]))
        except Exception as exc:
            raise _fail(metric, rule, f"compute raised {_first_line(exc)} on {what}") from exc
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isinf(value):
            raise _fail(metric, rule, f"compute returned {value!r} on {what}, expected a finite real number or NaN")
        if math.isnan(value) and what != "group a=1 without y=1 rows":
            raise _fail(metric, rule, f"compute returned NaN on {what}, where every rate is defined")
        if not (value == shuffled or (math.isnan(value) and math.isnan(float(shuffled)))):
            raise _fail(metric, rule, f"compute returned {value!r}, then {shuffled!r} for the same rows in another order")
        if any(not np.array_equal(c, arr) for c, arr in zip(copies, (y_true, y_pred, a))):
            raise _fail(metric, rule, f"compute modified its inputs on {what}")


def metric_checks(metric: Metric) -> list[Callable[[Metric], None]]:
    return [check_metric_declaration, check_metric_values]


def check_metric(metric: Metric, *, raise_on_failure: bool = True) -> list[CheckResult]:
    """Run every metric check on ``metric``."""
    if not isinstance(metric, Metric):
        raise TypeError(f"check_metric takes a fairbench.Metric, not {type(metric).__name__}")
    results = run_checks(metric, metric_checks(metric))
    return _raise_failures(metric, results) if raise_on_failure else results


def checks_for(obj: Intervention | DatasetSpec | Metric | Learner) -> list[Callable]:
    """The checks for an intervention, a dataset spec, a metric or a learner."""
    if isinstance(obj, Learner):
        from fairbench.testing.learner_checks import learner_checks  # it builds on this module's helpers

        return learner_checks(obj)
    if isinstance(obj, Metric):
        return metric_checks(obj)
    if isinstance(obj, DatasetSpec):
        return dataset_checks(obj)
    if isinstance(obj, Intervention):
        return intervention_checks(obj)
    raise TypeError(f"the kit checks fairbench.Intervention, fairbench.DatasetSpec, fairbench.Metric and "
                    f"fairbench.Learner objects, not {type(obj).__name__}")


# --- running the kit --------------------------------------------------------------------------

def run_checks(obj, checks: Iterable[Callable]) -> list[CheckResult]:
    results = []
    for check in checks:
        start = time.perf_counter()
        status, detail = "passed", ""
        try:
            check(obj)
        except unittest.SkipTest as exc:
            status, detail = "skipped", str(exc)
        except ConformanceError as exc:
            status, detail = "failed", str(exc)
        results.append(CheckResult(getattr(obj, "name", "?"), _plugin_of(obj), check.__name__, status,
                                   time.perf_counter() - start, detail))
    return results


def _raise_failures(obj, results: list[CheckResult]) -> list[CheckResult]:
    failed = [r for r in results if r.status == "failed"]
    if failed:
        rules = ", ".join(r.rule for r in failed)
        error = ConformanceError(obj, failed[0].rule if len(failed) == 1 else rules,
                                 "\n  " + "\n  ".join(r.detail for r in failed))
        raise error
    return results


def check_intervention(iv: Intervention, *, raise_on_failure: bool = True) -> list[CheckResult]:
    """Run every applicable check on ``iv``; raise :class:`ConformanceError` listing the broken rules.

    Returns one :class:`CheckResult` per check (with ``raise_on_failure=False`` failures are
    returned instead of raised).
    """
    if not isinstance(iv, Intervention):
        raise TypeError(f"check_intervention takes a fairbench.Intervention, not {type(iv).__name__}")
    results = run_checks(iv, intervention_checks(iv))
    return _raise_failures(iv, results) if raise_on_failure else results


def check_dataset(spec: DatasetSpec, *, raise_on_failure: bool = True) -> list[CheckResult]:
    """Run every dataset check on ``spec`` (a dataset whose files are absent is skipped)."""
    if not isinstance(spec, DatasetSpec):
        raise TypeError(f"check_dataset takes a fairbench.DatasetSpec, not {type(spec).__name__}")
    results = run_checks(spec, dataset_checks(spec))
    return _raise_failures(spec, results) if raise_on_failure else results
