"""The conformance kit for fairbench plugins, in the spirit of scikit-learn's ``check_estimator``.

Run every check on one intervention or dataset spec (raises :class:`ConformanceError`, naming the
plugin and the broken rule, when any check fails)::

    from fairbench.testing import check_intervention
    check_intervention(my_intervention)

or turn each check into its own pytest test with a readable id (``massaging-check_make`` ...)::

    from fairbench.testing import parametrize_with_checks, registered_by
    import my_plugin

    @parametrize_with_checks(registered_by(my_plugin))
    def test_conformance(obj, check):
        check(obj)

From a shell: ``python -m fairbench.testing [NAME ...] [--trace]`` checks registered interventions
by name and prints one line per rule (``--trace`` also prints every call the kit made to the
plugin, with the shapes it passed and got back, and the seconds it took).

Every intervention check runs on one tiny synthetic task (300 rows: two continuous features, one
categorical code column and the sensitive attribute as a feature), prepared, split and turned
into a :class:`~fairbench.contract.CollectiveView` by the harness's own code, so what a plugin
receives here is what it receives in a real run.  ``make`` gets the middle value of the grid and
``random_state=0``; an ``in`` method gets the firm's learner as the harness builds it (``logreg``
here, to keep the kit fast).  One fit per intervention is shared by the checks that read its
outputs, and one more fit checks determinism, so the kit costs about two fits per intervention.

A check that cannot apply (a missing optional dependency, a dataset whose files are absent, an
optional method the object does not have) raises ``unittest.SkipTest``, which pytest reports as
a skip with the reason.
"""
from __future__ import annotations

import inspect
import itertools
import json
import math
import numbers
import os
import sys
import textwrap
import time
import unittest
from dataclasses import dataclass, field, replace
from contextlib import contextmanager
from functools import cached_property, wraps
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from fairbench.contract import CollectiveView, Dataset, DatasetSpec, Intervention
from fairbench.threads import limited_threads

__all__ = [
    "ConformanceError", "CheckResult", "RULES", "check_intervention", "check_dataset", "checks_for",
    "intervention_checks", "dataset_checks", "parametrize_with_checks", "registered_by", "kit_dataset",
    "trace", "hooks_markdown",
]

KIT_ROWS = 300
KIT_SEED = 0
KIT_ALPHA = 0.5
KIT_LEARNER = "hgb"
SLOW_ENV = "FAIRBENCH_SLOW_CHECKS"

# One sentence per rule: the kit's error messages quote it, docs/plugins.md lists it.
RULES: dict[str, str] = {
    "check_declaration": "name, stage, side, knob, grid, params, tune and requires are declared the way the harness reads them",
    "check_make": "make(knob, random_state, **params) builds a fresh object with the stage's methods for every grid and tune value",
    "check_output_shape": "outputs have the documented shape and dtype: one finite number per candidate (labels), "
                          "a finite 2-D array with one row per input row (pre), one 0/1 prediction per row (in, post)",
    "check_scores_finite": "score gives every candidate a finite score, also for one candidate, a small majority, "
                           "duplicated rows and a constant column",
    "check_unseen_rows": "a fitted object transforms or predicts rows it was not fitted on, down to a single row, "
                         "with the same width as on the training rows",
    "check_relabel": "relabel(X, y, a), when present, returns one 0/1 label per training row",
    "check_same_seed_same_output": "the same random_state and the same inputs give the same output",
    "check_inputs_not_mutated": "the method never modifies the arrays (or the firm's learner) it is given",
    "check_optional_attributes": "extra_metrics and certify(X, a), when present, give a mapping of new column names "
                                 "to scalars that does not overwrite the harness's own columns",
    "check_dataset_declaration": "the spec's name, texts, rows, loader and availability are declared the way "
                                 "`fairbench list` and the harness read them",
    "check_dataset_loads": "the loader returns a fairbench.Dataset of that name that the harness can prepare, "
                           "with both groups and both labels in the training rows",
    "check_dataset_drop_sensitive": "loader(drop_sensitive=True) removes the sensitive column from X and keeps a and y",
    "check_dataset_same_load": "loading twice with the same options gives the same data",
    "check_registration": "the plugin registers at least one thing, and every registration is accepted",
}

_FIRM_STAGES = ("pre", "in", "post")
_METHODS = {"labels": ("score",), "pre": ("fit", "transform"), "in": ("fit", "predict"), "post": ("fit", "predict")}


# --- errors and results ---------------------------------------------------------------------

class ConformanceError(AssertionError):
    """A plugin broke a rule; the message names the plugin, the object, the rule and what was seen."""

    def __init__(self, obj: Any, rule: str, detail: str):
        self.plugin = _plugin_of(obj)
        self.name = getattr(obj, "name", repr(obj))
        self.rule = rule
        self.detail = detail
        kind = "dataset" if isinstance(obj, DatasetSpec) else "intervention" if isinstance(obj, Intervention) else "plugin"
        subject = f"plugin {self.plugin!r}" if kind == "plugin" else f"plugin {self.plugin!r}, {kind} {self.name!r}"
        super().__init__(f"{subject} breaks rule {rule} ({RULES.get(rule, rule)}): {detail}")


@dataclass
class CheckResult:
    """One rule applied to one object: ``status`` is ``passed``, ``failed`` or ``skipped``."""

    name: str
    plugin: str
    rule: str
    status: str
    seconds: float
    detail: str = ""


def _plugin_of(obj: Any) -> str:
    if isinstance(obj, str):
        return obj
    if isinstance(obj, (Intervention, DatasetSpec)):
        if obj.plugin:
            return obj.plugin
        maker = obj.make if isinstance(obj, Intervention) else obj.loader
        return f"(unregistered, defined in {getattr(maker, '__module__', '?')})"
    return getattr(obj, "__name__", None) or type(obj).__name__


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _fail(obj, rule: str, detail: str) -> ConformanceError:
    return ConformanceError(obj, rule, detail)


# --- the kit's task ---------------------------------------------------------------------------

def kit_dataset(n: int = KIT_ROWS, seed: int = KIT_SEED) -> Dataset:
    """The kit's synthetic task: the minority (a=1, ~30%) is shifted so a learner under-predicts its y=1."""
    rng = np.random.default_rng([seed, 0xC4EC])
    a = (rng.random(n) < 0.3).astype(np.int64)
    y = (rng.random(n) < np.where(a == 1, 0.35, 0.55)).astype(np.int64)
    X = pd.DataFrame({
        "x1": rng.normal(1.2 * y - 0.6 * a, 1.0),
        "x2": rng.normal(0.5 * y - 0.3 * a, 1.0),
        "code": np.minimum(rng.integers(0, 3, n) + y, 3),  # integer codes 0..3, as categorical columns arrive
        "group": a,
    })
    return Dataset(name="kit", X=X, a=a, y=y, categorical=("code",), sensitive_column="group",
                   info={"description": "fairbench.testing kit data"})


class _Kit:
    """The arrays a plugin sees in a run, built by the harness's own code."""

    def __init__(self, learner: str):
        from fairbench.collective import form_collective
        from fairbench.prepared import prepare
        from fairbench.tasks import _view

        self.learner = learner
        self.data = prepare(kit_dataset())
        self.split = self.data.split(KIT_SEED)
        tr, te = self.split.train, self.split.test
        self.X_train, self.y_train, self.a_train = self.data.X[tr], self.data.y[tr], self.data.a[tr]
        self.X_test, self.y_test, self.a_test = self.data.X[te], self.data.y[te], self.data.a[te]
        self.context = {"categorical": self.data.categorical, "columns": self.data.columns, "sensitive": self.data.sensitive}
        Z = self.data.scoring_space(tr)
        collective = form_collective(tr, self.data.a, self.data.y, KIT_ALPHA, KIT_SEED)
        self.view = _view(Z, self.data.y, collective, KIT_SEED)

    @cached_property
    def probabilities(self) -> tuple[np.ndarray, np.ndarray]:
        """(out-of-fold P(y=1) on train, P(y=1) on test) of the firm's learner, as post methods get them."""
        from fairbench.learners import make_learner
        from fairbench.tasks import Settings, _holdout_probabilities

        holdout = _holdout_probabilities(self.data, self.split, Settings(learner=self.learner))
        model = make_learner(self.learner, KIT_SEED).fit(self.X_train, self.y_train)
        return holdout, model.predict_proba(self.X_test)[:, 1]

    def edge_views(self) -> Iterable[tuple[str, CollectiveView]]:
        v = self.view
        yield "one candidate", replace(v, candidates=v.candidates[:1])
        keep = np.concatenate([np.flatnonzero(v.majority_y == 0)[:2], np.flatnonzero(v.majority_y == 1)[:2]])
        yield "a majority of 4 rows", replace(v, majority=v.majority[keep], majority_y=v.majority_y[keep])
        twins = np.repeat(v.candidates[:2], 3, axis=0)
        yield "duplicated rows", replace(
            v, candidates=twins, collective=np.vstack([v.collective, twins]),
            collective_y=np.concatenate([v.collective_y, np.zeros(len(twins), dtype=v.collective_y.dtype)]),
            majority=np.vstack([v.majority, v.candidates[:2]]),
            majority_y=np.concatenate([v.majority_y, np.array([1, 0], dtype=v.majority_y.dtype)]))
        flat = {k: getattr(v, k).copy() for k in ("candidates", "collective", "majority")}
        for arr in flat.values():
            arr[:, 0] = 0.0
        yield "a constant column", replace(v, **flat)


_KITS: dict[str, _Kit] = {}


def _kit(learner: str | None = None) -> _Kit:
    learner = learner or KIT_LEARNER
    if learner not in _KITS:
        _KITS[learner] = _Kit(learner)
    return _KITS[learner]


# --- running a plugin once, recording what it did ---------------------------------------------

def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.dtype}[{'x'.join(map(str, value.shape))}]"
    if isinstance(value, CollectiveView):
        return f"CollectiveView(candidates={_describe(value.candidates)}, majority={_describe(value.majority)})"
    if isinstance(value, (list, tuple)) and len(value) > 3:
        return f"{type(value).__name__}[{len(value)}]"
    text = repr(value)
    return text if len(text) <= 60 else type(value).__name__


@dataclass
class _Run:
    """One pass of a plugin over the kit's task: its outputs, its call log, what it changed."""

    obj: Any = None
    outputs: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    fit_returned: Any = None
    mutated: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    error: BaseException | None = None
    failed_call: str = ""

    def call(self, target: Any, method: str, *args):
        label = f"{method}({', '.join(_describe(a) for a in args)})"
        self.failed_call = label
        start = time.perf_counter()
        out = getattr(target, method)(*args)
        self.log.append(f"{label} -> {_describe(out) if out is not target else 'self'}  [{time.perf_counter() - start:.3f} s]")
        self.failed_call = ""
        return out


def _params(iv: Intervention, kit: _Kit, extra: Mapping | None = None) -> dict:
    from fairbench.tasks import _accepted

    return {**iv.params, **(extra or {}), **_accepted(iv, kit.context)}


def _build(run: _Run, iv: Intervention, knob, kit: _Kit, extra: Mapping | None = None):
    params = _params(iv, kit, extra)
    shown = ", ".join(f"{k}={_describe(v)}" for k, v in params.items())
    run.failed_call = f"make({knob!r}, {KIT_SEED}{', ' + shown if shown else ''})"
    start = time.perf_counter()
    obj = iv.make(knob, KIT_SEED, **params)
    run.log.append(f"{run.failed_call} -> {type(obj).__name__}  [{time.perf_counter() - start:.3f} s]")
    run.failed_call = ""
    return obj


def _knob(iv: Intervention):
    return None if iv.stage == "labels" else float(sorted(iv.grid)[len(iv.grid) // 2])


def _changed(before: np.ndarray, after: np.ndarray) -> str | None:
    if before.shape != after.shape:
        return f"shape {before.shape} -> {after.shape}"
    try:
        same = np.array_equal(before, after, equal_nan=True)
    except TypeError:
        same = np.array_equal(before, after)
    if same:
        return None
    with np.errstate(invalid="ignore"):
        n = int(np.sum(~((before == after) | (pd.isna(before) & pd.isna(after)))))
    return f"{n} of {before.size} values changed"


def _run_once(iv: Intervention, kit: _Kit, view: CollectiveView | None = None) -> _Run:
    run = _Run()
    if iv.stage == "labels":
        view = view or kit.view
        fields = ("candidates", "collective", "collective_y", "majority", "majority_y")
        view = replace(view, **{k: getattr(view, k).copy() for k in fields})  # the kit's own arrays stay intact
        inputs = {f"view.{k}": getattr(view, k) for k in fields}
    else:
        inputs = {"X (train)": kit.X_train.copy(), "y (train)": kit.y_train.copy(), "a (train)": kit.a_train.copy(),
                  "X (test)": kit.X_test.copy(), "a (test)": kit.a_test.copy()}
        if iv.stage == "post":
            holdout, test = kit.probabilities
            inputs.update({"scores (train)": holdout.copy(), "scores (test)": test.copy()})
    before = {k: v.copy() for k, v in inputs.items()}
    learner = learner_params = None
    try:
        run.obj = obj = _build(run, iv, _knob(iv), kit)
        if iv.stage == "labels":
            run.outputs["score"] = run.call(obj, "score", view)
        else:
            X, y, a, Xt, at = (inputs[k] for k in ("X (train)", "y (train)", "a (train)", "X (test)", "a (test)"))
            if iv.stage == "pre":
                run.fit_returned = run.call(obj, "fit", X, y, a)
                if hasattr(obj, "relabel"):
                    run.outputs["relabel"] = run.call(obj, "relabel", X, y, a)
                run.outputs["transform(train)"] = run.call(obj, "transform", X, a)
                run.outputs["transform(test)"] = run.call(obj, "transform", Xt, at)
                run.outputs["transform(one row)"] = run.call(obj, "transform", Xt[:1], at[:1])
                if hasattr(obj, "certify"):
                    run.extras["certify(X, a)"] = run.call(obj, "certify", Xt, at)
            elif iv.stage == "in":
                from fairbench.learners import make_learner

                learner = make_learner(kit.learner, KIT_SEED)
                learner_params = repr(sorted(learner.get_params(deep=True).items(), key=lambda kv: kv[0]))
                run.fit_returned = run.call(obj, "fit", X, y, a, learner)
                run.outputs["predict(test)"] = run.call(obj, "predict", Xt, at)
                run.outputs["predict(one row)"] = run.call(obj, "predict", Xt[:1], at[:1])
            else:
                s, st = inputs["scores (train)"], inputs["scores (test)"]
                run.fit_returned = run.call(obj, "fit", s, y, a)
                run.outputs["predict(test)"] = run.call(obj, "predict", st, at)
                run.outputs["predict(one row)"] = run.call(obj, "predict", st[:1], at[:1])
            extra = getattr(obj, "extra_metrics", None)
            if extra is not None:
                run.extras["extra_metrics"] = extra
    except Exception as exc:  # recorded; the checks that need the outputs report it
        run.error = exc
        run.log.append(f"{run.failed_call or 'make'} raised {_first_line(exc)}")
    for name, value in inputs.items():
        change = _changed(before[name], value)
        if change:
            run.mutated.append(f"{name}: {change}")
    if learner is not None:
        if repr(sorted(learner.get_params(deep=True).items(), key=lambda kv: kv[0])) != learner_params:
            run.mutated.append("learner: its parameters were changed (set_params on a clone instead)")
        if _is_fitted(learner):
            run.mutated.append("learner: it was fitted in place (fit sklearn.base.clone(learner) instead)")
    return run


def _is_fitted(estimator) -> bool:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    except Exception:
        return False
    return True


_RUNS: dict[int, tuple[Intervention, _Run]] = {}


def _standard_run(iv: Intervention) -> _Run:
    """The shared fit of ``iv`` (computed once per object and kept for the other checks)."""
    hit = _RUNS.get(id(iv))
    if hit is None or hit[0] is not iv:
        if len(_RUNS) > 256:
            _RUNS.clear()
        hit = _RUNS[id(iv)] = (iv, _run_once(iv, _kit()))
    return hit[1]


def _need(iv: Intervention, rule: str, run: _Run | None = None) -> _Run:
    run = run or _standard_run(iv)
    if run.error is not None:
        where = run.failed_call or "make"
        raise _fail(iv, rule, f"{where} raised {_first_line(run.error)}") from run.error
    return run


def _skip_unavailable(iv: Intervention) -> None:
    reason = iv.unavailable_reason()
    if reason:
        raise unittest.SkipTest(reason)


@contextmanager
def _one_thread():
    """Tiny fits run fastest on one thread; oversubscribed OpenMP can make them 100x slower."""
    with limited_threads(1):
        yield


def _rule(check: Callable) -> Callable:
    """A check: runs single-threaded; its name is the rule it enforces (see RULES)."""
    assert check.__name__ in RULES, check.__name__

    @wraps(check)
    def run(obj) -> None:
        with _one_thread():
            check(obj)

    return run


# --- intervention checks ----------------------------------------------------------------------

@_rule
def check_declaration(iv: Intervention) -> None:
    """The fields the harness reads: stage, side, knob, grid, params, tune, requires."""
    problems = Intervention.problems(iv)  # also for a non-Intervention object: the rules say what it is
    if problems:
        raise _fail(iv, "check_declaration", problems[0])


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
        missing = [m for m in _METHODS[iv.stage] if not callable(getattr(objs[0], m, None))]
        if missing:
            raise _fail(iv, rule, f"make(knob={knob!r}) returned {type(objs[0]).__name__} without {', '.join(missing)}() "
                                  f"(stage {iv.stage!r} needs {', '.join(_METHODS[iv.stage])})")
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
    """extra_metrics / certify: a mapping of new column names to scalars."""
    rule = "check_optional_attributes"
    _skip_unavailable(iv)
    run = _need(iv, rule)
    if not run.extras:
        raise unittest.SkipTest(f"{iv.name} has neither extra_metrics nor certify")
    from fairbench.runner import CELL_COLUMNS

    reserved = set(CELL_COLUMNS) | {"key", "plugin", "params", "n_majority_known", "n_collective"}
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
    if iv.stage == "pre":
        checks.append(check_relabel)
    checks += [check_same_seed_same_output, check_inputs_not_mutated]
    if iv.stage in _FIRM_STAGES:
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
    problems = DatasetSpec.problems(spec)
    if problems:
        raise _fail(spec, "check_dataset_declaration", problems[0])


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


def checks_for(obj: Intervention | DatasetSpec) -> list[Callable]:
    """The checks for an intervention or a dataset spec."""
    if isinstance(obj, DatasetSpec):
        return dataset_checks(obj)
    if isinstance(obj, Intervention):
        return intervention_checks(obj)
    raise TypeError(f"the kit checks fairbench.Intervention and fairbench.DatasetSpec objects, not {type(obj).__name__}")


# --- running the kit --------------------------------------------------------------------------

def _run_checks(obj, checks: Iterable[Callable]) -> list[CheckResult]:
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
    results = _run_checks(iv, intervention_checks(iv))
    return _raise_failures(iv, results) if raise_on_failure else results


def check_dataset(spec: DatasetSpec, *, raise_on_failure: bool = True) -> list[CheckResult]:
    """Run every dataset check on ``spec`` (a dataset whose files are absent is skipped)."""
    if not isinstance(spec, DatasetSpec):
        raise TypeError(f"check_dataset takes a fairbench.DatasetSpec, not {type(spec).__name__}")
    results = _run_checks(spec, dataset_checks(spec))
    return _raise_failures(spec, results) if raise_on_failure else results


def parametrize_with_checks(objs: Iterable[Intervention | DatasetSpec], *, expensive: Mapping[str, str] | None = None):
    """A ``pytest.mark.parametrize("obj, check", ...)`` with one test per (object, check).

    Test ids read ``<name>-<check>`` (e.g. ``rb-prob-check_scores_finite``).  ``expensive`` maps
    names of objects whose checks take more than 20 s to the reason; their tests are marked
    ``slow`` and skipped, saying so, unless ``FAIRBENCH_SLOW_CHECKS=1``.
    """
    import pytest

    expensive = dict(expensive or {})
    run_slow = os.environ.get(SLOW_ENV) == "1"
    params = []
    for obj in objs:
        marks = []
        if obj.name in expensive:
            marks.append(pytest.mark.slow)
            if not run_slow:
                marks.append(pytest.mark.skip(reason=f"{obj.name}: {expensive[obj.name]} (> 20 s; set {SLOW_ENV}=1 to run)"))
        for check in checks_for(obj):
            params.append(pytest.param(obj, check, id=f"{obj.name}-{check.__name__}", marks=marks))
    return pytest.mark.parametrize("obj, check", params)


def registered_by(plugin: Any) -> list[Intervention | DatasetSpec]:
    """What ``plugin`` registers, validated as the registry does, beside the built-ins.

    ``plugin`` is a plugin module or object (checked without autoloading installed plugins), or
    the name of an installed entry point (checked in the registry a run would build).  Raises
    :class:`ConformanceError` (rule ``check_registration``) when the registry rejects any of
    its registrations (a name already taken, an invalid stage ...) or it registers nothing.
    """
    from fairbench.plugins import LOAD_ENV, build_registry

    if isinstance(plugin, str):
        registry, name = build_registry(), plugin
        if name not in registry.plugins:
            found = [p for p in registry.problems if repr(name) in p]
            installed = ", ".join(p for p, i in registry.plugins.items() if i.source != "builtin") or "none"
            detail = found[0] if found else f"no installed plugin named {name!r}; installed: {installed}"
            if not found and os.environ.get(LOAD_ENV) is not None:
                detail += f" ({LOAD_ENV}={os.environ[LOAD_ENV]!r} restricts which plugins load)"
            raise ConformanceError(name, "check_registration", detail)
    else:
        registry = build_registry(extra=(plugin,), entry_points=False)
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
    problems = [p for p in registry.problems if repr(name) in p]
    if problems:
        raise ConformanceError(name, "check_registration", "; ".join(problems))
    info = registry.plugins[name]
    items = [registry.interventions[n] for n in info.interventions] + [registry.datasets[n] for n in info.datasets]
    if not items:
        raise ConformanceError(name, "check_registration", "it registers no intervention and no dataset")
    return items


def trace(iv: Intervention) -> list[str]:
    """Every call the kit makes to ``iv`` in one pass over its task: arguments, results, seconds."""
    run = _run_once(iv, _kit())
    return run.log + [f"modified its inputs: {m}" for m in run.mutated]


# --- docs -------------------------------------------------------------------------------------

def hooks_markdown() -> str:
    """The hook reference of docs/plugins.md, generated from ``fairbench.hookspecs`` and ``fairbench.contract``."""
    from fairbench import contract, hookspecs

    specs = [fn for _, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, f"{hookspecs.PROJECT}_spec")]
    specs.sort(key=lambda fn: inspect.getsourcelines(fn)[1])
    out = ["<!-- BEGIN GENERATED: python -m fairbench.testing --hooks-markdown -->", "",
           f"Hook specifications (`fairbench/hookspecs.py`, pluggy project `{hookspecs.PROJECT}`):", ""]
    for fn in specs:
        signature = str(inspect.signature(fn)).replace("'", "")  # annotations are strings here
        out += [f"### `{fn.__name__}{signature}`", "", inspect.getdoc(fn) or "", ""]
    out += ["### What each stage's object supplies (`fairbench/contract.py`)", "", inspect.getdoc(contract) or "", ""]
    out += ["Fields of the shared types (see their docstrings in `fairbench/contract.py`):", ""]
    for cls in (contract.Intervention, contract.DatasetSpec, contract.Dataset, contract.CollectiveView):
        fields = ", ".join(f"`{f}`" for f in cls.__dataclass_fields__)
        out += [f"- `fairbench.{cls.__name__}`: {fields}"]
    out += [""]
    out += ["### The kit's rules (`fairbench/testing.py`)", "", "| rule | what it requires |", "|---|---|"]
    out += [f"| `{rule}` | {text} |" for rule, text in RULES.items()]
    out += ["", "<!-- END GENERATED -->"]
    return "\n".join(out)


# --- command line -----------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    """``python -m fairbench.testing [NAME ...] [--trace] [--hooks-markdown]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m fairbench.testing", description="Run the fairbench conformance kit.")
    parser.add_argument("names", nargs="*", help="registered interventions or datasets (default: every intervention)")
    parser.add_argument("--trace", action="store_true", help="also print every call the kit made to each intervention")
    parser.add_argument("--hooks-markdown", action="store_true", help="print the generated hook reference of docs/plugins.md")
    args = parser.parse_args(argv)
    if args.hooks_markdown:
        print(hooks_markdown())
        return 0
    from fairbench.plugins import get_registry

    registry = get_registry()
    for line in registry.problems:
        print(f"problem: {line}", file=sys.stderr)
    objs = []
    for name in args.names or list(registry.interventions):
        if name in registry.interventions:
            objs.append(registry.interventions[name])
        elif name in registry.datasets:
            objs.append(registry.datasets[name])
        else:
            print(f"unknown intervention or dataset {name!r}", file=sys.stderr)
            return 2
    failed = 0
    for obj in objs:
        results = _run_checks(obj, checks_for(obj))
        for r in results:
            print(f"{r.status:8} {r.name:24} {r.rule:30} {r.seconds:7.2f} s  {r.plugin}")
            if r.status != "passed":
                print(textwrap.indent(r.detail, "         "))
        failed += sum(r.status == "failed" for r in results)
        if args.trace and isinstance(obj, Intervention):
            print(textwrap.indent("\n".join(trace(obj)), f"  trace {obj.name}: "))
    print(f"{failed} check(s) failed" if failed else "all checks passed or skipped")
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
