"""The firm's learners: declared through the hook, chosen with --learner, refused clearly when unusable."""
from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairbench.cli import main
from fairbench import Dataset, DatasetSpec, Learner, hookimpl
from fairbench.errors import UserInputError
from fairbench.learners import BUILTIN_LEARNERS, learner_params, make_learner
from fairbench.plugins import LOAD_ENV, build_registry, get_registry
from fairbench.runner import compare, nan_tolerant_learners
from fairbench.testing import ConformanceError, check_learner, registered_by

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "plugins.md"
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def knn_example() -> str:
    """docs/plugins.md's learner example, as a user would copy it."""
    (block,) = re.findall(r"<!-- learner example: fairbench_knn/plugin.py -->\s*```python\n(.*?)```",
                          DOCS.read_text(), re.S)
    return block


def test_builtins_are_registered_through_the_hook():
    registry = get_registry()
    assert list(registry.learners) == ["hgb", "logreg", "random-forest", "mlp", "lightgbm", "xgboost"]
    assert {spec.plugin for spec in registry.learners.values()} == {"fairbench.learners"}
    assert registry.plugins["fairbench.learners"].learners == list(registry.learners)
    assert {n for n, spec in registry.learners.items() if spec.nan_tolerant} == {"hgb", "random-forest", "lightgbm",
                                                                                 "xgboost"}
    assert nan_tolerant_learners(registry)[0] == "hgb"  # the default learner is the one suggested first


def test_the_papers_learners_keep_the_parameters_their_cells_were_keyed_by():
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def params(est):
        return {k: repr(v) for k, v in sorted(est.get_params(deep=True).items())}

    assert learner_params("hgb") == params(HistGradientBoostingClassifier(random_state=0))
    assert learner_params("logreg") == params(make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000,
                                                                                                  random_state=0)))


def test_unknown_learner_lists_every_registered_one(capsys, tmp_path):
    assert main(["compare", "--dataset", "german", "--learner", "svm", "--output", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "unknown learner 'svm'" in err
    for name in get_registry().learners:
        assert name in err


BLOCKED = "import sys; sys.modules['lightgbm'] = None  # importing lightgbm now fails, and find_spec finds nothing\n"


def test_missing_lightgbm_is_listed_unavailable_and_compare_exits_2_with_the_hint(tmp_path):
    hint = 'pip install "fairbench-collective[lightgbm]"'
    run = subprocess.run(
        [sys.executable, "-c", BLOCKED + "from fairbench.cli import main; sys.exit(main(sys.argv[1:]))",
         "compare", "--dataset", "german", "--learner", "lightgbm", "--seeds", "1", "--output", str(tmp_path / "o")],
        capture_output=True, text=True, env=ENV)
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip().splitlines() == [f"fairbench: error: lightgbm needs lightgbm: {hint}"]
    assert not (tmp_path / "o" / "cells.sqlite").exists()  # refused before any work
    listed = subprocess.run([sys.executable, "-c", BLOCKED + "from fairbench.cli import main; sys.exit(main(['list']))"],
                            capture_output=True, text=True, env={**ENV, "COLUMNS": "200"})
    learners = listed.stdout.split("\nLearners\n", 1)[1]
    assert re.search(r"^lightgbm\s+no \(see below\)\s+yes\s+fairbench\.learners", learners, re.M)
    assert re.search(r"^xgboost\s+yes\s+yes", learners, re.M)
    assert f"lightgbm: lightgbm needs lightgbm: {hint}" in learners


def test_a_third_party_learner_runs_in_compare(site, monkeypatch, capsys, tmp_path, fresh_cli_registry):
    """The docs' k-NN example, installed as a real distribution, is the firm's learner of every fit."""
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from fairbench.prepared import prepare
    from fairbench.runner import DEFAULT_VALIDATION_FRACTION, load

    site("fairbench-knn", "knn", knn_example())
    monkeypatch.setenv(LOAD_ENV, "knn")
    assert main(["list"]) == 0
    assert re.search(r"^knn\s+yes\s+no\s+knn\s+StandardScaler", capsys.readouterr().out, re.M)
    out = tmp_path / "run"
    code = main(["compare", "--dataset", "german", "--learner", "knn", "--interventions", "random", "--budgets", "0,20",
                 "--seeds", "1", "--jobs", "1", "--quiet", "--output", str(out)])
    assert code == 0, capsys.readouterr().err
    cells = pd.read_csv(out / "cells.csv")
    assert set(cells["learner"]) == {"knn"} and set(cells["status"]) == {"ok"}
    data = prepare(load("german"))
    split = data.split(0, DEFAULT_VALIDATION_FRACTION)
    model = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=25)).fit(data.X[split.train],
                                                                                     data.y[split.train])
    expected = np.mean(model.predict(data.X[split.test]) != data.y[split.test])
    assert cells.loc[cells["intervention"] == "baseline", "error"].item() == pytest.approx(expected)
    (knn,) = registered_by(sys.modules["fbtest_fairbench_knn"])
    assert {r.status for r in check_learner(knn)} == {"passed", "skipped"}


def _naive_bayes(random_state: int):
    from sklearn.naive_bayes import GaussianNB

    return GaussianNB()


class LocalLearner:
    @hookimpl
    def fairbench_register_learners(self, register):
        register(Learner(name="local-nb", make=_naive_bayes))


def test_a_learner_only_in_a_local_registry_is_refused_with_the_reason(tmp_path):
    registry = build_registry(extra=(LocalLearner(),), entry_points=False)
    assert "local-nb" in registry.learners and not registry.problems
    with pytest.raises(UserInputError, match="install its plugin"):
        compare("german", interventions=["random"], seeds=1, budgets=[0], learner="local-nb", registry=registry,
                output=tmp_path, write=False)


def test_nan_features_are_refused_for_a_learner_that_does_not_declare_nan_tolerant(tmp_path):
    rng = np.random.default_rng(0)
    n = 400
    a, y = (rng.random(n) < 0.3).astype(int), (rng.random(n) < 0.5).astype(int)
    X = pd.DataFrame({"x0": rng.normal(y, 1.0), "x1": rng.normal(size=n), "g": a})
    X.loc[::9, "x0"] = np.nan

    class Holes:
        @hookimpl
        def fairbench_register_datasets(self, register):
            register(DatasetSpec(name="holes", loader=lambda **o: Dataset("holes", X, a, y, sensitive_column="g"),
                                 description="NaN in x0", sensitive="g", protected="a=1", favourable="y=1",
                                 source="tests"))

    registry = build_registry(extra=(Holes(),), entry_points=False)
    with pytest.raises(UserInputError, match=r"learner 'mlp' cannot take; use --learner hgb \(it handles missing "
                                             r"values, as do lightgbm, random-forest, xgboost\)"):
        compare("holes", interventions=["random"], seeds=1, budgets=[0], learner="mlp", registry=registry,
                output=tmp_path, write=False)
    result = compare("holes", interventions=["random"], seeds=1, budgets=[0, 10], learner="random-forest",
                     registry=registry, output=tmp_path, write=False)
    assert set(result.cells["status"]) == {"ok"}


def test_kit_catches_an_unstable_key_missing_probabilities_unseeded_fits_and_a_false_nan_claim():
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.svm import LinearSVC

    class Tagged(BaseEstimator, ClassifierMixin):
        def __init__(self, tag=None):
            self.tag = tag

    addressed = Learner(name="addressed", make=lambda random_state: Tagged(tag=object()), plugin="broken")
    with pytest.raises(ConformanceError, match="check_learner_clone.*reads differently"):
        check_learner(addressed)
    no_proba = Learner(name="svm", make=lambda random_state: LinearSVC(random_state=random_state), plugin="broken")
    with pytest.raises(ConformanceError, match="check_learner_fit.*predict_proba"):
        check_learner(no_proba)
    unseeded = Learner(name="unseeded", make=lambda random_state: RandomForestClassifier(n_estimators=5),
                       plugin="broken")  # random_state ignored: every fit draws its own trees
    with pytest.raises(ConformanceError, match="check_learner_seeded.*predict_proba differs"):
        check_learner(unseeded)
    liar = dataclasses.replace(BUILTIN_LEARNERS[1], name="nan-liar", nan_tolerant=True)  # logreg cannot take NaN
    with pytest.raises(ConformanceError, match="check_learner_missing_values"):
        check_learner(liar)


def test_registry_and_kit_reject_the_same_learner_declarations():
    from fairbench.testing import check_learner_declaration

    good = BUILTIN_LEARNERS[1]
    cases = [(good, True), (dataclasses.replace(good, name="my learner"), False),
             (dataclasses.replace(good, make=None), False), (dataclasses.replace(good, nan_tolerant="yes"), False),
             (dataclasses.replace(good, requires=("",)), False)]
    for item, accepted in cases:
        plugin = type("P", (), {"fairbench_register_learners": hookimpl(lambda self, register: register(item))})()
        registry = build_registry(builtins=(), extra=(plugin,), entry_points=False)
        assert (item.name in registry.learners and not registry.problems) is accepted, item
        try:
            check_learner_declaration(item)
            kit_ok = True
        except ConformanceError:
            kit_ok = False
        assert kit_ok is accepted and bool(item.problems()) is not accepted


def test_make_learner_builds_fresh_seeded_estimators():
    first, second = make_learner("random-forest", 3), make_learner("random-forest", 3)
    assert first is not second and first.get_params()["random_state"] == 3
    assert make_learner("mlp", 5).steps[-1][1].random_state == 5


@pytest.mark.parametrize("name", ["logreg", "mlp"])
def test_pipeline_learners_take_sample_weight_as_a_bare_classifier_does(name):
    """The reductions reweight rows through ``fit(X, y, sample_weight=w)``: the scaled learners
    pass the weights on to their classifier, and give its routed fit's numbers exactly."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    weights = np.where(y == 1, 5.0, 1.0)
    weighted = make_learner(name, 0).fit(X, y, sample_weight=weights).predict_proba(X)[:, 1]
    routed = make_learner(name, 0)
    routed.fit(X, y, **{f"{routed.steps[-1][0]}__sample_weight": weights})
    np.testing.assert_array_equal(weighted, routed.predict_proba(X)[:, 1])
    assert weighted.mean() > make_learner(name, 0).fit(X, y).predict_proba(X)[:, 1].mean() + 0.05


def test_reductions_run_with_the_logistic_regression_learner():
    from fairbench.interventions.firm.reductions import ExponentiatedGradientMethod

    rng = np.random.default_rng(1)
    a = rng.integers(0, 2, 400)
    X = np.column_stack([rng.normal(size=400) + a, rng.normal(size=400)])
    y = (X[:, 0] + rng.normal(size=400) > 0.5).astype(int)
    method = ExponentiatedGradientMethod(difference_bound=0.02, max_iter=10).fit(X, y, a, make_learner("logreg", 0))
    assert set(np.unique(method.predict(X, a))) <= {0, 1} and method.extra_metrics["oracle_calls"] > 0
