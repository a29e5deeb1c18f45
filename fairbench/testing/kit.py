"""The kit's data and machinery: its rules, its error, the tiny task every check runs on, and one
recorded pass of a plugin over it."""
from __future__ import annotations

import time
import unittest
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property, wraps
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from fairbench.contract import CollectiveView, Dataset, DatasetSpec, Intervention, Learner
from fairbench.metrics import Metric
from fairbench.stages import COLUMNS, MASK, SELF, STAGE_OBJECTS, Inputs, Rows
from fairbench.threads import limited_threads


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
                                 "to scalars that does not overwrite the harness's own columns; flagged_, when "
                                 "present, is one bool per training row",
    "check_dataset_declaration": "the spec's name, texts, rows, loader and availability are declared the way "
                                 "`fairbench list` and the harness read them",
    "check_dataset_loads": "the loader returns a fairbench.Dataset of that name that the harness can prepare, "
                           "with both groups and both labels in the training rows",
    "check_dataset_drop_sensitive": "loader(drop_sensitive=True) removes the sensitive column from X and keeps a and y",
    "check_dataset_same_load": "loading twice with the same options gives the same data",
    "check_metric_declaration": "the metric's name, label, kind, compute and lower_is_better are declared the way "
                                "the registry, tables and figures read them",
    "check_metric_values": "compute(GroupRates) returns one real number (NaN only where a rate is undefined, never "
                           "inf), the same for the same predictions in any row order, without modifying them",
    "check_learner_declaration": "the learner's name, make, requires and nan_tolerant are declared the way the "
                                 "registry and `--learner` read them",
    "check_learner_clone": "make(random_state) returns an unfitted scikit-learn estimator that sklearn.base.clone "
                           "copies, whose get_params(deep=True) reads the same for two builds (it is part of the cell key)",
    "check_learner_fit": "fit(X, y) on 0/1 labels, then predict gives one 0/1 label per row and predict_proba an "
                         "(n, 2) array of probabilities for labels 0 and 1",
    "check_learner_seeded": "two learners built with the same random_state and fitted on the same rows predict the "
                            "same probabilities",
    "check_learner_missing_values": "a learner that declares nan_tolerant fits and predicts on features with NaN",
    "check_registration": "the plugin registers at least one thing, and every registration is accepted",
}



# --- errors and results ---------------------------------------------------------------------

class ConformanceError(AssertionError):
    """A plugin broke a rule; the message names the plugin, the object, the rule and what was seen."""

    def __init__(self, obj: Any, rule: str, detail: str):
        self.plugin = _plugin_of(obj)
        self.name = getattr(obj, "name", repr(obj))
        self.rule = rule
        self.detail = detail
        kind = ("dataset" if isinstance(obj, DatasetSpec) else "intervention" if isinstance(obj, Intervention)
                else "metric" if isinstance(obj, Metric) else "learner" if isinstance(obj, Learner) else "plugin")
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
    if isinstance(obj, (Intervention, DatasetSpec, Learner)):
        if obj.plugin:
            return obj.plugin
        maker = obj.loader if isinstance(obj, DatasetSpec) else obj.make
        return f"(unregistered, defined in {getattr(maker, '__module__', '?')})"
    if isinstance(obj, Metric):
        return obj.plugin or f"(unregistered, defined in {getattr(obj.compute, '__module__', '?')})"
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
        from fairbench.tasks import collective_view

        self.learner = learner
        self.data = prepare(kit_dataset())
        self.split = self.data.split(KIT_SEED)
        tr, te = self.split.train, self.split.test
        self.X_train, self.y_train, self.a_train = self.data.X[tr], self.data.y[tr], self.data.a[tr]
        self.X_test, self.y_test, self.a_test = self.data.X[te], self.data.y[te], self.data.a[te]
        self.context = {"categorical": self.data.categorical, "columns": self.data.columns, "sensitive": self.data.sensitive}
        Z = self.data.scoring_space(tr)
        collective = form_collective(tr, self.data.a, self.data.y, KIT_ALPHA, KIT_SEED)
        self.view = collective_view(Z, self.data.y, collective, KIT_SEED)

    @cached_property
    def probabilities(self) -> tuple[np.ndarray, np.ndarray]:
        """(out-of-fold P(y=1) on train, P(y=1) on test) of the firm's learner, as post methods get them."""
        from fairbench.learners import make_learner
        from fairbench.tasks import Settings, holdout_probabilities

        holdout = holdout_probabilities(self.data, self.split, Settings(learner=self.learner))
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
    flagged: Any = None
    fit_returned: Any = None
    mutated: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    error: BaseException | None = None
    failed_call: str = ""

    def call(self, target: Any, method: str, *args):
        """The recording wrapper the stage objects call plugin methods through (the log is ``--trace``)."""
        label = f"{method}({', '.join(_describe(a) for a in args)})"
        self.failed_call = label
        start = time.perf_counter()
        out = getattr(target, method)(*args)
        self.log.append(f"{label} -> {_describe(out) if out is not target else 'self'}  [{time.perf_counter() - start:.3f} s]")
        self.failed_call = ""
        return out

    def record(self, stage, outcome) -> None:
        """Sort a stage run's results the way the checks read them."""
        kinds = {c.name: c.gives for c in stage.calls}
        for label, value in outcome.returned.items():
            kind = kinds.get(label.split("(")[0])
            if kind == SELF:
                self.fit_returned = value
            elif kind == COLUMNS:
                self.extras[f"{label}(X, a)"] = value
            else:
                self.outputs[label] = value
        for attr in stage.attributes:
            if attr.name in outcome.attributes:
                if attr.gives == MASK:
                    self.flagged = outcome.attributes[attr.name]
                else:
                    self.extras[attr.name] = outcome.attributes[attr.name]


def _params(iv: Intervention, kit: _Kit, extra: Mapping | None = None, learner: Any = None) -> dict:
    """What the harness passes to ``make``: params, then the context it names (the firm's learner included)."""
    from fairbench.learners import make_learner
    from fairbench.tasks import accepted_context

    context = {**kit.context, "learner": learner if learner is not None else make_learner(kit.learner, KIT_SEED)}
    return {**iv.params, **(extra or {}), **accepted_context(iv, context)}


def _build(run: _Run, iv: Intervention, knob, kit: _Kit, extra: Mapping | None = None, learner: Any = None):
    params = _params(iv, kit, extra, learner)
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
    """One pass of ``iv`` over the kit's task, through the harness's own stage object (fairbench.stages)."""
    run = _Run()
    stage = STAGE_OBJECTS.get(iv.stage)
    if stage is None:  # check_declaration names the bad stage; the other checks report this
        run.error = ValueError(f"stage {iv.stage!r} is not one of {', '.join(STAGE_OBJECTS)}")
        return run
    if iv.stage == "labels":
        view = view or kit.view
        fields = ("candidates", "collective", "collective_y", "majority", "majority_y")
        view = replace(view, **{k: getattr(view, k).copy() for k in fields})  # the kit's own arrays stay intact
        inputs = {f"view.{k}": getattr(view, k) for k in fields}
        given = Inputs(view=view)
    else:
        inputs = {"X (train)": kit.X_train.copy(), "y (train)": kit.y_train.copy(), "a (train)": kit.a_train.copy(),
                  "X (test)": kit.X_test.copy(), "a (test)": kit.a_test.copy()}
        if stage.on_scores:
            holdout, test = kit.probabilities
            inputs.update({"scores (train)": holdout.copy(), "scores (test)": test.copy()})
        X, Xt = (inputs["scores (train)"], inputs["scores (test)"]) if stage.on_scores else (
            inputs["X (train)"], inputs["X (test)"])
        at = inputs["a (test)"]
        given = Inputs(Rows(X, inputs["a (train)"], inputs["y (train)"]),
                       {"test": Rows(Xt, at), "one row": Rows(Xt[:1], at[:1])})
    before = {k: v.copy() for k, v in inputs.items()}
    learner = learner_params = None
    if iv.stage in ("pre", "in"):  # an in method's fit gets it; a pre method's make may name it
        from fairbench.learners import make_learner

        learner = make_learner(kit.learner, KIT_SEED)
        learner_params = repr(sorted(learner.get_params(deep=True).items(), key=lambda kv: kv[0]))
    try:
        run.obj = obj = _build(run, iv, _knob(iv), kit, learner=learner)
        if stage.takes_learner:
            given.learner = learner
        run.record(stage, stage.run(obj, given, call=run.call))
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
def _one_thread(obj: Any = None):
    """Tiny fits run fastest on one thread; oversubscribed OpenMP can make them 100x slower.
    A learner's own modules load first, so that the limit reaches their OpenMP runtime too."""
    requires = obj.requires if isinstance(obj, Learner) and isinstance(obj.requires, (tuple, list)) else ()
    with limited_threads(1, preload=[m for m in requires if isinstance(m, str) and m]):  # a bad one: its check says so
        yield


def _rule(check: Callable) -> Callable:
    """A check: runs single-threaded; its name is the rule it enforces (see RULES)."""
    assert check.__name__ in RULES, check.__name__

    @wraps(check)
    def run(obj) -> None:
        with _one_thread(obj):
            check(obj)

    return run


def trace(iv: Intervention) -> list[str]:
    """Every call the kit makes to ``iv`` in one pass over its task: arguments, results, seconds."""
    run = _run_once(iv, _kit())
    return run.log + [f"modified its inputs: {m}" for m in run.mutated]
