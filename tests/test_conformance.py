"""The conformance kit (fairbench.testing): every built-in passes it, and it catches broken plugins.

Each built-in intervention's and learner's checks run as separate tests with ids like
``rb-prob-check_scores_finite`` or ``lightgbm-check_learner_seeded``.  None takes more than 20 s, so none is marked expensive.
"""
from __future__ import annotations

import unittest

import numpy as np
import pytest

from fairbench import DatasetSpec, Intervention
from fairbench.contract import Dataset
from fairbench.plugins import DEFAULT_PLUGINS, get_registry
from fairbench.testing import (
    RULES, ConformanceError, check_dataset, check_intervention, checks_for, kit_dataset, parametrize_with_checks,
)

BUILTIN_INTERVENTIONS = [iv for iv in get_registry().interventions.values() if iv.plugin in DEFAULT_PLUGINS]
CHEAP_BUILTIN_DATASETS = [get_registry().datasets[name] for name in ("german", "synthetic-4gmm")]
#: every built-in learner; lightgbm and xgboost are skipped, saying so, where their extras are not installed
BUILTIN_LEARNERS = [spec for spec in get_registry().learners.values() if spec.plugin in DEFAULT_PLUGINS]


def test_every_builtin_plugin_loads():
    problems = [p for p in get_registry().problems if any(repr(m) in p for m in DEFAULT_PLUGINS)]
    assert not problems


@parametrize_with_checks(BUILTIN_INTERVENTIONS)
def test_builtin_intervention(obj, check):
    check(obj)


@parametrize_with_checks(CHEAP_BUILTIN_DATASETS)
def test_builtin_dataset(obj, check):
    check(obj)


@parametrize_with_checks(BUILTIN_LEARNERS)
def test_builtin_learner(obj, check):
    check(obj)


# --- the kit itself ---------------------------------------------------------------------------

def labels(name, score, **kw):
    class Scorer:
        def score(self, view):
            return score(view)

    return Intervention(name=name, stage="labels", knob="budget", grid=(), make=lambda k=None, rs=0, **p: Scorer(),
                        plugin="broken-plugin", **kw)


def firm(name, stage, cls, grid=(0.5, 1.0), **kw):
    return Intervention(name=name, stage=stage, knob="w", grid=grid, make=lambda k=None, rs=0, **p: cls(),
                        plugin="broken-plugin", **kw)


class Identity:
    def fit(self, X, y, a):
        return self

    def transform(self, X, a):
        return np.asarray(X, dtype=float)


def failed_rules(obj):
    run = check_dataset if isinstance(obj, DatasetSpec) else check_intervention
    return {r.rule: r.detail for r in run(obj, raise_on_failure=False) if r.status == "failed"}


def test_a_conforming_intervention_passes_and_reports_each_rule():
    iv = labels("ok-scores", lambda v: -np.abs(v.candidates).sum(axis=1))
    results = check_intervention(iv)
    assert [r.rule for r in results] == [c.__name__ for c in checks_for(iv)]
    assert {r.status for r in results} == {"passed"}


@pytest.mark.parametrize("kw, needle", [
    ({"name": "a,b"}, "name 'a,b'"),
    ({"grid": (10, 20)}, "grid=()"),
    ({"knob": "flips"}, "knob='budget'"),
    ({"params": {"model": object()}}, "JSON-serialisable"),
])
def test_bad_declarations_are_named(kw, needle):
    base = dict(name="decl", stage="labels", knob="budget", grid=(), make=lambda k=None, rs=0: None, plugin="broken-plugin")
    with pytest.raises(ConformanceError, match="check_declaration") as info:
        checks_for(Intervention(**{**base, **kw}))[0](Intervention(**{**base, **kw}))
    assert needle in str(info.value) and "plugin 'broken-plugin'" in str(info.value)


def test_firm_declaration_needs_a_numeric_grid():
    assert "check_declaration" in failed_rules(firm("nogrid", "pre", Identity, grid=("low", "high")))
    assert "repeats" in failed_rules(firm("dupgrid", "pre", Identity, grid=(1.0, 1.0)))["check_declaration"]


def test_error_names_plugin_intervention_and_rule():
    iv = labels("short", lambda v: np.zeros(len(v.candidates) - 1))
    with pytest.raises(ConformanceError) as info:
        check_intervention(iv)
    message = str(info.value)
    assert message.startswith("plugin 'broken-plugin', intervention 'short' breaks rule")
    assert "check_output_shape" in message and "expected (" in message
    assert info.value.plugin == "broken-plugin" and info.value.name == "short"


def test_non_finite_score_on_an_awkward_view_is_caught():
    # 1 / distance to the nearest majority row: infinite when a candidate duplicates a majority row.
    def score(v):
        d = np.sqrt(((v.candidates[:, None, :] - v.majority[None, :, :]) ** 2).sum(-1)).min(axis=1)
        with np.errstate(divide="ignore"):
            return 1.0 / d
    detail = failed_rules(labels("inverse-distance", score))["check_scores_finite"]
    assert "duplicated rows" in detail and "non-finite" in detail


def test_global_randomness_breaks_same_seed_same_output():
    iv = labels("unseeded", lambda v: np.random.random(len(v.candidates)))
    assert "same random_state" in failed_rules(iv)["check_same_seed_same_output"]


def test_mutating_the_view_is_caught():
    def score(v):
        v.majority_y[:] = 1
        return np.zeros(len(v.candidates))
    assert "view.majority_y" in failed_rules(labels("mutator", score))["check_inputs_not_mutated"]


def test_transform_that_only_works_on_training_rows_is_caught():
    class Memorise(Identity):
        def fit(self, X, y, a):
            self.Z = np.asarray(X, dtype=float) * 2
            return self

        def transform(self, X, a):
            return self.Z

    assert "transform(test)" in failed_rules(firm("memorise", "pre", Memorise))["check_unseen_rows"]


def test_bad_relabel_and_overwriting_extra_metrics_are_caught():
    class Bad(Identity):
        extra_metrics = {"eqod": 0.0}

        def relabel(self, X, y, a):
            return y + 1

    rules = failed_rules(firm("bad-relabel", "pre", Bad))
    assert "0/1" in rules["check_relabel"] or "{0, 1}" in rules["check_relabel"]
    assert "'eqod'" in rules["check_optional_attributes"]


def test_in_method_that_fits_the_learner_in_place_is_caught():
    class InPlace:
        def fit(self, X, y, a, learner):
            self.model = learner.fit(X, y)
            return self

        def predict(self, X, a):
            return self.model.predict(X)

    assert "fitted in place" in failed_rules(firm("in-place", "in", InPlace))["check_inputs_not_mutated"]


def test_pre_method_whose_make_takes_the_learner_gets_it_and_must_not_fit_it_in_place():
    class Ranker(Identity):
        def __init__(self, learner):
            self.learner = learner

        def fit(self, X, y, a):
            self.learner.fit(X, y)  # the harness's object, not a clone
            return self

    got = []
    iv = Intervention(name="pre-learner", stage="pre", knob="w", grid=(0.5, 1.0), plugin="broken-plugin",
                      make=lambda knob=None, random_state=0, learner=None, **p: got.append(learner) or Ranker(learner))
    assert "fitted in place" in failed_rules(iv)["check_inputs_not_mutated"]
    assert got and all(type(learner).__name__ == "HistGradientBoostingClassifier" for learner in got)  # the kit's learner


def test_post_method_with_probabilities_out_passes_shape_only_if_0_1():
    class Probabilities:
        def fit(self, scores, y, a):
            return self

        def predict(self, scores, a):
            return scores

    assert "expected 0/1" in failed_rules(firm("probs", "post", Probabilities))["check_output_shape"]


def test_make_returning_a_shared_object_is_caught():
    shared = Identity()
    iv = Intervention(name="shared", stage="pre", knob="w", grid=(1.0,), make=lambda k=None, rs=0: shared, plugin="p")
    assert "same object twice" in failed_rules(iv)["check_make"]


def test_missing_dependency_is_a_skip_with_the_install_hint():
    iv = firm("needs-x", "pre", Identity, requires=("no_such_module_xyz",), install_hint="pip install xyz")
    with pytest.raises(unittest.SkipTest, match="pip install xyz"):
        checks_for(iv)[1](iv)


def dataset_spec(name="ds", **overrides):
    def loader(drop_sensitive=False, **options):
        data = kit_dataset(n=200)
        X = data.X.drop(columns="group") if drop_sensitive and not overrides.get("ignore_drop") else data.X
        y = np.where(data.a == 0, 0, data.y) if overrides.get("one_label") else data.y
        return Dataset(name=overrides.get("data_name", name), X=X, a=data.a, y=y, categorical=("code",),
                       sensitive_column=None if "group" not in X.columns else "group")
    return DatasetSpec(name=name, loader=loader, description="d", sensitive="group", protected="a=1",
                       favourable="y=1", source="tests", rows=overrides.get("rows", 200), plugin="broken-plugin")


def test_dataset_rules():
    assert check_dataset(dataset_spec())
    assert "a=0 and y=1" in failed_rules(dataset_spec("one", one_label=True))["check_dataset_loads"]
    assert "rows=150" in failed_rules(dataset_spec("rows", rows=150))["check_dataset_loads"]
    assert "'group'" in failed_rules(dataset_spec("keep", ignore_drop=True))["check_dataset_drop_sensitive"]
    assert "named 'other'" in failed_rules(dataset_spec("named", data_name="other"))["check_dataset_loads"]


def test_parametrize_ids_are_readable_and_expensive_ones_skip_saying_why(monkeypatch):
    iv = labels("ids", lambda v: np.zeros(len(v.candidates)))
    mark = parametrize_with_checks([iv], expensive={"ids": "a 40 s fit"})
    ids = [p.id for p in mark.args[1]]
    assert ids == [f"ids-{c.__name__}" for c in checks_for(iv)]
    marks = mark.args[1][0].marks
    assert any(m.name == "slow" for m in marks)
    assert any(m.name == "skip" and "a 40 s fit" in m.kwargs["reason"] and "FAIRBENCH_SLOW_CHECKS=1" in m.kwargs["reason"]
               for m in marks)
    monkeypatch.setenv("FAIRBENCH_SLOW_CHECKS", "1")
    assert not any(m.name == "skip" for m in parametrize_with_checks([iv], expensive={"ids": "x"}).args[1][0].marks)


def test_every_check_has_a_rule_sentence():
    names = {c.__name__ for stage in ("labels", "pre", "in", "post")
             for c in checks_for(Intervention("x", stage, "budget" if stage == "labels" else "w", () if stage == "labels" else (1.0,), make=lambda *a, **k: None))}
    names |= {c.__name__ for c in checks_for(dataset_spec())}
    assert names <= set(RULES)
